/**
 * Waiting for shared memory to change without blocking the event loop. `Atomics.wait` and
 * `waitAsync` need a SharedArrayBuffer, and a segment shared with other processes is not one
 * (decision 0015), so a waiter polls: a short spin first (locks are held for microseconds),
 * then a check every turn of the event loop for a moment, then every few milliseconds.
 *
 * @module
 */
import { setImmediate, setTimeout } from 'node:timers/promises';

/** Attempts made at once, before the first turn of the event loop. */
const SPIN = 64;
/** For this long, one attempt per turn of the event loop... */
const TURNS_MS = 2;
/** ...then one every few ms, the delay doubling up to this. */
const MAX_DELAY_MS = 4;

/** What a poll does besides its attempt. */
export interface PollOptions {
  /**
   * A costlier attempt, made every few ms once the wait is a slow one, and once by a try that
   * may not wait: e.g. taking a lock over from a holder that died. True ends the wait.
   */
  readonly slow?: (() => boolean) | undefined;
}

/**
 * Resolves `true` as soon as `attempt()` returns true, or `false` once `timeoutMs` passed
 * (`undefined`: no limit; 0: one try). `attempt` may throw to end the wait with its error.
 */
export async function pollUntil(attempt: () => boolean, timeoutMs: number | undefined, options: PollOptions = {}): Promise<boolean> {
  for (let i = 0; i < SPIN; i++) if (attempt()) return true;
  if (timeoutMs !== undefined && timeoutMs <= 0) return options.slow?.() ?? false;
  const started = performance.now();
  const deadline = timeoutMs === undefined ? Infinity : started + timeoutMs;
  let delay = 1;
  for (;;) {
    const now = performance.now();
    if (now >= deadline) return attempt();
    if (now - started < TURNS_MS) {
      await setImmediate();
    } else {
      if (options.slow?.() === true) return true;
      await setTimeout(Math.min(delay, deadline - now));
      delay = Math.min(delay * 2, MAX_DELAY_MS);
    }
    if (attempt()) return true;
  }
}
