import { serialize } from 'node:v8';
import { loadTaskRef } from '../tasks.js';
import { runWithSignal } from '../task-context.js';
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

async function resolveTask(spec: TaskSpec): Promise<Callable> {
  if (spec.kind === 'source') return compileFunction(spec.source);
  const fn = loadTaskRef({ module: spec.module, name: spec.name });
  return isThenable(fn) ? await fn : fn;
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
  readonly #controllers = new Map<number, AbortController>();
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
        this.#queue.push(...message.jobs);
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
    const controller = this.#controllers.get(id);
    if (controller !== undefined) {
      controller.abort();
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
        const controller = new AbortController();
        this.#controllers.set(job.id, controller);
        const outcomes = await this.#runJob(job, controller.signal);
        this.#controllers.delete(job.id);
        this.#pending.push({ id: job.id, outcomes });
        this.#scheduleFlush();
      }
    } finally {
      this.#running = false;
    }
  }

  async #runJob(job: Job, signal: AbortSignal): Promise<Outcome[]> {
    let fn: Callable;
    try {
      fn = await resolveTask(job.task);
    } catch (error) {
      const failure: Outcome = { ok: false, error: serializeError(error) };
      return job.argsList === undefined ? [failure] : job.argsList.map(() => failure);
    }
    const source = job.task.kind === 'source' ? job.task.source : undefined;
    if (job.argsList === undefined) return [await this.#call(fn, job.args ?? [], signal, source)];
    const outcomes: Outcome[] = [];
    for (const args of job.argsList) outcomes.push(await this.#call(fn, args, signal, source));
    return outcomes;
  }

  async #call(fn: Callable, args: readonly unknown[], signal: AbortSignal, source: string | undefined): Promise<Outcome> {
    try {
      let value = runWithSignal(signal, () => fn(...args));
      if (isThenable(value)) value = await value;
      return { ok: true, value };
    } catch (error) {
      return { ok: false, error: serializeError(source === undefined ? error : addClosureHint(error, source)) };
    }
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
