// Case 1: dispatch overhead. 100,000 trivial async tasks at maxWorkers 100 through our
// ThreadPoolExecutor and through bare p-limit, each in its own fresh child, interleaved
// (the order rotates every round), medians over the measured rounds. A third variant awaits
// our futures with wait() instead of Promise.all, to show how much of our cost is awaiting
// 100k thenables rather than running the tasks.
import { ThreadPoolExecutor, wait } from '@concurrent/futures';
import { count, micros, plural, times, verdict } from '../harness/format.js';
import { forceGc, numberParam } from '../harness/probe-kit.js';
import { median, range } from '../harness/stats.js';
import type { Case, CaseContext, CaseResult, Json, Measurement, Params, Row } from '../harness/types.js';
import { makePool, submitAllTrivial } from './pools.js';

const MAX_WORKERS = 100;
/** Whole rounds (a child per variant) run first and thrown away. */
const WARMUP_ROUNDS = 1;
/** Our executor may cost at most this many times bare p-limit per task. */
const TARGET_RATIO = 2;

type Variant = 'ours' | 'p-limit' | 'ours-wait';
const VARIANTS: readonly Variant[] = ['ours', 'p-limit', 'ours-wait'];

/** The same workload as {@link submitAllTrivial}, awaited with `wait()` instead of `Promise.all`. */
async function submitAllThenWait(items: readonly number[], maxWorkers: number): Promise<{ submitMs: number; totalMs: number }> {
  const executor = new ThreadPoolExecutor({ maxWorkers });
  const start = performance.now();
  // eslint-disable-next-line @typescript-eslint/require-await -- the workload is a trivial *async* function
  const futures = items.map((i) => executor.submit(async () => i));
  const submitted = performance.now();
  await wait(futures);
  const end = performance.now();
  await executor.shutdown();
  return { submitMs: submitted - start, totalMs: end - start };
}

async function pass(variant: Variant, items: readonly number[], maxWorkers: number): Promise<{ submitMs: number; totalMs: number }> {
  if (variant === 'ours-wait') return submitAllThenWait(items, maxWorkers);
  const pool = makePool(variant, maxWorkers);
  const timing = await submitAllTrivial(pool, items);
  await pool.close();
  return timing;
}

async function probe(variant: Variant, params: Params): Promise<Measurement> {
  const n = numberParam(params, 'n');
  const maxWorkers = numberParam(params, 'maxWorkers');
  const items = Array.from({ length: n }, (_, i) => i);
  // One unmeasured pass in the same process first, so that the timed pass runs optimised code.
  await pass(variant, items, maxWorkers);
  forceGc();
  const { submitMs, totalMs } = await pass(variant, items, maxWorkers);
  return { n, submitMs, totalMs, usPerTask: (totalMs * 1000) / n };
}

type Sample = { round: number; warmup: boolean; variant: Variant } & { [key: string]: Json };

async function run(context: CaseContext): Promise<CaseResult> {
  const n = context.quick ? 10_000 : 100_000;
  const rounds = context.quick ? 1 : 7;
  const samples: Sample[] = [];
  for (let round = 1; round <= WARMUP_ROUNDS + rounds; round++) {
    const warmup = round <= WARMUP_ROUNDS;
    // Rotate the order so that no variant always runs first (on a "cooler" machine).
    const order = VARIANTS.map((_, i) => VARIANTS[(i + round - 1) % VARIANTS.length] as Variant);
    const line: string[] = [];
    for (const variant of order) {
      const measurement = await context.probe(variant, { n, maxWorkers: MAX_WORKERS });
      samples.push({ round, warmup, variant, ...measurement });
      line.push(`${variant} ${micros(measurement['usPerTask'] ?? NaN)}/task`);
    }
    context.log(`round ${round}/${WARMUP_ROUNDS + rounds}${warmup ? ' (warm-up, discarded)' : ''}: ${line.join(', ')}`);
  }
  const measured = (variant: Variant, key: string): number[] =>
    samples.filter((s) => !s.warmup && s.variant === variant).map((s) => Number(s[key]));
  const perTask = (variant: Variant): number => median(measured(variant, 'usPerTask'));
  const submitShare = (variant: Variant): number => median(measured(variant, 'submitMs')) / median(measured(variant, 'totalMs'));
  const spread = (variant: Variant): string => {
    const { min, max } = range(measured(variant, 'usPerTask'));
    return `${min.toFixed(2)}–${max.toFixed(2)}`;
  };
  const ours = perTask('ours');
  const baseline = perTask('p-limit');
  const viaWait = perTask('ours-wait');
  const rows: Row[] = [
    {
      what: `${count(n)} trivial async tasks @${MAX_WORKERS}, µs/task`,
      ours: micros(ours),
      baseline: `${micros(baseline)} (p-limit)`,
      ratio: times(ours / baseline),
      target: `≤ ${TARGET_RATIO}× p-limit`,
      verdict: verdict(ours / baseline <= TARGET_RATIO),
    },
    {
      what: '  same, ours awaited with wait()',
      ours: micros(viaWait),
      baseline: `${micros(baseline)} (p-limit)`,
      ratio: times(viaWait / baseline),
      target: '',
      verdict: 'info',
    },
  ];
  return {
    rows,
    summary: {
      oursUsPerTask: ours,
      pLimitUsPerTask: baseline,
      oursWaitUsPerTask: viaWait,
      ratio: ours / baseline,
      oursSubmitShare: submitShare('ours'),
      pLimitSubmitShare: submitShare('p-limit'),
    },
    raw: { n, maxWorkers: MAX_WORKERS, warmupRounds: WARMUP_ROUNDS, rounds, samples },
    notes: [
      `Throughput: median of ${plural(rounds, 'measured round')}; the ${plural(WARMUP_ROUNDS, 'warm-up round')} before them excluded. ` +
        `Each round runs every variant in its own fresh child process (order rotated every round); each child ` +
        `also does one unmeasured pass of the same workload, then a forced GC, then the timed pass ` +
        `(submit all, then \`await Promise.all(...)\`). Per-round µs/task: ours ${spread('ours')}, ` +
        `p-limit ${spread('p-limit')}, ours+wait() ${spread('ours-wait')}. Share of the time spent submitting: ` +
        `ours ${(submitShare('ours') * 100).toFixed(0)} %, p-limit ${(submitShare('p-limit') * 100).toFixed(0)} %.`,
    ],
  };
}

/** Case 1 of the foundation suite. */
export const throughput: Case = {
  name: 'throughput',
  title: 'ThreadPoolExecutor vs bare p-limit: per-task overhead',
  probes: {
    ours: (params) => probe('ours', params),
    'p-limit': (params) => probe('p-limit', params),
    'ours-wait': (params) => probe('ours-wait', params),
  },
  run,
};
