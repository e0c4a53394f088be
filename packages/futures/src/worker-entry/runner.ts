import { serialize } from 'node:v8';
import { loadTaskRef } from '../tasks.js';
import { setCurrentTask, TaskContext } from '../task-context.js';
import { CancelledError } from '../errors.js';
import { serializeError } from '../internal/remote-error.js';
import { addClosureHint, compileFunction } from '../internal/function-source.js';
import type { FromWorker, Job, JobResult, Outcome, TaskSpec, ToWorker } from './protocol.js';

type Callable = (...args: unknown[]) => unknown;

/** How a runner sends; throws (synchronously) if the message cannot be serialized. */
export type Send = (message: FromWorker) => void;

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    (typeof value === 'object' || typeof value === 'function') &&
    value !== null &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}

/** A task's function, or the promise of it while its module loads. */
function resolveTask(spec: TaskSpec): Callable | Promise<Callable> {
  if (spec.kind === 'source') return compileFunction(spec.source);
  return loadTaskRef({ module: spec.module, name: spec.name });
}

/** What the runner knows of a task id: its spec, and its function once resolved. */
interface KnownTask {
  readonly spec: TaskSpec;
  fn: Callable | undefined;
}

/**
 * The worker side of a pool: runs jobs one after another, in the order they arrived, and
 * sends their outcomes back, coalescing the outcomes of one event-loop turn into one message.
 */
export class Runner {
  readonly #send: Send;
  readonly #checkSendable: (value: unknown) => void;
  readonly #queue: Job[] = [];
  #running = false;
  /** The job running now (one at a time), so an abort can reach it. */
  #current: { readonly id: number; readonly context: TaskContext } | undefined;
  readonly #tasks = new Map<number, KnownTask>();
  #pending: JobResult[] = [];
  #flushScheduled = false;
  /** Jobs wait for the initializer; `false` once it failed (the pool breaks, nothing runs). */
  #initialized: Promise<boolean> = Promise.resolve(true);

  /**
   * @param send - posts a message to the pool.
   * @param mode - how messages are serialized, to find a result that cannot be sent before
   *   it breaks the whole message.
   */
  constructor(send: Send, mode: 'advanced' | 'json') {
    this.#send = send;
    this.#checkSendable = mode === 'json' ? (value) => void JSON.stringify(value) : (value) => void serialize(value);
  }

  handle(message: ToWorker): void {
    switch (message.type) {
      case 'init':
        this.#initialized = this.#init(message.initializer, message.initargs);
        break;
      case 'run':
        for (const { id, spec } of message.tasks) this.#tasks.set(id, { spec, fn: undefined });
        for (const job of message.jobs) this.#queue.push(job);
        if (!this.#running) void this.#drain();
        break;
      case 'abort':
        this.#abort(message.id);
        break;
    }
  }

  /**
   * Sends the outcomes that are waiting for the end of this event-loop turn, now. The child
   * calls it on its way out (`process.exit()` in a task, an uncaught error): the jobs that
   * finished before the fatal one then count as done, and the pool blames the right job.
   */
  flush(): void {
    if (this.#pending.length === 0) return;
    const results = this.#pending;
    this.#pending = [];
    this.#sendResults(results);
  }

  #abort(id: number): void {
    if (this.#current?.id === id) {
      this.#current.context.abort();
      return;
    }
    // Handed over but not started (prefetch): it never runs. Its answer keeps the pool's
    // record of what this worker holds exact; the pool has failed its future already.
    const index = this.#queue.findIndex((job) => job.id === id);
    if (index === -1) return;
    const [job] = this.#queue.splice(index, 1) as [Job];
    const outcome: Outcome = { ok: false, error: serializeError(new CancelledError('the task was aborted before it started')) };
    this.#pending.push({ id, outcomes: job.argsList === undefined ? [outcome] : job.argsList.map(() => outcome) });
    this.#scheduleFlush();
  }

  async #init(initializer: TaskSpec | null, initargs: readonly unknown[]): Promise<boolean> {
    try {
      if (initializer !== null) {
        const fn = await resolveTask(initializer);
        const value = fn(...initargs);
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
      for (let job = this.#queue.shift(); job !== undefined; job = this.#queue.shift()) {
        const context = new TaskContext();
        this.#current = { id: job.id, context };
        setCurrentTask(context);
        let outcomes: Outcome[] | Promise<Outcome[]>;
        try {
          outcomes = this.#runJob(job);
          // Sync tasks (the common CPU-bound case) finish without a single await.
          if (isThenable(outcomes)) outcomes = await outcomes;
        } finally {
          setCurrentTask(undefined);
          this.#current = undefined;
        }
        this.#pending.push({ id: job.id, outcomes });
        this.#scheduleFlush();
      }
    } finally {
      this.#running = false;
    }
  }

  #runJob(job: Job): Outcome[] | Promise<Outcome[]> {
    const known = this.#tasks.get(job.task);
    if (known === undefined) return this.#failAll(job, new Error(`@concurrent/futures: unknown task id ${job.task}`));
    if (known.fn !== undefined) return this.#callAll(job, known.fn, known.spec);
    let fn: Callable | Promise<Callable>;
    try {
      fn = resolveTask(known.spec);
    } catch (error) {
      return this.#failAll(job, error);
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
      (error: unknown) => this.#failAll(job, error),
    );
  }

