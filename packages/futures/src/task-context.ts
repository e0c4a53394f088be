/**
 * What a running task can reach without being passed it: its `AbortSignal` (`taskSignal()`)
 * and its progress channel (`reportProgress()`, `taskProgress()`).
 *
 * A worker runs one job at a time (the pool's invariant), so "the running task" is simply
 * the job between its start and its end, awaits included: a plain slot serves, with no
 * AsyncLocalStorage (whose promise hooks would slow every await in the worker). The
 * event-loop `ThreadPoolExecutor` runs many tasks at once on one thread, so it fills the slot
 * only while a task's synchronous part runs (decision 0018).
 */

/**
 * What every task-facing function reads: the running task, and how many event-loop tasks are
 * in flight. One object on globalThis under a registered symbol, so that a task module that
 * imports another copy of this package (or the dist build while the pool runs from src)
 * still sees the same running task; read through a module constant, so that a task switch
 * is a plain field write, not a global property lookup.
 */
interface SharedState {
  current: RunningTask | undefined;
  /** Event-loop (ThreadPoolExecutor) tasks started and not ended, in this thread. */
  eventLoopTasks: number;
  warnedAfterAwait: boolean;
}

const STATE_KEY = Symbol.for('@concurrent/futures.taskState');
type Global = typeof globalThis & { [STATE_KEY]?: SharedState };
const state: SharedState = ((globalThis as Global)[STATE_KEY] ??= { current: undefined, eventLoopTasks: 0, warnedAfterAwait: false });

/**
 * Internal: the running task as the task-facing functions see it. {@link TaskContext} is the
 * one worker runners use; the event-loop pool has its own (thread-pool.ts).
 */
export interface RunningTask {
  readonly signal: AbortSignal;
  /** Reports for this task (throws TypeError for a value that can never be cloned). */
  report(value: unknown): void;
  /** A function that reports for this task wherever it is called later. */
  reporter(): (value: unknown) => void;
}

/** Internal: the signal of a task that nobody can abort. */
export const NEVER_ABORTED: AbortSignal = new AbortController().signal;

/** Where a task's progress goes: its runner's channel to the future. */
export type ProgressSink = (value: unknown) => void;

/**
 * Internal: what a runner knows of the task it is running, published with
 * {@link setCurrentTask} while the task runs. Exported through `@concurrent/futures/internal`
 * so that a runner outside this package (another executor's worker) can give its tasks
 * `taskSignal()` and `reportProgress()` as the pools do.
 */
export class TaskContext implements RunningTask {
  #controller: AbortController | undefined;
  #aborted = false;
  #reason: unknown;
  #sink: ProgressSink | undefined;

  /**
   * @param sink - receives each value the task reports, until {@link TaskContext.close};
   *   without one, reports are dropped.
   */
  constructor(sink?: ProgressSink) {
    this.#sink = sink;
  }

