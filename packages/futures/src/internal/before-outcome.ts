/**
 * Writes that a task queued for the end of its turn, sent before the task's outcome.
 *
 * A package whose objects batch their writes (`@concurrent/multiprocessing` writes a queue's
 * puts and a pipe's messages at `process.nextTick`, so that a stream of small items leaves in
 * one write) registers a hook that writes what is batched now. A worker's runner calls the
 * hooks before every message it sends to its pool (an outcome, `ready`, an initializer's
 * error): a job's outcome may leave in the very turn the job finished, before that turn's
 * ticks, and the pool may end the worker as soon as it arrives (a shutdown terminates a worker
 * thread at once). A put the task made before it returned would go down with the thread.
 *
 * The hooks live on `globalThis` under a registered symbol, per thread, so that every copy of
 * either package in a thread (src beside dist under a test runner) shares them.
 *
 * @module
 */

const SLOT = Symbol.for('@concurrent/futures.beforeOutcome');
type Global = typeof globalThis & { [SLOT]?: (() => void)[] };

/** Registers `hook` (synchronous: it hands what is batched to the kernel or to shared memory). */
export function onBeforeOutcome(hook: () => void): void {
  const g = globalThis as Global;
  (g[SLOT] ??= []).push(hook);
}

/** Runs every hook of this thread; one that throws does not keep the others or the outcome back. */
export function runBeforeOutcome(): void {
  const hooks = (globalThis as Global)[SLOT];
  if (hooks === undefined) return;
  for (const hook of hooks) {
    try {
      hook();
    } catch {
      // The writes are lost either way; the outcome must still leave.
    }
  }
}
