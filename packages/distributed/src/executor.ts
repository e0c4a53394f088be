/**
 * `DistributedExecutor`: the `Executor` of `@concurrent/futures` whose workers are on other
 * machines, on BullMQ and Redis. Each task is a BullMQ job; workers (`startWorker`, the
 * `concurrent-worker` CLI) run it on one of the local executors and BullMQ keeps its result.
 *
 * A future never waits on one event alone (BullMQ's users report completion events missed
 * after a reconnect or a trim, see distributed.md): one `QueueEvents` reader per executor
 * settles futures as events come, and a reconciliation reads the state of jobs that have
 * waited long, of every job after a reconnect, and settles those that finished, failed or
 * vanished. Results stay in Redis for `retainMs` (default one hour), long enough to be read.
 *
 * @module
 */
import { randomUUID } from 'node:crypto';
import { Executor, type Future, type Task } from '@concurrent/futures';
import { checkOptionKeys, setProgress } from '@concurrent/futures/internal';
import { type JobsOptions, Queue, QueueEvents } from 'bullmq';
import { Redis as IORedis, type RedisOptions } from 'ioredis';
import { type Connection, describeConnection, redisOptions } from './connection.js';
import { decodeOutcome, decodeValue, encodeValue, errorFromReason, type JobData, type JobResult, type Outcome, type TaskWire, taskToWire } from './wire.js';

/** Options of {@link DistributedExecutor}. */
export interface DistributedExecutorOptions {
  /** Redis: `'redis://host:port'` or ioredis options. */
  readonly connection: Connection;
  /** The BullMQ queue the workers take jobs from. */
  readonly queue: string;
  /**
   * The directory `moduleTasks` paths are relative to on the wire: a worker imports
   * `<its root>/<that path>`. Default: `process.cwd()`.
   */
  readonly root?: string | URL | undefined;
  /** Runs of a failing job before its future fails (BullMQ `attempts`). Default 1. */
  readonly attempts?: number | undefined;
  /** Wait between runs (ms), or BullMQ's `{ type: 'fixed' | 'exponential', delay }`. */
  readonly backoff?: number | { readonly type: 'fixed' | 'exponential'; readonly delay: number } | undefined;
  /** How long a finished job's result stays in Redis (ms). Default one hour. */
  readonly retainMs?: number | undefined;
  /** How long a future waits on events before its job's state is read (ms). Default 5,000. */
  readonly reconcileMs?: number | undefined;
  /** How long a submit waits for Redis before its future fails (ms). Default 5,000. */
  readonly connectTimeoutMs?: number | undefined;
  /** The executor's name. */
  readonly name?: string | undefined;
}

const OPTION_KEYS = ['connection', 'queue', 'root', 'attempts', 'backoff', 'retainMs', 'reconcileMs', 'connectTimeoutMs', 'name'];

/** A job that is gone from Redis before its future learned how it ended (removed, or expired). */
export class JobLostError extends Error {
  constructor(message?: string, options?: ErrorOptions) {
    super(message, options);
  }
}
JobLostError.prototype.name = 'JobLostError';

/** Redis could not be reached in time (at submit, or when the executor needed it). */
export class RedisUnavailableError extends Error {
  constructor(message?: string, options?: ErrorOptions) {
    super(message, options);
  }
}
RedisUnavailableError.prototype.name = 'RedisUnavailableError';

interface Pending {
  /** One future, or one per call of a batch (a `map` chunk). */
  readonly futures: readonly Future<unknown>[];
  readonly batch: boolean;
  /** When it was handed to Redis (ms, performance.now()); undefined while not yet added. */
  since: number | undefined;
}

/** A run of map/starmap input, as the base Executor hands it to `submitBatch`. */
interface Batch {
  readonly items: readonly unknown[];
  readonly spread: boolean;
}

/** Reconciliation reads at most this many jobs per tick. */
const RECONCILE_BATCH = 200;

let executors = 0;

