/**
 * What the locks and semaphores share: the options of `acquire()`, and `hold()` — the
 * disposable form that stands for Python's `with lock:`.
 *
 * @module
 */
import { TimeoutError } from '@concurrent/futures';
import { checkOptions, checkTimeout, describe } from '../validate.js';

/**
 * Options of `acquire()`. Python's `acquire(block=True, timeout=None)`; `blocking` is
 * `threading`'s spelling of `block`, and both are accepted.
 */
export interface AcquireOptions {
  /** `false`: try once and resolve at once. Default `true`. */
  blocking?: boolean | undefined;
  /** Alias of `blocking` (multiprocessing's spelling). */
  block?: boolean | undefined;
  /** Wait at most this many ms, then resolve `false`. Default: no limit. */
  timeout?: number | undefined;
}

const ACQUIRE_KEYS = ['blocking', 'block', 'timeout'];

/**
 * How long an `acquire(options)` may wait: `undefined` for no limit, 0 for one try. A bare
 * boolean is Python's positional `acquire(False)`.
 */
export function acquireTimeout(options: AcquireOptions | boolean | undefined, what: string): number | undefined {
  if (typeof options === 'boolean') return options ? undefined : 0;
  const { blocking, block, timeout } = checkOptions(options, what, ACQUIRE_KEYS);
  for (const [name, value] of [
    ['blocking', blocking],
    ['block', block],
  ] as const) {
    if (value !== undefined && typeof value !== 'boolean') throw new TypeError(`Expected \`${name}\` to be a boolean, got ${describe(value)}`);
  }
  if (blocking === false || block === false) return 0;
  return checkTimeout(timeout);
}

/** A lock held until `release()`, or the end of a `using` / `await using` block. */
export interface Held extends Disposable, AsyncDisposable {
  release(): void;
}

/** What `hold()` needs of a lock. */
export interface Acquirable {
  acquire(options?: AcquireOptions): Promise<boolean>;
  release(): void;
}

/**
 * Acquires `lock` and returns a {@link Held}; rejects with `TimeoutError` if `timeout` passes
 * first. Releasing twice through one Held is a no-op the second time.
 */
export async function hold(lock: Acquirable, options: { timeout?: number | undefined } | undefined, what: string): Promise<Held> {
  const { timeout } = checkOptions(options, what, ['timeout']);
  const ms = checkTimeout(timeout);
  if (!(await lock.acquire(ms === undefined ? {} : { timeout: ms }))) throw new TimeoutError(`${what}: not acquired within ${String(ms)} ms`);
  let held = true;
  const release = (): void => {
    if (!held) return;
    held = false;
    lock.release();
  };
  return {
    release,
    [Symbol.dispose]: release,
    [Symbol.asyncDispose]: () => {
      release();
      return Promise.resolve();
    },
  };
}
