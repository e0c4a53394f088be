/**
 * A future's progress, seen from the caller's side: what a task reports with
 * `reportProgress()` reaches its future (through `setProgress`, which the executors call),
 * whose callbacks see every value that arrives and whose iterators see the latest one.
 *
 * @module
 */

/** Internal: a future's progress record, made only once a value or a watcher arrives. */
export class ProgressState {
  /** Whether a value has arrived (`undefined` is a value too). */
  has = false;
  latest: unknown = undefined;
  // Typed without the future's T, so that Future<T> stays covariant (as its done-callbacks).
  callbacks: ((value: unknown, future: unknown) => void)[] | undefined = undefined;
  /** Internal watchers (iterators); they must not throw. */
  listeners: ((value: unknown) => void)[] | undefined = undefined;
}

/**
 * Internal: watches a future's progress until it is done. Calls `onValue` with the latest
 * value at once if one arrived, then with each new one; calls `onDone` once the future is
 * done. Returns the function that stops watching, or `undefined` if the future is done.
 */
export type Subscribe = (onValue: (value: unknown) => void, onDone: () => void) => (() => void) | undefined;

const DONE: IteratorResult<unknown> = Object.freeze({ value: undefined, done: true });

/**
 * What `future.progress()` returns: an async iterator of the future's progress values that
 * ends when the future is done. It holds at most one value: a consumer slower than the
 * reports skips to the latest (progress is a state, not a log), and is never left behind the
 * last value before the future completed.
 */
export class ProgressIterator implements AsyncIterableIterator<unknown> {
  #value: unknown = undefined;
  #has = false;
  #ended = false;
  /** `next()` calls waiting for a value or the end (a consumer may call it several times). */
  readonly #waiters: ((result: IteratorResult<unknown>) => void)[] = [];
  #unsubscribe: (() => void) | undefined;

  constructor(subscribe: Subscribe) {
    this.#unsubscribe = subscribe(
      (value) => this.#push(value),
      () => this.#end(),
    );
    if (this.#unsubscribe === undefined) this.#ended = true;
  }

  next(): Promise<IteratorResult<unknown>> {
    if (this.#has) {
      const value = this.#value;
      this.#has = false;
      this.#value = undefined;
      return Promise.resolve({ value, done: false });
    }
    if (this.#ended) return Promise.resolve(DONE);
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  /** Stops watching (`break` in a `for await`); the future is unaffected. */
  return(): Promise<IteratorResult<unknown>> {
    const unsubscribe = this.#unsubscribe;
    this.#unsubscribe = undefined;
    unsubscribe?.();
    this.#has = false;
    this.#value = undefined;
    this.#end();
    return Promise.resolve(DONE);
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  #push(value: unknown): void {
    const waiter = this.#waiters.shift();
    if (waiter !== undefined) {
      waiter({ value, done: false });
      return;
    }
    this.#value = value;
    this.#has = true;
  }

  #end(): void {
    this.#ended = true;
    this.#unsubscribe = undefined;
    for (const waiter of this.#waiters.splice(0)) waiter(DONE);
  }
}
