// Odd real-world streams through the `ffnode transcode` CLI: a one-frame
// video, a still PNG, raw .h264/.hevc elementary streams (no timestamps) and
// a 64x8 picture, an MP4 with a corrupt middle (and the Decoder's count of
// what it skipped); the outputs checked with the players' parsers and ffprobe,
// and played in hls.js and dash.js (helpers/real-world.mjs).
import t from 'tap';
import { realWorld } from './helpers/real-world.mjs';
import { endsWithZeroLive } from './helpers/leaks.mjs';

await realWorld(t, { names: ['one-frame', 'still-png', 'raw-h264', 'raw-hevc', 'tiny-64x8', 'corrupt-middle'] });
endsWithZeroLive(t);
