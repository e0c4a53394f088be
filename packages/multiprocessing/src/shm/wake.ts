/**
 * Waking a waiter in another process at once, instead of at its next poll (poll.ts): a process
 * whose main thread waits on a shared object puts its pid in one of the object's wake slots,
 * and whoever changes the object signals the pids it finds there with SIGURG.
 *
 * SIGURG because its default action is to be ignored (a process that no longer listens, or a
 * pid that now names another process, is unharmed) and Node uses it for nothing. Signals reach
 * a process's main thread only: a worker thread's waits keep polling.
 *
 * @module
 */
import { isMainThread } from 'node:worker_threads';

const SIGNAL = 'SIGURG';

/** Sleeping polls of this thread, to wake at the signal. */
const sleepers = new Set<() => void>();
/** Signals seen: a poll that saw this number before its attempt sleeps only if it is unchanged. */
let wakes = 0;
let listening = false;

function onSignal(): void {
  wakes++;
  for (const wake of [...sleepers]) wake();
}

/** Whether waits in this thread can be woken by a signal. */
export const wakeable = isMainThread && process.platform !== 'win32';

/** The number of wake signals so far (listening from now on: the listener stays, unref'd, as Node's signal handles are). */
export function wakeCount(): number {
  if (!listening) {
    listening = true;
    process.on(SIGNAL, onSignal);
  }
  return wakes;
}

/**
 * Resolves after `ms`, or at once if a wake signal came since `since` (a {@link wakeCount}),
 * or at the next one.
 */
export function sleepUnlessWoken(ms: number, since: number): Promise<void> {
  if (wakes !== since) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      sleepers.delete(done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    sleepers.add(done);
  });
}

/** Puts this process's pid in a free slot; its index, or -1 when all are taken (then the wait polls). */
export function register(slots: Int32Array): number {
  // Listening before the pid is seen: a signal that came first would be ignored.
  wakeCount();
  for (let i = 0; i < slots.length; i++) if (Atomics.compareExchange(slots, i, 0, process.pid) === 0) return i;
  return -1;
}

export function unregister(slots: Int32Array, index: number): void {
  if (index >= 0) Atomics.compareExchange(slots, index, process.pid, 0);
}

/** Signals every other process registered in `slots`; this process's own waits are woken directly. */
export function wakeAll(slots: Int32Array): void {
  let self = false;
  const signalled = new Set<number>();
  for (let i = 0; i < slots.length; i++) {
    const pid = Atomics.load(slots, i);
    if (pid === 0 || signalled.has(pid)) continue;
    // This process's waiters are on its main thread: woken directly from there, by a signal
    // to ourselves from a worker thread.
    if (pid === process.pid && isMainThread) {
      self = true;
      continue;
    }
    signalled.add(pid);
    try {
      process.kill(pid, SIGNAL);
    } catch {
      // Gone: its slot is stale, and nothing waits there.
    }
  }
  if (self) queueMicrotask(onSignal);
}
