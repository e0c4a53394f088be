import { serialize } from 'node:v8';
import type { TransferListItem } from 'node:worker_threads';
import { takeTransferList } from '../transfer.js';
import { loadTaskRef } from '../tasks.js';
import { setCurrentTask, TaskContext } from '../task-context.js';
import { CancelledError } from '../errors.js';
import { reviveValue } from '../reduction.js';
import { serializeError } from '../internal/remote-error.js';
import { addClosureHint, compileFunction } from '../internal/function-source.js';
import { runBeforeOutcome } from '../internal/before-outcome.js';
import type { Claims } from './claims.js';
import type { FromWorker, ItemError, Job, JobResult, ProgressEntry, TaskSpec, ToWorker } from './protocol.js';

type Callable = (...args: unknown[]) => unknown;

/** The longest a finished job's outcome waits for others to share its message. */
const MAX_HOLD_MS = 0.2;

/**
 * The least time between two messages that a running task's progress sends by itself. A
 * report in between only replaces the job's held value, which leaves with the next message
 * (the job's result, or the timer): a task reporting in a tight loop costs a Map.set and a
 * clock read per report, and one message per interval.
 */
export const PROGRESS_INTERVAL_MS = 20;

/**
 * How a runner sends; throws (synchronously) if the message cannot be serialized.
 * `transfer` lists what results were marked to move (worker threads; a process ignores it).
 */
export type Send = (message: FromWorker, transfer?: readonly TransferListItem[]) => void;

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    (typeof value === 'object' || typeof value === 'function') &&
    value !== null &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}

/**
 * A task's function where it runs, or the promise of it while its module loads.
 *
 * @throws TypeError for a shipped source that does not evaluate to a function; the promise
 *   rejects when the module cannot be imported or the export is not a function.
 */
export function resolveTask(spec: TaskSpec): Callable | Promise<Callable> {
  if (spec.kind === 'source') return compileFunction(spec.source);
  return loadTaskRef({ module: spec.module, name: spec.name });
}

/** A job's values and errors so far (the body of its JobResult). */
interface Items {
  readonly values: unknown[];
  errors: ItemError[] | undefined;
}

function noItems(): Items {
  return { values: [], errors: undefined };
}

/** The number of items of a job: one for a submit, one per argument list for a chunk. */
function itemCount(job: Job): number {
  return job.items === undefined ? 1 : job.items.length;
}

/** The arguments of call `index` of a job. */
function callArgs(job: Job, index: number): readonly unknown[] {
  if (job.items === undefined) return job.args ?? [];
  const item = job.items[index];
  return job.spread === true ? (item as readonly unknown[]) : [item];
}

/** The message body for a job's items (`ms` only for jobs that ran). */
function jobResult(id: number, { values, errors }: Items, ms?: number): JobResult {
  const result: { id: number; values: unknown[]; errors?: ItemError[]; ms?: number } = { id, values };
  if (errors !== undefined) result.errors = errors;
  if (ms !== undefined) result.ms = ms;
  return result;
}

/** Every item of `job` failing with the same (serialized) error. */
function allFailed(job: Job, error: unknown): Items {
  const n = itemCount(job);
  return { values: new Array<unknown>(n).fill(undefined), errors: Array.from({ length: n }, (_, i): ItemError => [i, error]) };
}

/** What the runner knows of a task id: its spec, and its function once resolved. */
interface KnownTask {
  readonly spec: TaskSpec;
  fn: Callable | undefined;
  /** How long its last job ran (ms); `undefined` before one ran. */
  lastMs?: number | undefined;
}

/**
 * The worker side of a pool: runs jobs one after another, in the order they arrived, and
 * sends their outcomes back, coalescing the outcomes of one event-loop turn into one message
 * (held at most MAX_HOLD_MS; a job that itself ran that long answers at once).
 */
