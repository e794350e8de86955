// What the viewers of `npm run bench:http` ask for: every media playlist of
// every stream (read from the FileStore's directory, so that watching costs
// the servers under test nothing) and each one's newest segment, re-read a
// few times a second as the live window moves.
import fs from 'node:fs';
import path from 'node:path';

/** The URIs of a playlist, in order (lines that are not tags). */
const uris = (text) => text.split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));

function read(file) {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return null; // not there yet, or between a FileStore's rename and our read on another filesystem
  }
}

/**
 * Watches `streams` (store paths like 'live/s0') under `root`. `targets` has
 * one entry per media playlist the streams' master playlists name (video
 * rungs and audio): `{ playlist, segment, segments }` with request paths
 * ('/live/s0/v360p/index.m3u8', '/live/s0/v360p/seg_12.m4s') and the number
 * of segments in the live window. `refresh()` re-reads everything; `start()`
 * does so every `everyMs` until `stop()`.
 *
 * @example
 * const w = watchTargets(storeDir, ['live/s0', 'live/s1']);
 * await until(() => w.refresh() && w.ready(3), 60_000);
 * w.start(500);
 * w.targets[0].segment; // '/live/s0/v240p/seg_5.m4s', moving on as the stream goes
 */
export function watchTargets(root, streams) {
  const targets = [];
  let timer = null;
  const w = {
    targets,
    /** Re-reads the playlists; returns true when every stream has a master playlist. */
    refresh() {
      let all = true;
      for (const s of streams) {
        const master = read(path.join(root, s, 'master.m3u8'));
        if (master === null) { all = false; continue; }
        for (const uri of uris(master).concat([...master.matchAll(/URI="([^"]+\.m3u8)"/g)].map((m) => m[1]))) {
          const playlist = `/${s}/${uri}`;
          let t = targets.find((x) => x.playlist === playlist);
          if (!t) targets.push((t = { playlist, segment: null, segments: 0 }));
          const media = read(path.join(root, s, uri));
          if (media === null) continue;
          const segs = uris(media);
          if (!segs.length) continue;
          t.segment = `${path.posix.dirname(playlist)}/${segs.at(-1)}`;
          t.segments = segs.length;
        }
      }
      targets.sort((a, b) => a.playlist.localeCompare(b.playlist));
      return all;
    },
    /** Whether every stream's every media playlist lists at least `n` segments. */
    ready(n) {
      return targets.length > 0 && streams.every((s) => targets.some((t) => t.playlist.startsWith(`/${s}/`))) && targets.every((t) => t.segments >= n);
    },
    start(everyMs) {
      clearInterval(timer);
      timer = setInterval(() => w.refresh(), everyMs);
    },
    stop() {
      clearInterval(timer);
      timer = null;
    },
  };
  return w;
}
