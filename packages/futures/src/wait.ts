import { TimeoutError } from './errors.js';
import { addListener, type Future, type Listener, outcome, removeListener } from './future.js';
import { startTimer, type Timer } from './internal/timer.js';
import { checkOptionKeys, checkOptionsObject, describe, normalizeTimeout } from './internal/validate.js';

/** `wait` returns as soon as any future finishes or is cancelled. */
export const FIRST_COMPLETED = 'FIRST_COMPLETED';
/** `wait` returns as soon as any future fails, or when all are done. */
export const FIRST_EXCEPTION = 'FIRST_EXCEPTION';
/** `wait` returns when every future is done. */
export const ALL_COMPLETED = 'ALL_COMPLETED';

/** When `wait` returns. Mirrors `return_when`. */
export type ReturnWhen = typeof FIRST_COMPLETED | typeof FIRST_EXCEPTION | typeof ALL_COMPLETED;

/** What `wait` resolves to. Mirrors `DoneAndNotDoneFutures`. */
export interface DoneAndNotDoneFutures<T> {
  done: Set<Future<T>>;
  notDone: Set<Future<T>>;
}

/** Options of {@link wait}. */
export interface WaitOptions {
  /** Milliseconds to wait at most; `undefined` waits forever. */
  timeout?: number | undefined;
  /** Defaults to `ALL_COMPLETED`. */
  returnWhen?: ReturnWhen | undefined;
}

/** Options of {@link asCompleted}. */
export interface AsCompletedOptions {
  /** Milliseconds, counted from the call, after which iteration throws `TimeoutError`. */
  timeout?: number | undefined;
}

const RETURN_WHEN = new Set<unknown>([FIRST_COMPLETED, FIRST_EXCEPTION, ALL_COMPLETED]);
const WAIT_OPTION_KEYS: readonly string[] = ['timeout', 'returnWhen'];
const AS_COMPLETED_OPTION_KEYS: readonly string[] = ['timeout'];

function failed(future: Future<unknown>): boolean {
  return outcome(future).failed;
}

function distinct<T>(fs: Iterable<Future<T>>, caller: string): Set<Future<T>> {
  if (fs === null || fs === undefined || typeof (fs as Partial<Iterable<unknown>>)[Symbol.iterator] !== 'function') {
    throw new TypeError(`${caller}() expects an iterable of futures, got ${describe(fs)}`);
  }
  return new Set(fs);
}

/**
 * One waiter installed on many futures: the mechanism `wait` and `asCompleted` share
 * (CPython's `_Waiter`). Each future holds the waiter's listener until it completes or the
 * waiter is disposed, so installing and removing it costs O(n) in all for n futures.
 */
class Waiter<T> {
  readonly #pending: Set<Future<T>>;
  readonly #onDone: (future: Future<T>) => void;
  readonly #listener: Listener;

