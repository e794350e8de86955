/**
 * Loads the native addon once per process. `FFNODE_ADDON` (an absolute path to
 * a `.node` file) overrides the lookup, which tests use to load the cmake-js
 * build; otherwise node-gyp-build finds build/Release or a matching prebuild.
 */
import * as path from 'node:path';
import type { Binding } from '../../types/binding.js';
import { FFmpegError } from '../errors.js';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const nodeGypBuild = require('node-gyp-build') as (dir: string) => unknown;

function load(): Binding {
  const override = process.env.FFNODE_ADDON;
  const b = (override ? require(path.resolve(override)) : nodeGypBuild(path.join(__dirname, '..', '..'))) as Binding;
  b.setErrorClass(FFmpegError);
  return b;
}

/** The raw native binding (the contract in types/binding.d.ts). */
export const native: Binding = load();
