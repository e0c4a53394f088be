import type { TransferListItem } from 'node:worker_threads';
import { EventEmitter } from 'eventemitter3';
import { type BrokenExecutor, CancelledError, ExecutorShutdownError, TimeoutError } from './errors.js';
import { addListener, Future, type FutureObserver, setObserver } from './future.js';
import { startTimer } from './internal/timer.js';
import { checkOptionKeys, checkPositiveInteger, describe, normalizeTimeout } from './internal/validate.js';
import { type Batch, checkMapOptions, type Chunk, itemArgs, type MapIterable, type MapOptions, MapIterator } from './map.js';
import { checkTask, isTaskRef, type Task } from './tasks.js';

/** What the worker events carry. */
export interface WorkerInfo {
  /** The pool's own id for the worker (0, 1, 2, ... over the pool's life). */
  readonly id: number;
  readonly pid?: number;
  readonly threadId?: number;
  readonly exitCode?: number | null;
  readonly signal?: NodeJS.Signals | null;
}

/** The events every executor emits (eventemitter3, typed). */
export interface ExecutorEvents {
  /** A future was made by `submit` (or map). */
  submit: [future: Future<unknown>];
  /** A future became `RUNNING`. */
  start: [future: Future<unknown>];
  /** A future finished or was cancelled. */
  done: [future: Future<unknown>];
  /**
   * A running task reported progress (`reportProgress()`): the value, as its future's
   * progress callbacks see it. Also fires for map chunks, whose futures the caller never sees.
   */
  progress: [future: Future<unknown>, value: unknown];
  workerStart: [info: WorkerInfo];
  workerExit: [info: WorkerInfo];
  /** A done-callback threw. Without a listener, the error goes to `console.error`. */
  callbackError: [error: unknown, future: Future<unknown>];
  /** The executor broke and will run nothing more. */
  broken: [error: BrokenExecutor];
}

/** Options every executor takes. */
export interface ExecutorOptions<I extends unknown[] = unknown[]> {
  /** How many tasks run at once. */
  maxWorkers?: number | undefined;
  /**
   * Runs before the first task (in each worker, for worker and process pools). Typed loosely
   * (constructors cannot infer type parameters), so any function signature is accepted.
   */
  initializer?: Task<never, unknown> | undefined;
  /** Arguments of `initializer`. */
  initargs?: I | undefined;
  /** A prefix for worker names, and the executor's name in messages. */
  name?: string | undefined;
}

/** Per-call options of {@link Executor.submitWith}. */
export interface SubmitOptions {
  /** Aborting cancels the task if it has not started, or stops it (see the executor). */
  signal?: AbortSignal | undefined;
  /** Milliseconds the task may run once started; then it fails with `TimeoutError`. */
  timeout?: number | undefined;
  /**
   * Objects to transfer instead of copy (worker-thread pools). They are detached when the
   * task is handed to a worker (at once if one has room, later if the task waits in the
   * queue), so do not touch them after submitting. Ignored where nothing is transferred
   * (process pools copy; the event loop shares).
   */
  transfer?: readonly TransferListItem[] | undefined;
}

/** Options of {@link Executor.shutdown}. */
export interface ShutdownOptions {
  /** Resolve only once running work has finished and workers have exited (default `true`). */
  wait?: boolean | undefined;
  /** Cancel every future that has not started (default `false`). */
  cancelFutures?: boolean | undefined;
}

/** Internal: the checked per-call options a subclass receives. */
export interface ScheduleOptions {
  readonly transfer?: readonly TransferListItem[] | undefined;
  /** Only for subclasses whose `timesRunningTasks` is true. */
  readonly timeout?: number | undefined;
}

/** Internal: the option names every executor accepts; subclasses add theirs. */
export const BASE_OPTION_KEYS: readonly string[] = ['maxWorkers', 'initializer', 'initargs', 'name'];

/** Internal: rejects unknown option keys, so a typo (`maxWorker`) is never silently ignored. */
export { checkOptionKeys };

const SUBMIT_OPTION_KEYS: readonly string[] = ['signal', 'timeout', 'transfer'];
const SHUTDOWN_OPTION_KEYS: readonly string[] = ['wait', 'cancelFutures'];

