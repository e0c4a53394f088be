/**
 * The error hierarchy of `@concurrent/futures`.
 *
 * ```
 * FuturesError
 * ├─ CancelledError
 * ├─ TimeoutError
 * ├─ InvalidStateError
 * ├─ ExecutorShutdownError
 * ├─ WorkerExitError
 * └─ BrokenExecutor
 *    ├─ BrokenThreadPool
 *    ├─ BrokenWorkerPool
 *    └─ BrokenProcessPool
 * ```
 *
 * Every class sets `name` on its prototype, so `name` survives subclassing and
 * structured clone, and `instanceof` works across the whole tree.
 *
 * @module
 */

/**
 * Base class of every error this library throws. Mirrors `concurrent.futures.Error`.
 *
 * @example
 * ```ts
 * try { await future; } catch (error) { if (error instanceof FuturesError) { ... } }
 * ```
 */
export class FuturesError extends Error {
  constructor(message?: string, options?: ErrorOptions) {
    super(message, options);
  }
}
FuturesError.prototype.name = 'FuturesError';

/**
 * The future was cancelled. Mirrors `concurrent.futures.CancelledError`.
 *
 * @example
 * ```ts
 * const f = new Future<number>();
 * f.cancel();
 * await f.result().catch((e) => e instanceof CancelledError); // true
 * ```
 */
export class CancelledError extends FuturesError {}
CancelledError.prototype.name = 'CancelledError';

/**
 * A wait ran out of time. Mirrors `concurrent.futures.TimeoutError`. Waiting never changes
 * the future: it may still complete later.
 *
 * @example
 * ```ts
 * await new Future().result(10); // rejects with TimeoutError after 10 ms
 * ```
 */
export class TimeoutError extends FuturesError {}
TimeoutError.prototype.name = 'TimeoutError';

/**
 * An operation was not allowed in the future's current state (for example `setResult` on a
 * done future). Mirrors `concurrent.futures.InvalidStateError`.
 *
 * @example
 * ```ts
 * const f = new Future<number>();
 * f.setResult(1);
 * f.setResult(2); // throws InvalidStateError('FINISHED: <Future state=finished returned number>')
 * ```
 */
export class InvalidStateError extends FuturesError {}
InvalidStateError.prototype.name = 'InvalidStateError';

/**
 * Work was submitted after `shutdown()`. CPython raises a `RuntimeError` with the same message.
 *
 * @example
 * ```ts
 * await executor.shutdown();
 * executor.submit(fn); // throws ExecutorShutdownError('cannot schedule new futures after shutdown')
 * ```
 */
export class ExecutorShutdownError extends FuturesError {
  constructor(message = 'cannot schedule new futures after shutdown', options?: ErrorOptions) {
    super(message, options);
  }
}
ExecutorShutdownError.prototype.name = 'ExecutorShutdownError';

/** What is known about a worker that exited while it ran a task. */
export interface WorkerExitInfo {
  /** Exit code, or `null` when a signal ended it. */
  readonly exitCode: number | null;
  /** The signal that ended a child process, or `null`. */
  readonly signal: NodeJS.Signals | null;
  /** The child's pid (process pools). */
  readonly pid?: number;
  /** The worker's thread id (worker-thread pools). */
  readonly threadId?: number;
}

/**
 * A worker or child process exited while it was running the future's task. With
 * `onWorkerExit: 'replace'` only that task fails, with this error; with `'break'` it is the
 * `cause` of the pool's `BrokenExecutor` error.
 *
 * @example
 * ```ts
 * const error = await future.exception();
 * if (error instanceof WorkerExitError) console.log(error.exitCode, error.signal);
 * ```
 */
export class WorkerExitError extends FuturesError {
  readonly exitCode: number | null;
  readonly signal: NodeJS.Signals | null;
  // `declare`: set only when known, so that a thread's error has no `pid` key at all.
  declare readonly pid?: number;
  declare readonly threadId?: number;

  constructor(message: string, info: WorkerExitInfo, options?: ErrorOptions) {
    super(message, options);
    this.exitCode = info.exitCode;
    this.signal = info.signal;
    if (info.pid !== undefined) this.pid = info.pid;
    if (info.threadId !== undefined) this.threadId = info.threadId;
  }
}
WorkerExitError.prototype.name = 'WorkerExitError';

/**
 * The executor can no longer run work. Mirrors `concurrent.futures.BrokenExecutor`.
 *
 * @example
 * ```ts
 * executor.on('broken', (error: BrokenExecutor) => console.error(error.cause));
 * ```
 */
export class BrokenExecutor extends FuturesError {}
BrokenExecutor.prototype.name = 'BrokenExecutor';

/**
 * A `ThreadPoolExecutor` whose initializer failed. Mirrors
 * `concurrent.futures.thread.BrokenThreadPool`.
 *
 * @example
 * ```ts
 * const ex = new ThreadPoolExecutor({ initializer: () => { throw new Error('no db'); } });
 * await ex.submit(() => 1).result().catch((e) => e instanceof BrokenThreadPool); // true
 * ```
 */
export class BrokenThreadPool extends BrokenExecutor {}
BrokenThreadPool.prototype.name = 'BrokenThreadPool';

/**
 * A `WorkerThreadPoolExecutor` that can no longer run work (a failed initializer, a worker
 * that died with `onWorkerExit: 'break'`, workers that keep dying while starting). Mirrors
 * `concurrent.futures.interpreter.BrokenInterpreterPool`.
 *
 * @example
 * ```ts
 * if (error instanceof BrokenWorkerPool) console.error(error.cause);
 * ```
 */
export class BrokenWorkerPool extends BrokenExecutor {}
BrokenWorkerPool.prototype.name = 'BrokenWorkerPool';

/**
 * A `ProcessPoolExecutor` that can no longer run work. Mirrors
 * `concurrent.futures.process.BrokenProcessPool`.
 *
 * @example
 * ```ts
 * if (error instanceof BrokenProcessPool) console.error(error.cause);
 * ```
 */
export class BrokenProcessPool extends BrokenExecutor {}
BrokenProcessPool.prototype.name = 'BrokenProcessPool';
