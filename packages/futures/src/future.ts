import { inspect } from 'node:util';
import { CancelledError, InvalidStateError, TimeoutError } from './errors.js';
import { startTimer, type Timer } from './internal/timer.js';
import { normalizeTimeout } from './internal/validate.js';
import { ProgressIterator, ProgressState } from './progress.js';

/** The four states a future can be in. Mirrors CPython's `_STATE_TO_DESCRIPTION_MAP` keys. */
export type FutureState = 'PENDING' | 'RUNNING' | 'CANCELLED' | 'FINISHED';

/** A done-callback: receives the future once it is finished or cancelled. */
export type DoneCallback<T> = (future: Future<T>) => void;

/**
 * A progress callback: receives each progress value that reaches the future (see
 * {@link Future.addProgressCallback}), and the future.
 */
export type ProgressCallback<T> = (value: unknown, future: Future<T>) => void;

/**
 * Internal: a removable completion listener (the waiter of `wait`, `asCompleted`,
 * `result(timeout)`). Listeners must not throw.
 */
export type Listener = (future: Future<unknown>) => void;

/** Internal: how an executor hears about the futures it made. Set once per future. */
export interface FutureObserver {
  futureStarted(future: Future<unknown>): void;
  futureDone(future: Future<unknown>): void;
  futureProgress(future: Future<unknown>, value: unknown): void;
  callbackError(error: unknown, future: Future<unknown>): void;
}

/** Internal: a synchronous look at a future's outcome. */
export interface Outcome<T> {
  readonly state: FutureState;
  readonly failed: boolean;
  readonly value: T | undefined;
  readonly error: unknown;
}

const unset = (): never => {
  throw new Error('Future internals used before the Future class was initialised');
};

// Package-internal access to a future's private state. Assigned in Future's static block,
// which is the only place that can reach `#` fields; not re-exported from index.ts.
export let addListener: (future: Future<unknown>, listener: Listener) => void = unset;
export let removeListener: (future: Future<unknown>, listener: Listener) => void = unset;
export let setObserver: (future: Future<unknown>, observer: FutureObserver) => void = unset;
export let outcome: <T>(future: Future<T>) => Outcome<T> = unset;
/**
 * Hands a progress value to a future that is not done: its progress callbacks, iterators and
 * executor's `'progress'` event see it. A value for a done future is dropped. Returns whether
 * the value was taken. Exported through `@concurrent/futures/internal` for executors outside
 * this package.
 */
export let setProgress: (future: Future<unknown>, value: unknown) => boolean = unset;

function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'object' || typeof value === 'function') {
    const name: unknown = (value as { constructor?: { name?: unknown } }).constructor?.name;
    return typeof name === 'string' && name !== '' ? name : 'Object';
  }
  return typeof value;
}

function errorName(error: unknown): string {
  // `class MyError extends Error {}` keeps name 'Error'; its class name says more.
  if (error instanceof Error) return error.name === 'Error' ? typeName(error) : error.name;
  return typeName(error);
}

/**
 * The result of an asynchronous computation. Mirrors `concurrent.futures.Future`.
 *
 * A future is made by `Executor.submit` (or bare, with `new Future()`, for tests and executor
 * authors). It is `PENDING` until an executor starts it (`RUNNING`), then `FINISHED` with a
 * value or an error; a future that has not started can be `CANCELLED`. Futures are thenable:
 * `await future` is `await future.result()`.
 *
 * A failed future nobody reads never causes an `unhandledRejection`: no promise exists until
 * someone asks for one.
 *
 * @example
 * ```ts
 * const future = executor.submit(fetchJson, url);
 * future.addDoneCallback((f) => console.log('done', f.state));
 * const value = await future.result(5_000); // TimeoutError after 5 s; the future is unaffected
 * ```
 */
export class Future<T> implements PromiseLike<T> {
  #state: FutureState = 'PENDING';
  /** CANCELLED and the executor has seen it (CPython's CANCELLED_AND_NOTIFIED). */
  #notified = false;
  #value: T | undefined = undefined;
  #error: unknown = undefined;
  /** Kept apart from #error so that `throw undefined` and `throw 0` are failures (gh-132063). */
  #failed = false;
  #listeners: Listener[] | undefined = undefined;
  // Typed without T so that Future<T> stays assignable to Future<unknown> (covariant).
  #callbacks: ((future: unknown) => void)[] | undefined = undefined;
  #observer: FutureObserver | undefined = undefined;
  /** Made on the first progress value or watcher; dropped when the future is done. */
  #progress: ProgressState | undefined = undefined;
  /**
   * One native promise per future, made on the first `then`/`catch`/`finally` and settled in
   * #complete: every `await future` shares it instead of making a promise, two closures and
   * a listener of its own. Never made for a future nobody awaits, so a failure nobody reads
   * cannot become an unhandled rejection.
   */
  #promise: Promise<T> | undefined = undefined;
  // Typed without T, like #callbacks, so that Future<T> stays covariant.
  #resolvePromise: ((value: unknown) => void) | undefined = undefined;
  #rejectPromise: ((reason: unknown) => void) | undefined = undefined;

