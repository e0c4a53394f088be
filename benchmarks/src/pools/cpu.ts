// Case 3: real parallelism. fib(30) sixteen times: in-process, one after another (the
// sequential baseline), and submitted at once to a pool of 2 workers. 2 is the limit on 2
// workers. Each child alternates sequential and pooled passes and takes the speedup of each
// adjacent pair, so a burst of other load on the machine hits both sides of a ratio alike.
// Two raw forked children computing the same (no pool at all) show what the machine allows
// at the time: other load on the cores caps every speedup, ours included.
import { plural, times, verdict } from '../harness/format.js';
import { forceGc, numberParam } from '../harness/probe-kit.js';
import { median } from '../harness/stats.js';
import type { Case, CaseContext, CaseResult, Measurement, Params, Row } from '../harness/types.js';
import { millis, workersLabel } from './format.js';
import { OURS_LABEL, OURS_NAMES, type OursName, startOurs } from './ours.js';
import { tasks } from './paths.js';
import { RawPool } from './raw.js';
import { type Resources, withResources } from '../harness/resources.js';
import { roundsText, runRounds } from './rounds.js';
import { PROBE_DEADLINE_MS, roundCounts, WORKERS } from './settings.js';
import { fib } from './tasks.js';

/** The speedup over sequential must reach this (the limit is WORKERS). */
const TARGET_SPEEDUP = 1.9;
const TASKS = 16;
/** Timed (sequential, pooled) pairs per child, after one unmeasured pair. */
const PAIRS = 3;
const MEASURED_ROUNDS = 5;

type Pooled = OursName | 'raw-fork';
const POOLED: readonly Pooled[] = [...OURS_NAMES, 'raw-fork'];
const LABEL: Readonly<Record<Pooled, string>> = { ...OURS_LABEL, 'raw-fork': 'raw fork (2 children, no pool)' };

/** Starts `variant` with `workers` workers; the returned pass runs fib(n) `count` times on it. */
function startPooled(variant: Pooled, resources: Resources, workers: number): (n: number, count: number) => Promise<void> {
  if (variant === 'raw-fork') {
    const raw = RawPool.fork(resources, workers, 'raw-fork-fib.mjs');
    return (n, count) => raw.pipelined(Array.from({ length: count }, () => n));
  }
  const pool = startOurs(variant, resources, workers);
  return async (n, count) => {
    const results = await Promise.all(Array.from({ length: count }, () => pool.submit(tasks.fib, n)));
    if (results.some((value) => value !== results[0])) throw new Error('fib results differ');
  };
}

/** fib(n) `count` times in this thread; returns milliseconds. */
function sequentialPass(n: number, count: number): number {
  const start = performance.now();
  let sum = 0;
  for (let i = 0; i < count; i++) sum += fib(n);
  const elapsed = performance.now() - start;
  if (sum !== fib(n) * count) throw new Error('fib is not deterministic');
  return elapsed;
}

async function probe(variant: Pooled, params: Params): Promise<Measurement> {
  const n = numberParam(params, 'n');
  const count = numberParam(params, 'tasks');
  const workers = numberParam(params, 'workers');
  const pairs = numberParam(params, 'pairs');
  return withResources(PROBE_DEADLINE_MS, async (resources) => {
    const run = startPooled(variant, resources, workers);
    const pooledPass = async (): Promise<number> => {
      const start = performance.now();
      await run(n, count);
      return performance.now() - start;
    };
    // One unmeasured pair: JIT on both sides, and every worker started.
    sequentialPass(n, count);
    await pooledPass();
    const sequential: number[] = [];
    const pooled: number[] = [];
    const speedups: number[] = [];
    for (let i = 0; i < pairs; i++) {
      forceGc();
      const seqMs = sequentialPass(n, count);
      const poolMs = await pooledPass();
      sequential.push(seqMs);
      pooled.push(poolMs);
      speedups.push(seqMs / poolMs);
    }
    return {
      n,
      tasks: count,
      workers,
      pairs,
      sequentialMs: median(sequential),
      pooledMs: median(pooled),
      speedup: median(speedups),
    };
  });
}

async function run(context: CaseContext): Promise<CaseResult> {
  const n = context.quick ? 22 : 30;
  const pairs = context.quick ? 1 : PAIRS;
  const { warmupRounds, rounds } = roundCounts(context.quick, MEASURED_ROUNDS);
  const samples = await runRounds(context, {
    variants: POOLED,
    warmupRounds,
    rounds,
    params: () => ({ n, tasks: TASKS, workers: WORKERS, pairs }),
    describe: (variant, m) =>
      `${variant} ${millis(m['pooledMs'] ?? NaN)} (${times(m['speedup'] ?? NaN)} of ${millis(m['sequentialMs'] ?? NaN)})`,
  });
  const summary: Record<string, number> = {};
  const rows: Row[] = POOLED.map((variant) => {
    const speedup = samples.median(variant, 'speedup');
    const pooledMs = millis(samples.median(variant, 'pooledMs'));
    const sequentialMs = millis(samples.median(variant, 'sequentialMs'));
    summary[`${variant}.pooledMs`] = samples.median(variant, 'pooledMs');
    summary[`${variant}.sequentialMs`] = samples.median(variant, 'sequentialMs');
    summary[`${variant}.speedup`] = speedup;
    const ratio = `${times(speedup)} speedup`;
    if (variant === 'raw-fork') {
      const baseline = `${pooledMs} (of ${sequentialMs})`;
      return { what: `  ${LABEL[variant]}`, ours: '', baseline, ratio, target: '', verdict: 'info' };
    }
    return {
      what: `fib(${n}) ×${TASKS} @${WORKERS}, speedup: ${LABEL[variant]}`,
      ours: pooledMs,
      baseline: `${sequentialMs} (sequential)`,
      ratio,
      target: `≥ ${times(TARGET_SPEEDUP)}`,
      verdict: verdict(speedup >= TARGET_SPEEDUP),
    };
  });
  const spreads = POOLED.map((v) => `${v} ${samples.spread(v, 'speedup')}`).join(', ');
  return {
    rows,
    summary,
    raw: { n, tasks: TASKS, workers: WORKERS, pairs, warmupRounds, rounds, samples: samples.all },
    notes: [
      `CPU: fib(${n}) × ${TASKS}, sequentially in the probe's own thread and submitted at once to ${workersLabel(WORKERS)}. ` +
        `Each child runs one unmeasured (sequential, pooled) pair (JIT warm-up, worker start-up), then ${plural(pairs, 'timed pair')} ` +
        `(each after a forced GC) and reports the median of the per-pair speedups (sequential ms / pooled ms, ` +
        `measured back to back); the table shows the median over ${roundsText(warmupRounds, rounds)}. "raw fork" sends ` +
        `the ${TASKS} numbers to 2 forked children (fixtures/raw-fork-fib.mjs) with no pool: the speedup the machine ` +
        `allows at the time, which other load on its cores caps. Per-round speedups: ${spreads}.`,
    ],
  };
}

/** Case 3 of the pools suite. */
export const cpu: Case = {
  name: 'cpu',
  title: `CPU-bound: fib × ${TASKS} on ${WORKERS} workers against sequential`,
  probes: Object.fromEntries(POOLED.map((variant) => [variant, (params: Params) => probe(variant, params)])),
  run,
};
