// A custom SegmentStore that uploads: transcode() and the live server write
// segments and manifests through four methods — put, get, delete, list — so
// any object storage can hold them. This one talks HTTP (PUT/GET/DELETE and a
// listing) to an origin; to keep the example self-contained it starts that
// origin itself, on a free port, storing the objects in a directory.
// Run: node examples/custom-segment-store.mjs [input] [originDir]
// Without an input it makes a 4 s sample.
//
// For S3 (npm install @aws-sdk/client-s3), the same four methods are:
//   put    → s3.send(new PutObjectCommand({ Bucket, Key, Body: data, ContentType }))  (S3 PUTs are atomic)
//   get    → GetObjectCommand, `Buffer.from(await res.Body.transformToByteArray())`; NoSuchKey → null
//   delete → DeleteObjectCommand (deleting a missing key is not an error, as here)
//   list   → ListObjectsV2Command({ Bucket, Prefix }), following ContinuationToken
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { transcode } from 'ffnode';
import { checkFreed } from './support/lifecycle.mjs';
import { makeSample } from './support/sample.mjs';

/** A SegmentStore over HTTP: keys are '/'-separated relative paths under `baseUrl`. */
class HttpStore {
  constructor(baseUrl) {
    this.baseUrl = baseUrl.replace(/\/$/, '');
    this.uploads = 0;
  }
  async put(key, data) {
    const res = await fetch(`${this.baseUrl}/${key}`, { method: 'PUT', body: data });
    if (!res.ok) throw new Error(`PUT ${key}: HTTP ${res.status}`); // ffnode reports it as an FFmpegError ESTORE
    this.uploads++;
  }
  async get(key) {
    const res = await fetch(`${this.baseUrl}/${key}`);
    if (res.status === 404) return null; // absent is null, not an error
    if (!res.ok) throw new Error(`GET ${key}: HTTP ${res.status}`);
    return Buffer.from(await res.arrayBuffer());
  }
  async delete(key) {
    const res = await fetch(`${this.baseUrl}/${key}`, { method: 'DELETE' });
    if (!res.ok && res.status !== 404) throw new Error(`DELETE ${key}: HTTP ${res.status}`);
  }
  async list(prefix = '') {
    const res = await fetch(`${this.baseUrl}/?list=${encodeURIComponent(prefix)}`);
    if (!res.ok) throw new Error(`list ${prefix}: HTTP ${res.status}`);
    return res.json();
  }
}

/** The stand-in for object storage: a directory behind PUT/GET/DELETE. */
function startOrigin(dir) {
  const keyOf = (url) => {
    const key = decodeURIComponent(new URL(url, 'http://x').pathname).slice(1);
    // Refuse anything that could leave the directory.
    return key && key.split('/').every((s) => s && s !== '.' && s !== '..') ? key : null;
  };
  const walk = (d, rel = '') => fs.readdirSync(d, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? walk(path.join(d, e.name), `${rel}${e.name}/`) : e.name.endsWith('.part') ? [] : [`${rel}${e.name}`]);
  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url, 'http://x');
    if (req.method === 'GET' && url.searchParams.has('list')) {
      // GET /<root>/?list=<prefix>: the keys under <root>, relative to it
      const root = keyOf(url.pathname.replace(/\/$/, '')) ?? '';
      const base = path.join(dir, root);
      const keys = fs.existsSync(base) ? walk(base) : [];
      return res.end(JSON.stringify(keys.filter((k) => k.startsWith(url.searchParams.get('list')))));
    }
    const key = keyOf(req.url);
    if (!key) return res.writeHead(400).end();
    const file = path.join(dir, key);
    if (req.method === 'PUT') {
      const chunks = [];
      for await (const c of req) chunks.push(c);
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(`${file}.part`, Buffer.concat(chunks));
      fs.renameSync(`${file}.part`, file); // atomic: a reader sees the old object or the new one
      return res.writeHead(201).end();
    }
    if (req.method === 'GET') return fs.existsSync(file) ? res.end(fs.readFileSync(file)) : res.writeHead(404).end();
    if (req.method === 'DELETE') {
      fs.rmSync(file, { force: true });
      return res.writeHead(204).end();
    }
    res.writeHead(405).end();
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

const originDir = path.resolve(process.argv[3] ?? 'out/custom-store');
const input = process.argv[2] ?? await makeSample(path.join(path.dirname(originDir), 'custom-store-sample.mp4'));
fs.rmSync(originDir, { recursive: true, force: true });
fs.mkdirSync(originDir, { recursive: true });
const origin = await startOrigin(originDir);
const store = new HttpStore(`http://127.0.0.1:${origin.address().port}/vod/clip`);

const result = await transcode(input, { out: store, ladder: ['240p'], segmentDuration: 2, preset: 'veryfast' }).done;
const keys = await store.list();
console.log(`${input} → ${store.baseUrl}: ${store.uploads} uploads, ${keys.length} objects stored:`);
for (const k of keys.sort()) console.log(`  ${k}`);
console.log(`manifests: ${result.manifests.join(', ')}; the files are in ${path.join(originDir, 'vod/clip')}`);

origin.closeAllConnections(); // fetch keeps connections alive
await new Promise((resolve) => origin.close(resolve));
const left = checkFreed();
console.log('result:', JSON.stringify({ dir: path.join(originDir, 'vod/clip'), uploads: store.uploads, keys, manifests: result.manifests, stats: left }));
