import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { BrokenProcessPool } from './errors.js';
import { BASE_OPTION_KEYS, checkOptionKeys, Executor, type ExecutorOptions, type ScheduleOptions } from './executor.js';
import type { Future } from './future.js';
import { describe, normalizeTimeout } from './internal/validate.js';
import type { Task } from './tasks.js';
import { ProcessHandle } from './worker-pool/handle.js';
import { WorkerPool } from './worker-pool/pool.js';
import {
  checkPoolOptions,
  POOL_OPTION_KEYS,
  type PoolStats,
  type WorkerPoolOptions,
  toTaskSpec,
} from './worker-pool/options.js';

/** Options of {@link ProcessPoolExecutor}. */
export interface ProcessPoolExecutorOptions<I extends unknown[] = unknown[]> extends ExecutorOptions<I>, WorkerPoolOptions {
  /** Recycle a child after this many tasks (a map chunk counts as one). */
  maxTasksPerChild?: number | undefined;
  /** How arguments and results cross: `'advanced'` (structured clone, default) or `'json'`. */
  serialization?: 'advanced' | 'json' | undefined;
}

const PROCESS_OPTION_KEYS = [...BASE_OPTION_KEYS, ...POOL_OPTION_KEYS, 'maxTasksPerChild', 'serialization'];

let poolCounter = 0;

/**
 * The child's entry file. Children run real JavaScript from `dist`, also when this module
 * itself runs from `src` under a TypeScript test runner.
 */
function childEntry(): string {
  const here = new URL('.', import.meta.url);
  const dist = here.pathname.endsWith('/src/') ? new URL('../dist/', here) : here;
  return fileURLToPath(new URL('worker-entry/process-child.js', dist));
}

/**
 * Runs tasks in child processes made with `child_process.fork`: CPU-bound work with full
 * isolation (a crash or an out-of-memory child takes only its own task down). Mirrors
 * `concurrent.futures.ProcessPoolExecutor`.
 *
 * Tasks are `TaskRef`s from {@link moduleTasks} (typed, imported in the child) or
 * self-contained functions (shipped as source). Arguments and results cross by structured
 * clone; errors keep their class, `code`, properties, `cause` and the child's stack.
 *
 * @example
 * ```ts
 * const tasks = moduleTasks<typeof import('./tasks.js')>(new URL('./tasks.js', import.meta.url));
 * await using pool = new ProcessPoolExecutor({ maxWorkers: 2 });
 * console.log(await pool.submit(tasks.fib, 30));
 * ```
 */
export class ProcessPoolExecutor extends Executor {
  readonly #pool: WorkerPool;

  /**
   * @param options - see {@link ProcessPoolExecutorOptions}; `maxWorkers` defaults to
   *   `availableParallelism()`.
   * @throws TypeError / RangeError for bad options, echoing the value.
   */
  constructor(options: ProcessPoolExecutorOptions = {}) {
    if (typeof options !== 'object' || options === null) {
      throw new TypeError(`ProcessPoolExecutor expects an options object, got ${describe(options)}`);
    }
    checkOptionKeys(options, PROCESS_OPTION_KEYS, 'ProcessPoolExecutor');
    super(options, availableParallelism(), `ProcessPoolExecutor-${poolCounter++}`);
    const checked = checkPoolOptions(options, { maxTasksKey: 'maxTasksPerChild', maxTasks: options.maxTasksPerChild });
    const { serialization = 'advanced' } = options;
    if (serialization !== 'advanced' && serialization !== 'json') {
      throw new TypeError(`Expected \`serialization\` to be 'advanced' or 'json', got ${describe(serialization)}`);
    }
    const spawnOptions = {
      entry: childEntry(),
      serialization,
      env: checked.env,
      execArgv: checked.execArgv,
    };
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
        kind: 'process',
      },
      {
        spawn: (events) => new ProcessHandle(spawnOptions, events),
        brokenError: (message, cause) => new BrokenProcessPool(message, { cause }),
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
   * Sends SIGTERM to every child and shuts the pool down; whatever was queued or running
   * fails with `BrokenProcessPool`. Mirrors Python 3.14's `terminate_workers`.
   *
   * @example
   * ```ts
   * pool.terminateWorkers();
   * ```
   */
  terminateWorkers(): Promise<void> {
    return this.#stop('SIGTERM');
  }

  /**
   * As {@link ProcessPoolExecutor.terminateWorkers}, with SIGKILL. Mirrors Python 3.14's
   * `kill_workers`.
   *
   * @example
   * ```ts
   * pool.killWorkers();
   * ```
   */
  killWorkers(): Promise<void> {
    return this.#stop('SIGKILL');
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

  async #stop(signal: 'SIGTERM' | 'SIGKILL'): Promise<void> {
    this.#pool.terminate(
      signal,
      new BrokenProcessPool(`the process pool's workers were stopped with ${signal}, the process pool is not usable anymore`),
    );
    await this.shutdown({ wait: true });
  }
}
