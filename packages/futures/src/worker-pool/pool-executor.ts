/**
 * What ProcessPoolExecutor and WorkerThreadPoolExecutor share: an Executor whose tasks go
 * through a {@link WorkerPool}. The two public classes only say how a worker is started and
 * which error breaks them.
 *
 * @module
 */
import type { BrokenExecutor } from '../errors.js';
import { Executor, type ExecutorOptions, type ScheduleOptions } from '../executor.js';
import type { Future } from '../future.js';
import { normalizeTimeout } from '../internal/validate.js';
import { type Batch, Chunk, itemArgs } from '../map.js';
import type { Task } from '../tasks.js';
import type { HandleEvents, WorkerHandle } from './handle.js';
import { type CheckedPoolOptions, type PoolStats, toTaskSpec } from './options.js';
import { WorkerPool } from './pool.js';

/** How a concrete pool executor differs from the other. */
export interface PoolKind {
  /** 'process' or 'thread': used in messages. */
  readonly kind: string;
  spawn(events: HandleEvents): WorkerHandle;
  brokenError(message: string, cause?: unknown): BrokenExecutor;
}

export abstract class PoolExecutor extends Executor {
  readonly #pool: WorkerPool;
  readonly #kind: PoolKind;

  protected constructor(options: ExecutorOptions, defaultMaxWorkers: number, defaultName: string, checked: CheckedPoolOptions, kind: PoolKind) {
    super(options, defaultMaxWorkers, defaultName);
    this.#kind = kind;
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
        kind: kind.kind,
      },
      {
        spawn: (events) => kind.spawn(events),
        brokenError: (message, cause) => kind.brokenError(message, cause),
        broken: (error) => this.break(error),
        workerStart: (info) => this.emit('workerStart', info),
        workerExit: (info) => this.emit('workerExit', info),
      },
    );
  }

  /**
   * Counts of workers and tasks, for dashboards and tests. A map chunk is one task in
   * `queued`, `running` and `reclaimed`, and its items count one by one in `completed` and
   * `failed`.
   */
  get stats(): PoolStats {
    return {
      workers: this.#pool.workers,
      queued: this.#pool.queued,
      running: this.#pool.running,
      completed: this.#pool.completed,
      failed: this.#pool.failed,
      reclaimed: this.#pool.reclaimed,
    };
  }

  /** Stops every worker with `signal`; queued and running work fails; then shuts down. */
  protected async stopWorkers(signal: 'SIGTERM' | 'SIGKILL', message: string): Promise<void> {
    this.#pool.terminate(signal, this.#kind.brokenError(message));
    await this.shutdown({ wait: true });
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
    this.#pool.enqueue(future, toTaskSpec(fn), args, undefined, options?.transfer, normalizeTimeout(options?.timeout));
  }

  /**
   * A chunk travels, runs and completes as one task with one future (as CPython's chunks
   * do): per-item futures would cost more than a trivial task itself.
   */
  protected override submitBatch(fn: Task<unknown[], unknown>, batch: Batch): Future<unknown>[] | Chunk {
    const spec = toTaskSpec(fn);
    const future = this.createFuture(fn);
    if (batch.items.length === 1) {
      this.#pool.enqueue(future, spec, itemArgs(batch, 0), undefined, undefined, undefined);
      return [future];
    }
    this.#pool.enqueue(future, spec, undefined, batch, undefined, undefined);
    return new Chunk(future, batch.items.length);
  }

  protected override abortRunning(future: Future<unknown>, reason: unknown): void {
    this.#pool.abort(future, reason);
  }

  protected override closeWorkers(): Promise<void> {
    return this.#pool.close();
  }
}
