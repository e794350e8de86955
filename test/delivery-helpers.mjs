// Shared by test/delivery-*.test.mjs: manifest parsing with the players'
// parsers, the "no manifest names a missing key" invariant, and the checks
// Apple's mediastreamvalidator makes that we can make ourselves.
import { Parser as M3u8Parser } from 'm3u8-parser';
import { parse as parseMpd } from 'mpd-parser';
import { MemoryStore } from 'ffnode';

export function parseM3u8(text) {
  const p = new M3u8Parser();
  p.push(text);
  p.end();
  return p.manifest;
}

const BASE = 'http://h/';
export function parseDash(text) {
  return parseMpd(text, { manifestUri: `${BASE}manifest.mpd` });
}

const dirOf = (key) => (key.includes('/') ? key.slice(0, key.lastIndexOf('/') + 1) : '');

// Store keys a manifest names.
export function referencedKeys(key, text) {
  const out = new Set();
  if (key.endsWith('.mpd')) {
    const mpd = parseDash(text);
    const playlists = [...mpd.playlists];
    for (const group of Object.values(mpd.mediaGroups?.AUDIO ?? {}))
      for (const r of Object.values(group)) playlists.push(...(r.playlists ?? []));
    for (const pl of playlists)
      for (const s of pl.segments ?? []) {
        out.add(s.resolvedUri.slice(BASE.length));
        if (s.map) out.add(s.map.resolvedUri.slice(BASE.length));
      }
    return out;
  }
  const m = parseM3u8(text);
  const dir = dirOf(key);
  for (const pl of m.playlists ?? []) out.add(dir + pl.uri);
  for (const group of Object.values(m.mediaGroups?.AUDIO ?? {})) for (const r of Object.values(group)) if (r.uri) out.add(dir + r.uri);
  for (const s of m.segments ?? []) {
    out.add(dir + s.uri);
    if (s.map) out.add(dir + s.map.uri);
  }
  return out;
}

const isManifest = (k) => k.endsWith('.m3u8') || k.endsWith('.mpd');

// Keys named by stored manifests that the store lacks.
export async function missingReferences(store) {
  const keys = new Set(await store.list());
  const missing = [];
  for (const k of keys) {
    if (!isManifest(k)) continue;
    for (const ref of referencedKeys(k, (await store.get(k)).toString())) if (!keys.has(ref)) missing.push(`${k} -> ${ref}`);
  }
  return missing;
}

// A MemoryStore that checks the invariant at every write and delete: a
// manifest put names only stored keys, and a delete removes no key a stored
// manifest names. Violations are collected, not thrown (the test asserts).
export class CheckingStore extends MemoryStore {
  violations = [];
  log = [];
  async put(key, data) {
    if (isManifest(key)) {
      const have = new Set(await super.list());
      for (const ref of referencedKeys(key, data.toString())) if (!have.has(ref)) this.violations.push(`put ${key} names missing ${ref}`);
    }
    this.log.push(`put ${key}`);
    await super.put(key, data);
  }
  async delete(key) {
    for (const k of await super.list()) {
      if (isManifest(k) && referencedKeys(k, (await super.get(k)).toString()).has(key)) this.violations.push(`delete ${key} still named by ${k}`);
    }
    this.log.push(`delete ${key}`);
    await super.delete(key);
  }
}

