/**
 * The worker side: a BullMQ `Worker` that runs each job on one of the local executors of
 * `@concurrent/futures` (the event loop, worker threads or child processes), with the pools'
 * error fidelity. `startWorker()` is the API; `concurrent-worker` (cli.ts) the command.
 *
 * @module
 */
import { availableParallelism } from 'node:os';
import { type Executor, ProcessPoolExecutor, type Task, type TaskRef, ThreadPoolExecutor, WorkerThreadPoolExecutor } from '@concurrent/futures';
import { resolveTask } from '@concurrent/futures/internal';
import { type Job, Worker } from 'bullmq';
import { type Connection, redisOptions } from './connection.js';
import { decodeValue, encodeOutcome, encodeValue, failureError, isJsonValue, type JobData, type JobResult, type TaskWire, taskFromWire } from './wire.js';

/** The most tasks a worker keeps found (it forgets them all past that). */
const TASK_CACHE_SIZE = 1_000;

/** Where a worker runs its jobs. */
export type ExecutorKind = 'loop' | 'thread' | 'process';

/** Options of {@link startWorker}. */
export interface WorkerOptions {
  /** Redis: `'redis://host:port'` or ioredis options. */
  readonly connection: Connection;
  /** The queue to take jobs from. */
  readonly queue: string;
  /** Jobs at once (the local executor's `maxWorkers`). Default: `availableParallelism()`. */
  readonly concurrency?: number | undefined;
  /** `'loop'` (ThreadPoolExecutor), `'thread'` (WorkerThreadPoolExecutor) or `'process'` (ProcessPoolExecutor, the default). */
  readonly executor?: ExecutorKind | undefined;
  /** The directory task module paths are relative to. Default: `process.cwd()`. */
  readonly root?: string | undefined;
  /** Runs in each worker of the local executor before its first job. */
  readonly initializer?: TaskRef<never, unknown> | undefined;
  readonly initargs?: readonly unknown[] | undefined;
  /** BullMQ's lock duration (ms): a job whose worker stops renewing it for this long counts as stalled. Default 30,000. */
  readonly lockDurationMs?: number | undefined;
  /** How often stalled jobs are looked for and put back (ms). Default 30,000. */
  readonly stalledIntervalMs?: number | undefined;
}

/** A running worker. */
export interface DistributedWorker extends AsyncDisposable {
  /** The local executor the jobs run on. */
  readonly executor: Executor;
  /**
   * Stops taking jobs, lets the running ones finish, then stops the executor. With
   * `{ force: true }`, running jobs are abandoned: BullMQ runs them again elsewhere once they
   * stall.
   */
  close(options?: { force?: boolean }): Promise<void>;
}

function localExecutor(kind: ExecutorKind, maxWorkers: number, initializer: TaskRef<never, unknown> | undefined, initargs: readonly unknown[]): Executor {
  const options = { maxWorkers, ...(initializer === undefined ? {} : { initializer, initargs: [...initargs] }) };
  switch (kind) {
    case 'loop':
      return new ThreadPoolExecutor(options);
    case 'thread':
      return new WorkerThreadPoolExecutor(options);
    case 'process':
      return new ProcessPoolExecutor(options);
    default:
      throw new TypeError(`Expected \`executor\` to be 'loop', 'thread' or 'process', got ${JSON.stringify(kind)}`);
  }
}

/**
 * What a task reports with `reportProgress()` becomes its job's BullMQ progress (which the
 * executor's event reader turns into the future's progress). At most one update is in flight:
 * reports that come meanwhile are coalesced into the latest, which follows it.
 */
function progressTo(job: Job<JobData>, json: boolean): { report: (value: unknown) => void; drained: () => Promise<void> } {
  let sending: Promise<void> | undefined;
  let next: { value: unknown } | undefined;
  const send = (value: unknown): void => {
    sending = job
      .updateProgress({ c: 1, value: encodeValue(value, json) })
      .catch(() => undefined)
      .then(() => {
        sending = undefined;
        const waiting = next;
        next = undefined;
        if (waiting !== undefined) send(waiting.value);
      });
  };
  return {
    report: (value) => {
      if (sending !== undefined) next = { value };
      else send(value);
    },
    // The result must not overtake the last report: the caller would never see it.
    drained: async () => {
      while (sending !== undefined) await sending;
    },
  };
}

