/**
 * AsyncResult: what `applyAsync`, `mapAsync` and `starmapAsync` return. Mirrors
 * `multiprocessing.pool.AsyncResult` (`ApplyResult` / `MapResult`).
 *
 * The order of events when a result settles is Python's: the callback (or error callback)
 * runs first, then `ready()` becomes true and `wait()`/`get()` wake up. A callback that
 * throws does not change the result and does not stop anything: it is handed to the
 * pool's reporter (its `'callbackError'` event, else `console.error`).
 *
 * @module
 */
import { TimeoutError } from '@concurrent/futures';
import { ValueError } from './errors.js';
import { checkTimeout, waitAtMost } from './validate.js';

/** The callbacks of `applyAsync` / `mapAsync` / `starmapAsync`. Mirrors `callback` and `error_callback`. */
export interface ResultCallbacks<T> {
  /** Called with the value once the work succeeded, before the result becomes ready. */
  callback?: ((value: T) => void) | undefined;
  /** Called with the error once the work failed, before the result becomes ready. */
  errorCallback?: ((error: unknown) => void) | undefined;
}

/** Internal: where a callback's error goes. */
export type CallbackErrorReporter = (error: unknown, result: AsyncResult<unknown>) => void;

type Outcome<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: unknown };

/** Internal: settles a result (runs its callback, then makes it ready). Not exported by the package. */
export let settleResult: <T>(result: AsyncResult<T>, outcome: Outcome<T>) => void;

/**
 * The handle of work submitted with `applyAsync`, `mapAsync` or `starmapAsync`. Mirrors
 * `multiprocessing.pool.AsyncResult`. Durations are milliseconds; `get` and `wait` return
 * promises instead of blocking.
 *
 * A failed result that nobody reads never becomes an `unhandledRejection`: the error is kept
 * until `get()` asks for it.
 *
 * @example
 * ```ts
 * const result = pool.applyAsync(tasks.square, [7], { callback: (v) => console.log('got', v) });
 * await result.wait();          // the callback has run by now
 * result.ready();               // true
 * result.successful();          // true
 * console.log(await result.get()); // 49
 * ```
 */
export class AsyncResult<T> {
  readonly #description: string;
  readonly #callbacks: ResultCallbacks<T>;
  readonly #report: CallbackErrorReporter;
  #outcome: Outcome<T> | undefined;
  #ready = false;
  readonly #done: Promise<void>;
  #markDone: () => void = () => {};

  static {
    settleResult = <T>(result: AsyncResult<T>, outcome: Outcome<T>): void => result.#settle(outcome);
  }

  /**
   * Made by the pools, not by user code.
   *
   * @param description - what the result is of, for messages (`'applyAsync(square)'`).
   */
  constructor(description: string, callbacks: ResultCallbacks<T>, report: CallbackErrorReporter) {
    this.#description = description;
    this.#callbacks = callbacks;
    this.#report = report;
    this.#done = new Promise((resolve) => (this.#markDone = resolve));
  }

  /**
   * Whether the work has finished (and its callback has run). Mirrors `AsyncResult.ready`.
   *
   * @example
   * ```ts
   * if (result.ready()) console.log(await result.get());
   * ```
   */
  ready(): boolean {
    return this.#ready;
  }

  /**
   * Whether the work finished without an error. Mirrors `AsyncResult.successful`.
   *
   * @throws ValueError (`'<AsyncResult of …> not ready'`) while the result is not ready, as
   *   Python does.
   * @example
   * ```ts
   * await result.wait();
   * if (!result.successful()) console.error(await result.get().catch((e) => e));
   * ```
   */
  successful(): boolean {
    if (!this.#ready || this.#outcome === undefined) throw new ValueError(`${this.toString()} not ready`);
    return this.#outcome.ok;
  }

  /**
   * Waits until the result is ready, or until `timeout` ms have passed; never rejects.
   * Mirrors `AsyncResult.wait`.
   *
   * @param timeout - milliseconds (default: no limit).
   * @example
   * ```ts
   * await result.wait(1_000);
   * console.log(result.ready() ? 'done' : 'still running');
   * ```
   */
  async wait(timeout?: number): Promise<void> {
    const ms = checkTimeout(timeout);
    if (this.#ready) return;
    await waitAtMost(this.#done, ms);
  }

  /**
   * The value, once ready; rejects with the work's error if it failed, or with
   * `TimeoutError` if it is not ready within `timeout` ms (the result is unaffected and
   * `get` may be called again). Mirrors `AsyncResult.get`.
   *
   * @param timeout - milliseconds (default: no limit).
   * @throws TimeoutError (from `@concurrent/futures`) where Python raises
   *   `multiprocessing.TimeoutError`; otherwise what the work threw (the same object each time).
   * @example
   * ```ts
   * try { console.log(await result.get(5_000)); } catch (e) { if (e instanceof TimeoutError) ...; }
   * ```
   */
  async get(timeout?: number): Promise<T> {
    await this.wait(timeout);
    const outcome = this.#outcome;
    if (!this.#ready || outcome === undefined) throw new TimeoutError(`${this.toString()} not ready after ${timeout} ms`);
    if (outcome.ok) return outcome.value;
    throw outcome.error;
  }

  /** `<AsyncResult of applyAsync(square)>`, for messages. */
  toString(): string {
    return `<AsyncResult of ${this.#description}>`;
  }

  #settle(outcome: Outcome<T>): void {
    if (this.#outcome !== undefined) return;
    this.#outcome = outcome;
    // Python runs the callback before the result becomes ready (R10.7), so code woken by
    // wait() can rely on what the callback did.
    try {
      if (outcome.ok) this.#callbacks.callback?.(outcome.value);
      else this.#callbacks.errorCallback?.(outcome.error);
    } catch (error) {
      // CPython 3.11's result handler dies here and every later result hangs; we report it
      // and carry on (the result itself keeps the work's outcome).
      this.#report(error, this as AsyncResult<unknown>);
    }
    this.#ready = true;
    this.#markDone();
  }
}
