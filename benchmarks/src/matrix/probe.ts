// What runs inside a probe child: one workload on one executor. The pool is started and one
// task awaited (start-up, reported apart), then an unmeasured warm-up pass (JIT, every
// worker started, sockets opened), a forced GC, and the timed pass: all `n` tasks submitted
// at once, all awaited. The sequential baseline runs the same passes as a plain loop.
// Progress (tasks done, counted from the executor's `done` events) goes to the parent a few
// times a second for its progress bar.
import type { Executor, Future } from '@concurrent/futures';
import { type Progress, sendProgress } from '../harness/child.js';
import { forceGc, numberParam } from '../harness/probe-kit.js';
import { withResources } from '../harness/resources.js';
import type { Measurement, Params } from '../harness/types.js';
import { type ExecutorName, type PoolName, startPool } from './executors.js';
import { childPeakRssKiB, ownPeakRssKiB } from './memory.js';
import type { BoundWorkload, Workload } from './workloads.js';

/** A probe taking longer than this fails (its pools killed) instead of hanging the run. */
const PROBE_DEADLINE_MS = 120_000;
/** How often a probe reports progress: often enough for a smooth bar, rare enough to cost nothing. */
const PROGRESS_INTERVAL_MS = 100;
/** The warm-up pass runs this share of the timed pass's tasks. */
export const WARMUP_SHARE = 0.5;

export function warmupCount(n: number): number {
  return Math.ceil(n * WARMUP_SHARE);
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function';
}

/** Reports `progress()` every PROGRESS_INTERVAL_MS until stopped (and once more at the end). */
function reportProgress(progress: () => Progress): () => void {
  const timer = setInterval(() => sendProgress(progress()), PROGRESS_INTERVAL_MS);
  timer.unref();
  return () => {
    clearInterval(timer);
    sendProgress(progress());
  };
}

function checked(workload: BoundWorkload, results: readonly unknown[], first: number): void {
  results.forEach((value, k) => {
    if (!workload.check(value, first + k)) throw new Error(`task ${first + k} returned ${JSON.stringify(value)}`);
  });
}

/** The sequential pass: tasks `first`..`first+count-1`, one after the other, in this thread; ms. */
async function sequentialPass(workload: BoundWorkload, first: number, count: number, tick: () => void): Promise<number> {
  const results: unknown[] = [];
  const start = performance.now();
  let yielded = start;
  for (let i = first; i < first + count; i++) {
    const value = workload.direct(i);
    results.push(isThenable(value) ? await value : value);
    tick();
    // Let the progress timer run now and then during synchronous (CPU) work: one macrotask
    // turn every PROGRESS_INTERVAL_MS costs microseconds.
    if (performance.now() - yielded > PROGRESS_INTERVAL_MS) {
      await new Promise((resolve) => setImmediate(resolve));
      yielded = performance.now();
    }
  }
  const ms = performance.now() - start;
  checked(workload, results, first);
  return ms;
}

/** The pooled pass: tasks submitted at once, all awaited; ms. */
async function pooledPass(workload: BoundWorkload, executor: Executor, first: number, count: number): Promise<number> {
  const start = performance.now();
  const futures: PromiseLike<unknown>[] = [];
  for (let i = first; i < first + count; i++) futures.push(workload.submit(executor, i));
  const results = await Promise.all(futures);
  const ms = performance.now() - start;
  checked(workload, results, first);
  return ms;
}

async function sequentialProbe(workload: BoundWorkload): Promise<Measurement> {
  const { n } = workload;
  const warm = warmupCount(n);
  let done = 0;
  const stop = reportProgress(() => ({ done, total: warm + n }));
  try {
    const warmupMs = await sequentialPass(workload, 0, warm, () => done++);
    forceGc();
    const wallMs = await sequentialPass(workload, 0, n, () => done++);
    return { n, workers: 1, warmupMs, wallMs, parentPeakRssKiB: ownPeakRssKiB() };
  } finally {
    stop();
  }
}

async function pooledProbe(workload: BoundWorkload, name: PoolName, workers: number): Promise<Measurement> {
  const { n } = workload;
  const warm = warmupCount(n);
  return withResources(PROBE_DEADLINE_MS, async (resources) => {
    let done = 0;
    const stop = reportProgress(() => ({ done, total: 1 + warm + n }));
    try {
      const started = performance.now();
      const executor = startPool(name, resources, workers);
      const pids = new Set<number>();
      executor.on('workerStart', (info) => {
        if (info.pid !== undefined) pids.add(info.pid);
      });
      executor.on('done', (_future: Future<unknown>) => done++);
      const first = await workload.submit(executor, 0);
      if (!workload.check(first, 0)) throw new Error(`the first task returned ${JSON.stringify(first)}`);
      const startupMs = performance.now() - started;
      const warmupMs = await pooledPass(workload, executor, 0, warm);
      forceGc();
      const wallMs = await pooledPass(workload, executor, 0, n);
      const measurement: Record<string, number> = { n, workers, startupMs, warmupMs, wallMs, parentPeakRssKiB: ownPeakRssKiB() };
      // Children's peaks, read while they are alive (shutdown ends them).
      const peaks = [...pids].map(childPeakRssKiB);
      if (pids.size > 0 && peaks.every((peak) => peak !== undefined)) {
        measurement['workerProcesses'] = pids.size;
        measurement['workersPeakRssKiB'] = peaks.reduce((sum, peak) => sum + peak, 0);
      }
      return measurement;
    } finally {
      stop();
    }
  });
}

/** The probe of `workload` on `executor`: what the child runs. */
export function matrixProbe(workload: Workload, executor: ExecutorName): (params: Params) => Promise<Measurement> {
  return (params) => {
    const bound = workload.bind(params);
    if (executor === 'sequential') return sequentialProbe(bound);
    return pooledProbe(bound, executor, numberParam(params, 'workers'));
  };
}