export class Runner {
  readonly #send: Send;
  readonly #checkSendable: (value: unknown) => void;
  readonly #queue: { readonly job: Job; readonly seq: number }[] = [];
  /** Jobs received so far: the next one's seq, counted as the pool counts what it sent. */
  #received = 0;
  readonly #claims: Claims | undefined;
  #running = false;
  /** The job running now (one at a time), so an abort can reach it. */
  #current: { readonly seq: number; readonly id: number; readonly context: TaskContext } | undefined;
  /**
   * Every job's progress sink: the job reporting is the one running (its context is closed
   * when it ends), so one function serves them all, without a closure per job.
   */
  readonly #sink = (value: unknown): void => {
    if (this.#current !== undefined) this.#report(this.#current.id, value);
  };
  /** Seqs passed without running since the last message (the pool took them back). */
  #skipped: number[] = [];
  readonly #tasks = new Map<number, KnownTask>();
  #pending: JobResult[] = [];
  #flushScheduled = false;
  /** When the oldest outcome in `#pending` was recorded (performance.now()). */
  #pendingSince = 0;
  /** The latest progress value not yet sent, by job id, in the order the jobs ran. */
  #progress = new Map<number, unknown>();
  /** When a message last carried progress (performance.now()). */
  #progressSentAt = -Infinity;
  #progressTimer = false;
  /** The last job a dropped (unsendable) progress value was warned about. */
  #warnedProgress = -1;
  /** Jobs wait for the initializer; `false` once it failed (the pool breaks, nothing runs). */
  #initialized: Promise<boolean> = Promise.resolve(true);

