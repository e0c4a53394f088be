// The matrix's executors: the in-process sequential baseline and the library's three
// executors, started as a user would (defaults, only maxWorkers set), registered so that they
// are shut down when the probe ends (their workers killed if it failed).
import { type Executor, ThreadPoolExecutor } from '@concurrent/futures';
import type { Resources } from '../harness/resources.js';
import { processPool, threadPool } from '../pools/ours.js';

export type ExecutorName = 'sequential' | 'thread' | 'worker-thread' | 'process';

export const EXECUTOR_NAMES: readonly ExecutorName[] = ['sequential', 'thread', 'worker-thread', 'process'];

/** The pooled executors (every name but the baseline). */
export type PoolName = Exclude<ExecutorName, 'sequential'>;

export const POOL_NAMES: readonly PoolName[] = ['thread', 'worker-thread', 'process'];

export const EXECUTOR_LABEL: Readonly<Record<ExecutorName, string>> = {
  sequential: 'sequential (in-process)',
  thread: 'ThreadPoolExecutor',
  'worker-thread': 'WorkerThreadPoolExecutor',
  process: 'ProcessPoolExecutor',
};

/** Whether the executor runs JavaScript on more than one core (ThreadPoolExecutor: the event loop only). */
export function usesCores(name: ExecutorName): boolean {
  return name === 'worker-thread' || name === 'process';
}

/** Starts pool `name` with `maxWorkers` workers, registered in `resources`. */
export function startPool(name: PoolName, resources: Resources, maxWorkers: number): Executor {
  switch (name) {
    case 'thread': {
      const pool = new ThreadPoolExecutor({ maxWorkers });
      // Nothing to kill: its tasks run in this process, which exits after a failed probe.
      return resources.add('ThreadPoolExecutor', pool, (hard) => pool.shutdown({ wait: !hard, cancelFutures: hard }));
    }
    case 'worker-thread':
      return threadPool(resources, maxWorkers);
    case 'process':
      return processPool(resources, maxWorkers);
  }
}
