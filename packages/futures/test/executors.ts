/**
 * The executors the contract suite (`contract.test.ts`) runs over. A new executor joins the
 * suite with one entry here.
 *
 * The contract tests submit only TaskRefs to `fixtures/tasks.mjs` and self-contained
 * functions, and talk to tasks only through files (see `fixtures/harness.ts`), so an entry
 * for an executor that runs tasks in worker threads or child processes needs nothing else.
 */
import { availableParallelism } from 'node:os';
import {
  type BrokenExecutor,
  BrokenProcessPool,
  BrokenThreadPool,
  BrokenWorkerPool,
  type Executor,
  ProcessPoolExecutor,
  type Task,
  ThreadPoolExecutor,
  WorkerThreadPoolExecutor,
} from '../src/index.js';

/**
 * The common constructor options, with an initializer of any signature. `ExecutorOptions`
 * itself types `initializer` as `Task<unknown[], unknown>`, which a function or TaskRef with
 * typed parameters is not assignable to (and the constructors are not generic, so nothing
 * infers a narrower `I`); hence this looser type and the cast in each factory.
 */
export interface KindOptions {
  maxWorkers?: number;
  initializer?: Task<never, unknown>;
  initargs?: unknown[];
  name?: string;
}

export interface ExecutorKind {
  /** The class name, shown in the test titles. */
  readonly name: string;
  /**
   * Makes an executor with the common options. A pool that hands tasks to busy workers ahead
   * of time should add `prefetch: 0` here: the contract counts on "queued" meaning "not yet
   * handed to a worker", so that it can still be cancelled. Pass a non-object `options`
   * through unchanged (the contract checks that the constructor rejects it).
   */
  readonly make: (options?: KindOptions) => Executor;
  /** `true` if tasks run beside this thread (workers, processes); `false` on its event loop. */
  readonly parallel: boolean;
  /**
   * `true` if a running task that is aborted or passes its timeout is stopped: its worker is
   * told (the task's own signal), and stopped after a grace period if the task runs on, so
   * its slot frees without the task's help. `false` if the future only fails at once while
   * the code runs on to its end, holding its slot (the thread pool: nothing can stop code on
   * this event loop).
   */
  readonly stopsRunningTasks: boolean;
  /** The `BrokenExecutor` subclass this executor fails with once broken. */
  readonly Broken: new (message?: string, options?: ErrorOptions) => BrokenExecutor;
  /** `maxWorkers` when the option is left out. */
  readonly defaultMaxWorkers: () => number;
}

/**
 * Adds `prefetch: 0` (see `make`). Prefetch itself is tested in each pool's own suite.
 */
function withoutPrefetch(options: KindOptions = {}): KindOptions & { prefetch: number } {
  // A non-object goes through unchanged, for the constructor to reject.
  if (typeof options !== 'object' || options === null) return options;
  return { ...options, prefetch: 0 };
}

export const executorKinds: readonly ExecutorKind[] = [
  {
    name: 'ThreadPoolExecutor',
    make: (options) => new ThreadPoolExecutor(options),
    parallel: false,
    stopsRunningTasks: false,
    Broken: BrokenThreadPool,
    defaultMaxWorkers: () => Math.min(32, availableParallelism() + 4),
  },
  {
    name: 'WorkerThreadPoolExecutor',
    make: (options) => new WorkerThreadPoolExecutor(withoutPrefetch(options)),
    parallel: true,
    stopsRunningTasks: true,
    Broken: BrokenWorkerPool,
    defaultMaxWorkers: () => availableParallelism(),
  },
  {
    name: 'ProcessPoolExecutor',
    make: (options) => new ProcessPoolExecutor(withoutPrefetch(options)),
    parallel: true,
    stopsRunningTasks: true,
    Broken: BrokenProcessPool,
    defaultMaxWorkers: () => availableParallelism(),
  },
];