// mediastreamvalidator-like checks on a stored HLS presentation. Returns a
// list of problems (empty when valid).
export async function validateHls(store, { vod = false } = {}) {
  const problems = [];
  const text = async (k) => (await store.get(k))?.toString();
  const masterText = await text('master.m3u8');
  if (!masterText) return ['no master.m3u8'];
  if (!masterText.startsWith('#EXTM3U\n')) problems.push('master: first line is not #EXTM3U');
  const master = parseM3u8(masterText);
  const audio = Object.values(master.mediaGroups?.AUDIO?.audio ?? {});
  const measure = async (uri) => {
    const m = parseM3u8(await text(uri));
    const dir = dirOf(uri);
    let peak = 0;
    let bytes = 0;
    let seconds = 0;
    for (const s of m.segments) {
      const size = (await store.get(dir + s.uri)).length;
      peak = Math.max(peak, (size * 8) / s.duration);
      bytes += size;
      seconds += s.duration;
    }
    return { peak, average: (bytes * 8) / seconds, m, raw: await text(uri) };
  };
  const audioMeasured = await Promise.all(audio.map((a) => measure(a.uri)));
  const audioPeak = Math.max(0, ...audioMeasured.map((a) => a.peak));
  const audioAvg = Math.max(0, ...audioMeasured.map((a) => a.average));
  let lastBandwidth = -1;
  for (const v of master.playlists) {
    const a = v.attributes;
    if (!a.BANDWIDTH) problems.push(`${v.uri}: no BANDWIDTH`);
    if (!a.CODECS) problems.push(`${v.uri}: no CODECS`);
    if (a.BANDWIDTH < lastBandwidth) problems.push(`${v.uri}: variants not in ascending BANDWIDTH`);
    lastBandwidth = a.BANDWIDTH;
    const meas = await measure(v.uri);
    const peak = meas.peak + audioPeak;
    const avg = meas.average + audioAvg;
    // Apple: measured peak within 10 % of BANDWIDTH, measured average within 10 % of AVERAGE-BANDWIDTH.
    if (Math.abs(peak - a.BANDWIDTH) > 0.1 * a.BANDWIDTH) problems.push(`${v.uri}: measured peak ${peak} vs BANDWIDTH ${a.BANDWIDTH}`);
    if (Math.abs(avg - Number(a['AVERAGE-BANDWIDTH'])) > 0.1 * Number(a['AVERAGE-BANDWIDTH'])) problems.push(`${v.uri}: measured average ${avg} vs AVERAGE-BANDWIDTH ${a['AVERAGE-BANDWIDTH']}`);
  }
  for (const meas of [...audioMeasured, ...(await Promise.all(master.playlists.map((v) => measure(v.uri))))]) {
    const { m, raw } = meas;
    for (const s of m.segments) if (Math.round(s.duration) > m.targetDuration) problems.push(`EXTINF ${s.duration} rounds above target ${m.targetDuration}`);
    const version = Number(/#EXT-X-VERSION:(\d+)/.exec(raw)?.[1] ?? 1);
    if (raw.includes('#EXT-X-MAP') && version < 6) problems.push(`EXT-X-MAP with version ${version}`);
    if (/#EXTINF:\d+\.\d/.test(raw) && version < 3) problems.push(`decimal EXTINF with version ${version}`);
    if (vod && (!m.endList || m.playlistType !== 'VOD')) problems.push('VOD playlist without ENDLIST or PLAYLIST-TYPE:VOD');
  }
  return problems;
}

// Replaces setTimeout/clearTimeout while `fn` runs... and after, until restore():
// records each timer's delay and lets the test fire them by hand.
export function fakeTimers() {
  const real = { setTimeout: globalThis.setTimeout, clearTimeout: globalThis.clearTimeout };
  const timers = [];
  globalThis.setTimeout = (fn, ms) => {
    const t = { fn, ms, cleared: false, fired: false, unref() { this.unrefd = true; return this; }, ref() { return this; } };
    timers.push(t);
    return t;
  };
  globalThis.clearTimeout = (t) => {
    if (t && timers.includes(t)) t.cleared = true;
    else real.clearTimeout(t);
  };
  return {
    timers,
    async fire(filter = () => true) {
      for (const t of timers) if (!t.cleared && !t.fired && filter(t)) { t.fired = true; t.fn(); }
      await new Promise((r) => setImmediate(r));
    },
    restore() {
      globalThis.setTimeout = real.setTimeout;
      globalThis.clearTimeout = real.clearTimeout;
    },
  };
}

// Synthetic segments: duration `d`, bytes for `bitrate` with a ±jitter pattern.
export function segment(sequence, { start = sequence * 2, duration = 2, bitrate = 1_000_000, key = true, ...rest } = {}) {
  const scale = 1 + ((sequence % 3) - 1) * 0.05;
  return { sequence, start, duration, data: Buffer.alloc(Math.round(((bitrate * duration) / 8) * scale), sequence & 0xff), startsWithKeyframe: key, ...rest };
}

export const VIDEO = [
  { id: 'v360p', type: 'video', codecs: 'avc1.64001e', bitrate: 800_000, width: 640, height: 360, frameRate: 30 },
  { id: 'v720p', type: 'video', codecs: 'avc1.64001f', bitrate: 2_800_000, width: 1280, height: 720, frameRate: 30 },
];
export const AUDIO = { id: 'a128k', type: 'audio', codecs: 'mp4a.40.2', bitrate: 128_000, sampleRate: 48000, channels: 2, language: 'en' };
