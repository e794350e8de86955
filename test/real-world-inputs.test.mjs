// Real-world timestamp trouble, through the `ffnode transcode` CLI and the
// API: a size and pixel-format change mid-stream, an MPEG-TS encoder restart
// and a restart at a wrapped 33-bit value; the outputs checked with the
// players' parsers and ffprobe, and played in hls.js and dash.js. The checks
// live in helpers/real-world.mjs (shared with real-world-streams.test.mjs).
import t from 'tap';
import { realWorld } from './helpers/real-world.mjs';
import { endsWithZeroLive } from './helpers/leaks.mjs';

await realWorld(t, { names: ['size-change', 'ts-restart', 'ts-wrap'], extras: true });
endsWithZeroLive(t);
