import { type Executor, ThreadPoolExecutor, type Task } from '@concurrent/futures';
import { BasePool } from './base-pool.js';
import { checkPoolOptions } from './pool.js';

/** Options of {@link ThreadPool}. Mirrors the parameters of `multiprocessing.pool.ThreadPool`. */
export interface ThreadPoolOptions {
  /** Tasks running at once (default: `availableParallelism()`). */
  processes?: number | undefined;
  /** Runs once, before the first task (there is one event loop, not one thread per slot). */
  initializer?: Task<never, unknown> | undefined;
  /** Arguments of `initializer`. */
  initargs?: readonly unknown[] | undefined;
}

const THREAD_POOL_KEYS = ['processes', 'initializer', 'initargs'];

/**
 * The same API as {@link Pool}, running tasks on this thread's event loop, at most
 * `processes` at once: for async and IO-bound work. Mirrors `multiprocessing.pool.ThreadPool`
 * (`multiprocessing.dummy.Pool`), on a `ThreadPoolExecutor` from `@concurrent/futures`.
 * TaskRefs are imported in this thread, so code can switch between `Pool` and `ThreadPool`
 * without changing its calls.
 *
 * Like Python's ThreadPool it takes no `maxtasksperchild`. `terminate()` cannot stop a task
 * that is already running on the event loop (nor can Python's stop a thread): it fails every
 * result that is not ready, cancels queued work and resolves at once; `join()` then waits
 * for the running tasks to return.
 *
 * @example
 * ```ts
 * const pool = new ThreadPool(8);
 * const statuses = await pool.map(async (url: string) => (await fetch(url)).status, urls);
 * pool.close();
 * await pool.join();
 * ```
 */
export class ThreadPool extends BasePool {
  /**
   * @param options - a number of concurrent tasks (`new ThreadPool(8)`), or {@link ThreadPoolOptions}.
   * @throws RangeError for `processes` below 1 (echoing the value); TypeError for a wrong
   *   type, an unknown option (including `maxtasksperchild`), or an initializer that is not a task.
   */
  constructor(options?: number | ThreadPoolOptions) {
    const { processes, initializer, initargs } = checkPoolOptions(options, 'ThreadPool', THREAD_POOL_KEYS);
    super(new ThreadPoolExecutor({ maxWorkers: processes, initializer, initargs: initargs === undefined ? undefined : [...initargs] }), processes);
  }

  protected override stopExecutor(executor: Executor): Promise<void> {
    // Queued work is cancelled; a task already running on the event loop cannot be stopped,
    // so terminate() does not wait for it (join() does).
    return executor.shutdown({ wait: false, cancelFutures: true });
  }
}
