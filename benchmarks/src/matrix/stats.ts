// From a workload's per-round samples to one row of numbers per (executor, workers): medians,
// and ratios to the sequential baseline paired per round (the baseline and the executor ran
// in the same round, minutes apart at most, under the same background load).
import { median, range } from '../harness/stats.js';
import { type ExecutorName, usesCores } from './executors.js';
import type { WorkloadKind } from './workloads.js';

/** One probe's numbers, tagged with where it ran. */
export interface MatrixSample {
  readonly round: number;
  readonly executor: ExecutorName;
  readonly workers: number;
  readonly measurement: Readonly<Record<string, number>>;
}

/** The numbers of one table row. */
export interface RowStats {
  readonly executor: ExecutorName;
  readonly workers: number;
  /** Median wall time of the timed pass, ms. */
  readonly wallMs: number;
  readonly wallMinMs: number;
  readonly wallMaxMs: number;
  /** Median over rounds of sequential ms / this ms. */
  readonly speedup: number;
  /** speedup / min(workers, cores). */
  readonly efficiency: number;
  /** Median over rounds of (wall × ideal parallelism − sequential) / tasks, µs; undefined for the baseline. */
  readonly overheadUs: number | undefined;
  /** The parallelism the overhead assumes (see {@link idealParallelism}). */
  readonly idealParallelism: number;
  /** Median peak RSS of the probe process (threads included), MiB. */
  readonly parentPeakMiB: number;
  /** Median sum of the worker processes' peak RSS, MiB; undefined without worker processes. */
  readonly workersPeakMiB: number | undefined;
  /** Median pool start-up (construct → first result), ms; undefined for the baseline. */
  readonly startupMs: number | undefined;
}

const KIB_PER_MIB = 1024;

/**
 * How many tasks could at best run at once: what a per-task overhead is measured against.
 * CPU-bound work can use min(workers, cores) cores on the worker and process pools and one
 * on ThreadPoolExecutor (its tasks share the event loop); waits (IO, mixed) overlap on any
 * executor, one per worker; tiny tasks are dispatched one by one by the parent, so their
 * overhead is simply wall time / tasks.
 */
export function idealParallelism(kind: WorkloadKind, executor: ExecutorName, workers: number, cores: number): number {
  if (executor === 'sequential' || kind === 'tiny') return 1;
  if (kind === 'io' || kind === 'mixed') return workers;
  return usesCores(executor) ? Math.min(workers, cores) : 1;
}

function pick(samples: readonly MatrixSample[], executor: ExecutorName, workers: number): MatrixSample[] {
  return samples.filter((s) => s.executor === executor && (executor === 'sequential' || s.workers === workers));
}

function value(sample: MatrixSample, key: string): number {
  return sample.measurement[key] ?? NaN;
}

/** The row of `executor` at `workers` from a workload's samples. */
export function rowStats(
  samples: readonly MatrixSample[],
  executor: ExecutorName,
  workers: number,
  kind: WorkloadKind,
  tasks: number,
  cores: number,
): RowStats {
  const own = pick(samples, executor, workers);
  const baseline = pick(samples, 'sequential', 1);
  if (own.length === 0 || baseline.length === 0) throw new RangeError(`no samples of ${executor} at ${workers} workers`);
  const ideal = idealParallelism(kind, executor, workers, cores);
  const speedups: number[] = [];
  const overheads: number[] = [];
  for (const sample of own) {
    const sequential = baseline.find((s) => s.round === sample.round);
    if (sequential === undefined) continue;
    const seqMs = value(sequential, 'wallMs');
    const ms = value(sample, 'wallMs');
    speedups.push(seqMs / ms);
    overheads.push(((ms * ideal - seqMs) * 1000) / tasks);
  }
  const walls = own.map((s) => value(s, 'wallMs'));
  const { min, max } = range(walls);
  const speedup = speedups.length === 0 ? NaN : median(speedups);
  const workersPeaks = own.map((s) => s.measurement['workersPeakRssKiB']).filter((v): v is number => v !== undefined);
  const startups = own.map((s) => s.measurement['startupMs']).filter((v): v is number => v !== undefined);
  return {
    executor,
    workers,
    wallMs: median(walls),
    wallMinMs: min,
    wallMaxMs: max,
    speedup,
    efficiency: speedup / Math.min(workers, cores),
    overheadUs: executor === 'sequential' || overheads.length === 0 ? undefined : median(overheads),
    idealParallelism: ideal,
    parentPeakMiB: median(own.map((s) => value(s, 'parentPeakRssKiB'))) / KIB_PER_MIB,
    workersPeakMiB: workersPeaks.length === own.length ? median(workersPeaks) / KIB_PER_MIB : undefined,
    startupMs: startups.length === 0 ? undefined : median(startups),
  };
}
