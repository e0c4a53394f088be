// Case 2: batched dispatch. map(identity, items, { chunksize: 500 }) over 100,000 items on 2
// workers, every result consumed in order, through our two executors and Python's
// ProcessPoolExecutor.map(fn, range(n), chunksize=500) when python3 is on the PATH.
import type { Executor } from '@concurrent/futures';
import { count, micros, times, verdict } from '../harness/format.js';
import { forceGc, numberParam } from '../harness/probe-kit.js';
import type { Case, CaseContext, CaseResult, Measurement, Params, Row } from '../harness/types.js';
import { workersLabel } from './format.js';
import { OURS_LABEL, OURS_NAMES, type OursName, startOurs } from './ours.js';
import { tasks } from './paths.js';
import { pythonVersion, runPython } from './python.js';
import { withResources } from '../harness/resources.js';
import { roundsText, runRounds } from './rounds.js';
import { PROBE_DEADLINE_MS, roundCounts, WORKERS } from './settings.js';

const CHUNKSIZE = 500;
/** Ours may cost at most this many times Python per item. */
const TARGET_RATIO = 1;
const MEASURED_ROUNDS = 5;

/** Runs the whole map and checks every item came back, in order. Returns milliseconds. */
async function mapPass(pool: Executor, items: readonly number[], chunksize: number): Promise<number> {
  const start = performance.now();
  let expected = 0;
  for await (const value of pool.map(tasks.identity, items, { chunksize })) {
    if (value !== expected++) throw new Error(`map returned ${value} where ${expected - 1} was due`);
  }
  const elapsed = performance.now() - start;
  if (expected !== items.length) throw new Error(`map returned ${expected} of ${items.length} items`);
  return elapsed;
}

async function oursProbe(variant: OursName, params: Params): Promise<Measurement> {
  const n = numberParam(params, 'n');
  const chunksize = numberParam(params, 'chunksize');
  const workers = numberParam(params, 'workers');
  const items = Array.from({ length: n }, (_, i) => i);
  return withResources(PROBE_DEADLINE_MS, async (resources) => {
    const started = performance.now();
    const pool = startOurs(variant, resources, workers);
    await pool.submit(tasks.identity, 0);
    const startupMs = performance.now() - started;
    const warmupMs = await mapPass(pool, items, chunksize);
    forceGc();
    const totalMs = await mapPass(pool, items, chunksize);
    return { n, chunksize, startupMs, warmupMs, totalMs, usPerItem: (totalMs * 1000) / n };
  });
}

async function pythonProbe(params: Params): Promise<Measurement> {
  const n = numberParam(params, 'n');
  const chunksize = numberParam(params, 'chunksize');
  const workers = numberParam(params, 'workers');
  const timings = await withResources(PROBE_DEADLINE_MS, (resources) =>
    runPython(resources, { workload: 'map', n, warmup: n, workers, chunksize }),
  );
  return { n, chunksize, ...timings, usPerItem: (timings.totalMs * 1000) / n };
}

function pythonNote(version: string | undefined): string {
  if (version === undefined) return 'Python skipped (python3 not on the PATH)';
  return `Python ${version}: a for loop over executor.map(identity, range(n), chunksize=${CHUNKSIZE})`;
}

async function run(context: CaseContext): Promise<CaseResult> {
  const n = context.quick ? 10_000 : 100_000;
  const { warmupRounds, rounds } = roundCounts(context.quick, MEASURED_ROUNDS);
  const python = pythonVersion();
  if (python === undefined) context.log('python3 is not on the PATH: skipping Python ProcessPoolExecutor.map (no verdict)');
  const variants: string[] = [...OURS_NAMES, ...(python === undefined ? [] : ['python'])];
  const samples = await runRounds(context, {
    variants,
    warmupRounds,
    rounds,
    params: () => ({ n, chunksize: CHUNKSIZE, workers: WORKERS }),
    describe: (variant, m) => `${variant} ${micros(m['usPerItem'] ?? NaN)}`,
  });
  const summary: Record<string, number> = {};
  for (const variant of variants) summary[`${variant}.usPerItem`] = samples.median(variant, 'usPerItem');
  const rows: Row[] = OURS_NAMES.map((variant) => {
    const row = {
      what: `map ×${count(n)} chunksize ${CHUNKSIZE} @${WORKERS}, µs/item: ${OURS_LABEL[variant]}`,
      ours: micros(samples.median(variant, 'usPerItem')),
      target: `≤ ${times(TARGET_RATIO)} Python`,
    };
    if (python === undefined) return { ...row, baseline: 'skipped (no python3)', ratio: '', verdict: 'info' };
    const ratio = samples.paired(variant, 'python', 'usPerItem');
    summary[`${variant}.overPython`] = ratio;
    return {
      ...row,
      baseline: `${micros(samples.median('python', 'usPerItem'))} (Python)`,
      ratio: times(ratio),
      verdict: verdict(ratio <= TARGET_RATIO),
    };
  });
  const spreads = variants.map((v) => `${v} ${samples.spread(v, 'usPerItem', 3)}`).join(', ');
  return {
    rows,
    summary,
    raw: { n, chunksize: CHUNKSIZE, workers: WORKERS, warmupRounds, rounds, python: python ?? null, samples: samples.all },
    notes: [
      `map: ${count(n)} integers through map(identity, items, { chunksize: ${CHUNKSIZE} }) on ${workersLabel(WORKERS)}, ` +
        `every result consumed in order with for await; ${pythonNote(python)}. ` +
        `Median of ${roundsText(warmupRounds, rounds)}, ` +
        `fresh child per variant; in each, pool start-up and one unmeasured map pass come first, then a forced GC. ` +
        `Ratios paired per round. Per-round µs/item: ${spreads}.`,
    ],
  };
}

/** Case 2 of the pools suite. */
export const map: Case = {
  name: 'map',
  title: `map with chunksize ${CHUNKSIZE}: per-item cost against Python`,
  probes: {
    'ours-process': (params) => oursProbe('ours-process', params),
    'ours-thread': (params) => oursProbe('ours-thread', params),
    python: pythonProbe,
  },
  run,
};