  /**
   * @param send - posts a message to the pool.
   * @param mode - how messages are serialized, to find a result that cannot be sent before
   *   it breaks the whole message.
   * @param claims - where each job is claimed before it starts, so that the pool can take
   *   back the ones still waiting (absent: the pool never does).
   */
  constructor(send: Send, mode: 'advanced' | 'json', claims?: Claims) {
    // What the task queued for the end of its turn (a put on a shared queue) leaves before
    // the message that may end this worker (internal/before-outcome.ts).
    this.#send = (message, transfer) => {
      runBeforeOutcome();
      send(message, transfer);
    };
    this.#claims = claims;
    this.#checkSendable = mode === 'json' ? (value) => void JSON.stringify(value) : (value) => void serialize(value);
  }

  handle(message: ToWorker): void {
    switch (message.type) {
      case 'init':
        this.#initialized = this.#init(message.initializer, message.initargs, message.revive);
        break;
      case 'run':
        for (const { id, spec } of message.tasks) this.#tasks.set(id, { spec, fn: undefined });
        for (const job of message.jobs) this.#queue.push({ job, seq: this.#received++ });
        if (!this.#running) void this.#drain();
        break;
      case 'abort':
        this.#abort(message.id, message.seq);
        break;
    }
  }

  /**
   * Sends the outcomes that are waiting for the end of this event-loop turn, now. The child
   * calls it on its way out (`process.exit()` in a task, an uncaught error): the jobs that
   * finished before the fatal one then count as done, and the pool blames the right job.
   */
  flush(): void {
    if (this.#pending.length === 0 && this.#skipped.length === 0 && this.#progress.size === 0) return;
    const results = this.#pending;
    const skipped = this.#skipped;
    let progress: ProgressEntry[] | undefined;
    if (this.#progress.size > 0) {
      progress = [...this.#progress];
      this.#progress.clear();
      this.#progressSentAt = performance.now();
    }
    this.#pending = [];
    this.#skipped = [];
    this.#sendResults(results, skipped, progress);
  }

  /**
   * A running job reported progress. Its value is held (only the latest per job) and leaves
   * with the next message; if none has carried progress for PROGRESS_INTERVAL_MS, it leaves
   * now, from inside the report: a CPU-bound task never yields to a timer while it runs.
   */
  #report(id: number, value: unknown): void {
    this.#progress.set(id, value);
    const since = performance.now() - this.#progressSentAt;
    if (since >= PROGRESS_INTERVAL_MS) {
      this.flush();
      return;
    }
    if (this.#progressTimer) return;
    // An async task that reports and then waits: its value goes when the interval is over.
    this.#progressTimer = true;
    setTimeout(() => {
      this.#progressTimer = false;
      if (this.#progress.size > 0) this.flush();
    }, PROGRESS_INTERVAL_MS - since).unref();
  }

  /**
   * Aborts job `seq` (by seq: a job taken back and handed to this worker again is here twice
   * under one id, once passed over and once live).
   */
  #abort(id: number, seq: number): void {
    if (this.#current?.seq === seq) {
      this.#current.context.abort();
      return;
    }
    // Handed over but not started (prefetch): it never runs. Its answer keeps the pool's
    // record of what this worker holds exact; the pool has failed its future already.
    const index = this.#queue.findIndex((queued) => queued.seq === seq);
    const [queued] = index === -1 ? [] : this.#queue.splice(index, 1);
    if (queued === undefined) return;
    // Passed here as if run, so that its claim slot moves on; if the pool took it back
    // meanwhile, it says so as any job passed over.
    if (this.#claims !== undefined && !this.#claims.start(seq)) {
      this.#skip(seq);
      return;
    }
    this.#pending.push(jobResult(id, allFailed(queued.job, serializeError(new CancelledError('the task was aborted before it started')))));
    this.#scheduleFlush();
  }

  #skip(seq: number): void {
    this.#skipped.push(seq);
    this.#scheduleFlush();
  }

  async #init(initializer: TaskSpec | null, initargs: readonly unknown[], revive: string | undefined): Promise<boolean> {
    try {
      if (initializer !== null) {
        const fn = await resolveTask(initializer);
        const args = revive === undefined ? initargs : ((await reviveValue(initargs, revive)) as unknown[]);
        const value = fn(...args);
        if (isThenable(value)) await value;
      }
      this.#send({ type: 'ready' });
      return true;
    } catch (error) {
      this.#send({ type: 'initError', error: serializeError(error) });
      return false;
    }
  }

  async #drain(): Promise<void> {
    this.#running = true;
    try {
      if (!(await this.#initialized)) return;
      for (let next = this.#queue.shift(); next !== undefined; next = this.#queue.shift()) {
        const { job, seq } = next;
        // Taken back by the pool (it runs elsewhere): no answer, the pool forgot it here.
        if (this.#claims !== undefined && !this.#claims.start(seq)) {
          this.#skip(seq);
          continue;
        }
        // Outcomes held for the end of the turn would wait behind this job if it runs long
        // (or never returns until stopped): the pool would still see the finished job as the
        // one running, time the wrong one, and try to take back this one. Send them first,
        // unless this task is known to be short.
        if (this.#pending.length > 0 && !((this.#tasks.get(job.task)?.lastMs ?? Infinity) < MAX_HOLD_MS)) this.flush();
        const context = new TaskContext(this.#sink);
        this.#current = { seq, id: job.id, context };
        setCurrentTask(context);
        // A job that first loads its task (a module import) would tell the pool nothing
        // about how long the task itself runs: only jobs of known tasks are timed.
        const timed = this.#tasks.get(job.task)?.fn !== undefined;
        const started = performance.now();
        let items: Items | Promise<Items>;
        try {
          items = this.#runJob(job);
          // Sync tasks (the common CPU-bound case) finish without a single await.
          if (isThenable(items)) items = await items;
        } finally {
          // A report from something the task left behind (a timer) is dropped from now on.
          context.close();
          setCurrentTask(undefined);
          this.#current = undefined;
        }
        const now = performance.now();
        const known = this.#tasks.get(job.task);
        if (known !== undefined && timed) known.lastMs = now - started;
        if (this.#pending.length === 0) this.#pendingSince = now;
        this.#pending.push(jobResult(job.id, items, timed ? now - started : undefined));
        // Outcomes wait for the end of the turn so that many small jobs share one message,
        // but not for long: the pool refills this worker when its answers arrive, so answers
        // held back would leave the worker idle once its queue ran out. The next queued job
        // runs before the end of the turn, so a job that itself took long (and whose
        // successor likely will too) sends its answer at once.
        if (now - this.#pendingSince >= MAX_HOLD_MS || now - started >= MAX_HOLD_MS) this.flush();
        else this.#scheduleFlush();
      }
    } finally {
      this.#running = false;
    }
  }

  #runJob(job: Job): Items | Promise<Items> {
    if (job.revive !== undefined) {
      // Handles to shared objects (queues, pipe ends) become live objects first.
      const { revive: _, ...rest } = job;
      return reviveValue(job.items ?? job.args ?? [], job.revive).then(
        (revived) => this.#runJob(job.items === undefined ? { ...rest, args: revived as unknown[] } : { ...rest, items: revived as unknown[] }),
        (error: unknown) => allFailed(job, serializeError(error)),
      );
    }
    const known = this.#tasks.get(job.task);
    if (known === undefined) return allFailed(job, serializeError(new Error(`@concurrent/futures: unknown task id ${job.task}`)));
    if (known.fn !== undefined) return this.#callAll(job, known.fn, known.spec);
    let fn: Callable | Promise<Callable>;
    try {
      fn = resolveTask(known.spec);
    } catch (error) {
      return allFailed(job, serializeError(error));
    }
    if (!isThenable(fn)) {
      known.fn = fn;
      return this.#callAll(job, fn, known.spec);
    }
    return fn.then(
      (loaded) => {
        known.fn = loaded;
        return this.#callAll(job, loaded, known.spec);
      },
      (error: unknown) => allFailed(job, serializeError(error)),
    );
  }

  /** Runs one job's calls in order; stays synchronous until a call returns a promise. */
  #callAll(job: Job, fn: Callable, spec: TaskSpec): Items | Promise<Items> {
    const source = spec.kind === 'source' ? spec.source : undefined;
    const count = itemCount(job);
    const items = noItems();
    for (let i = 0; i < count; i++) {
      let value: unknown;
      try {
        // A plain map item is the one argument: no array per call.
        value = job.items !== undefined && job.spread !== true ? fn(job.items[i]) : fn(...callArgs(job, i));
      } catch (error) {
        this.#failed(items, i, error, source);
        continue;
      }
      if (isThenable(value)) return this.#finishAsync(value, items, fn, job, i, source);
      items.values.push(value);
    }
    return items;
  }

  /** The rest of #callAll once call `index` returned a promise: each call awaited in turn. */
  async #finishAsync(
    pending: PromiseLike<unknown>,
    items: Items,
    fn: Callable,
    job: Job,
    index: number,
    source: string | undefined,
  ): Promise<Items> {
    for (let i = index; i < itemCount(job); i++) {
      try {
        items.values.push(await (i === index ? pending : fn(...callArgs(job, i))));
      } catch (error) {
        this.#failed(items, i, error, source);
      }
    }
    return items;
  }

  #failed(items: Items, index: number, error: unknown, source: string | undefined): void {
    items.values.push(undefined);
    (items.errors ??= []).push([index, serializeError(source === undefined ? error : addClosureHint(error, source))]);
  }

  #scheduleFlush(): void {
    if (this.#flushScheduled) return;
    this.#flushScheduled = true;
    // setImmediate, not a microtask: the outcomes of every short job that finishes in this
    // turn (a run message of sync jobs finishes entirely in one turn) leave in one message.
    setImmediate(() => {
      this.#flushScheduled = false;
      this.flush();
    });
  }

  #sendResults(results: JobResult[], skipped: number[], progress: ProgressEntry[] | undefined): void {
    const extra: { skipped?: number[]; progress?: ProgressEntry[] } = {};
    if (skipped.length > 0) extra.skipped = skipped;
    if (progress !== undefined) extra.progress = progress;
    const transfer: TransferListItem[] = [];
    for (const { values } of results) {
      for (const value of values) {
        const list = takeTransferList(value);
        if (list !== undefined) transfer.push(...list);
      }
    }
    try {
      this.#send({ type: 'results', results, ...extra }, transfer.length > 0 ? transfer : undefined);
    } catch {
      // Some value cannot be serialized: find it, and fail only that item, saying which. A
      // progress value that cannot be sent is dropped (the task has moved on), with a warning.
      if (extra.progress !== undefined) extra.progress = this.#sendableProgress(extra.progress);
      this.#send({ type: 'results', results: results.map((result) => this.#sendable(result)), ...extra });
    }
  }

  #sendableProgress(progress: readonly ProgressEntry[]): ProgressEntry[] {
    return progress.filter(([id, value]) => {
      try {
        this.#checkSendable(value);
        return true;
      } catch (error) {
        if (this.#warnedProgress !== id) {
          this.#warnedProgress = id;
          const reason = error instanceof Error ? error.message : String(error);
          process.emitWarning(`a progress value reported by a task could not be sent to the pool and was dropped: ${reason}`, {
            code: 'CONCURRENT_PROGRESS_UNSENDABLE',
          });
        }
        return false;
      }
    });
  }

  /** `result` with every value or error that cannot be serialized replaced by an error saying so. */
  #sendable(result: JobResult): JobResult {
    const values = [...result.values];
    const errors = new Map(result.errors);
    const unsendable = (what: string, error: unknown): unknown => {
      const reason = error instanceof Error ? error.message : String(error);
      return serializeError(new TypeError(`the task's ${what} could not be sent back from the worker: ${reason}`));
    };
    values.forEach((value, i) => {
      if (errors.has(i)) return;
      try {
        this.#checkSendable(value);
      } catch (error) {
        values[i] = undefined;
        errors.set(i, unsendable('result', error));
      }
    });
    for (const [i, thrown] of errors) {
      try {
        this.#checkSendable(thrown);
      } catch (error) {
        errors.set(i, unsendable('error', error));
      }
    }
    return errors.size === 0 ? { ...result, values } : { ...result, values, errors: [...errors] };
  }
}
