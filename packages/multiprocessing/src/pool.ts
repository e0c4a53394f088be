import { availableParallelism } from 'node:os';
import { type Executor, ProcessPoolExecutor, type Task } from '@concurrent/futures';
import { aliasedOption } from '@concurrent/futures/internal';
import { BasePool } from './base-pool.js';
import { checkKeys, checkPositive, describe } from './validate.js';

/** Options of {@link Pool}. Mirrors the parameters of `multiprocessing.Pool`. */
export interface PoolOptions {
  /** Worker processes (default: `availableParallelism()`, Python 3.13's `process_cpu_count()`). */
  processes?: number | undefined;
  /** Runs once in each worker before its first task: a TaskRef or a self-contained function. */
  initializer?: Task<never, unknown> | undefined;
  /** Arguments of `initializer`. */
  initargs?: readonly unknown[] | undefined;
  /** Replace a worker after this many tasks (a map chunk counts as one). Default: never. */
  maxtasksperchild?: number | undefined;
  /**
   * The same option in `ProcessPoolExecutor`'s spelling, accepted so that code moving between
   * the two packages works; giving both spellings is a TypeError.
   */
  maxTasksPerChild?: number | undefined;
}

const POOL_KEYS = ['processes', 'initializer', 'initargs', 'maxtasksperchild', 'maxTasksPerChild'];

/** Internal: the checked common options of Pool and ThreadPool. */
export function checkPoolOptions(options: unknown, owner: string, keys: readonly string[]): PoolOptions & { processes: number } {
  if (options === undefined) return { processes: availableParallelism() };
  // `new Pool(4)`, as Python's `Pool(4)`.
  if (typeof options === 'number') return { processes: checkPositive(options, 'processes', 'Number of processes must be at least 1') };
  if (typeof options !== 'object' || options === null) {
    throw new TypeError(`${owner} expects a number of processes or an options object, got ${describe(options)}`);
  }
  checkKeys(options, keys, owner);
  const { processes, initializer, initargs } = options as PoolOptions;
  const maxtasksperchild = aliasedOption(options, 'maxtasksperchild', 'maxTasksPerChild', owner);
  const given = (options as PoolOptions).maxtasksperchild === undefined ? 'maxTasksPerChild' : 'maxtasksperchild';
  return {
    processes: processes === undefined ? availableParallelism() : checkPositive(processes, 'processes', 'Number of processes must be at least 1'),
    initializer,
    initargs,
    maxtasksperchild:
      maxtasksperchild === undefined ? undefined : checkPositive(maxtasksperchild, given, 'maxtasksperchild must be a positive int or None'),
  };
}

/**
 * A pool of worker processes. Mirrors `multiprocessing.Pool`, on a `ProcessPoolExecutor`
 * from `@concurrent/futures`: tasks are TaskRefs from `moduleTasks()` (typed, imported in
 * the child) or self-contained functions (shipped as source); arguments and results cross
 * by structured clone. Methods that block in Python return promises here.
 *
 * Differences from CPython, where CPython would hang: a worker that dies fails the result
 * it was running (`WorkerExitError`) and is replaced; a failing initializer breaks the pool
 * once (`BrokenProcessPool`), without a respawn loop; a throwing callback is reported
 * (`'callbackError'` event) and results keep coming; `terminate()` fails what is not ready.
 *
 * @example
 * ```ts
 * import { Pool } from '@concurrent/multiprocessing';
 * import { moduleTasks } from '@concurrent/futures';
 * const tasks = moduleTasks<typeof import('./tasks.js')>(new URL('./tasks.js', import.meta.url));
 *
 * const pool = new Pool({ processes: 4 });
 * console.log(await pool.map(tasks.fib, [25, 26, 27])); // chunked, in input order
 * pool.close();
 * await pool.join();
 * ```
 */
export class Pool extends BasePool {
  /**
   * @param options - a number of processes (`new Pool(4)`), or {@link PoolOptions}.
   * @throws RangeError for `processes` or `maxtasksperchild` below 1 (echoing the value);
   *   TypeError for a wrong type, an unknown option (naming it and the known ones), both
   *   `maxtasksperchild` and `maxTasksPerChild` at once, or an initializer that is not a task.
   */
  constructor(options?: number | PoolOptions) {
    const { processes, initializer, initargs, maxtasksperchild } = checkPoolOptions(options, 'Pool', POOL_KEYS);
    const executor = new ProcessPoolExecutor({
      maxWorkers: processes,
      initializer,
      initargs: initargs === undefined ? undefined : [...initargs],
      maxTasksPerChild: maxtasksperchild,
    });
    super(executor, processes);
  }

  protected override stopExecutor(executor: Executor): Promise<void> {
    // SIGTERM, as Pool.terminate() does; the executor sends SIGKILL to a child that ignores it.
    return (executor as ProcessPoolExecutor).terminateWorkers();
  }
}
