/**
 * The records a WorkerPool keeps of its jobs and workers, and the small helpers on them.
 *
 * @module
 */
import type { TransferListItem } from 'node:worker_threads';
import { TimeoutError, WorkerExitError } from '../errors.js';
import type { WorkerInfo } from '../executor.js';
import type { Future } from '../future.js';
import type { Timer } from '../internal/timer.js';
import type { Batch } from '../map.js';
import type { Job } from '../worker-entry/protocol.js';
import type { WorkerHandle } from './handle.js';

/** A task waiting in the pool's queue or running on a worker. */
export interface PoolJob {
  readonly id: number;
  /** The task's id in this pool's task table (see TaskDefinition). */
  readonly taskId: number;
  /** A submit's future; for a map chunk, one future whose value is a ChunkResult. */
  readonly future: Future<unknown>;
  readonly args: readonly unknown[] | undefined;
  /** Set for a map chunk: its items, one call each. */
  readonly batch: Batch | undefined;
  readonly transfer: readonly TransferListItem[] | undefined;
  readonly timeout: number | undefined;
  /** Set when its arguments hold reduced objects (reduction.ts): their key, to revive them before the call. */
  readonly revive: string | undefined;
  /** Set once the job was handed to a worker (its future is RUNNING from then on). */
  sent: boolean;
  /** Its number among the jobs sent to its worker, for claims (claims.ts); -1 before. */
  seq: number;
  /** Set while the pool asks its worker to give it back. */
  reclaiming: boolean;
  /**
   * Known to have started: asking it back failed (the worker had claimed it), though the jobs
   * ahead of it have not answered yet (their outcomes wait in the worker). Never asked back again.
   */
  started: boolean;
  /** Set once it was aborted or timed out: its future has failed, its worker was told. */
  stopped: boolean;
  /** The run timeout, then (once stopped) the abort grace: only while it is a head job. */
  timer: Timer | undefined;
}

export interface PoolWorker {
  readonly id: number;
  readonly handle: WorkerHandle;
  readonly inflight: PoolJob[];
  /** Jobs still allowed before recycling (Infinity without maxTasksPerWorker). */
  budget: number;
  ready: boolean;
  /** Set when the pool itself asked this worker to go: its exit is expected. */
  retiring: boolean;
  /** Set when the worker is known dead but its exit is not reported yet (handle.ts). */
  exiting: boolean;
  idleTimer: Timer | undefined;
  /** Set when the pool is killing it over one job (abort or timeout grace expired). */
  killedFor: PoolJob | undefined;
  /** Task ids this worker has been sent the definition of. */
  readonly knownTasks: Set<number>;
  /** Whether the handle keeps the parent alive now (set only when it changes). */
  ref: boolean | undefined;
  /** Jobs sent to it so far: the next job's seq. */
  sent: number;
  /** Seqs taken back from it that it has not passed yet (it reports them as skipped). */
  readonly revoked: Set<number>;
  /** When its head job started running, as far as the pool can tell (performance.now()). */
  headSince: number;
}

export function toWire(job: PoolJob): Job {
  const { batch } = job;
  const wire: { id: number; task: number; args?: readonly unknown[]; items?: readonly unknown[]; spread?: true; revive?: string } = {
    id: job.id,
    task: job.taskId,
  };
  if (batch === undefined) wire.args = job.args ?? [];
  else wire.items = batch.items;
  if (batch?.spread === true) wire.spread = true;
  if (job.revive !== undefined) wire.revive = job.revive;
  return wire;
}

/** Whether the job moved buffers to its worker: then it can run only on that worker. */
export function hasTransfers(job: PoolJob): boolean {
  return job.transfer !== undefined && job.transfer.length > 0;
}

/**
 * Why `job` cannot be sent, if one of the buffers it transfers is already detached (moved
 * by an earlier transfer). `MessagePort.postMessage` does not throw for such a list: it drops
 * the whole message, which would leave its futures running forever.
 */
export function detachedTransfer(job: PoolJob): TypeError | undefined {
  for (const item of job.transfer ?? []) {
    if (!(item instanceof ArrayBuffer) || item.byteLength > 0) continue;
    try {
      new Uint8Array(item);
    } catch (error) {
      return new TypeError('an argument could not be sent to the thread worker: a buffer in its transfer list was already transferred (detached) by an earlier task or message', {
        cause: error,
      });
    }
  }
  return undefined;
}

/** The error of a job that did not start on a worker that died with its transferred buffers. */
export function transfersLost(death: WorkerExitError): WorkerExitError {
  const { exitCode, signal, pid, threadId } = death;
  return new WorkerExitError(`${death.message}; this task had not started, but its transferred arguments were moved to that worker and went with it`, {
    exitCode,
    signal,
    ...(pid === undefined ? {} : { pid }),
    ...(threadId === undefined ? {} : { threadId }),
  });
}

export function clearTimer(job: PoolJob): void {
  job.timer?.clear();
  job.timer = undefined;
}

export function timeoutError(ms: number): TimeoutError {
  return new TimeoutError(`the task ran longer than its timeout of ${ms} ms`);
}

export function clearIdle(worker: PoolWorker): void {
  worker.idleTimer?.clear();
  worker.idleTimer = undefined;
}

export function info(worker: PoolWorker): WorkerInfo {
  const { pid, threadId } = worker.handle;
  return { id: worker.id, ...(pid === undefined ? {} : { pid }), ...(threadId === undefined ? {} : { threadId }) };
}
