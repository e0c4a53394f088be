/**
 * Makes a pool child die with its parent even while its main thread is busy.
 *
 * A child learns that its parent died when its IPC channel closes, but only between tasks:
 * a CPU-bound task holds the event loop, so after a SIGKILL of the parent (which runs no
 * cleanup) a busy child would run on, orphaned, until its task ended, forever for a task
 * that never does. A small thread of its own checks every WATCH_INTERVAL_MS whether the
 * child was re-parented (its parent pid changed) and, if so, kills the child.
 *
 * The thread runs plain CommonJS with no execArgv (no loader to start), holds a tiny heap,
 * and is unref'd: it never keeps the child alive.
 *
 * @module
 */
import { Worker } from 'node:worker_threads';

/** How often the watch looks at the parent pid: the longest an orphan outlives its parent. */
export const WATCH_INTERVAL_MS = 200;

const WATCH_SOURCE = `
const { workerData } = require('node:worker_threads');
setInterval(() => {
  if (process.ppid !== workerData.ppid) process.kill(workerData.pid, 'SIGKILL');
}, workerData.interval);
`;

/** Starts the watch (best effort: a child that cannot start it still exits between tasks). */
export function watchParent(): void {
  try {
    const watch = new Worker(WATCH_SOURCE, {
      eval: true,
      execArgv: [],
      workerData: { ppid: process.ppid, pid: process.pid, interval: WATCH_INTERVAL_MS },
      resourceLimits: { maxOldGenerationSizeMb: 8 },
      stdout: true,
      stderr: true,
    });
    watch.on('error', () => {});
    watch.unref();
  } catch {
    // Threads unavailable: the IPC channel still stops an idle child.
  }
}
