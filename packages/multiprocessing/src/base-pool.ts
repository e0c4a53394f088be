/**
 * What `Pool` and `ThreadPool` share: every method of `multiprocessing.Pool`, on top of an
 * `Executor` from `@concurrent/futures`. The two public classes only choose the executor
 * and how `terminate` stops it.
 *
 * ```
 *  apply/applyAsync ─────────────▶ executor.submit ─────────────▶ AsyncResult
 *  map/starmap(Async) ─▶ chunks ─▶ executor.map per chunk ─▶ all settled ─▶ AsyncResult
 *  imap/imapUnordered ─▶ IMapIterator (lazy, bounded window of chunks) ─▶ for await
 * ```
 *
 * States are CPython's (R10.11): RUN, then CLOSE (`close()`: no new work, queued work
 * finishes) or TERMINATE (`terminate()`: stop now). Where CPython hangs, this fails instead:
 * results outstanding at `terminate()` fail with `CancelledError`; a dead worker fails the
 * result that was running on it (the executor's `WorkerExitError`); a failing initializer
 * breaks the executor once (`BrokenProcessPool` / `BrokenThreadPool`).
 *
 * @module
 */
import { EventEmitter } from 'node:events';
import { CancelledError, type Executor, type Task, type WorkerInfo } from '@concurrent/futures';
import { AsyncResult, type ResultCallbacks, settleResult } from './async-result.js';
import { type ChunkRun, runChunk } from './chunks.js';
import { ValueError } from './errors.js';
import { IMapIterator } from './imap.js';
import { checkArgs, checkCallback, checkChunksize, checkOptions, checkPositive, checkTask, describe, taskName } from './validate.js';

/** Chunks an `imap` keeps in flight per process, unless `buffersize` says otherwise. */
export const DEFAULT_BUFFER_CHUNKS_PER_PROCESS = 32;

// The keys each method's options take: any other key is a TypeError naming it (a Python
// spelling such as `error_callback` is named with its camelCase one).
const APPLY_OPTION_KEYS: readonly string[] = ['callback', 'errorCallback'];
const MAP_OPTION_KEYS: readonly string[] = ['chunksize'];
const MAP_ASYNC_OPTION_KEYS: readonly string[] = ['chunksize', 'callback', 'errorCallback'];
const IMAP_OPTION_KEYS: readonly string[] = ['chunksize', 'buffersize'];
/** Python's `pool.map(f, xs, ys)` has no counterpart: the third argument here is options. */
const SEVERAL_ITERABLES_HINT = 'for a function of several arguments, pass argument arrays to starmap()';

/** The events of a pool (Node's EventEmitter, typed). */
export interface PoolEvents {
  /** A `callback` or `errorCallback` threw. Without a listener, the error goes to `console.error`. */
  callbackError: [error: unknown, result: AsyncResult<unknown>];
  /** A worker started (process pools: with its `pid`). */
  workerStart: [info: WorkerInfo];
  /** A worker exited (process pools: with its `exitCode` / `signal`). */
  workerExit: [info: WorkerInfo];
}

/** Options of `applyAsync`. Mirrors `apply_async(..., callback, error_callback)`. */
export type ApplyOptions<R> = ResultCallbacks<R>;

/** Options of `map` and `starmap`. */
export interface MapOptions {
  /**
   * Items sent to a worker at a time. Default: Python's `ceil(length / (4 × processes))`.
   * @throws RangeError below 1.
   */
  chunksize?: number | undefined;
}

/** Options of `mapAsync` and `starmapAsync`: `chunksize` and the callbacks. */
export interface MapAsyncOptions<R> extends MapOptions, ResultCallbacks<R> {}

/** Options of `imap` and `imapUnordered`. */
export interface IMapOptions {
  /** Items sent to a worker at a time (default 1, as in Python). */
  chunksize?: number | undefined;
  /**
   * Chunks in flight at most: the input is read lazily so that at most
   * `buffersize × chunksize` items are read and not yet handed out. Default
   * `32 × processes`. (Python reads the whole input at once.)
   */
  buffersize?: number | undefined;
}

