/**
 * When a pool takes back jobs it handed to a busy worker ahead of time (decision 0009), and
 * which ones. The mechanics (claims.ts, the handles) make a take-back exact; this module only
 * decides.
 *
 * - A worker whose running job has outlasted what the recent jobs took is *overdue*: it is
 *   handed nothing more ahead of time, since whatever it gets would wait for an unknown time.
 * - An idle worker takes jobs back from the busy worker holding the most not yet started:
 *   all of them from an overdue worker, else the later half (the ones that would wait
 *   longest; on equal tasks, this evens out the last jobs of a run between the workers).
 *
 * @module
 */
import { hasTransfers, type PoolJob, type PoolWorker } from './pool-parts.js';

/** A running job is overdue once it ran this much longer than the recent jobs' average... */
const OVERDUE_FACTOR = 4;
/** ...and at least this long, so that the parent's own delays in hearing back do not count. */
const OVERDUE_MIN_MS = 2;

/**
 * Whether `worker`'s running job has run past what its jobs are expected to take.
 *
 * @param expectedMs - the recent jobs' average run time (NaN before any was timed).
 */
export function isOverdue(worker: PoolWorker, now: number, expectedMs: number): boolean {
  if (worker.inflight.length === 0) return false;
  const limit = Math.max(OVERDUE_MIN_MS, Number.isNaN(expectedMs) ? 0 : OVERDUE_FACTOR * expectedMs);
  return now - worker.headSince > limit;
}

/**
 * Jobs `worker` holds behind the one it runs that may be asked back: not those whose
 * buffers were transferred to it, which can run nowhere else, nor those known to have started.
 */
function waiting(worker: PoolWorker): PoolJob[] {
  return worker.inflight.slice(1).filter((job) => !job.stopped && !job.reclaiming && !job.started && !hasTransfers(job));
}

/** What one idle worker should take back, and from whom; undefined if nothing. */
export function chooseReclaim(
  workers: Iterable<PoolWorker>,
  now: number,
  expectedMs: number,
): { readonly victim: PoolWorker; readonly jobs: PoolJob[] } | undefined {
  let victim: PoolWorker | undefined;
  let jobs: PoolJob[] = [];
  for (const worker of workers) {
    // Only from a worker that can answer: one whose agent never started keeps its jobs.
    if (worker.retiring || worker.exiting || worker.killedFor !== undefined || !worker.handle.canReclaim) continue;
    const candidates = waiting(worker);
    if (candidates.length > jobs.length) {
      victim = worker;
      jobs = candidates;
    }
  }
  if (victim === undefined) return undefined;
  const take = isOverdue(victim, now, expectedMs) ? jobs.length : Math.ceil(jobs.length / 2);
  return { victim, jobs: jobs.slice(jobs.length - take) };
}
