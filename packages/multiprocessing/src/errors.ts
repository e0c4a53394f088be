/**
 * The errors this package adds to those of `@concurrent/futures` (whose `TimeoutError`,
 * `CancelledError`, `WorkerExitError` and `BrokenProcessPool` it also throws).
 *
 * @module
 */

/**
 * A call that is not allowed in the pool's or result's current state: `'Pool not running'`,
 * `'Pool is still running'`, `'<AsyncResult …> not ready'`. Mirrors the built-in
 * `ValueError` that Python's `multiprocessing.Pool` raises in those cases, with the same
 * messages, so that code and habits carry over.
 *
 * @example
 * ```ts
 * pool.close();
 * try { pool.applyAsync(work); } catch (error) { error instanceof ValueError; } // 'Pool not running'
 * ```
 */
export class ValueError extends Error {
  constructor(message?: string, options?: ErrorOptions) {
    super(message, options);
  }
}
ValueError.prototype.name = 'ValueError';