/**
 * The arguments after the task: its argument array (optional when the task takes none),
 * then the options.
 */
export type ApplyRest<A extends unknown[], O> = [] extends A ? [args?: A, options?: O] : [args: A, options?: O];

type State = 'RUN' | 'CLOSE' | 'TERMINATE';

function isIterable(value: unknown): value is Iterable<unknown> | AsyncIterable<unknown> {
  const v = value as Partial<Iterable<unknown> & AsyncIterable<unknown>> | null | undefined;
  return v !== null && v !== undefined && (typeof v[Symbol.iterator] === 'function' || typeof v[Symbol.asyncIterator] === 'function');
}

function toArgs(item: unknown): unknown[] {
  if (Array.isArray(item)) return item;
  if (item !== null && item !== undefined && typeof (item as Partial<Iterable<unknown>>)[Symbol.iterator] === 'function') {
    return [...(item as Iterable<unknown>)];
  }
  throw new TypeError(`starmap items must be argument arrays, got ${describe(item)}`);
}

/** The pool API shared by {@link Pool} and {@link ThreadPool}. Mirrors `multiprocessing.pool.Pool`. */
export abstract class BasePool extends EventEmitter<PoolEvents> {
  /** How many tasks run at once (worker processes for `Pool`). Mirrors `Pool._processes`. */
  readonly processes: number;
  readonly #executor: Executor;
  #state: State = 'RUN';
  /** Results not ready yet: `terminate()` fails them, `join()` waits for them. */
  readonly #pending = new Set<AsyncResult<unknown>>();
  /** imap iterators and async map inputs still reading their input. */
  readonly #feeders = new Set<{ drain?(): void; whenSubmitted(): Promise<void> }>();
  readonly #iterators = new Set<IMapIterator<unknown>>();
  #joined: Promise<void> | undefined;
  #terminated: Promise<void> | undefined;

  protected constructor(executor: Executor, processes: number) {
    super();
    this.processes = processes;
    this.#executor = executor;
    executor.on('workerStart', (info) => this.emit('workerStart', info));
    executor.on('workerExit', (info) => this.emit('workerExit', info));
  }

  /** Stops the executor at once (terminate); resolves once its workers are gone. */
  protected abstract stopExecutor(executor: Executor): Promise<void>;

