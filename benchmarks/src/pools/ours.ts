// Our two executors, started the way every probe of this suite starts them: 2 workers, the
// library's defaults otherwise, registered so that they are shut down when the probe ends
// (their workers killed if it failed).
import { type Executor, ProcessPoolExecutor, type WorkerPoolOptions, WorkerThreadPoolExecutor } from '@concurrent/futures';
import type { Resources } from '../harness/resources.js';

/** The options a case may set on top of the defaults (the head-of-line case varies these). */
export type OursOptions = Pick<WorkerPoolOptions, 'prefetch' | 'onWorkerExit'>;

/** A ProcessPoolExecutor of `maxWorkers` children. */
export function processPool(resources: Resources, maxWorkers: number, options: OursOptions = {}): ProcessPoolExecutor {
  const pool = new ProcessPoolExecutor({ ...options, maxWorkers });
  return resources.add('ProcessPoolExecutor', pool, (hard) => (hard ? pool.killWorkers() : pool.shutdown()));
}

/**
 * The thread pool's `execArgv`: the probe's own flags minus `--expose-gc`, which the harness
 * gives every probe child. WorkerThreadPoolExecutor passes `process.execArgv` to `new Worker`
 * explicitly by default, and Node rejects per-process flags there (ERR_WORKER_INVALID_EXEC_ARGV,
 * thrown from the pool's dispatch microtask, which kills the process); left implicit, as the
 * peers do, Node would inherit them without complaint.
 */
const THREAD_EXEC_ARGV = process.execArgv.filter((flag) => flag !== '--expose-gc');

/** A WorkerThreadPoolExecutor of `maxWorkers` threads. */
export function threadPool(resources: Resources, maxWorkers: number, options: OursOptions = {}): WorkerThreadPoolExecutor {
  const pool = new WorkerThreadPoolExecutor({ ...options, maxWorkers, execArgv: THREAD_EXEC_ARGV });
  return resources.add('WorkerThreadPoolExecutor', pool, (hard) => (hard ? pool.terminateWorkers() : pool.shutdown()));
}

/** Our two executors, as probe variant names. */
export type OursName = 'ours-process' | 'ours-thread';

export const OURS_NAMES: readonly OursName[] = ['ours-process', 'ours-thread'];

export const OURS_LABEL: Readonly<Record<OursName, string>> = {
  'ours-process': 'ProcessPoolExecutor',
  'ours-thread': 'WorkerThreadPoolExecutor',
};

/** The executor `name` with `maxWorkers` workers, registered in `resources`. */
export function startOurs(name: OursName, resources: Resources, maxWorkers: number, options: OursOptions = {}): Executor {
  return name === 'ours-process' ? processPool(resources, maxWorkers, options) : threadPool(resources, maxWorkers, options);
}