  constructor(pending: Set<Future<T>>, onDone: (future: Future<T>) => void) {
    this.#pending = pending;
    this.#onDone = onDone;
    this.#listener = (future) => {
      const f = future as Future<T>;
      if (this.#pending.delete(f)) this.#onDone(f);
    };
    for (const future of pending) addListener(future, this.#listener);
  }

  /** Uninstalls the listener from every future still pending. */
  dispose(): void {
    for (const future of this.#pending) removeListener(future, this.#listener);
  }
}

/**
 * Waits for futures (from any executor) to complete. Mirrors `concurrent.futures.wait`.
 *
 * Never rejects on timeout: it resolves with whatever is done by then. Duplicate futures are
 * counted once; a cancelled future counts as done however it was cancelled.
 *
 * @param fs - the futures to wait for.
 * @param options - `timeout` in ms, and `returnWhen` (`FIRST_COMPLETED`, `FIRST_EXCEPTION`
 *   or `ALL_COMPLETED`, the default).
 * @returns the sets of done and not-done futures.
 * @throws TypeError (synchronously) for an unknown `returnWhen`, a bad timeout, an unknown
 *   option key (`return_when` is named with its camelCase spelling) or a non-iterable `fs`.
 * @example
 * ```ts
 * const { done, notDone } = await wait(futures, { timeout: 1_000, returnWhen: FIRST_COMPLETED });
 * ```
 */
export function wait<T>(fs: Iterable<Future<T>>, options: WaitOptions = {}): Promise<DoneAndNotDoneFutures<T>> {
  checkOptionsObject(options, 'wait()');
  checkOptionKeys(options, WAIT_OPTION_KEYS, 'wait()');
  const returnWhen = options.returnWhen ?? ALL_COMPLETED;
  if (!RETURN_WHEN.has(returnWhen)) {
    throw new TypeError(
      `Invalid return condition: expected FIRST_COMPLETED, FIRST_EXCEPTION or ALL_COMPLETED, got ${describe(returnWhen)}`,
    );
  }
  const timeout = normalizeTimeout(options.timeout);
  const all = distinct(fs, 'wait');
  const done = new Set<Future<T>>();
  const notDone = new Set<Future<T>>();
  let anyFailed = false;
  for (const future of all) {
    if (future.done()) {
      done.add(future);
      if (failed(future)) anyFailed = true;
    } else {
      notDone.add(future);
    }
  }
  const satisfied = (): boolean =>
    notDone.size === 0 ||
    (returnWhen === FIRST_COMPLETED && done.size > 0) ||
    (returnWhen === FIRST_EXCEPTION && anyFailed);

  if (satisfied() || timeout === 0) return Promise.resolve({ done, notDone });

  return new Promise((resolve) => {
    let timer: Timer | undefined;
    // notDone doubles as the waiter's pending set, so it is exact when we resolve.
    const waiter = new Waiter(notDone, (future) => {
      done.add(future);
      if (failed(future)) anyFailed = true;
      if (satisfied()) finish();
    });
    function finish(): void {
      timer?.clear();
      waiter.dispose();
      resolve({ done, notDone });
    }
    if (timeout !== undefined) timer = startTimer(finish, timeout);
  });
}

/**
 * Yields futures as they complete. Mirrors `concurrent.futures.as_completed`.
 *
 * Each distinct future is yielded once: those already done first, the rest in completion
 * order. The Future objects themselves are yielded (never awaited for you), so read each
 * with `await future` or `future.exception()`. Leaving the loop early uninstalls the waiter.
 *
 * @param fs - the futures to watch (from any executor).
 * @param options - `timeout` in ms, counted from this call.
 * @returns an async iterator of futures.
 * @throws TypeError (synchronously) for a bad timeout, an unknown option key or a
 *   non-iterable `fs`; (from `next()`) `TimeoutError('N (of M) futures unfinished')` once
 *   the timeout passes with futures still pending.
 * @example
 * ```ts
 * for await (const future of asCompleted(futures, { timeout: 10_000 })) {
 *   console.log(await future);
 * }
 * ```
 */
export function asCompleted<T>(fs: Iterable<Future<T>>, options: AsCompletedOptions = {}): AsyncIterableIterator<Future<T>> {
  checkOptionsObject(options, 'asCompleted()');
  checkOptionKeys(options, AS_COMPLETED_OPTION_KEYS, 'asCompleted()');
  const timeout = normalizeTimeout(options.timeout);
  const all = distinct(fs, 'asCompleted');
  return new AsCompletedIterator(all, timeout === undefined ? undefined : performance.now() + timeout);
}

class AsCompletedIterator<T> implements AsyncIterableIterator<Future<T>> {
  readonly #total: number;
  readonly #deadline: number | undefined;
  /** Completed and not yet yielded, in completion order; yielded slots are cleared (R4.5). */
  #ready: (Future<T> | undefined)[] = [];
  #head = 0;
  readonly #pending = new Set<Future<T>>();
  readonly #waiter: Waiter<T>;
  /** Resolvers of next() calls waiting for a completion (several if next() is not awaited). */
  #wakers: (() => void)[] = [];
  #finished = false;

  constructor(all: Set<Future<T>>, deadline: number | undefined) {
    this.#total = all.size;
    this.#deadline = deadline;
    for (const future of all) {
      if (future.done()) this.#ready.push(future);
      else this.#pending.add(future);
    }
    this.#waiter = new Waiter(this.#pending, (future) => {
      this.#ready.push(future);
      this.#wakeAll();
    });
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  async next(): Promise<IteratorResult<Future<T>, undefined>> {
    for (;;) {
      if (this.#finished) return { done: true, value: undefined };
      if (this.#head < this.#ready.length) {
        const future = this.#ready[this.#head] as Future<T>;
        this.#ready[this.#head++] = undefined;
        if (this.#head > 1024 && this.#head * 2 > this.#ready.length) {
          this.#ready = this.#ready.slice(this.#head);
          this.#head = 0;
        }
        return { done: false, value: future };
      }
      if (this.#pending.size === 0) {
        this.#finish();
        continue;
      }
      const remaining = this.#deadline === undefined ? undefined : this.#deadline - performance.now();
      if (remaining !== undefined && remaining <= 0) {
        const unfinished = this.#pending.size;
        this.#finish();
        throw new TimeoutError(`${unfinished} (of ${this.#total}) futures unfinished`);
      }
      await new Promise<void>((resolve) => {
        // The timer runs only while someone waits, so an abandoned iterator keeps nothing alive.
        const timer = remaining === undefined ? undefined : startTimer(resolve, remaining);
        this.#wakers.push(() => {
          timer?.clear();
          resolve();
        });
      });
    }
  }

  #wakeAll(): void {
    const wakers = this.#wakers;
    this.#wakers = [];
    for (const wake of wakers) wake();
  }

  return(): Promise<IteratorResult<Future<T>, undefined>> {
    this.#finish();
    return Promise.resolve({ done: true, value: undefined });
  }

  #finish(): void {
    if (this.#finished) return;
    this.#finished = true;
    this.#waiter.dispose();
    this.#ready = [];
    this.#head = 0;
    this.#wakeAll();
  }
}

/**
 * Internal: resolves `true` once `future` is done, or `false` when `timeout` ms pass first.
 * Uses the same removable listener as `wait`, so a timed-out wait leaves nothing behind.
 */
export function whenDone(future: Future<unknown>, timeout: number | undefined): Promise<boolean> {
  if (future.done()) return Promise.resolve(true);
  if (timeout !== undefined && timeout <= 0) return Promise.resolve(false);
  return new Promise((resolve) => {
    let timer: Timer | undefined;
    const listener: Listener = () => {
      timer?.clear();
      resolve(true);
    };
    addListener(future, listener);
    if (timeout !== undefined) {
      timer = startTimer(() => {
        removeListener(future, listener);
        resolve(false);
      }, timeout);
    }
  });
}