  #failAll(job: Job, error: unknown): Outcome[] {
    const failure: Outcome = { ok: false, error: serializeError(error) };
    return job.argsList === undefined ? [failure] : job.argsList.map(() => failure);
  }

  /** Runs one job's calls in order; stays synchronous until a call returns a promise. */
  #callAll(job: Job, fn: Callable, spec: TaskSpec): Outcome[] | Promise<Outcome[]> {
    const source = spec.kind === 'source' ? spec.source : undefined;
    const argsList = job.argsList ?? [job.args ?? []];
    const outcomes: Outcome[] = [];
    for (let i = 0; i < argsList.length; i++) {
      const outcome = this.#call(fn, argsList[i] as readonly unknown[], source);
      if (isThenable(outcome)) return this.#finishAsync(outcome, outcomes, fn, argsList, i + 1, source);
      outcomes.push(outcome);
    }
    return outcomes;
  }

  async #finishAsync(
    pending: PromiseLike<Outcome>,
    outcomes: Outcome[],
    fn: Callable,
    argsList: readonly (readonly unknown[])[],
    next: number,
    source: string | undefined,
  ): Promise<Outcome[]> {
    outcomes.push(await pending);
    for (let i = next; i < argsList.length; i++) {
      const outcome = this.#call(fn, argsList[i] as readonly unknown[], source);
      outcomes.push(isThenable(outcome) ? await outcome : outcome);
    }
    return outcomes;
  }

  #call(fn: Callable, args: readonly unknown[], source: string | undefined): Outcome | Promise<Outcome> {
    try {
      const value = fn(...args);
      if (!isThenable(value)) return { ok: true, value };
      return Promise.resolve(value).then(
        (settled): Outcome => ({ ok: true, value: settled }),
        (error: unknown): Outcome => this.#failure(error, source),
      );
    } catch (error) {
      return this.#failure(error, source);
    }
  }

  #failure(error: unknown, source: string | undefined): Outcome {
    return { ok: false, error: serializeError(source === undefined ? error : addClosureHint(error, source)) };
  }

  #scheduleFlush(): void {
    if (this.#flushScheduled) return;
    this.#flushScheduled = true;
    // setImmediate, not a microtask: the outcomes of every job that finishes in this turn
    // (a run message of sync jobs finishes entirely in one turn) leave in one message.
    setImmediate(() => {
      this.#flushScheduled = false;
      this.flush();
    });
  }

  #sendResults(results: JobResult[]): void {
    try {
      this.#send({ type: 'results', results });
    } catch {
      // Some value cannot be serialized: find it, and fail only that item, saying which.
      this.#send({ type: 'results', results: results.map((result) => this.#sendable(result)) });
    }
  }

  #sendable(result: JobResult): JobResult {
    return {
      id: result.id,
      outcomes: result.outcomes.map((outcome): Outcome => {
        try {
          this.#checkSendable(outcome.ok ? outcome.value : outcome.error);
          return outcome;
        } catch (error) {
          const what = outcome.ok ? 'result' : 'error';
          const reason = error instanceof Error ? error.message : String(error);
          return {
            ok: false,
            error: serializeError(new TypeError(`the task's ${what} could not be sent back from the worker: ${reason}`)),
          };
        }
      }),
    };
  }
}