/**
 * The interface of every executor. Mirrors `concurrent.futures.Executor`.
 *
 * Subclasses implement {@link Executor.schedule} (start or queue one future's task) and
 * {@link Executor.closeWorkers}; submission checks, events, cancellation, map/starmap,
 * shutdown and the broken state live here, so every executor behaves the same.
 *
 * @example
 * ```ts
 * async function run(executor: Executor) {
 *   const futures = urls.map((url) => executor.submit(fetchText, url));
 *   for await (const f of asCompleted(futures)) console.log(await f);
 *   await executor.shutdown();
 * }
 * ```
 */
export abstract class Executor extends EventEmitter<ExecutorEvents> {
  /** The most tasks that run at once. */
  readonly maxWorkers: number;
  /** The executor's name (the prefix of its workers' names). */
  readonly name: string;
  protected readonly initializer: Task<unknown[], unknown> | undefined;
  protected readonly initargs: readonly unknown[];

  #shutdown = false;
  #shutdownDone: Promise<void> | undefined;
  #broken: BrokenExecutor | undefined;
  /** Futures submitted and not yet started: what `cancelFutures` and breaking reach. */
  readonly #queued = new Set<Future<unknown>>();
  /** Futures submitted and not yet done. */
  #outstanding = 0;
  #idleWaiters: (() => void)[] = [];
  /** Per-future run timeouts of submitWith, started when the future starts. */
  readonly #runTimeouts = new Map<Future<unknown>, number>();
  readonly #observer: FutureObserver;

  /**
   * @param options - the common options, already known to be an object.
   * @param defaultMaxWorkers - the subclass's default for `maxWorkers`.
   */
  protected constructor(options: ExecutorOptions, defaultMaxWorkers: number, defaultName: string) {
    super();
    const { maxWorkers, initializer, initargs, name } = options;
    this.maxWorkers = maxWorkers === undefined ? defaultMaxWorkers : checkPositiveInteger(maxWorkers, 'maxWorkers');
    if (initializer !== undefined) checkTask(initializer, 'initializer must be a callable:');
    if (initargs !== undefined && !Array.isArray(initargs)) {
      throw new TypeError(`Expected \`initargs\` to be an array, got ${describe(initargs)}`);
    }
    if (name !== undefined && typeof name !== 'string') {
      throw new TypeError(`Expected \`name\` to be a string, got ${describe(name)}`);
    }
    this.initializer = initializer as Task<unknown[], unknown> | undefined;
    this.initargs = initargs ?? [];
    this.name = name ?? defaultName;
    this.#observer = {
      futureStarted: (future) => {
        this.#queued.delete(future);
        if (this.#runTimeouts.size > 0) this.#startRunTimeout(future);
        this.emit('start', future);
      },
      futureDone: (future) => {
        this.#queued.delete(future);
        this.#outstanding--;
        this.emit('done', future);
        if (this.#outstanding === 0 && this.#idleWaiters.length > 0) {
          const waiters = this.#idleWaiters;
          this.#idleWaiters = [];
          for (const wake of waiters) wake();
        }
      },
      futureProgress: (future, value) => {
        if (this.listenerCount('progress') > 0) this.emit('progress', future, value);
      },
      callbackError: (error, future) => {
        if (this.listenerCount('callbackError') > 0) this.emit('callbackError', error, future);
        else console.error(`exception calling callback for ${future.toString()}:`, error);
      },
    };
  }

  /**
   * Schedules `fn(...args)`. Mirrors `Executor.submit`.
   *
   * @param fn - a function, or a `TaskRef` from {@link moduleTasks}.
   * @param args - its arguments (type-checked against `fn`).
   * @returns the task's future.
   * @throws TypeError if `fn` is neither a function nor a TaskRef; ExecutorShutdownError after
   *   `shutdown()`; the executor's `BrokenExecutor` subclass once it is broken.
   * @example
   * ```ts
   * const future = executor.submit(Math.pow, 2, 10);
   * console.log(await future); // 1024
   * ```
   */
  submit<A extends unknown[], R>(fn: Task<A, R>, ...args: A): Future<Awaited<R>> {
    return this.#submit(fn as Task<unknown[], unknown>, args, undefined) as Future<Awaited<R>>;
  }