function positive(value: number | undefined, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) throw new TypeError(`Expected \`${name}\` to be a positive number, got ${String(value)}`);
  return value;
}

/** Settles when `promise` does, or rejects with `error()` after `ms`. */
function within<T>(promise: Promise<T>, ms: number, error: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([promise, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(error()), ms)))]).finally(() => clearTimeout(timer));
}

/**
 * An `Executor` whose tasks run on workers anywhere that reach the same Redis: `submit`,
 * `submitWith({ signal, timeout })`, `map`/`starmap`, `shutdown`, events; its futures work with
 * `wait` and `asCompleted` beside those of the local executors.
 *
 * Tasks are `moduleTasks` references to modules under `root` (the workers import the same
 * path under theirs), or self-contained functions, sent by source as the pools send them.
 * Delivery is at least once: a job whose worker dies is run again after BullMQ's stall
 * interval; its future settles once.
 *
 * @example
 * ```ts
 * await using ex = new DistributedExecutor({ connection: 'redis://10.0.0.5:6379', queue: 'fib' });
 * const futures = [30, 31, 32].map((n) => ex.submit(tasks.fib, n));
 * for await (const f of asCompleted(futures)) console.log(await f);
 * ```
 */
export class DistributedExecutor extends Executor {
  /** The queue's name. */
  readonly queueName: string;
  readonly #root: string;
  readonly #redis: RedisOptions;
  /** Opened at the first submit, once Redis answered (a Queue and a QueueEvents that never connected cannot be closed). */
  #queue: Queue | undefined;
  #events: QueueEvents | undefined;
  readonly #jobOptions: JobsOptions;
  readonly #reconcileMs: number;
  readonly #connectTimeoutMs: number;
  /** Job ids of this executor start with it: another executor's jobs are never ours. */
  readonly #prefix = randomUUID();
  #counter = 0;
  /** Each task's wire form, made once (a path relative to `root`, or a function's source). */
  readonly #wired = new WeakMap<Task<unknown[], unknown>, TaskWire>();
  readonly #pending = new Map<string, Pending>();
  /** Jobs to add at the end of this turn (one addBulk for a burst of submits). */
  #toAdd: { id: string; data: JobData }[] = [];
  #ready: Promise<void> | undefined;
  #reconciling = false;
  /** Set when the event reader lost its connection: the next reconciliation reads every job. */
  #readAll = false;
  readonly #timer: NodeJS.Timeout;

