// Pulled sources of other protocols through the real registry: an RTMP URL
// served by the ffmpeg CLI (`-listen 1`: it waits for our pull, then sends),
// and an HLS playlist the ffmpeg CLI writes while we pull it over http
// (allowed only with `hls: true`).
import t from 'tap';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import http from 'node:http';
import { spawn } from 'node:child_process';
import { StreamRegistry, PullSource, MemoryStore } from 'ffnode';
import { until } from './helpers/ingest-target.mjs';
import { endsWithZeroLive } from './helpers/leaks.mjs';

const SOURCE = ['-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=25', '-f', 'lavfi', '-i', 'sine=sample_rate=44100',
  '-c:v', 'libx264', '-preset', 'ultrafast', '-g', '25', '-c:a', 'aac'];

function ffmpeg(t, args) {
  const p = spawn('ffmpeg', ['-hide_banner', '-nostdin', '-loglevel', 'error', '-re', ...SOURCE, ...args], { stdio: 'ignore' });
  t.teardown(() => p.kill('SIGKILL'));
  return p;
}

/** Pulls `url` into a registry until the stream has a master playlist; returns its snapshot. */
async function pullUntilLive(t, opts) {
  const store = new MemoryStore();
  const reg = new StreamRegistry({ store, ladder: ['240p'], segmentDuration: 1, preset: 'ultrafast' });
  const pull = new PullSource(reg, { path: 'live/pulled', reconnect: { initialDelayMs: 300, maxDelayMs: 600 }, ...opts });
  const errors = [];
  pull.on('error', (e) => errors.push(e.message));
  pull.start();
  try {
    await until(() => reg.get('live/pulled')?.manifests.hls, 30000, `a master playlist from ${opts.url} (errors: ${errors.join('; ')})`);
    const snap = reg.get('live/pulled');
    const media = (await store.get('live/pulled/v240p/index.m3u8'))?.toString() ?? '';
    return { snap, media };
  } finally {
    pull.stop();
    await reg.close();
  }
}

t.test('rtmp:// pull from an ffmpeg RTMP server', async (t) => {
  const port = 20000 + Math.floor(Math.random() * 20000);
  ffmpeg(t, ['-t', '20', '-f', 'flv', '-listen', '1', `rtmp://127.0.0.1:${port}/live/src`]);
  const { snap, media } = await pullUntilLive(t, { url: `rtmp://127.0.0.1:${port}/live/src` });
  t.equal(snap.publisher?.protocol, 'pull');
  t.same({ codec: snap.source?.codec, width: snap.source?.width, audio: snap.source?.audioCodec }, { codec: 'h264', width: 320, audio: 'aac' }, 'the source as the server sent it');
  t.match(media, /#EXTINF:/, 'segments produced');
});

t.test('hls pull (hls: true) of a live playlist the ffmpeg CLI is writing', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ffnode-hls-origin-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  ffmpeg(t, ['-t', '30', '-f', 'hls', '-hls_time', '1', '-hls_list_size', '6', '-hls_flags', 'delete_segments', path.join(dir, 'live.m3u8')]);
  const origin = http.createServer((req, res) => {
    const file = path.join(dir, path.basename(new URL(req.url, 'http://x').pathname));
    fs.readFile(file, (err, data) => {
      if (err) return res.writeHead(404).end();
      res.writeHead(200, { 'content-type': file.endsWith('.m3u8') ? 'application/vnd.apple.mpegurl' : 'video/mp2t' }).end(data);
    });
  });
  await new Promise((r) => origin.listen(0, '127.0.0.1', r));
  t.teardown(() => { origin.closeAllConnections(); origin.close(); });
  await until(() => fs.existsSync(path.join(dir, 'live.m3u8')), 15000, 'the origin playlist');
  const url = `http://127.0.0.1:${origin.address().port}/live.m3u8`;
  t.throws(() => new PullSource(new StreamRegistry({ store: new MemoryStore() }), { path: 'live/x', url: url.replace('http:', 'rtsp:'), hls: true }), /hls needs an http\(s\)/);
  const { snap, media } = await pullUntilLive(t, { url, hls: true });
  t.equal(snap.source?.width, 320, 'the playlist’s media decoded');
  t.match(media, /#EXTINF:/, 'segments produced');
});

endsWithZeroLive(t);
