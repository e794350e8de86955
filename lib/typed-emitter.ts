/**
 * An EventEmitter whose event names and listener arguments are checked by
 * TypeScript: `job.on('progress', (p) => …)` types `p`, and a misspelt event
 * name does not compile. Runtime behaviour is Node's EventEmitter, unchanged;
 * only the method signatures are narrowed (declaration merging below), so it
 * does not depend on the consumer's @types/node being generic-aware.
 *
 * @example
 * interface JobEvents { progress: [percent: number]; warning: [message: string] }
 * class Job extends TypedEmitter<JobEvents> {}
 * new Job().on('progress', (p) => console.log(p.toFixed(1))); // p: number
 */
import { EventEmitter } from 'node:events';

/**
 * Event name → listener argument tuple (the constraint of an event map).
 *
 * @example
 * type Ok = TranscodeEvents extends EventMap<TranscodeEvents> ? true : false; // true
 */
export type EventMap<M> = { [E in keyof M]: unknown[] };

/**
 * The typed listener of event `E` of map `M`.
 *
 * @example
 * const onProgress: EventListener<TranscodeEvents, 'progress'> = (p) => console.log(p.percent);
 */
export type EventListener<M extends EventMap<M>, E extends keyof M> = (...args: M[E]) => void;

// Merged into the class below: these signatures replace EventEmitter's
// string-keyed ones for the type checker; the methods are EventEmitter's own.
export interface TypedEmitter<M extends EventMap<M>> {
  on<E extends keyof M & string>(event: E, listener: EventListener<M, E>): this;
  once<E extends keyof M & string>(event: E, listener: EventListener<M, E>): this;
  off<E extends keyof M & string>(event: E, listener: EventListener<M, E>): this;
  addListener<E extends keyof M & string>(event: E, listener: EventListener<M, E>): this;
  removeListener<E extends keyof M & string>(event: E, listener: EventListener<M, E>): this;
  prependListener<E extends keyof M & string>(event: E, listener: EventListener<M, E>): this;
  prependOnceListener<E extends keyof M & string>(event: E, listener: EventListener<M, E>): this;
  emit<E extends keyof M & string>(event: E, ...args: M[E]): boolean;
  listenerCount<E extends keyof M & string>(event: E): number;
  removeAllListeners(event?: keyof M & string): this;
}

/**
 * Base class of ffnode's emitters; see the module comment.
 *
 * @example
 * class Job extends TypedEmitter<{ done: [ok: boolean] }> {}
 * new Job().once('done', (ok) => console.log(ok ? 'ok' : 'failed'));
 */
// eslint-disable-next-line @typescript-eslint/no-unsafe-declaration-merging
export class TypedEmitter<M extends EventMap<M>> extends EventEmitter {}
