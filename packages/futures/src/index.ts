// The public surface of @concurrent/futures: explicit named exports only (our `__all__`).
export {
  BrokenExecutor,
  BrokenProcessPool,
  BrokenThreadPool,
  BrokenWorkerPool,
  CancelledError,
  ExecutorShutdownError,
  FuturesError,
  InvalidStateError,
  TimeoutError,
  WorkerExitError,
  type WorkerExitInfo,
} from './errors.js';
export {
  Executor,
  type ExecutorEvents,
  type ExecutorOptions,
  type ShutdownOptions,
  type SubmitOptions,
  type WorkerInfo,
} from './executor.js';
export { Future, type DoneCallback, type FutureState, type ProgressCallback } from './future.js';
export type { MapIterable, MapOptions } from './map.js';
export { isTaskRef, type MemberTasks, moduleTasks, type ModuleTasks, type Task, type TaskRef } from './tasks.js';
export { ProcessPoolExecutor, type ProcessPoolExecutorOptions } from './process-pool.js';
export { reportProgress, taskProgress, taskSignal } from './task-context.js';
export { ThreadPoolExecutor, type ThreadPoolExecutorOptions } from './thread-pool.js';
export { transferResult } from './transfer.js';
export { WorkerThreadPoolExecutor, type WorkerThreadPoolExecutorOptions } from './worker-thread-pool.js';
export type { PoolStats, WorkerPoolOptions } from './worker-pool/options.js';
export {
  ALL_COMPLETED,
  asCompleted,
  FIRST_COMPLETED,
  FIRST_EXCEPTION,
  wait,
  type AsCompletedOptions,
  type DoneAndNotDoneFutures,
  type ReturnWhen,
  type WaitOptions,
} from './wait.js';
