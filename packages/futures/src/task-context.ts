/**
 * The running task's AbortSignal, as `taskSignal()` hands it out.
 *
 * A worker runs one job at a time (the pool's invariant), so "the running task" is simply
 * the job between its start and its end, awaits included: a plain slot serves, with no
 * AsyncLocalStorage (whose promise hooks would slow every await in the worker).
 */

// On globalThis under a registered symbol: a task module that imports another copy of this
// package (or the dist build while the pool runs from src) still sees the same slot.
const SLOT = Symbol.for('@concurrent/futures.currentTask');

/** Internal: what a worker knows of the job it is running. */
export class TaskContext {
  #controller: AbortController | undefined;
  #aborted = false;
  #reason: unknown;

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
}

type Global = typeof globalThis & { [SLOT]?: TaskContext | undefined };

const NEVER_ABORTED = new AbortController().signal;

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
  return (globalThis as Global)[SLOT]?.signal ?? NEVER_ABORTED;
}

/** Internal: marks `context` as the running task's (or none, with `undefined`). */
export function setCurrentTask(context: TaskContext | undefined): void {
  (globalThis as Global)[SLOT] = context;
}