/**
 * Starts a worker: it takes jobs of `queue` and runs them on a local executor until `close()`.
 *
 * @example
 * ```ts
 * const worker = await startWorker({ connection: 'redis://10.0.0.5:6379', queue: 'fib', concurrency: 8, executor: 'process' });
 * process.on('SIGTERM', () => void worker.close());
 * ```
 */
export async function startWorker(options: WorkerOptions): Promise<DistributedWorker> {
  const redis = redisOptions(options.connection);
  const concurrency = options.concurrency ?? availableParallelism();
  if (!Number.isInteger(concurrency) || concurrency < 1) throw new TypeError(`Expected \`concurrency\` to be a positive integer, got ${String(concurrency)}`);
  const root = options.root ?? process.cwd();
  const executor = localExecutor(options.executor ?? 'process', concurrency, options.initializer, options.initargs ?? []);
  /** The tasks jobs named, found once each (a module path under `root`, or a compiled source). */
  const tasks = new Map<string, Task<unknown[], unknown>>();
  const taskKey = (wire: TaskWire): string => ('source' in wire ? `s${wire.source}` : `m${wire.path}\0${wire.name}`);
  const findTask = async (wire: TaskWire): Promise<Task<unknown[], unknown>> => {
    const wired = taskFromWire(wire, root);
    const task = ('source' in wired ? await resolveTask({ kind: 'source', source: wired.source }) : wired) as Task<unknown[], unknown>;
    // Bounded: a stream of ever new sources must not grow it without end.
    if (tasks.size >= TASK_CACHE_SIZE) tasks.clear();
    tasks.set(taskKey(wire), task);
    return task;
  };
  const processor = async (job: Job<JobData>): Promise<JobResult> => {
    try {
      const data = job.data;
      const task = tasks.get(taskKey(data.task)) ?? (await findTask(data.task));
      if ('batch' in data) {
        // A map chunk: its calls run side by side on the local executor, each with its own outcome.
        const calls = decodeValue(data.batch) as unknown[][];
        const settled = await Promise.allSettled(calls.map((args) => executor.submit(task, ...args)));
        return { c: 1, outcomes: encodeValue(settled.map(encodeOutcome), isJsonValue(data.batch)) };
      }
      const args = decodeValue(data.args) as unknown[];
      const future = executor.submit(task, ...args);
      // Made at the first report: most tasks report nothing.
      let progress: ReturnType<typeof progressTo> | undefined;
      future.addProgressCallback((value) => (progress ??= progressTo(job, isJsonValue(data.args))).report(value));
      const value = await future;
      if (progress !== undefined) await progress.drained();
      // An executor that sent its arguments by v8 reads its result by v8 only (an older version).
      return { c: 1, value: encodeValue(value, isJsonValue(data.args)) };
    } catch (error) {
      throw failureError(error);
    }
  };
  const worker = new Worker<JobData, JobResult>(options.queue, processor, {
    connection: { ...redis, maxRetriesPerRequest: null },
    concurrency,
    ...(options.lockDurationMs === undefined ? {} : { lockDuration: options.lockDurationMs }),
    ...(options.stalledIntervalMs === undefined ? {} : { stalledInterval: options.stalledIntervalMs }),
  });
  worker.on('error', () => undefined);
  await worker.waitUntilReady();
  let closing: Promise<void> | undefined;
  const close = (closeOptions: { force?: boolean } = {}): Promise<void> => {
    closing ??= (async () => {
      await worker.close(closeOptions.force === true);
      await executor.shutdown({ cancelFutures: closeOptions.force === true });
    })();
    return closing;
  };
  return { executor, close, [Symbol.asyncDispose]: () => close() };
}
