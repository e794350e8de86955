// Network inputs against real local servers: HTTP streaming, a stalled peer,
// TLS verification on by default, and no libuv pool starvation.
import t from 'tap';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { Decoder, Frame, Scaler, FFmpegError } from 'ffnode';
import { fixtures, countFrames } from './helpers/media.mjs';
import { endsWithZeroLive } from './helpers/leaks.mjs';

function listen(server) {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server.address().port)));
}

t.test('http input decodes every frame', async (t) => {
  const file = await fixtures.mpegts10s();
  const server = http.createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'video/mp2t' });
    fs.createReadStream(file).pipe(res);
  });
  const port = await listen(server);
  t.teardown(() => server.close());
  const dec = await Decoder.open(`http://127.0.0.1:${port}/a.ts`);
  let n = 0;
  for await (const f of dec.frames('video')) {
    n++;
    f.free();
  }
  t.equal(n, await countFrames(file, 'v:0'));
  await dec.close();
});

t.test('a peer that stops sending: timeout, and close() interrupts at once', async (t) => {
  const file = await fixtures.mpegts10s();
  const head = fs.readFileSync(file).subarray(0, 400_000);
  const sockets = new Set();
  const server = http.createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'video/mp2t' });
    res.write(head); // then silence, connection left open
  });
  server.on('connection', (s) => sockets.add(s));
  const port = await listen(server);
  t.teardown(() => {
    for (const s of sockets) s.destroy();
    server.close();
  });

  const dec = await Decoder.open(`http://127.0.0.1:${port}/stall.ts`, { timeoutMs: 700 });
  const t0 = Date.now();
  const err = await (async () => {
    for await (const f of dec.frames()) f.free();
  })().then(() => null, (e) => e);
  const waited = Date.now() - t0;
  // libav's http layer may report the stall as ETIMEDOUT or as an I/O error; either way typed, and bounded
  t.type(err, FFmpegError, `stall ends in a typed error (${err?.errorName}: ${err?.message})`);
  t.ok(waited < 5000, `within the deadline (${waited} ms)`);
  await dec.close();

  const dec2 = await Decoder.open(`http://127.0.0.1:${port}/stall.ts`, { timeoutMs: 0 });
  const reading = (async () => {
    for await (const f of dec2.frames()) f.free();
  })().then(() => null, (e) => e);
  await new Promise((r) => setTimeout(r, 500));
  const t1 = Date.now();
  await dec2.close();
  t.ok(Date.now() - t1 < 1000, 'close() returns promptly although the read had no deadline');
  const e2 = await reading;
  t.type(e2, FFmpegError);
});

t.test('connection refused is a typed error', async (t) => {
  const server = http.createServer();
  const port = await listen(server);
  await new Promise((r) => server.close(r));
  const err = await Decoder.open(`http://127.0.0.1:${port}/x.ts`, { timeoutMs: 2000 }).catch((e) => e);
  t.type(err, FFmpegError);
  t.equal(err.errorName, 'ECONNREFUSED');
});

t.test('TLS certificates are verified by default', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ffnode-tls-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1',
    '-keyout', path.join(dir, 'key.pem'), '-out', path.join(dir, 'cert.pem')], { stdio: 'ignore' });
  const file = await fixtures.mpegts10s();
  const server = https.createServer({ key: fs.readFileSync(path.join(dir, 'key.pem')), cert: fs.readFileSync(path.join(dir, 'cert.pem')) }, (req, res) => {
    res.writeHead(200, { 'content-type': 'video/mp2t' });
    fs.createReadStream(file).pipe(res);
  });
  const port = await listen(server);
  t.teardown(() => server.close());
  const url = `https://127.0.0.1:${port}/a.ts`;
  const err = await Decoder.open(url, { timeoutMs: 5000 }).catch((e) => e);
  t.type(err, FFmpegError, `self-signed certificate rejected (${err?.message})`);
  const dec = await Decoder.open(url, { timeoutMs: 5000, options: { tls_verify: 0 } });
  t.equal(dec.video.codec, 'h264', 'explicit opt-out connects');
  await dec.close();
});

t.test('eight stalled live inputs do not starve the libuv pool', async (t) => {
  const sources = [];
  const decoders = [];
  const ts = fs.readFileSync(await fixtures.mpegts10s()).subarray(0, 200_000);
  for (let i = 0; i < 8; i++) {
    const src = new PassThrough();
    src.write(ts);
    sources.push(src);
    decoders.push(await Decoder.open(src, { format: 'mpegts', timeoutMs: 0 }));
  }
  // every decoder now blocks on its silent source
  const reads = decoders.map((d) => (async () => {
    for await (const f of d.frames()) f.free();
  })().catch((e) => e));
  await new Promise((r) => setTimeout(r, 300));
  const scaler = new Scaler({ width: 320, height: 180 });
  const frame = Frame.video({ width: 1280, height: 720 });
  const t0 = Date.now();
  for (let i = 0; i < 16; i++) (await scaler.scale(frame)).free();
  t.ok(Date.now() - t0 < 2000, `16 scales on the pool finish (${Date.now() - t0} ms) while 8 inputs block`);
  frame.free();
  scaler.close();
  await Promise.all(decoders.map((d) => d.close()));
  const results = await Promise.all(reads);
  t.ok(results.every((r) => r instanceof FFmpegError), 'every blocked read ended with a typed error on close');
});

endsWithZeroLive(t);