  /**
   * `submit` with per-call options: an `AbortSignal`, a run `timeout` (ms, counted from the
   * start), and objects to `transfer`.
   *
   * Aborting cancels a task that has not started (`CancelledError`). A running task is
   * stopped as the executor can: worker and process pools stop it (the worker side sees its
   * own signal first); the thread pool can only fail its future at once, with
   * `CancelledError` (its code runs on, holding its slot, until it returns).
   *
   * @throws as `submit`, and TypeError for bad options (an unknown key is named, with the known ones).
   * @example
   * ```ts
   * const future = executor.submitWith({ signal: AbortSignal.timeout(1_000) }, crawl, url);
   * ```
   */
  submitWith<A extends unknown[], R>(options: SubmitOptions, fn: Task<A, R>, ...args: A): Future<Awaited<R>> {
    if (typeof options !== 'object' || options === null) {
      throw new TypeError(`submitWith() expects an options object first, got ${describe(options)}`);
    }
    checkOptionKeys(options, SUBMIT_OPTION_KEYS, 'submitWith()');
    const { signal, transfer } = options;
    if (signal !== undefined && !(signal instanceof AbortSignal)) {
      throw new TypeError(`Expected \`signal\` to be an AbortSignal, got ${describe(signal)}`);
    }
    const timeout = normalizeTimeout(options.timeout);
    if (transfer !== undefined && !Array.isArray(transfer)) {
      throw new TypeError(`Expected \`transfer\` to be an array, got ${describe(transfer)}`);
    }
    if (signal?.aborted === true) {
      // Never scheduled: an executor that hands tasks over at once must not see it running.
      const future = this.createFuture(fn as Task<unknown[], unknown>);
      future.cancel();
      return future as Future<Awaited<R>>;
    }
    const ownTimer = timeout !== undefined && this.timesRunningTasks;
    const scheduleOptions =
      transfer === undefined && !ownTimer ? undefined : { transfer, timeout: ownTimer ? timeout : undefined };
    const future = this.#submit(fn as Task<unknown[], unknown>, args, scheduleOptions);
    if (timeout !== undefined && !ownTimer && !future.done()) {
      if (future.running()) {
        this.#armRunTimeout(future, timeout);
      } else {
        this.#runTimeouts.set(future, timeout);
        addListener(future, () => this.#runTimeouts.delete(future));
      }
    }
    if (signal !== undefined) this.#watchSignal(future, signal);
    return future as Future<Awaited<R>>;
  }

  /**
   * Runs `fn` over `items`; results in input order. Mirrors `Executor.map`.
   *
   * Without `buffersize` every item is submitted now (sync iterables during the call); with
   * it, at most `buffersize` chunks are in flight and the input is read as you iterate
   * (infinite async iterables work). An item's error is thrown at its position and ends the
   * iteration; `timeout` (ms) counts from this call; leaving the loop early, an error and a
   * timeout all cancel what has not started.
   *
   * `toArray()` on the result collects every value at once (cheapest with `chunksize` on
   * worker and process pools), and so does awaiting it: `await executor.map(fn, xs)` is the
   * array, Python's `list(ex.map(fn, xs))` (decision 0012).
   *
   * @throws RangeError (at the call) for `chunksize` or `buffersize` below 1; TypeError for an
   *   unknown option key (`chunk_size`) or a second iterable (use `starmap`); as `submit`.
   * @example
   * ```ts
   * for await (const size of executor.map(fileSize, paths, { buffersize: 16 })) total += size;
   * const hashes = await pool.map(tasks.sha256, chunks, { chunksize: 64 }).toArray();
   * const sizes = await executor.map(fileSize, paths); // number[], as toArray()
   * ```
   */
  map<T, R>(
    fn: Task<[T], R>,
    items: Iterable<T> | AsyncIterable<T>,
    options?: MapOptions,
  ): MapIterable<Awaited<R>> {
    return this.#map(fn as Task<unknown[], unknown>, items, options, false) as MapIterable<Awaited<R>>;
  }

  /**
   * `map` for functions of several arguments: each item is an argument array. Mirrors
   * `itertools.starmap` over `Executor.map`, and `multiprocessing.Pool.starmap`.
   *
   * @example
   * ```ts
   * for await (const p of executor.starmap(Math.pow, [[2, 3], [3, 2]])) console.log(p); // 8, 9
   * ```
   */
  starmap<A extends unknown[], R>(
    fn: Task<A, R>,
    items: Iterable<A> | AsyncIterable<A>,
    options?: MapOptions,
  ): MapIterable<Awaited<R>> {
    return this.#map(fn as Task<unknown[], unknown>, items, options, true) as MapIterable<Awaited<R>>;
  }

  /**
   * Stops taking work. Mirrors `Executor.shutdown`. Calling it again is harmless.
   *
   * @param options - `wait` (default `true`): resolve once running work has finished and the
   *   workers have exited; `cancelFutures` (default `false`): cancel every future not yet
   *   running. Queued work that is not cancelled still runs.
   * @throws (rejects) TypeError for a non-boolean value or an unknown key
   *   (`cancel_futures` is named with its camelCase spelling, `cancelFutures`).
   * @example
   * ```ts
   * await executor.shutdown({ cancelFutures: true });
   * ```
   */
  async shutdown(options: ShutdownOptions = {}): Promise<void> {
    if (typeof options !== 'object' || options === null) {
      throw new TypeError(`shutdown() expects an options object, got ${describe(options)}`);
    }
    checkOptionKeys(options, SHUTDOWN_OPTION_KEYS, 'shutdown()');
    const { wait = true, cancelFutures = false } = options;
    if (typeof wait !== 'boolean') throw new TypeError(`Expected \`wait\` to be a boolean, got ${describe(wait)}`);
    if (typeof cancelFutures !== 'boolean') {
      throw new TypeError(`Expected \`cancelFutures\` to be a boolean, got ${describe(cancelFutures)}`);
    }
    this.#shutdown = true;
    if (cancelFutures) for (const future of [...this.#queued]) future.cancel();
    this.#shutdownDone ??= this.#drainThenClose();
    if (wait) await this.#shutdownDone;
  }

  /**
   * `await using executor = new ...` shuts it down and waits, as `with` does in Python.
   *
   * @example
   * ```ts
   * { await using executor = new ThreadPoolExecutor(); await executor.submit(work); }
   * ```
   */
  [Symbol.asyncDispose](): Promise<void> {
    return this.shutdown({ wait: true });
  }

  /** `true` once `shutdown()` was called. */
  get isShutdown(): boolean {
    return this.#shutdown;
  }

  /** The error that broke the executor, if it is broken. */
  get broken(): BrokenExecutor | undefined {
    return this.#broken;
  }

  /**
   * Starts, or queues, the task of a new `PENDING` future. The subclass must eventually call
   * `future.setRunningOrNotifyCancel()` and then complete it, or find it already done
   * (cancelled, or failed by {@link Executor.break}) and leave it alone.
   */
  protected abstract schedule(future: Future<unknown>, fn: Task<unknown[], unknown>, args: unknown[], options: ScheduleOptions | undefined): void;

  /** Lets the workers go once all work is done (called once, after shutdown). */
  protected abstract closeWorkers(): Promise<void>;

  /**
   * Submits one batch of items for map/starmap: here one future per item. Worker and
   * process pools override this to send the batch as one task (a {@link Chunk}).
   */
  protected submitBatch(fn: Task<unknown[], unknown>, batch: Batch): Future<unknown>[] | Chunk {
    return batch.items.map((_, i) => this.#submit(fn, itemArgs(batch, i), undefined));
  }

  /**
   * Checks that work may be submitted and makes a registered `PENDING` future (counted,
   * cancellable by shutdown, 'submit' emitted) without scheduling it: for `submitBatch`
   * overrides that schedule a whole chunk as one future.
   */
  protected createFuture(fn: Task<unknown[], unknown>): Future<unknown> {
    if (typeof fn !== 'function' && !isTaskRef(fn)) checkTask(fn);
    this.checkShippable(fn);
    if (this.#broken !== undefined) {
      const Broken = this.#broken.constructor as new (message: string, options: ErrorOptions) => BrokenExecutor;
      throw new Broken(this.#broken.message, { cause: this.#broken.cause });
    }
    if (this.#shutdown) throw new ExecutorShutdownError();
    const future = new Future<unknown>();
    setObserver(future, this.#observer);
    this.#queued.add(future);
    this.#outstanding++;
    this.emit('submit', future);
    return future;
  }

  /**
   * Throws (a TypeError saying why) for a task this executor cannot run, before any future
   * exists, so a bad task never leaves a future pending. Worker pools check that a function
   * can be shipped by source.
   */
  protected checkShippable(_fn: Task<unknown[], unknown>): void {}

  /**
   * `true` for executors that start a task's `submitWith` timeout themselves, when the task
   * really starts (worker pools, whose handed-over tasks may wait behind others). They get
   * the timeout in `schedule`'s options; otherwise the base arms it when the future starts.
   */
  protected get timesRunningTasks(): boolean {
    return false;
  }

  /**
   * A running task was aborted through `submitWith({ signal })`. The thread pool can only
   * fail the future; worker pools override this to stop the worker.
   */
  protected abortRunning(future: Future<unknown>, reason: unknown): void {
    if (future.running()) future.setException(new CancelledError('the task was aborted while running', { cause: reason }));
  }

  /** A running task passed its `submitWith` timeout. Worker pools override this to stop it. */
  protected timeoutRunning(future: Future<unknown>, timeout: number): void {
    if (future.running()) future.setException(new TimeoutError(`the task ran longer than its timeout of ${timeout} ms`));
  }

  /**
   * Breaks the executor: every future not yet started fails with `error`, and every later
   * submit throws an error of the same class. Running futures are the subclass's business.
   */
  protected break(error: BrokenExecutor): void {
    if (this.#broken !== undefined) return;
    this.#broken = error;
    for (const future of [...this.#queued]) {
      if (!future.done()) future.setException(error);
    }
    this.emit('broken', error);
  }

  /** Resolves when no submitted future is still outstanding. */
  protected whenIdle(): Promise<void> {
    if (this.#outstanding === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  #submit(fn: Task<unknown[], unknown>, args: unknown[], options: ScheduleOptions | undefined): Future<unknown> {
    const future = this.createFuture(fn);
    this.schedule(future, fn, args, options);
    return future;
  }

  #map(
    fn: Task<unknown[], unknown>,
    items: Iterable<unknown> | AsyncIterable<unknown>,
    options: MapOptions | undefined,
    star: boolean,
  ): MapIterable<unknown> {
    checkTask(fn, star ? 'starmap()' : 'map()');
    const checked = checkMapOptions(options, star ? 'starmap()' : 'map()');
    const iterable = items as Partial<Iterable<unknown> & AsyncIterable<unknown>> | null | undefined;
    if (
      iterable === null ||
      iterable === undefined ||
      (typeof iterable[Symbol.iterator] !== 'function' && typeof iterable[Symbol.asyncIterator] !== 'function')
    ) {
      throw new TypeError(`${star ? 'starmap' : 'map'}() expects an iterable or async iterable, got ${describe(items)}`);
    }
    if (this.#shutdown) throw new ExecutorShutdownError();
    return new MapIterator((batch) => this.submitBatch(fn, batch), items, star, checked);
  }

  #armRunTimeout(future: Future<unknown>, timeout: number): void {
    const timer = startTimer(() => this.timeoutRunning(future, timeout), timeout);
    addListener(future, () => timer.clear());
  }

  #startRunTimeout(future: Future<unknown>): void {
    const timeout = this.#runTimeouts.get(future);
    if (timeout === undefined) return;
    this.#runTimeouts.delete(future);
    this.#armRunTimeout(future, timeout);
  }

  #watchSignal(future: Future<unknown>, signal: AbortSignal): void {
    const onAbort = (): void => {
      if (!future.cancel() && future.running()) this.abortRunning(future, signal.reason);
    };
    if (signal.aborted) {
      onAbort();
      return;
    }
    if (future.done()) return;
    signal.addEventListener('abort', onAbort, { once: true });
    addListener(future, () => signal.removeEventListener('abort', onAbort));
  }

  async #drainThenClose(): Promise<void> {
    await this.whenIdle();
    await this.closeWorkers();
  }
}
