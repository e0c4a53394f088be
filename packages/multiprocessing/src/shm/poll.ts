/**
 * Waiting for shared memory to change without blocking the event loop. `Atomics.wait` and
 * `waitAsync` need a SharedArrayBuffer, and a segment shared with other processes is not one
 * (decision 0015), so a waiter polls: a short spin first (locks are held for microseconds),
 * then a check every turn of the event loop for a moment, then every millisecond for a while,
 * then every few milliseconds.
 *
 * @module
 */
import { setImmediate, setTimeout } from 'node:timers/promises';
import { sleepUnlessWoken, wakeable, wakeCount } from './wake.js';

/** Attempts made at once, before the first turn of the event loop. */
const SPIN = 64;
/**
 * For this long, one attempt per turn of the event loop... A turn-by-turn wait keeps a core
 * busy: on a loaded machine it takes the CPU from the very holder it waits for (2 processes ×
 * 20,000 locked increments on 2 busy cores: 0.82 µs per increment with 2 ms here, 0.59 with
 * 0.5 ms and the short-wait phase below, Python 0.43 in the same runs).
 */
const TURNS_MS = 0.5;
/**
 * ...then one every ms for this long: a lock held by a process doing a burst of work is free
 * again within tens of ms, and a waiter that sleeps 4 ms then wakes that late...
 */
const SHORT_WAIT_MS = 50;
/** ...then one every few ms, the delay doubling up to this (the cost of an idle wait). */
const MAX_DELAY_MS = 4;

/** What a poll does besides its attempt. */
export interface PollOptions {
  /**
   * A costlier attempt, made every few ms once the wait is a slow one, and once by a try that
   * may not wait: e.g. taking a lock over from a holder that died. True ends the wait.
   */
  readonly slow?: (() => boolean) | undefined;
  /** Attempt again at once when a wake signal comes (wake.ts), rather than at the next poll. */
  readonly wakeable?: boolean | undefined;
}

/**
 * Resolves `true` as soon as `attempt()` returns true, or `false` once `timeoutMs` passed
 * (`undefined`: no limit; 0: one try). `attempt` may throw to end the wait with its error.
 */
export async function pollUntil(attempt: () => boolean, timeoutMs: number | undefined, options: PollOptions = {}): Promise<boolean> {
  for (let i = 0; i < SPIN; i++) if (attempt()) return true;
  if (timeoutMs !== undefined && timeoutMs <= 0) return options.slow?.() ?? false;
  const kickable = options.wakeable === true && wakeable;
  // Taken before each attempt: a signal after it ends the sleep that follows.
  let woken = kickable ? wakeCount() : 0;
  const started = performance.now();
  const deadline = timeoutMs === undefined ? Infinity : started + timeoutMs;
  let delay = 1;
  let nextSlow = 0;
  for (;;) {
    const now = performance.now();
    if (now >= deadline) return attempt();
    // A wait that a signal ends needs no turn-by-turn polling, which on a busy machine takes
    // the CPU from the process that is about to signal it.
    if (!kickable && now - started < TURNS_MS) {
      await setImmediate();
    } else {
      // The slow attempt (a look at /proc for a dead holder) at most every MAX_DELAY_MS, also
      // while the polls come every ms: it costs tens of µs, which a busy machine's holder feels.
      if (now >= nextSlow) {
        nextSlow = now + MAX_DELAY_MS;
        if (options.slow?.() === true) return true;
      }
      const ms = Math.min(delay, deadline - now);
      await (kickable ? sleepUnlessWoken(ms, woken) : setTimeout(ms));
      if (now - started >= SHORT_WAIT_MS) delay = Math.min(delay * 2, MAX_DELAY_MS);
    }
    if (kickable) woken = wakeCount();
    if (attempt()) return true;
  }
}
