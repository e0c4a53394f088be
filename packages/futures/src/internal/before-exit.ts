/**
 * Work a worker process does before it exits gracefully, bounded in time.
 *
 * A package whose objects talk to their owners over links of their own (`@concurrent/
 * multiprocessing`'s queues and pipes, over Unix sockets) registers a hook that half-closes
 * them and waits for each owner to read to the end. A pool's worker process that just exits
 * when the pool lets it go (shutdown, idle timeout, `maxTasksPerChild`) leaves its last frames
 * in the kernel: an owner that writes to it meanwhile gets EPIPE, and Node destroys the
 * owner's socket without reading them (a consumer's acknowledgements are lost, and the items
 * it took go to another consumer again).
 *
 * Only the graceful exit runs the hooks (the pool closed the worker's channel); a kill or a
 * crash does not wait for them. The hooks live on `globalThis` under a registered symbol, as
 * {@link onBeforeOutcome}'s do, so that every copy of either package in a thread shares them.
 * A thread that registered none exits at once, as before.
 *
 * @module
 */

const SLOT = Symbol.for('@concurrent/futures.beforeExit');
type Global = typeof globalThis & { [SLOT]?: (() => Promise<void>)[] };

/** How long an exiting worker waits for its hooks at most: then it exits anyway. */
export const BEFORE_EXIT_LIMIT_MS = 5_000;

/** Registers `hook`, awaited (with the others, for at most {@link BEFORE_EXIT_LIMIT_MS}) before a worker process exits gracefully. */
export function onBeforeExit(hook: () => Promise<void>): void {
  const g = globalThis as Global;
  (g[SLOT] ??= []).push(hook);
}

/**
 * Runs every hook of this thread and resolves once all have settled or `limitMs` passed; a
 * hook that throws or rejects does not keep the others or the exit back. Returns `undefined`
 * when no hook is registered, so that the caller exits in this very turn.
 */
export function runBeforeExit(limitMs = BEFORE_EXIT_LIMIT_MS): Promise<void> | undefined {
  const hooks = (globalThis as Global)[SLOT];
  if (hooks === undefined || hooks.length === 0) return undefined;
  const settled = Promise.allSettled(
    hooks.map(async (hook) => {
      await hook();
    }),
  );
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<void>((resolve) => {
    // Ref'd: the exit must come at the limit even if nothing else keeps the loop alive.
    timer = setTimeout(resolve, limitMs);
  });
  return Promise.race([settled.then(() => undefined), limit]).finally(() => clearTimeout(timer));
}
