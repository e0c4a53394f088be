import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { BrokenWorkerPool } from './errors.js';
import { BASE_OPTION_KEYS, checkOptionKeys, Executor, type ExecutorOptions, type ScheduleOptions } from './executor.js';
import type { Future } from './future.js';
import { describe, normalizeTimeout } from './internal/validate.js';
import type { Task } from './tasks.js';
import { checkPoolOptions, POOL_OPTION_KEYS, type PoolStats, type WorkerPoolOptions, toTaskSpec } from './worker-pool/options.js';
import { WorkerPool } from './worker-pool/pool.js';
import { type ResourceLimits, ThreadHandle } from './worker-pool/thread-handle.js';

/** Options of {@link WorkerThreadPoolExecutor}. */
export interface WorkerThreadPoolExecutorOptions<I extends unknown[] = unknown[]>
  extends ExecutorOptions<I>,
    WorkerPoolOptions {
  /** Replace a worker thread after this many tasks (a map chunk counts as one). */
  maxTasksPerWorker?: number | undefined;
  /** The threads' V8 heap limits (`worker_threads` `resourceLimits`). */
  resourceLimits?: ResourceLimits | undefined;
}

const THREAD_OPTION_KEYS = [...BASE_OPTION_KEYS, ...POOL_OPTION_KEYS, 'maxTasksPerWorker', 'resourceLimits'];

let poolCounter = 0;

/** The thread entry, from `dist` also when this module runs from `src` (see process-pool.ts). */
function threadEntry(): string {
  const here = new URL('.', import.meta.url);
  const dist = here.pathname.endsWith('/src/') ? new URL('../dist/', here) : here;
  return fileURLToPath(new URL('worker-entry/thread-entry.js', dist));
}

/**
 * Runs tasks in `worker_threads` (on tinypool): CPU-bound work with the cheapest dispatch,
 * and `transfer` for zero-copy buffers. The analogue of Python 3.14's
 * `InterpreterPoolExecutor`.
 *
 * Tasks are `TaskRef`s from {@link moduleTasks} or self-contained functions; errors keep
 * their class, `code`, properties, `cause` and the worker's stack; a thread that dies fails
 * only its own task (or breaks the pool, with `onWorkerExit: 'break'`).
 *
 * @example
 * ```ts
 * const tasks = moduleTasks<typeof import('./tasks.js')>(new URL('./tasks.js', import.meta.url));
 * await using pool = new WorkerThreadPoolExecutor();
 * const sum = await pool.submitWith({ transfer: [data.buffer] }, tasks.sum, data);
 * ```
 */
export class WorkerThreadPoolExecutor extends Executor {
  readonly #pool: WorkerPool;

  /**
   * @param options - see {@link WorkerThreadPoolExecutorOptions}; `maxWorkers` defaults to
   *   `availableParallelism()`.
   * @throws TypeError / RangeError for bad options, echoing the value.
   */
  constructor(options: WorkerThreadPoolExecutorOptions = {}) {
    if (typeof options !== 'object' || options === null) {
      throw new TypeError(`WorkerThreadPoolExecutor expects an options object, got ${describe(options)}`);
    }
    checkOptionKeys(options, THREAD_OPTION_KEYS, 'WorkerThreadPoolExecutor');
    super(options, availableParallelism(), `WorkerThreadPoolExecutor-${poolCounter++}`);
    const checked = checkPoolOptions(options, { maxTasksKey: 'maxTasksPerWorker', maxTasks: options.maxTasksPerWorker });
    const { resourceLimits } = options;
    if (resourceLimits !== undefined && (typeof resourceLimits !== 'object' || resourceLimits === null)) {
      throw new TypeError(`Expected \`resourceLimits\` to be an object, got ${describe(resourceLimits)}`);
    }
    const spawnOptions = { entry: threadEntry(), env: checked.env, execArgv: checked.execArgv, resourceLimits };
    this.#pool = new WorkerPool(
      {
        maxWorkers: this.maxWorkers,
        prefetch: checked.prefetch,
        maxTasksPerWorker: checked.maxTasks,
        idleTimeout: checked.idleTimeout,
        taskTimeout: checked.taskTimeout,
        onWorkerExit: checked.onWorkerExit,
        initializer: this.initializer === undefined ? null : toTaskSpec(this.initializer),
        initargs: this.initargs,
        kind: 'thread',
      },
      {
        spawn: (events) => new ThreadHandle(spawnOptions, events),
        brokenError: (message, cause) => new BrokenWorkerPool(message, { cause }),
        broken: (error) => this.break(error),
        workerStart: (info) => this.emit('workerStart', info),
        workerExit: (info) => this.emit('workerExit', info),
      },
    );
  }

  /** Counts of workers and tasks, for dashboards and tests. */
  get stats(): PoolStats {
    return {
      workers: this.#pool.workers,
      queued: this.#pool.queued,
      running: this.#pool.running,
      completed: this.#pool.completed,
      failed: this.#pool.failed,
    };
  }

  /**
   * Stops every thread now and shuts the pool down; whatever was queued or running fails
   * with `BrokenWorkerPool`. Mirrors Python 3.14's `terminate_workers`.
   *
   * @example
   * ```ts
   * await pool.terminateWorkers();
   * ```
   */
  async terminateWorkers(): Promise<void> {
    this.#pool.terminate('SIGKILL', new BrokenWorkerPool('the pool\'s threads were stopped, the worker pool is not usable anymore'));
    await this.shutdown({ wait: true });
  }

  protected override checkShippable(fn: Task<unknown[], unknown>): void {
    toTaskSpec(fn);
  }

  protected override get timesRunningTasks(): boolean {
    return true;
  }

  protected override schedule(
    future: Future<unknown>,
    fn: Task<unknown[], unknown>,
    args: unknown[],
    options: ScheduleOptions | undefined,
  ): void {
    this.#pool.enqueue([future], toTaskSpec(fn), args, undefined, options?.transfer, normalizeTimeout(options?.timeout));
  }

  protected override submitBatch(fn: Task<unknown[], unknown>, argsList: unknown[][]): Future<unknown>[] {
    const spec = toTaskSpec(fn);
    const futures = argsList.map(() => this.createFuture(fn));
    if (futures.length === 1) this.#pool.enqueue(futures, spec, argsList[0], undefined, undefined, undefined);
    else this.#pool.enqueue(futures, spec, undefined, argsList, undefined, undefined);
    return futures;
  }

  protected override abortRunning(future: Future<unknown>, reason: unknown): void {
    this.#pool.abort(future, reason);
  }

  protected override closeWorkers(): Promise<void> {
    return this.#pool.close();
  }
}
