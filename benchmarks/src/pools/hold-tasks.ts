// The tasks of the head-of-line case. Workers import this module by URL (through TaskRefs,
// see head-of-line.ts), so, like tasks.ts, it imports nothing.

/** One Int32 nobody ever notifies: Atomics.wait on it only ever times out. */
const PAUSE = new Int32Array(new SharedArrayBuffer(4));

/** The warm-up task: trivial, so that 'auto' prefetch sizes itself for tiny tasks (deep). */
export function identity(x: number): number {
  return x;
}

/**
 * Holds the calling thread for `ms` and returns `value`. Atomics.wait blocks the thread as a
 * CPU-bound task does (its event loop cannot read a message until the task returns, the case
 * reclaim exists for), but without burning a core: on a 2-core machine a spinning long task
 * would compete with the short tasks and the parent for the CPU, and the case would time the
 * machine instead of the dispatch. Looped because the wait is timed by a clock of its own.
 */
export function hold(ms: number, value: number): number {
  const until = performance.now() + ms;
  for (let left = ms; left > 0; left = until - performance.now()) Atomics.wait(PAUSE, 0, 0, left);
  return value;
}

/** Ends the worker it runs on: the child process, or (in a worker thread) only that thread. */
export function exitWith(code: number): never {
  process.exit(code);
}
