// Case 2: scheduling fidelity. 10,000 tasks that each await a 10 ms timer at maxWorkers 100
// should take 10,000 / 100 × 10 ms = 1.0 s. Bare p-limit and bare timer chains (no limiter
// at all: 100 loops of 100 sequential sleeps) run the same schedule, to show how much of any
// excess is Node's own timer overshoot rather than the executor.
import { setTimeout as sleep } from 'node:timers/promises';
import { count, plural, seconds, times, verdict } from '../harness/format.js';
import { forceGc, numberParam } from '../harness/probe-kit.js';
import { median } from '../harness/stats.js';
import type { Case, CaseContext, CaseResult, Json, Measurement, Params, Row } from '../harness/types.js';
import { type Impl, makePool } from './pools.js';

const MAX_WORKERS = 100;
const DELAY_MS = 10;
/** Wall time may exceed the ideal by at most this fraction. */
const TOLERANCE = 0.05;

type Variant = Impl | 'bare';
const VARIANTS: readonly Variant[] = ['ours', 'p-limit', 'bare'];

/** n tasks of `sleep(delayMs)` through a pool; resolves when all are done. */
async function throughPool(impl: Impl, n: number, maxWorkers: number, delayMs: number): Promise<void> {
  const pool = makePool(impl, maxWorkers);
  const pending: PromiseLike<void>[] = [];
  for (let i = 0; i < n; i++) pending.push(pool.submit(() => sleep(delayMs)));
  await Promise.all(pending);
  await pool.close();
}

/** The same schedule with no limiter: `maxWorkers` loops, each sleeping n / maxWorkers times. */
async function bareChains(n: number, maxWorkers: number, delayMs: number): Promise<void> {
  const perChain = Math.ceil(n / maxWorkers);
  const chain = async (): Promise<void> => {
    for (let i = 0; i < perChain; i++) await sleep(delayMs);
  };
  await Promise.all(Array.from({ length: maxWorkers }, chain));
}

function schedule(variant: Variant, n: number, maxWorkers: number, delayMs: number): Promise<void> {
  return variant === 'bare' ? bareChains(n, maxWorkers, delayMs) : throughPool(variant, n, maxWorkers, delayMs);
}

async function probe(variant: Variant, params: Params): Promise<Measurement> {
  const n = numberParam(params, 'n');
  const maxWorkers = numberParam(params, 'maxWorkers');
  const delayMs = numberParam(params, 'delayMs');
  // A short unmeasured pass warms up the code paths (1 ms timers, a tenth of the tasks).
  await schedule(variant, Math.ceil(n / 10), maxWorkers, 1);
  forceGc();
  const start = performance.now();
  await schedule(variant, n, maxWorkers, delayMs);
  const wallMs = performance.now() - start;
  return { n, wallMs };
}

type Sample = { round: number; variant: Variant; wallMs: number } & { [key: string]: Json };

async function run(context: CaseContext): Promise<CaseResult> {
  const n = context.quick ? 1_000 : 10_000;
  const rounds = context.quick ? 1 : 3;
  const idealMs = (n / MAX_WORKERS) * DELAY_MS;
  const samples: Sample[] = [];
  for (let round = 1; round <= rounds; round++) {
    // Rotate the order so that each variant goes first once in three rounds.
    const order = VARIANTS.map((_, i) => VARIANTS[(i + round - 1) % VARIANTS.length] as Variant);
    const line: string[] = [];
    for (const variant of order) {
      const { wallMs = NaN } = await context.probe(variant, { n, maxWorkers: MAX_WORKERS, delayMs: DELAY_MS });
      samples.push({ round, variant, wallMs });
      line.push(`${variant} ${seconds(wallMs)}`);
    }
    context.log(`round ${round}/${rounds}: ${line.join(', ')}`);
  }
  const wall = (variant: Variant): number => median(samples.filter((s) => s.variant === variant).map((s) => s.wallMs));
  const ours = wall('ours');
  const pLimit = wall('p-limit');
  const bare = wall('bare');
  const what = `${count(n)} tasks × ${DELAY_MS} ms timer @${MAX_WORKERS}, wall`;
  const rows: Row[] = [
    {
      what,
      ours: seconds(ours),
      baseline: `${seconds(idealMs)} (ideal)`,
      ratio: times(ours / idealMs),
      target: `≤ ${times(1 + TOLERANCE)} ideal`,
      verdict: verdict(ours <= idealMs * (1 + TOLERANCE)),
    },
    {
      what: `  same, bare p-limit / bare timer chains`,
      ours: '',
      baseline: `${seconds(pLimit)} / ${seconds(bare)}`,
      ratio: `${times(pLimit / idealMs)} / ${times(bare / idealMs)}`,
      target: '',
      verdict: 'info',
    },
  ];
  return {
    rows,
    summary: { idealMs, oursMs: ours, pLimitMs: pLimit, bareMs: bare, oursOverIdeal: ours / idealMs },
    raw: { n, maxWorkers: MAX_WORKERS, delayMs: DELAY_MS, idealMs, rounds, samples },
    notes: [
      `Timers: median of ${plural(rounds, 'round')}; each variant runs in a fresh child after an unmeasured ` +
        `warm-up pass (1 ms timers, ${count(Math.ceil(n / 10))} tasks). "Bare timer chains" is the floor Node's timers allow ` +
        `for this schedule (${MAX_WORKERS} loops of ${Math.ceil(n / MAX_WORKERS)} sequential sleeps, no limiter).`,
    ],
  };
}

/** Case 2 of the foundation suite. */
export const timers: Case = {
  name: 'timers',
  title: `IO-shaped tasks: wall time against the ideal`,
  probes: {
    ours: (params) => probe('ours', params),
    'p-limit': (params) => probe('p-limit', params),
    bare: (params) => probe('bare', params),
  },
  run,
};