  /**
   * @throws TypeError for a bad option (an unknown key is named, with the known ones).
   */
  constructor(options: DistributedExecutorOptions) {
    if (typeof options !== 'object' || options === null) throw new TypeError('DistributedExecutor expects an options object');
    checkOptionKeys(options, OPTION_KEYS, 'DistributedExecutor');
    if (typeof options.queue !== 'string' || options.queue === '') throw new TypeError('Expected `queue` to be a non-empty string');
    super({ ...(options.name === undefined ? {} : { name: options.name }) }, Number.MAX_SAFE_INTEGER, `DistributedExecutor-${String(executors++)}`);
    this.queueName = options.queue;
    const root = options.root ?? process.cwd();
    this.#root = root instanceof URL ? new URL(root).pathname : root;
    this.#redis = redisOptions(options.connection);
    this.#reconcileMs = positive(options.reconcileMs, 'reconcileMs', 5_000);
    this.#connectTimeoutMs = positive(options.connectTimeoutMs, 'connectTimeoutMs', 5_000);
    const retainMs = positive(options.retainMs, 'retainMs', 3_600_000);
    const attempts = positive(options.attempts, 'attempts', 1);
    const backoff = options.backoff;
    this.#jobOptions = {
      attempts,
      ...(backoff === undefined ? {} : { backoff: typeof backoff === 'number' ? { type: 'fixed', delay: backoff } : { ...backoff } }),
      removeOnComplete: { age: Math.ceil(retainMs / 1000) },
      removeOnFail: { age: Math.ceil(retainMs / 1000) },
    };
    this.#timer = setInterval(() => void this.#reconcile(), Math.min(this.#reconcileMs, 1_000));
    this.#timer.unref();
  }

  protected override schedule(future: Future<unknown>, fn: Task<unknown[], unknown>, args: unknown[]): void {
    this.#enqueue([future], fn, (task) => ({ c: 1, task, args: encodeValue(args) }), false);
  }

  /** A map chunk of more than one item is one job: its calls run side by side on one worker. */
  protected override submitBatch(fn: Task<unknown[], unknown>, batch: Batch): Future<unknown>[] {
    if (batch.items.length === 1) return super.submitBatch(fn, batch) as Future<unknown>[];
    const futures = batch.items.map(() => this.createFuture(fn));
    const calls = batch.items.map((item) => (batch.spread ? (item as unknown[]) : [item]));
    this.#enqueue(futures, fn, (task) => ({ c: 1, task, batch: encodeValue(calls) }), true);
    return futures;
  }

  #enqueue(futures: readonly Future<unknown>[], fn: Task<unknown[], unknown>, data: (task: TaskWire) => JobData, batch: boolean): void {
    let job: JobData;
    try {
      let task = this.#wired.get(fn);
      if (task === undefined) this.#wired.set(fn, (task = taskToWire(fn, this.#root)));
      job = data(task);
    } catch (error) {
      const failure = error instanceof Error ? new TypeError(`the task could not be sent: ${error.message}`, { cause: error }) : error;
      for (const future of futures) if (future.setRunningOrNotifyCancel()) future.setException(failure);
      return;
    }
    const id = `${this.#prefix}-${String(++this.#counter)}`;
    const entry: Pending = { futures, batch, since: undefined };
    this.#pending.set(id, entry);
    for (const future of futures) {
      future.addDoneCallback(() => {
        // Every call cancelled before it started: take the job back (a job a worker has
        // locked stays; its result is dropped).
        if (!future.cancelled() || !futures.every((f) => f.cancelled())) return;
        if (this.#pending.get(id) === entry && this.#pending.delete(id)) void this.#queue?.remove(id).catch(() => undefined);
      });
    }
    this.#toAdd.push({ id, data: job });
    if (this.#toAdd.length === 1) queueMicrotask(() => void this.#flush());
  }

  protected override async closeWorkers(): Promise<void> {
    clearInterval(this.#timer);
    const queue = this.#queue;
    const events = this.#events;
    if (queue === undefined || events === undefined) return;
    try {
      // A graceful close waits for Redis; with Redis gone it would wait for good.
      await within(Promise.allSettled([events.close(), queue.close()]), this.#connectTimeoutMs, () => new RedisUnavailableError('close timed out'));
    } catch {
      // Redis went away: stop the clients' reconnecting, or they keep this process alive.
      const connections = [queue.getBackend(), events.getBackend()].flatMap((backend) => [backend.connection, backend.blockingConnection]);
      await Promise.allSettled(
        connections.map(async (connection) => {
          if (connection !== undefined) (await within(connection.client, 100, () => new Error('never connected'))).disconnect();
        }),
      );
    }
  }

  /**
   * Redis answered and the event reader listens (before any job is added). Redis is asked
   * first with a connection of our own that gives up at once: BullMQ's classes retry without
   * end, and one that never connected cannot even be closed.
   */
  #whenReady(): Promise<void> {
    this.#ready ??= within(this.#open(), this.#connectTimeoutMs, () => this.#unreachable()).catch((error: unknown) => {
      // The next submit tries again.
      this.#ready = undefined;
      throw error instanceof RedisUnavailableError ? error : this.#unreachable(error);
    });
    return this.#ready;
  }

  #unreachable(cause?: unknown): RedisUnavailableError {
    const reason = cause instanceof Error ? `: ${cause.message}` : '';
    return new RedisUnavailableError(`Redis at ${describeConnection(this.#redis)} could not be reached within ${String(this.#connectTimeoutMs)} ms${reason}`, { cause });
  }

  async #open(): Promise<void> {
    if (this.#queue === undefined) {
      const probe = new IORedis({ ...this.#redis, lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0, connectTimeout: this.#connectTimeoutMs });
      probe.on('error', () => undefined);
      let lastEventId: string;
      try {
        await probe.connect();
        // Where the event reader starts: the stream's end as it is now. QueueEvents alone starts
        // from '$' only once it has sent its first read, a moment after it says it is ready:
        // an event in between (a fast first job) would be missed.
        const last = await probe.xrevrange(`bull:${this.queueName}:events`, '+', '-', 'COUNT', 1);
        lastEventId = last[0]?.[0] ?? '0-0';
      } finally {
        probe.disconnect();
      }
      if (this.isShutdown && this.#queue === undefined && this.#pending.size === 0) return;
      // Commands of ours fail while Redis is away instead of queueing without end; the
      // blocking reader retries forever (BullMQ needs maxRetriesPerRequest: null there).
      const queue = new Queue(this.queueName, { connection: { ...this.#redis, enableOfflineQueue: false, maxRetriesPerRequest: 1 } });
      queue.on('error', () => undefined);
      const events = new QueueEvents(this.queueName, { connection: { ...this.#redis, maxRetriesPerRequest: null }, lastEventId });
      events.on('error', () => {
        this.#readAll = true;
      });
      events.on('active', ({ jobId }) => this.#started(jobId));
      events.on('progress', ({ jobId, data }) => this.#progress(jobId, data));
      events.on('completed', ({ jobId, returnvalue }) => this.#completed(jobId, returnvalue));
      events.on('failed', ({ jobId, failedReason }) => void this.#failed(jobId, failedReason));
      this.#queue = queue;
      this.#events = events;
    }
    await Promise.all([this.#queue.waitUntilReady(), this.#events!.waitUntilReady()]);
  }

  async #flush(): Promise<void> {
    const batch = this.#toAdd.filter(({ id }) => this.#pending.has(id));
    this.#toAdd = [];
    if (batch.length === 0) return;
    try {
      await this.#whenReady();
      const jobs = batch.map(({ id, data }) => ({ name: 'task', data, opts: { ...this.#jobOptions, jobId: id } }));
      const [one] = jobs;
      await within(
        // One job: add() is cheaper than a bulk of one (about 55 µs here).
        jobs.length === 1 && one !== undefined ? this.#queue!.add(one.name, one.data, one.opts).then(() => undefined) : this.#queue!.addBulk(jobs).then(() => undefined),
        this.#connectTimeoutMs,
        () => new RedisUnavailableError(`Redis at ${describeConnection(this.#redis)} did not take the jobs within ${String(this.#connectTimeoutMs)} ms`),
      );
      const now = performance.now();
      for (const { id } of batch) {
        const entry = this.#pending.get(id);
        if (entry !== undefined) entry.since = now;
      }
    } catch (error) {
      for (const { id } of batch) this.#fail(id, error);
    }
  }

  #started(jobId: string): void {
    for (const future of this.#pending.get(jobId)?.futures ?? []) if (future.state === 'PENDING') future.setRunningOrNotifyCancel();
  }

  /** A task's `reportProgress()`, through its job's BullMQ progress (single calls; a batch reports nothing). */
  #progress(jobId: string, data: unknown): void {
    const entry = this.#pending.get(jobId);
    const future = entry?.batch === false ? entry.futures[0] : undefined;
    if (future === undefined || future.done()) return;
    let value: unknown;
    try {
      const wire = (typeof data === 'string' ? JSON.parse(data) : data) as { c?: unknown; value?: unknown } | null;
      // Progress set on the job by something else than our worker: not a report of the task.
      if (wire === null || typeof wire !== 'object' || wire.c !== 1 || typeof wire.value !== 'string') return;
      value = decodeValue(wire.value);
    } catch {
      return;
    }
    // Progress means it runs, even if its 'active' event has not come yet.
    if (future.state === 'PENDING' && !future.setRunningOrNotifyCancel()) return;
    setProgress(future, value);
  }

  #completed(jobId: string, returnvalue: unknown): void {
    const batch = this.#pending.get(jobId)?.batch === true;
    const futures = this.#take(jobId);
    if (futures === undefined) return;
    try {
      const result = (typeof returnvalue === 'string' ? JSON.parse(returnvalue) : returnvalue) as JobResult;
      if (!batch && 'value' in result) {
        const value = decodeValue(result.value);
        for (const future of futures) future?.setResult(value);
        return;
      }
      if (batch && 'outcomes' in result) {
        // Each call's outcome to its own future (a cancelled one is left alone).
        const outcomes = decodeValue(result.outcomes) as Outcome[];
        futures.forEach((future, i) => {
          const outcome = outcomes[i];
          if (future === undefined || outcome === undefined) return;
          const decoded = decodeOutcome(outcome, jobId);
          if (decoded.ok) future.setResult(decoded.value);
          else future.setException(decoded.error);
        });
        return;
      }
      throw new TypeError('unexpected shape');
    } catch (error) {
      const failure = new TypeError(`job ${jobId} returned a value that is not a result of this library`, { cause: error });
      for (const future of futures) if (future !== undefined && !future.done()) future.setException(failure);
    }
  }

  /** Fails every future of a job that failed as a whole (or vanished). */
  #fail(jobId: string, error: unknown): void {
    for (const future of this.#take(jobId) ?? []) future?.setException(error);
  }

  async #failed(jobId: string, failedReason: string | undefined): Promise<void> {
    if (!this.#pending.has(jobId)) return;
    // With retries left the job goes back to wait: only a job in 'failed' has failed for good.
    if ((this.#jobOptions.attempts ?? 1) > 1) {
      const state = await this.#queue!.getJobState(jobId).catch(() => 'unknown');
      if (state !== 'failed') return;
    }
    this.#fail(jobId, errorFromReason(failedReason, jobId));
  }

  /**
   * The futures of a job that ended, by position, each running (so it can be completed), or
   * undefined where it was already done (cancelled); undefined if the job is not ours.
   */
  #take(jobId: string): (Future<unknown> | undefined)[] | undefined {
    const entry = this.#pending.get(jobId);
    if (entry === undefined) return undefined;
    this.#pending.delete(jobId);
    return entry.futures.map((future) => (future.done() || (!future.running() && !future.setRunningOrNotifyCancel()) ? undefined : future));
  }

  /** Reads the state of the jobs that waited long (all of them after a reconnect) and settles what ended. */
  async #reconcile(): Promise<void> {
    const queue = this.#queue;
    if (this.#reconciling || this.#pending.size === 0 || queue === undefined) return;
    this.#reconciling = true;
    try {
      const all = this.#readAll;
      this.#readAll = false;
      const before = performance.now() - this.#reconcileMs;
      const due: string[] = [];
      for (const [id, entry] of this.#pending) {
        if (entry.since !== undefined && (all || entry.since < before)) due.push(id);
        if (!all && due.length >= RECONCILE_BATCH) break;
      }
      for (const id of due) {
        const job = await queue.getJob(id);
        const entry = this.#pending.get(id);
        if (entry === undefined) continue;
        if (job === undefined || job === null) {
          this.#fail(id, new JobLostError(`job ${id} of queue '${this.queueName}' is gone from Redis (removed, or expired) before its result was read`));
          continue;
        }
        const state = await job.getState();
        if (state === 'completed') this.#completed(id, job.returnvalue);
        else if (state === 'failed') this.#fail(id, errorFromReason(job.failedReason, id));
        else if (state === 'active') this.#started(id);
        // Seen now: the next look is one reconcile period away.
        if (this.#pending.has(id)) entry.since = performance.now();
      }
    } catch {
      // Redis away: the next tick reads everything again.
      this.#readAll = true;
    } finally {
      this.#reconciling = false;
    }
  }

  /** @internal For tests: how many futures wait on jobs. */
  get pendingJobs(): number {
    return this.#pending.size;
  }
}

