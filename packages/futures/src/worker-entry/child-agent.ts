/**
 * The small thread every pool child runs beside its main thread, for what must happen even
 * while the main thread is busy in a task:
 *
 * - **Die with the parent.** A child learns that its parent died when its IPC channel
 *   closes, but only between tasks: a CPU-bound task holds the event loop, so after a
 *   SIGKILL of the parent (which runs no cleanup) a busy child would run on, orphaned,
 *   until its task ended, forever for a task that never does. The agent checks every
 *   WATCH_INTERVAL_MS whether the child was re-parented (its parent pid changed) and, if
 *   so, kills the child.
 * - **Give back jobs not started.** When the parent takes back jobs that it handed to this
 *   child ahead of time (claims.ts, decision 0009), the agent settles each one against the
 *   main thread through shared memory and answers over a pipe of its own (fd
 *   RECLAIM_FD_ENV), so the answer never waits for the task that holds the main thread.
 *
 * The thread runs with no execArgv (no loader to start), holds a tiny heap, and is unref'd:
 * it never keeps the child alive.
 *
 * @module
 */
import { Worker } from 'node:worker_threads';

/** How often the agent looks at the parent pid: the longest an orphan outlives its parent. */
export const WATCH_INTERVAL_MS = 200;

/** The environment variable naming the child's end of its reclaim pipe. */
export const RECLAIM_FD_ENV = 'CONCURRENT_FUTURES_RECLAIM_FD';

/** What the agent thread is started with. */
export interface AgentData {
  readonly ppid: number;
  readonly pid: number;
  readonly interval: number;
  /** The claims buffer shared with this child's runner. */
  readonly claims: SharedArrayBuffer;
  /** The reclaim pipe, when the parent opened one. */
  readonly fd: number | undefined;
}

/** The reclaim pipe's fd, read once: the variable is not passed on to what the child starts. */
const reclaimFd = ((): number | undefined => {
  const fd = Number(process.env[RECLAIM_FD_ENV]);
  delete process.env[RECLAIM_FD_ENV];
  return Number.isInteger(fd) && fd > 2 ? fd : undefined;
})();

/**
 * Starts the agent (best effort: a child that cannot start it still exits between tasks,
 * and the parent, never hearing that the agent is ready, takes nothing back from it).
 */
export function startAgent(claims: SharedArrayBuffer): void {
  const workerData: AgentData = { ppid: process.ppid, pid: process.pid, interval: WATCH_INTERVAL_MS, claims, fd: reclaimFd };
  try {
    const agent = new Worker(new URL('./child-agent-thread.js', import.meta.url), {
      execArgv: [],
      workerData,
      resourceLimits: { maxOldGenerationSizeMb: 8 },
      stdout: true,
      stderr: true,
    });
    agent.on('error', () => {});
    agent.unref();
  } catch {
    // Threads unavailable: the IPC channel still stops an idle child.
  }
}
