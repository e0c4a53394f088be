import { availableParallelism } from 'node:os';
import { builtFile } from './internal/built-file.js';
import { BrokenProcessPool } from './errors.js';
import { BASE_OPTION_KEYS, checkOptionKeys, type ExecutorOptions } from './executor.js';
import { childEnv, childExecArgv } from './internal/child-launch.js';
import { aliasedOption, describe } from './internal/validate.js';
import { ProcessHandle } from './worker-pool/handle.js';
import { checkPoolOptions, POOL_OPTION_KEYS, type WorkerPoolOptions } from './worker-pool/options.js';
import { PoolExecutor } from './worker-pool/pool-executor.js';

/** Options of {@link ProcessPoolExecutor}. */
export interface ProcessPoolExecutorOptions<I extends unknown[] = unknown[]> extends ExecutorOptions<I>, WorkerPoolOptions {
  /** Recycle a child after this many tasks (a map chunk counts as one). */
  maxTasksPerChild?: number | undefined;
  /**
   * The same option in `multiprocessing.Pool`'s spelling, accepted so that code moving between
   * the two packages works; giving both spellings is a TypeError.
   */
  maxtasksperchild?: number | undefined;
  /** How arguments and results cross: `'advanced'` (structured clone, default) or `'json'`. */
  serialization?: 'advanced' | 'json' | undefined;
}

const PROCESS_OPTION_KEYS = [...BASE_OPTION_KEYS, ...POOL_OPTION_KEYS, 'maxTasksPerChild', 'maxtasksperchild', 'serialization'];

let poolCounter = 0;

/** The child's entry file (built JavaScript, also when this module runs from `src`). */
function childEntry(): string {
  return builtFile(new URL('.', import.meta.url), 'worker-entry/process-child.js');
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
export class ProcessPoolExecutor extends PoolExecutor {
  /**
   * @param options - see {@link ProcessPoolExecutorOptions}; `maxWorkers` defaults to
   *   `availableParallelism()`.
   * @throws TypeError / RangeError for bad options, echoing the value; TypeError for an
   *   unknown key (naming it and the known ones) and for both `maxTasksPerChild` and
   *   `maxtasksperchild` at once.
   */
  constructor(options: ProcessPoolExecutorOptions = {}) {
    if (typeof options !== 'object' || options === null) {
      throw new TypeError(`ProcessPoolExecutor expects an options object, got ${describe(options)}`);
    }
    checkOptionKeys(options, PROCESS_OPTION_KEYS, 'ProcessPoolExecutor');
    const maxTasks = aliasedOption(options, 'maxTasksPerChild', 'maxtasksperchild', 'ProcessPoolExecutor');
    const maxTasksKey = options.maxTasksPerChild === undefined && maxTasks !== undefined ? 'maxtasksperchild' : 'maxTasksPerChild';
    const checked = checkPoolOptions(options, { maxTasksKey, maxTasks });
    const { serialization = 'advanced' } = options;
    if (serialization !== 'advanced' && serialization !== 'json') {
      throw new TypeError(`Expected \`serialization\` to be 'advanced' or 'json', got ${describe(serialization)}`);
    }
    // What children inherit of how this process was started: docs/launching.md. The env is
    // read at each spawn, as a fork would read process.env then.
    const execArgv = checked.execArgv ?? childExecArgv('process');
    const spawnOptions = {
      entry: childEntry(),
      serialization,
      execArgv,
      get env() {
        return childEnv(checked.env, 'process');
      },
    };
    super(options, availableParallelism(), `ProcessPoolExecutor-${poolCounter++}`, checked, {
      kind: 'process',
      spawn: (events) => new ProcessHandle(spawnOptions, events),
      brokenError: (message, cause) => new BrokenProcessPool(message, { cause }),
    });
  }

  /**
   * Sends SIGTERM to every child and shuts the pool down; whatever was queued or running
   * fails with `BrokenProcessPool`. Mirrors Python 3.14's `terminate_workers`.
   *
   * @example
   * ```ts
   * await pool.terminateWorkers();
   * ```
   */
  terminateWorkers(): Promise<void> {
    return this.stopWorkers('SIGTERM', "the process pool's workers were stopped with SIGTERM, the process pool is not usable anymore");
  }

  /**
   * As {@link ProcessPoolExecutor.terminateWorkers}, with SIGKILL. Mirrors Python 3.14's
   * `kill_workers`.
   *
   * @example
   * ```ts
   * await pool.killWorkers();
   * ```
   */
  killWorkers(): Promise<void> {
    return this.stopWorkers('SIGKILL', "the process pool's workers were stopped with SIGKILL, the process pool is not usable anymore");
  }
}
