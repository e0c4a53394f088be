/**
 * The three executors the fuzz suite drives, with what each may be asked to do (see
 * `ExecCaps`) and how a program's configuration becomes constructor options.
 *
 * @module
 */
import {
  type BrokenExecutor,
  BrokenProcessPool,
  BrokenThreadPool,
  BrokenWorkerPool,
  type Executor,
  moduleTasks,
  type PoolStats,
  ProcessPoolExecutor,
  type Task,
  ThreadPoolExecutor,
  WorkerThreadPoolExecutor,
} from '../../src/index.js';
import type * as Hostile from '../fixtures/hostile-tasks.mjs';
import type { ExecCaps, ExecConfig } from './program.js';

/** TaskRefs to the hostile fixture tasks. */
export const hostile = moduleTasks<typeof Hostile>(new URL('../fixtures/hostile-tasks.mjs', import.meta.url));

/** The executor calls a program makes beyond the common Executor API. */
export interface Stoppable {
  terminateWorkers(): Promise<void>;
  killWorkers?(): Promise<void>;
  readonly stats: PoolStats;
}

export interface ExecutorTarget {
  readonly name: 'ThreadPoolExecutor' | 'WorkerThreadPoolExecutor' | 'ProcessPoolExecutor';
  readonly caps: ExecCaps;
  readonly Broken: abstract new (...args: never[]) => BrokenExecutor;
  make(config: ExecConfig): Executor;
}

/** The initializer and its arguments for a configuration. */
function initOptions(config: ExecConfig): { initializer?: Task<never, unknown>; initargs?: unknown[] } {
  switch (config.initializer) {
    case 'none':
      return {};
    case 'ok':
      return { initializer: hostile.init, initargs: ['fuzz'] };
    case 'slow':
      return { initializer: hostile.slowInit, initargs: [20] };
    case 'fail':
      return { initializer: hostile.failInit, initargs: [] };
    case 'exit':
      return { initializer: hostile.exitInit, initargs: [process.pid] };
  }
}

/** The options worker and process pools share, leaving out what the program left out. */
function poolOptions(config: ExecConfig): Record<string, unknown> {
  const options: Record<string, unknown> = { maxWorkers: config.maxWorkers, ...initOptions(config) };
  if (config.prefetch !== undefined) options.prefetch = config.prefetch;
  if (config.onWorkerExit !== undefined) options.onWorkerExit = config.onWorkerExit;
  if (config.taskTimeout !== undefined) options.taskTimeout = config.taskTimeout;
  if (config.idleTimeout !== undefined) options.idleTimeout = config.idleTimeout;
  return options;
}

export const executorTargets: readonly ExecutorTarget[] = [
  {
    name: 'ThreadPoolExecutor',
    caps: { inProcess: true, pooled: false, transfers: false, canKill: false, signals: [], maxOps: 30 },
    Broken: BrokenThreadPool,
    make: (config) => new ThreadPoolExecutor({ maxWorkers: config.maxWorkers, ...initOptions(config) }),
  },
  {
    name: 'WorkerThreadPoolExecutor',
    caps: { inProcess: false, pooled: true, transfers: true, canKill: false, signals: ['SIGKILL'], maxOps: 20 },
    Broken: BrokenWorkerPool,
    make: (config) => {
      const options = poolOptions(config);
      if (config.maxTasks !== undefined) options.maxTasksPerWorker = config.maxTasks;
      return new WorkerThreadPoolExecutor(options);
    },
  },
  {
    name: 'ProcessPoolExecutor',
    caps: { inProcess: false, pooled: true, transfers: false, canKill: true, signals: ['SIGTERM', 'SIGKILL'], maxOps: 16 },
    Broken: BrokenProcessPool,
    make: (config) => {
      const options = poolOptions(config);
      if (config.maxTasks !== undefined) options.maxTasksPerChild = config.maxTasks;
      return new ProcessPoolExecutor(options);
    },
  },
];

/** The pool calls of an executor that has them (worker and process pools). */
export function stoppable(executor: Executor): Stoppable | undefined {
  return executor instanceof WorkerThreadPoolExecutor || executor instanceof ProcessPoolExecutor ? executor : undefined;
}
