// The public surface of @concurrent/distributed.
export type { Connection } from './connection.js';
export { DistributedExecutor, type DistributedExecutorOptions, JobLostError, RedisUnavailableError } from './executor.js';
export { type DistributedWorker, type ExecutorKind, startWorker, type WorkerOptions } from './worker.js';
