import { AsyncLocalStorage } from 'node:async_hooks';

// Kept on globalThis under a registered symbol: a task module that imports another copy of
// this package (or the dist build while the pool runs from src) still sees the same store.
const STORE_KEY = Symbol.for('@concurrent/futures.taskContext');

interface TaskContext {
  readonly signal: AbortSignal;
}

type Global = typeof globalThis & { [STORE_KEY]?: AsyncLocalStorage<TaskContext> };

function store(): AsyncLocalStorage<TaskContext> {
  const global = globalThis as Global;
  return (global[STORE_KEY] ??= new AsyncLocalStorage<TaskContext>());
}

const NEVER_ABORTED = new AbortController().signal;

/**
 * The `AbortSignal` of the task that is running, wherever it runs (event loop, worker
 * thread, child process). It is aborted when the task is cancelled through
 * `submitWith({ signal })` or runs past its timeout, so a long task can stop cleanly before
 * the pool stops its worker. Outside a task it returns a signal that never aborts.
 *
 * @returns the running task's signal.
 * @example
 * ```ts
 * // tasks.ts
 * import { taskSignal } from '@concurrent/futures';
 * export async function crawl(url: string) {
 *   const response = await fetch(url, { signal: taskSignal() });
 *   return response.status;
 * }
 * ```
 */
export function taskSignal(): AbortSignal {
  return store().getStore()?.signal ?? NEVER_ABORTED;
}

/** Internal: runs `fn` with `signal` as its task signal. */
export function runWithSignal<R>(signal: AbortSignal, fn: () => R): R {
  return store().run({ signal }, fn);
}
