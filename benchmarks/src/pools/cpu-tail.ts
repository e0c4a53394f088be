// The tail of a CPU-bound run (decision 0009, issue 9). fib(31) × 32 submitted at once on 2
// workers takes, at best, 16 tasks' time: both workers busy to the end. A pool that binds the
// last tasks to one worker early (prefetch) leaves the other idle while that one finishes
// them: a tail. The raw floors have none by construction: 2 forked children, or 2 raw
// worker_threads, each sent every other number up front (16 each, round-robin), with no pool
// in between. Each of ours is compared with the raw floor of its kind.
import { times, verdict } from '../harness/format.js';
import { forceGc, numberParam } from '../harness/probe-kit.js';
import { type Resources, withResources } from '../harness/resources.js';
import type { Case, CaseContext, CaseResult, Measurement, Params, Row } from '../harness/types.js';
import { millis, workersLabel } from './format.js';
import { OURS_LABEL, type OursName, startOurs } from './ours.js';
import { tasks } from './paths.js';
import { RawPool } from './raw.js';
import { roundsText, runRounds } from './rounds.js';
import { PROBE_DEADLINE_MS, roundCounts, WORKERS } from './settings.js';

/** Ours may take at most this many times the raw floor of its kind. */
const TARGET_RATIO = 1.03;
const TASKS = 32;
const MEASURED_ROUNDS = 7;

type Variant = OursName | 'raw-fork' | 'raw-thread';
const VARIANTS: readonly Variant[] = ['ours-process', 'raw-fork', 'ours-thread', 'raw-thread'];
const FLOOR: Readonly<Record<OursName, Variant>> = { 'ours-process': 'raw-fork', 'ours-thread': 'raw-thread' };
const LABEL: Readonly<Record<Variant, string>> = {
  ...OURS_LABEL,
  'raw-fork': `raw fork (${WORKERS} children, round-robin)`,
  'raw-thread': `raw worker_threads (${WORKERS} threads, round-robin)`,
};

/** Starts `variant` with `workers` workers; the returned pass runs fib(n) `count` times at once on it. */
function start(variant: Variant, resources: Resources, workers: number): (n: number, count: number) => Promise<void> {
  if (variant === 'raw-fork' || variant === 'raw-thread') {
    const raw =
      variant === 'raw-fork'
        ? RawPool.fork(resources, workers, 'raw-fork-fib.mjs')
        : RawPool.threads(resources, workers, 'raw-thread-fib.mjs');
    return (n, count) => raw.pipelined(Array.from({ length: count }, () => n));
  }
  const pool = startOurs(variant, resources, workers);
  return async (n, count) => {
    const results = await Promise.all(Array.from({ length: count }, () => pool.submit(tasks.fib, n)));
    if (results.some((value) => value !== results[0])) throw new Error(`fib results differ: ${results.join(', ')}`);
  };
}

async function probe(variant: Variant, params: Params): Promise<Measurement> {
  const n = numberParam(params, 'n');
  const count = numberParam(params, 'tasks');
  const workers = numberParam(params, 'workers');
  return withResources(PROBE_DEADLINE_MS, async (resources) => {
    const pass = start(variant, resources, workers);
    // One unmeasured pass: every worker started, fib optimized in each.
    const warmStart = performance.now();
    await pass(n, count);
    const warmupMs = performance.now() - warmStart;
    forceGc();
    const timedStart = performance.now();
    await pass(n, count);
    return { n, tasks: count, workers, warmupMs, wallMs: performance.now() - timedStart };
  });
}

async function run(context: CaseContext): Promise<CaseResult> {
  const n = context.quick ? 22 : 31;
  const { warmupRounds, rounds } = roundCounts(context.quick, MEASURED_ROUNDS);
  const samples = await runRounds(context, {
    variants: VARIANTS,
    warmupRounds,
    rounds,
    params: () => ({ n, tasks: TASKS, workers: WORKERS }),
    describe: (variant, m) => `${variant} ${millis(m['wallMs'] ?? NaN)}`,
  });
  const med = (variant: Variant): number => samples.median(variant, 'wallMs');
  const best = (variant: Variant): number => Math.min(...samples.values(variant, 'wallMs'));
  const cell = (variant: Variant): string => `${millis(med(variant))} (best ${millis(best(variant))})`;
  const head = `fib(${n}) ×${TASKS} @${WORKERS}, wall`;
  const summary: Record<string, number> = {};
  for (const variant of VARIANTS) {
    summary[`${variant}.wallMs`] = med(variant);
    summary[`${variant}.bestWallMs`] = best(variant);
  }
  const rows: Row[] = (['ours-process', 'ours-thread'] as const).map((ours) => {
    const floor = FLOOR[ours];
    const paired = samples.paired(ours, floor, 'wallMs');
    const bestRatio = best(ours) / best(floor);
    summary[`${ours}.overFloor`] = paired;
    summary[`${ours}.bestOverBestFloor`] = bestRatio;
    return {
      what: `${head}: ${OURS_LABEL[ours]}`,
      ours: cell(ours),
      baseline: `${cell(floor)} (${LABEL[floor]})`,
      ratio: `${times(paired)} (best ${times(bestRatio)})`,
      target: `≤ ${times(TARGET_RATIO)} raw floor`,
      verdict: verdict(paired <= TARGET_RATIO),
    };
  });
  const spreads = VARIANTS.map((v) => `${v} ${samples.spread(v, 'wallMs', 0)}`).join(', ');
  return {
    rows,
    summary,
    raw: { n, tasks: TASKS, workers: WORKERS, warmupRounds, rounds, samples: samples.all },
    notes: [
      `CPU tail: fib(${n}) × ${TASKS} submitted at once on ${workersLabel(WORKERS)}, default options, all awaited. ` +
        `Raw floors, no pool: ${WORKERS} forked children (fixtures/raw-fork-fib.mjs) or ${WORKERS} worker_threads ` +
        `(fixtures/raw-thread-fib.mjs), all ${TASKS} numbers sent at once round-robin (${TASKS / WORKERS} each), ` +
        `replies counted. Each contender runs in a fresh child per round, order rotated: one unmeasured pass ` +
        `(workers started, fib optimized), a forced GC, one timed pass. Median and best of ` +
        `${roundsText(warmupRounds, rounds)}; the ratio is ours ÷ the raw floor of our kind, the median of the ` +
        `per-round ratios (the verdict's), and best ÷ best. Per-round ms: ${spreads}.`,
    ],
  };
}

/** Case 8 of the pools suite. */
export const cpuTail: Case = {
  name: 'cpu-tail',
  title: `CPU-bound tail: fib × ${TASKS} on ${WORKERS} workers against the raw floors`,
  probes: Object.fromEntries(VARIANTS.map((variant) => [variant, (params: Params) => probe(variant, params)])),
  run,
};