  /** Made on demand: most tasks never ask for their signal. */
  get signal(): AbortSignal {
    if (this.#controller === undefined) {
      this.#controller = new AbortController();
      if (this.#aborted) this.#controller.abort(this.#reason);
    }
    return this.#controller.signal;
  }

  abort(reason?: unknown): void {
    if (this.#aborted) return;
    this.#aborted = true;
    this.#reason = reason;
    this.#controller?.abort(reason);
  }

  /** Hands a progress value to the runner; dropped once the task has ended. */
  report(value: unknown): void {
    checkProgressValue(value);
    this.#sink?.(value);
  }

  reporter(): (value: unknown) => void {
    return (value) => this.report(value);
  }

  /** The task has ended: later reports (a timer it left behind) are dropped. */
  close(): void {
    this.#sink = undefined;
  }
}

/** Internal: a value that can never be cloned fails where it is reported, on every executor alike. */
export function checkProgressValue(value: unknown): void {
  if (typeof value === 'function' || typeof value === 'symbol') {
    throw new TypeError(`reportProgress() takes a value that can be cloned (structured clone), got a ${typeof value}`);
  }
}

/**
 * The `AbortSignal` of the task that is running in this worker thread or child process. It
 * is aborted when the task is cancelled through `submitWith({ signal })` or runs past its
 * timeout, so a long task can stop cleanly before the pool stops its worker. Outside a task
 * (and on the in-process `ThreadPoolExecutor`) it returns a signal that never aborts.
 *
 * @returns the running task's signal.
 * @example
 * ```ts
 * // tasks.ts, run on a ProcessPoolExecutor or WorkerThreadPoolExecutor
 * import { taskSignal } from '@concurrent/futures';
 * export async function crawl(url: string) {
 *   const response = await fetch(url, { signal: taskSignal() });
 *   return response.status;
 * }
 * ```
 */
export function taskSignal(): AbortSignal {
  return state.current?.signal ?? NEVER_ABORTED;
}

/**
 * Reports the running task's progress to its future: the caller sees `value` through
 * `future.addProgressCallback()` and `future.progress()`. Works on every executor; no Python
 * counterpart (`concurrent.futures` has no progress channel).
 *
 * - `value` crosses to the caller by structured clone (by JSON on a process pool with
 *   `serialization: 'json'`); a function or symbol throws `TypeError` here, and an object that
 *   cannot be cloned is dropped with a warning on the worker's stderr.
 * - Reports are coalesced, not queued: worker and process pools send the latest value at most
 *   every 20 ms while the task runs, and the last one with the task's result, so a tight loop
 *   may report millions of times without flooding the channel. The caller sees the values in
 *   order, maybe not every one, and always the last one before the result.
 * - A value reported after the task has ended is dropped.
 * - Outside a task it does nothing, as `taskSignal()` returns a signal that never aborts there:
 *   a task function still runs when called directly. On the event-loop `ThreadPoolExecutor`
 *   the running task is known only during its synchronous part (until its first `await`):
 *   an async task there takes its reporter first, with {@link taskProgress}.
 *
 * @param value - any value that can be cloned: a number, `{ done, total }`, a string...
 * @example
 * ```ts
 * // tasks.ts
 * import { reportProgress } from '@concurrent/futures';
 * export function sumTo(n: number): number {
 *   let sum = 0;
 *   for (let i = 1; i <= n; i++) {
 *     sum += i;
 *     if (i % 1_000 === 0) reportProgress(i / n); // cheap: coalesced in the worker
 *   }
 *   return sum;
 * }
 * ```
 */
export function reportProgress(value: unknown): void {
  const task = state.current;
  if (task !== undefined) {
    task.report(value);
    return;
  }
  checkProgressValue(value);
  if (state.eventLoopTasks > 0 && !state.warnedAfterAwait) {
    state.warnedAfterAwait = true;
    process.emitWarning(
      'reportProgress() was called with no task running here while ThreadPoolExecutor tasks are running: the event-loop pool knows its running task only until its first await. Take `const report = taskProgress()` at the start of the task and call report(value) instead.',
      { code: 'CONCURRENT_PROGRESS_OUTSIDE_TASK' },
    );
  }
}

/**
 * The running task's progress reporter: a function that reports for this task wherever it
 * is called later, after any `await`, and does nothing once the task has ended. What an async
 * task on the event-loop `ThreadPoolExecutor` calls before its first `await` (there a task's
 * context is known only during its synchronous part); on worker and process pools it is the
 * same as calling {@link reportProgress}. Outside a task it returns a reporter that does
 * nothing.
 *
 * @returns `report(value)`, as {@link reportProgress} for this task.
 * @example
 * ```ts
 * import { taskProgress } from '@concurrent/futures';
 * export async function download(urls: string[]) {
 *   const report = taskProgress(); // before the first await
 *   for (const [i, url] of urls.entries()) {
 *     await fetch(url);
 *     report({ done: i + 1, total: urls.length });
 *   }
 * }
 * ```
 */
export function taskProgress(): (value: unknown) => void {
  return state.current?.reporter() ?? checkProgressValue;
}

/** Internal: marks `task` as the running one (or none, with `undefined`). */
export function setCurrentTask(task: RunningTask | undefined): void {
  state.current = task;
}

/** Internal: the running task now, to put back after a nested one. */
export function currentTask(): RunningTask | undefined {
  return state.current;
}

/**
 * Internal: an event-loop task starts (`true`) or ends (`false`), so that a report made
 * after its first await, with no context in the slot, warns once instead of vanishing.
 */
export function enterEventLoopTask(entering: boolean): void {
  state.eventLoopTasks += entering ? 1 : -1;
}