  /**
   * Runs `fn(...args)` in the pool and resolves with its value. Mirrors `Pool.apply` (which
   * blocks; this returns a promise).
   *
   * @param fn - a TaskRef from `moduleTasks()` or a self-contained function.
   * @param rest - the argument array (optional when `fn` takes none).
   * @throws (rejects) what `fn` threw; ValueError `'Pool not running'` after `close()` or `terminate()`.
   * @example
   * ```ts
   * console.log(await pool.apply(tasks.square, [5])); // 25
   * ```
   */
  apply<A extends unknown[], R>(fn: Task<A, R>, ...rest: ApplyRest<A, never>): Promise<Awaited<R>> {
    try {
      // Python's apply(func, args, kwds): there are no keyword arguments to pass here.
      if (rest[1] !== undefined) {
        throw new TypeError(
          `apply() takes a task and its argument array, got a third argument ${describe(rest[1])}: put every argument in the array (there are no keyword arguments; applyAsync() takes callbacks)`,
        );
      }
      return this.#applyAsync(fn as Task<unknown[], unknown>, rest[0], undefined, 'apply()').get() as Promise<Awaited<R>>;
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * Starts `fn(...args)` and returns its {@link AsyncResult} at once. Mirrors
   * `Pool.apply_async`.
   *
   * @param fn - a TaskRef from `moduleTasks()` or a self-contained function.
   * @param rest - the argument array (optional when `fn` takes none), then `{ callback,
   *   errorCallback }`: exactly one of them runs, before the result becomes ready.
   * @throws ValueError `'Pool not running'` after `close()`/`terminate()`; TypeError for a
   *   task that cannot be run; the executor's `BrokenProcessPool`/`BrokenThreadPool` once a
   *   failing initializer broke it.
   * @example
   * ```ts
   * const result = pool.applyAsync(tasks.square, [7], { callback: (v) => console.log(v) });
   * console.log(await result.get(1_000));
   * ```
   */
  applyAsync<A extends unknown[], R>(fn: Task<A, R>, ...rest: ApplyRest<A, ApplyOptions<Awaited<R>>>): AsyncResult<Awaited<R>> {
    return this.#applyAsync(fn as Task<unknown[], unknown>, rest[0], rest[1] as ApplyOptions<unknown> | undefined, 'applyAsync()') as AsyncResult<Awaited<R>>;
  }

  /**
   * Runs `fn` over every item and resolves with the results in input order. Mirrors
   * `Pool.map`: the input is read whole first, sent in chunks, and if items fail the promise
   * rejects with the first error received, once every chunk has finished (no fail-fast).
   *
   * @param options - `chunksize` (default `ceil(length / (4 × processes))`).
   * @throws RangeError (at the call) for `chunksize` below 1; ValueError `'Pool not running'`;
   *   what the input threw.
   * @example
   * ```ts
   * const squares = await pool.map(tasks.square, [1, 2, 3]); // [1, 4, 9]
   * ```
   */
  map<T, R>(fn: Task<[T], R>, iterable: Iterable<T> | AsyncIterable<T>, options?: MapOptions): Promise<Awaited<R>[]> {
    try {
      return this.#mapAsync(fn as Task<unknown[], unknown>, iterable, options, false, 'map').get() as Promise<Awaited<R>[]>;
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * {@link BasePool.map}, returning an {@link AsyncResult} of the list at once. Mirrors
   * `Pool.map_async`: `callback` gets the whole list, `errorCallback` the first error.
   *
   * @throws as `map`, synchronously (an async input's error fails the result instead).
   * @example
   * ```ts
   * const result = pool.mapAsync(tasks.square, range(1_000), { callback: (all) => console.log(all.length) });
   * await result.wait();
   * ```
   */
  mapAsync<T, R>(fn: Task<[T], R>, iterable: Iterable<T> | AsyncIterable<T>, options?: MapAsyncOptions<Awaited<R>[]>): AsyncResult<Awaited<R>[]> {
    return this.#mapAsync(fn as Task<unknown[], unknown>, iterable, options as MapAsyncOptions<unknown[]> | undefined, false, 'mapAsync') as AsyncResult<Awaited<R>[]>;
  }

  /**
   * `map` for functions of several arguments: each item is an argument array. Mirrors
   * `Pool.starmap`.
   *
   * @example
   * ```ts
   * await pool.starmap(tasks.add, [[1, 2], [3, 4]]); // [3, 7]
   * ```
   */
  starmap<A extends unknown[], R>(fn: Task<A, R>, iterable: Iterable<A> | AsyncIterable<A>, options?: MapOptions): Promise<Awaited<R>[]> {
    try {
      return this.#mapAsync(fn as Task<unknown[], unknown>, iterable, options, true, 'starmap').get() as Promise<Awaited<R>[]>;
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * {@link BasePool.starmap}, returning an {@link AsyncResult}. Mirrors `Pool.starmap_async`.
   *
   * @example
   * ```ts
   * const sums = await pool.starmapAsync(tasks.add, [[1, 2]], { callback: console.log }).get();
   * ```
   */
  starmapAsync<A extends unknown[], R>(
    fn: Task<A, R>,
    iterable: Iterable<A> | AsyncIterable<A>,
    options?: MapAsyncOptions<Awaited<R>[]>,
  ): AsyncResult<Awaited<R>[]> {
    return this.#mapAsync(fn as Task<unknown[], unknown>, iterable, options as MapAsyncOptions<unknown[]> | undefined, true, 'starmapAsync') as AsyncResult<Awaited<R>[]>;
  }

  /**
   * Results in input order, as they come, over an input read lazily (infinite inputs work):
   * at most `buffersize × chunksize` items are read and not yet handed out. Mirrors
   * `Pool.imap`.
   *
   * @param options - `chunksize` (default 1), `buffersize` (chunks in flight, default
   *   `32 × processes`).
   * @throws RangeError (at the call) for `chunksize` or `buffersize` below 1; ValueError
   *   `'Pool not running'`.
   * @example
   * ```ts
   * for await (const square of pool.imap(tasks.square, naturals(), { chunksize: 100 })) {
   *   if (square > 1e6) break; // stops reading the input, cancels what has not started
   * }
   * ```
   */
  imap<T, R>(fn: Task<[T], R>, iterable: Iterable<T> | AsyncIterable<T>, options?: IMapOptions): IMapIterator<Awaited<R>> {
    return this.#imap(fn as Task<unknown[], unknown>, iterable, options, true, 'imap') as IMapIterator<Awaited<R>>;
  }

  /**
   * As {@link BasePool.imap}, in completion order. Mirrors `Pool.imap_unordered`.
   *
   * @example
   * ```ts
   * let total = 0;
   * for await (const size of pool.imapUnordered(tasks.fileSize, paths, { chunksize: 64 })) total += size;
   * ```
   */
  imapUnordered<T, R>(fn: Task<[T], R>, iterable: Iterable<T> | AsyncIterable<T>, options?: IMapOptions): IMapIterator<Awaited<R>> {
    return this.#imap(fn as Task<unknown[], unknown>, iterable, options, false, 'imapUnordered') as IMapIterator<Awaited<R>>;
  }

  /**
   * Takes no more work; what was submitted still runs (and `imap` iterators made before
   * keep reading their input). Idempotent. Mirrors `Pool.close`.
   *
   * @example
   * ```ts
   * pool.close();
   * await pool.join();
   * ```
   */
  close(): void {
    if (this.#state !== 'RUN') return;
    this.#state = 'CLOSE';
    // Let the workers go once every input is submitted and done, as CPython's workers exit
    // after close(); join() waits for the same thing.
    void this.#whenFed().then(() => this.#executor.shutdown({ wait: false }));
  }

  /**
   * Waits until all work is done and every worker has exited; only after `close()` or
   * `terminate()`. Mirrors `Pool.join`. The callbacks of every result have run when it
   * resolves. An `imap` iterator not read to its end has the rest of its input read and run
   * now (CPython reads every input whole at the call), its results kept for later reading.
   *
   * @throws (rejects) ValueError `'Pool is still running'` before `close()`/`terminate()`.
   * @example
   * ```ts
   * pool.close();
   * await pool.join();
   * ```
   */
  async join(): Promise<void> {
    if (this.#state === 'RUN') throw new ValueError('Pool is still running');
    this.#joined ??= this.#join();
    await this.#joined;
  }

  /**
   * Stops at once: workers are stopped (process pools: SIGTERM, then SIGKILL after a
   * grace period), results not ready fail with `CancelledError` (CPython leaves them pending
   * forever), `imap` iterators throw it. Resolves once the workers are gone. Mirrors
   * `Pool.terminate`.
   *
   * @example
   * ```ts
   * await pool.terminate();
   * ```
   */
  terminate(): Promise<void> {
    if (this.#terminated !== undefined) return this.#terminated;
    this.#state = 'TERMINATE';
    const error = new CancelledError('the pool was terminated before this result was ready');
    for (const iterator of [...this.#iterators]) iterator.abort(error);
    for (const result of [...this.#pending]) settleResult(result, { ok: false, error });
    this.#terminated = this.stopExecutor(this.#executor);
    return this.#terminated;
  }

  /**
   * `await using pool = new Pool()` terminates the pool when the block ends, as Python's
   * `with Pool() as pool:` does: call `close()` and `join()` inside the block to let work
   * finish.
   *
   * @example
   * ```ts
   * { await using pool = new Pool(2); console.log(await pool.map(tasks.square, [1, 2])); }
   * ```
   */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.terminate();
  }

  #checkRunning(): void {
    if (this.#state !== 'RUN') throw new ValueError('Pool not running');
  }

  #applyAsync(fn: Task<unknown[], unknown>, argList: unknown, options: ApplyOptions<unknown> | undefined, what: string): AsyncResult<unknown> {
    this.#checkRunning();
    checkTask(fn, what);
    const args = checkArgs(argList, what);
    const { callback, errorCallback } = checkOptions(options, what, APPLY_OPTION_KEYS);
    const callbacks = this.#callbacks({ callback, errorCallback });
    const future = this.#executor.submit(fn, ...args);
    const result = this.#newResult<unknown>(`${what.slice(0, -2)}(${taskName(fn)})`, callbacks);
    future.result().then(
      (value) => settleResult(result, { ok: true, value }),
      (error: unknown) => settleResult(result, { ok: false, error }),
    );
    return result;
  }

  #callbacks<R>({ callback, errorCallback }: ResultCallbacks<R>): ResultCallbacks<R> {
    checkCallback(callback, 'callback');
    checkCallback(errorCallback, 'errorCallback');
    return { callback, errorCallback };
  }

  #newResult<T>(description: string, callbacks: ResultCallbacks<T>): AsyncResult<T> {
    const result = new AsyncResult<T>(description, callbacks, this.#report);
    const tracked = result as AsyncResult<unknown>;
    this.#pending.add(tracked);
    void result.wait().then(() => this.#pending.delete(tracked));
    return result;
  }

  readonly #report = (error: unknown, result: AsyncResult<unknown>): void => {
    try {
      if (this.listenerCount('callbackError') > 0) {
        this.emit('callbackError', error, result);
        return;
      }
    } catch (listenerError) {
      console.error(`exception in a 'callbackError' listener:`, listenerError);
    }
    console.error(`exception calling callback for ${result.toString()}:`, error);
  };

  /** Runs one chunk; refused once the pool is terminated (CLOSE still lets accepted work feed). */
  #runChunk(fn: Task<unknown[], unknown>, items: readonly unknown[], star: boolean): ChunkRun {
    if (this.#state === 'TERMINATE') throw new CancelledError('the pool was terminated');
    return runChunk(this.#executor, fn, items, star);
  }

  #mapAsync(
    fn: Task<unknown[], unknown>,
    iterable: Iterable<unknown> | AsyncIterable<unknown>,
    options: MapAsyncOptions<unknown[]> | undefined,
    star: boolean,
    what: string,
  ): AsyncResult<unknown[]> {
    this.#checkRunning();
    checkTask(fn, `${what}()`);
    // map/starmap take only chunksize; mapAsync/starmapAsync the callbacks too.
    const known = what.endsWith('Async') ? MAP_ASYNC_OPTION_KEYS : MAP_OPTION_KEYS;
    const opts = checkOptions(options, `${what}()`, known, SEVERAL_ITERABLES_HINT);
    const chunksize = checkChunksize(opts.chunksize);
    const callbacks = this.#callbacks(opts);
    if (!isIterable(iterable)) throw new TypeError(`${what}() expects an iterable or async iterable, got ${describe(iterable)}`);
    const description = `${what}(${taskName(fn)})`;
    if (typeof (iterable as Partial<Iterable<unknown>>)[Symbol.iterator] === 'function') {
      // As CPython: the input is read whole at the call, and its error raised from here.
      const source = iterable as Iterable<unknown>;
      const items: readonly unknown[] = star ? Array.from(source, toArgs) : Array.isArray(source) ? source : [...source];
      const runs = this.#submitAll(fn, items, chunksize, star);
      const result = this.#newResult<unknown[]>(description, callbacks);
      this.#gather(result, runs, items.length);
      return result;
    }
    const result = this.#newResult<unknown[]>(description, callbacks);
    const feeding = (async () => {
      const items: unknown[] = [];
      for await (const item of iterable as AsyncIterable<unknown>) items.push(star ? toArgs(item) : item);
      return this.#submitAll(fn, items, chunksize, star);
    })();
    const feeder = { whenSubmitted: () => feeding.then(() => undefined, () => undefined) };
    this.#feeders.add(feeder);
    feeding.then(
      (runs) => this.#gather(result, runs, runs.reduce((n, run) => n + run.size, 0)),
      (error: unknown) => settleResult(result, { ok: false, error }),
    );
    void feeder.whenSubmitted().then(() => this.#feeders.delete(feeder));
    return result;
  }

  /** Submits every chunk of a map; if one cannot be submitted, cancels the others and throws. */
  #submitAll(fn: Task<unknown[], unknown>, items: readonly unknown[], chunksize: number | undefined, star: boolean): { run: ChunkRun; size: number }[] {
    // CPython R10.4: ceil(len / (4 × processes)), so each worker gets about four chunks.
    const size = chunksize ?? Math.max(1, Math.ceil(items.length / (4 * this.processes)));
    const runs: { run: ChunkRun; size: number }[] = [];
    try {
      for (let start = 0; start < items.length; start += size) {
        const chunk = items.slice(start, start + size);
        runs.push({ run: this.#runChunk(fn, chunk, star), size: chunk.length });
      }
    } catch (error) {
      for (const { run } of runs) run.cancel();
      throw error;
    }
    return runs;
  }

  /** Settles a map's result once every chunk has: the values in order, or the first error received. */
  #gather(result: AsyncResult<unknown[]>, runs: readonly { run: ChunkRun; size: number }[], length: number): void {
    const values = new Array<unknown>(length);
    let remaining = runs.length;
    let failure: { error: unknown } | undefined;
    const finish = (): void => {
      if (failure !== undefined) settleResult(result, { ok: false, error: failure.error });
      else settleResult(result, { ok: true, value: values });
    };
    if (remaining === 0) {
      finish();
      return;
    }
    let offset = 0;
    for (const { run, size } of runs) {
      const start = offset;
      offset += size;
      run.promise.then(
        (chunk) => {
          for (let i = 0; i < chunk.length; i++) values[start + i] = chunk[i];
        },
        (error: unknown) => {
          failure ??= { error };
        },
      ).finally(() => {
        if (--remaining === 0) finish();
      }).catch(() => undefined);
    }
  }

  #imap(
    fn: Task<unknown[], unknown>,
    iterable: Iterable<unknown> | AsyncIterable<unknown>,
    options: IMapOptions | undefined,
    ordered: boolean,
    what: string,
  ): IMapIterator<unknown> {
    this.#checkRunning();
    checkTask(fn, `${what}()`);
    const opts = checkOptions(options, `${what}()`, IMAP_OPTION_KEYS, SEVERAL_ITERABLES_HINT);
    const chunksize = checkChunksize(opts.chunksize) ?? 1;
    const buffersize =
      opts.buffersize === undefined
        ? DEFAULT_BUFFER_CHUNKS_PER_PROCESS * this.processes
        : checkPositive(opts.buffersize, 'buffersize', 'buffersize must be None or > 0');
    if (!isIterable(iterable)) throw new TypeError(`${what}() expects an iterable or async iterable, got ${describe(iterable)}`);
    const iterator = new IMapIterator<unknown>((items) => this.#runChunk(fn, items, false), iterable, {
      chunksize,
      buffersize,
      ordered,
      star: false,
      description: `${what}(${taskName(fn)})`,
    });
    this.#iterators.add(iterator);
    this.#feeders.add(iterator);
    void iterator.whenSubmitted().then(() => this.#feeders.delete(iterator));
    void iterator.whenEnded().then(() => this.#iterators.delete(iterator));
    return iterator;
  }

  /** Resolves once no input is still being read (join drains the imap iterators first). */
  async #whenFed(drain = false): Promise<void> {
    while (this.#feeders.size > 0) {
      const feeders = [...this.#feeders];
      if (drain) for (const feeder of feeders) feeder.drain?.();
      await Promise.all(feeders.map((feeder) => feeder.whenSubmitted()));
    }
  }

  async #join(): Promise<void> {
    if (this.#state === 'CLOSE') {
      await this.#whenFed(true);
      await this.#executor.shutdown({ wait: true });
    }
    if (this.#terminated !== undefined) {
      await this.#terminated;
      // ThreadPool: tasks that were running at terminate() are waited for here.
      await this.#executor.shutdown({ wait: true });
    }
    // Every result's callback has run before join() returns, as CPython's join waits for
    // its result handler.
    await Promise.all([...this.#pending].map((result) => result.wait()));
  }
}