  static {
    addListener = (future, listener) => {
      // A literal, not `??= []` then push: V8 gives a pushed-into empty array 17 slots.
      if (future.#listeners === undefined) future.#listeners = [listener];
      else future.#listeners.push(listener);
    };
    removeListener = (future, listener) => {
      const listeners = future.#listeners;
      if (listeners === undefined) return;
      const index = listeners.indexOf(listener);
      if (index === -1) return;
      // Order among internal listeners is irrelevant: swap-remove keeps this O(1).
      const last = listeners.pop() as Listener;
      if (index < listeners.length) listeners[index] = last;
    };
    setObserver = (future, observer) => {
      future.#observer = observer;
    };
    setProgress = (future, value) => {
      if (future.done()) return false;
      const progress = (future.#progress ??= new ProgressState());
      progress.has = true;
      progress.latest = value;
      const { listeners, callbacks } = progress;
      const observer = future.#observer;
      if (observer !== undefined) {
        try {
          observer.futureProgress(future, value);
        } catch (error) {
          future.#reportCallbackError(error);
        }
      }
      if (listeners !== undefined) for (const listener of listeners) listener(value);
      // By count: a callback added by a callback has just been called with this value.
      if (callbacks !== undefined) for (let i = 0, n = callbacks.length; i < n; i++) future.#invokeProgress(callbacks[i] as (value: unknown, future: unknown) => void, value);
      return true;
    };
    outcome = <U>(future: Future<U>): Outcome<U> => ({
      state: future.#state,
      failed: future.#failed,
      value: future.#value,
      error: future.#error,
    });
  }

  /** The current state. CPython's `CANCELLED_AND_NOTIFIED` shows as `'CANCELLED'`. */
  get state(): FutureState {
    return this.#state;
  }

  /**
   * Cancels the future if it has not started. Mirrors `Future.cancel`.
   *
   * @returns `true` if the future is now cancelled (or already was); `false` once it is
   *   `RUNNING` or `FINISHED`.
   * @example
   * ```ts
   * if (future.cancel()) console.log('it will never run');
   * ```
   */
  cancel(): boolean {
    if (this.#state === 'CANCELLED') return true;
    if (this.#state !== 'PENDING') return false;
    this.#state = 'CANCELLED';
    // Waiters hear about the cancellation now, not when a worker dequeues the task: CPython
    // bugs gh-92001 / gh-109934 leave such futures "not done" for wait() and as_completed().
    this.#complete();
    return true;
  }

  /** `true` if the future was cancelled. Mirrors `Future.cancelled`. @example `f.cancelled()` */
  cancelled(): boolean {
    return this.#state === 'CANCELLED';
  }

  /** `true` while the task runs (or has been handed to a worker). Mirrors `Future.running`. @example `f.running()` */
  running(): boolean {
    return this.#state === 'RUNNING';
  }

  /** `true` once the future is finished or cancelled. Mirrors `Future.done`. @example `f.done()` */
  done(): boolean {
    return this.#state === 'FINISHED' || this.#state === 'CANCELLED';
  }

  /**
   * The task's value. Mirrors `Future.result`.
   *
   * @param timeout - milliseconds to wait; `undefined` waits forever, `0` (or less) only
   *   checks. Waking is event-driven: the promise settles the moment the future completes or
   *   is cancelled.
   * @returns a promise of the value.
   * @throws (rejects) the task's own error (any value, `undefined` included),
   *   `CancelledError` if the future was cancelled, `TimeoutError` if it is still not done
   *   after `timeout` ms (the future itself is unaffected).
   * @example
   * ```ts
   * const value = await future.result(1_000);
   * ```
   */
  result(timeout?: number): Promise<T> {
    const ms = normalizeTimeout(timeout);
    return this.#whenDone(ms, () => {
      if (this.#state === 'CANCELLED') throw new CancelledError();
      if (this.#failed) throw this.#error;
      return this.#value as T;
    });
  }

  /**
   * The task's error, or `undefined` if it succeeded. Mirrors `Future.exception`.
   *
   * @param timeout - as for {@link Future.result}.
   * @returns a promise of the thrown value; it never rejects with the task's own error.
   * @throws (rejects) `CancelledError` if the future was cancelled, `TimeoutError` on timeout.
   * @example
   * ```ts
   * const error = await future.exception();
   * if (error !== undefined) console.error(error);
   * ```
   */
  exception(timeout?: number): Promise<unknown> {
    const ms = normalizeTimeout(timeout);
    return this.#whenDone(ms, () => {
      if (this.#state === 'CANCELLED') throw new CancelledError();
      return this.#failed ? this.#error : undefined;
    });
  }

  /**
   * The value of a done future, synchronously: what a done-callback reads. In Python a
   * callback calls `f.result()`, which returns at once on a done future; here `result()`
   * returns a promise, so a done future also has this synchronous read. Mirrors
   * `Future.result()` on a done future, and `asyncio.Future.result()`, which raises
   * `InvalidStateError` when the future is not done.
   *
   * @returns the task's value.
   * @throws the task's own error (any value) if it failed; `CancelledError` if the future
   *   was cancelled; `InvalidStateError` if it is not done yet (`PENDING` or `RUNNING`).
   * @example
   * ```ts
   * const out: number[] = [];
   * future.addDoneCallback((f) => out.push(f.resultNow())); // Python: lambda f: out.append(f.result())
   * ```
   */
  resultNow(): T {
    this.#assertDone('resultNow');
    if (this.#state === 'CANCELLED') throw new CancelledError();
    if (this.#failed) throw this.#error;
    return this.#value as T;
  }

  /**
   * The error of a done future, synchronously, or `undefined` if it succeeded: the
   * synchronous twin of {@link Future.exception}, for done-callbacks. Mirrors
   * `Future.exception()` on a done future, and `asyncio.Future.exception()`.
   *
   * @returns the thrown value (any value), or `undefined` if the task succeeded.
   * @throws `CancelledError` if the future was cancelled; `InvalidStateError` if it is not
   *   done yet.
   * @example
   * ```ts
   * future.addDoneCallback((f) => {
   *   const error = f.cancelled() ? undefined : f.exceptionNow();
   *   if (error !== undefined) console.error('task failed:', error);
   * });
   * ```
   */
  exceptionNow(): unknown {
    this.#assertDone('exceptionNow');
    if (this.#state === 'CANCELLED') throw new CancelledError();
    return this.#failed ? this.#error : undefined;
  }

  /**
   * Calls `fn(future)` once the future is done. Mirrors `Future.add_done_callback`.
   *
   * Callbacks run in the order added, exactly once. On a future that is already done, `fn`
   * runs synchronously, before `addDoneCallback` returns. A callback that throws is reported
   * (the executor's `'callbackError'` event, else `console.error`) and never stops the others.
   *
   * @throws TypeError if `fn` is not a function.
   * @example
   * ```ts
   * future.addDoneCallback((f) => console.log(f.state));
   * ```
   */
  addDoneCallback(fn: DoneCallback<T>): void {
    if (typeof fn !== 'function') {
      throw new TypeError(`addDoneCallback() expects a function, got ${inspect(fn, { depth: 0 })}`);
    }
    if (this.done()) {
      this.#invoke(fn);
    } else {
      const callback = fn as (future: unknown) => void;
      if (this.#callbacks === undefined) this.#callbacks = [callback];
      else this.#callbacks.push(callback);
    }
  }

  /**
   * Calls `fn(value, future)` with each progress value the task reports (`reportProgress()`
   * in the task) until the future is done. No Python counterpart: `concurrent.futures` has no
   * progress channel; this is shaped as {@link Future.addDoneCallback}.
   *
   * - If a value has arrived already, `fn` is called with the latest one at once, before
   *   `addProgressCallback` returns; then with each new one, in the order reported.
   * - Worker and process pools coalesce reports (the latest value at most every 20 ms while
   *   the task runs, and the last one before the result), so `fn` may not see every value the
   *   task reported, but it sees them in order and always sees the last one before the
   *   future's done-callbacks run.
   * - Once the future is done the callbacks are dropped; on a done future `fn` is never
   *   called, and a value reported after the end is dropped.
   * - A callback that throws is reported as a throwing done-callback is (the executor's
   *   `'callbackError'` event, else `console.error`); the task and the other callbacks are
   *   unaffected.
   *
   * @param fn - called with the value and this future.
   * @throws TypeError if `fn` is not a function.
   * @example
   * ```ts
   * const future = pool.submit(tasks.sumTo, 1e9); // the task calls reportProgress(i / n)
   * future.addProgressCallback((fraction) => bar.update(fraction as number));
   * console.log(await future);
   * ```
   */
  addProgressCallback(fn: ProgressCallback<T>): void {
    if (typeof fn !== 'function') {
      throw new TypeError(`addProgressCallback() expects a function, got ${inspect(fn, { depth: 0 })}`);
    }
    if (this.done()) return;
    const progress = (this.#progress ??= new ProgressState());
    const callback = fn as (value: unknown, future: unknown) => void;
    if (progress.callbacks === undefined) progress.callbacks = [callback];
    else progress.callbacks.push(callback);
    if (progress.has) this.#invokeProgress(callback, progress.latest);
  }

  /**
   * The task's progress values as an async iterator, which ends when the future is done
   * (finished, failed or cancelled): it never waits past the end. No Python counterpart.
   *
   * It starts with the latest value if one has arrived, then yields each new one in order.
   * It holds one value at a time: a loop slower than the reports skips to the latest, and
   * never misses the last value reported before the future completed. Leaving the loop
   * (`break`) stops watching; the future is unaffected. It never throws: read the outcome
   * from the future afterwards.
   *
   * @returns an async iterator of progress values (`unknown`: narrow them as the task sends).
   * @example
   * ```ts
   * const future = pool.submit(tasks.sumTo, 1e9);
   * for await (const fraction of future.progress()) console.log(`${Math.round((fraction as number) * 100)} %`);
   * console.log(await future);
   * ```
   */
  progress(): AsyncIterableIterator<unknown> {
    return new ProgressIterator((onValue, onDone) => {
      if (this.done()) return undefined;
      const progress = (this.#progress ??= new ProgressState());
      if (progress.listeners === undefined) progress.listeners = [onValue];
      else progress.listeners.push(onValue);
      const done: Listener = () => onDone();
      addListener(this, done);
      if (progress.has) onValue(progress.latest);
      return () => {
        removeListener(this, done);
        const listeners = this.#progress?.listeners;
        const index = listeners?.indexOf(onValue) ?? -1;
        if (index !== -1) listeners?.splice(index, 1);
      };
    });
  }

  /**
   * Executor side: moves a `PENDING` future to `RUNNING`, or acknowledges a cancellation.
   * Mirrors `Future.set_running_or_notify_cancel`.
   *
   * @returns `true` if the work should run; `false` if the future was cancelled (the work
   *   must then not run).
   * @throws InvalidStateError if the future is running, finished, or its cancellation was
   *   already acknowledged.
   * @example
   * ```ts
   * if (future.setRunningOrNotifyCancel()) future.setResult(work());
   * ```
   */
  setRunningOrNotifyCancel(): boolean {
    if (this.#state === 'PENDING') {
      this.#state = 'RUNNING';
      const observer = this.#observer;
      if (observer !== undefined) {
        try {
          observer.futureStarted(this);
        } catch (error) {
          this.#reportCallbackError(error);
        }
      }
      return true;
    }
    if (this.#state === 'CANCELLED' && !this.#notified) {
      this.#notified = true;
      return false;
    }
    throw new InvalidStateError(`Future in unexpected state: ${this.#state}: ${this.toString()}`);
  }

  /**
   * Executor side: completes the future with a value. Mirrors `Future.set_result`.
   *
   * @throws InvalidStateError (naming the state) if the future is already done.
   * @example
   * ```ts
   * const f = new Future<number>();
   * f.setResult(42);
   * ```
   */
  setResult(value: T): void {
    this.#assertNotDone();
    this.#value = value;
    this.#state = 'FINISHED';
    this.#complete();
  }

  /**
   * Executor side: completes the future with an error (any value: `undefined` and `0` are
   * failures too). Mirrors `Future.set_exception`.
   *
   * @throws InvalidStateError (naming the state) if the future is already done.
   * @example
   * ```ts
   * const f = new Future<number>();
   * f.setException(new RangeError('too big'));
   * ```
   */
  setException(error: unknown): void {
    this.#assertNotDone();
    this.#error = error;
    this.#failed = true;
    this.#state = 'FINISHED';
    this.#complete();
  }

  /**
   * Makes the future awaitable: `await future` is `await future.result()`.
   *
   * @example
   * ```ts
   * const value = await future;
   * ```
   */
  then<R1 = T, R2 = never>(
    onfulfilled?: ((value: T) => R1 | PromiseLike<R1>) | null,
    onrejected?: ((reason: unknown) => R2 | PromiseLike<R2>) | null,
  ): Promise<R1 | R2> {
    return this.#asPromise().then(onfulfilled, onrejected);
  }

  /** As `Promise.prototype.catch`. @example `await future.catch(() => fallback)` */
  catch<R = never>(onrejected?: ((reason: unknown) => R | PromiseLike<R>) | null): Promise<T | R> {
    return this.#asPromise().catch(onrejected);
  }

  /** As `Promise.prototype.finally`. @example `await future.finally(cleanup)` */
  finally(onfinally?: (() => void) | null): Promise<T> {
    return this.#asPromise().finally(onfinally);
  }

  #asPromise(): Promise<T> {
    if (this.#promise !== undefined) return this.#promise;
    if (this.done()) {
      this.#promise = this.result();
    } else {
      this.#promise = new Promise<T>((resolve, reject) => {
        this.#resolvePromise = resolve as (value: unknown) => void;
        this.#rejectPromise = reject;
      });
    }
    return this.#promise;
  }

  /**
   * CPython's repr: `<Future state=finished returned number>`.
   *
   * @example
   * ```ts
   * String(new Future()); // '<Future state=pending>'
   * ```
   */
  toString(): string {
    switch (this.#state) {
      case 'FINISHED':
        return this.#failed
          ? `<Future state=finished raised ${errorName(this.#error)}>`
          : `<Future state=finished returned ${typeName(this.#value)}>`;
      default:
        return `<Future state=${this.#state.toLowerCase()}>`;
    }
  }

  [inspect.custom](): string {
    return this.toString();
  }

  #assertDone(method: string): void {
    if (!this.done()) {
      throw new InvalidStateError(`${method}() needs a done future; ${this.toString()} is not done yet (await it, or call ${method.slice(0, -3)}() for a promise)`);
    }
  }

  #assertNotDone(): void {
    if (this.done()) throw new InvalidStateError(`${this.#state}: ${this.toString()}`);
  }

  #whenDone<R>(ms: number | undefined, read: () => R): Promise<R> {
    if (this.done()) {
      try {
        return Promise.resolve(read());
      } catch (error) {
        return Promise.reject(error);
      }
    }
    if (ms === 0) return Promise.reject(new TimeoutError('future not done (timeout 0 ms)'));
    return new Promise<R>((resolve, reject) => {
      let timer: Timer | undefined;
      const listener: Listener = () => {
        timer?.clear();
        try {
          resolve(read());
        } catch (error) {
          reject(error);
        }
      };
      addListener(this, listener);
      if (ms !== undefined) {
        timer = startTimer(() => {
          removeListener(this, listener);
          reject(new TimeoutError(`future not done within ${ms} ms`));
        }, ms);
      }
    });
  }

  #complete(): void {
    // Detach first: a finished future holds no waiters or callbacks (memory stays flat), and
    // a listener that adds another one during the loop lands on a done future (runs at once).
    const observer = this.#observer;
    const listeners = this.#listeners;
    const callbacks = this.#callbacks;
    const resolvePromise = this.#resolvePromise;
    const rejectPromise = this.#rejectPromise;
    this.#listeners = undefined;
    this.#callbacks = undefined;
    // Progress is over: later values are dropped, and its watchers hear the end below.
    this.#progress = undefined;
    this.#resolvePromise = undefined;
    this.#rejectPromise = undefined;
    if (resolvePromise !== undefined && rejectPromise !== undefined) {
      if (this.#state === 'CANCELLED') rejectPromise(new CancelledError());
      else if (this.#failed) rejectPromise(this.#error);
      else resolvePromise(this.#value);
    }
    if (observer !== undefined) {
      try {
        observer.futureDone(this);
      } catch (error) {
        this.#reportCallbackError(error);
      }
    }
    if (listeners !== undefined) for (const listener of listeners) listener(this);
    if (callbacks !== undefined) for (const callback of callbacks) this.#invoke(callback);
  }

  #invoke(callback: (future: this) => void): void {
    try {
      callback(this);
    } catch (error) {
      this.#reportCallbackError(error);
    }
  }

  #invokeProgress(callback: (value: unknown, future: this) => void, value: unknown): void {
    try {
      callback(value, this);
    } catch (error) {
      this.#reportCallbackError(error);
    }
  }

  #reportCallbackError(error: unknown): void {
    const observer = this.#observer;
    if (observer !== undefined) {
      try {
        observer.callbackError(error, this);
        return;
      } catch (reportError) {
        console.error('exception reporting a callback error for', this.toString(), reportError);
      }
    }
    console.error('exception calling callback for', this.toString(), error);
  }
}
