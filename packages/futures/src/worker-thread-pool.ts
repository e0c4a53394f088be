import { availableParallelism } from 'node:os';
import { builtFile } from './internal/built-file.js';
import { BrokenWorkerPool } from './errors.js';
import { BASE_OPTION_KEYS, checkOptionKeys, type ExecutorOptions } from './executor.js';
import { childEnv, childExecArgv } from './internal/child-launch.js';
import { describe } from './internal/validate.js';
import { checkPoolOptions, POOL_OPTION_KEYS, type WorkerPoolOptions } from './worker-pool/options.js';
import { PoolExecutor } from './worker-pool/pool-executor.js';
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
// What Node's Worker takes; it ignores any other key, so a typo would pass unseen.
const RESOURCE_LIMIT_KEYS = ['maxOldGenerationSizeMb', 'maxYoungGenerationSizeMb', 'codeRangeSizeMb', 'stackSizeMb'];

let poolCounter = 0;

/** The thread entry (built JavaScript, also when this module runs from `src`). */
function threadEntry(): string {
  return builtFile(new URL('.', import.meta.url), 'worker-entry/thread-entry.js');
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
export class WorkerThreadPoolExecutor extends PoolExecutor {
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
    const checked = checkPoolOptions(options, { maxTasksKey: 'maxTasksPerWorker', maxTasks: options.maxTasksPerWorker });
    const { resourceLimits } = options;
    if (resourceLimits !== undefined && (typeof resourceLimits !== 'object' || resourceLimits === null)) {
      throw new TypeError(`Expected \`resourceLimits\` to be an object, got ${describe(resourceLimits)}`);
    }
    if (resourceLimits !== undefined) checkOptionKeys(resourceLimits, RESOURCE_LIMIT_KEYS, 'WorkerThreadPoolExecutor `resourceLimits`');
    // What threads inherit of how this process was started: docs/launching.md (undefined:
    // implicitly, all of it). The env is read at each spawn.
    const execArgv = checked.execArgv ?? childExecArgv('thread');
    const spawnOptions = {
      entry: threadEntry(),
      execArgv,
      resourceLimits,
      get env() {
        return childEnv(checked.env, 'thread');
      },
    };
    super(options, availableParallelism(), `WorkerThreadPoolExecutor-${poolCounter++}`, checked, {
      kind: 'thread',
      spawn: (events) => new ThreadHandle(spawnOptions, events),
      brokenError: (message, cause) => new BrokenWorkerPool(message, { cause }),
    });
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
  terminateWorkers(): Promise<void> {
    return this.stopWorkers('SIGKILL', "the pool's threads were stopped, the worker pool is not usable anymore");
  }
}
