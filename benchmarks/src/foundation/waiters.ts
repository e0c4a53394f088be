// Case 3: wait() and asCompleted() must be linear. Each is called over n already-created,
// pending futures; a setImmediate then completes them one by one with setResult. Time per
// future at 10k and at 100k should be about equal (quadratic would be 10× worse at 100k).
// V8 itself is not size-neutral (100k live objects outgrow the young generation and get
// promoted and marked), so `Promise.all` over n native promises, resolved the same way, is
// measured too: the floor for how much per-item cost may grow with n on this machine.
import { asCompleted, Future, wait } from '@concurrent/futures';
import { count, micros, plural, times, verdict } from '../harness/format.js';
import { forceGc, numberParam } from '../harness/probe-kit.js';
import { median } from '../harness/stats.js';
import type { Case, CaseContext, CaseResult, Json, Measurement, Params, Row } from '../harness/types.js';

type Api = 'wait' | 'asCompleted' | 'native';
const APIS: readonly Api[] = ['wait', 'asCompleted', 'native'];
/**
 * Per-future time at the large size may be at most this many times that at the small one,
 * times the growth native `Promise.all` shows on the same machine (when that is above 1).
 */
const TARGET_RATIO = 2;

async function consume(api: Exclude<Api, 'native'>, futures: readonly Future<number>[]): Promise<number> {
  if (api === 'wait') {
    const { done } = await wait(futures);
    return done.size;
  }
  let seen = 0;
  for await (const _future of asCompleted(futures)) seen++;
  return seen;
}

/** Milliseconds from the call to the last future observed, completion loop included. */
async function futuresPass(api: Exclude<Api, 'native'>, n: number): Promise<number> {
  const futures = Array.from({ length: n }, () => new Future<number>());
  const start = performance.now();
  const consumed = consume(api, futures);
  setImmediate(() => {
    for (let i = 0; i < n; i++) (futures[i] as Future<number>).setResult(i);
  });
  const seen = await consumed;
  const elapsed = performance.now() - start;
  if (seen !== n) throw new Error(`${api} saw ${seen} of ${n} futures`);
  return elapsed;
}

/** The same shape with native promises and `Promise.all`: the platform's floor. */
async function nativePass(n: number): Promise<number> {
  const resolvers: ((value: number) => void)[] = [];
  const promises = Array.from({ length: n }, () => new Promise<number>((resolve) => resolvers.push(resolve)));
  const start = performance.now();
  const all = Promise.all(promises);
  setImmediate(() => {
    for (let i = 0; i < n; i++) (resolvers[i] as (value: number) => void)(i);
  });
  const values = await all;
  const elapsed = performance.now() - start;
  if (values.length !== n) throw new Error(`Promise.all saw ${values.length} of ${n} promises`);
  return elapsed;
}

function pass(api: Api, n: number): Promise<number> {
  return api === 'native' ? nativePass(n) : futuresPass(api, n);
}

async function probe(api: Api, params: Params): Promise<Measurement> {
  const n = numberParam(params, 'n');
  // Both sizes get the same amount of warm-up and of timed work (in futures, not passes), so
  // the small size runs code as optimised as the large one. No GC is forced between timed
  // passes: the mean over all of them carries each size's fair share of collection work.
  const warmPasses = Math.max(1, Math.round(numberParam(params, 'warmFutures') / n));
  const timedPasses = Math.max(1, Math.round(numberParam(params, 'timedFutures') / n));
  for (let i = 0; i < warmPasses; i++) await pass(api, n);
  forceGc();
  let totalMs = 0;
  for (let i = 0; i < timedPasses; i++) totalMs += await pass(api, n);
  return { n, warmPasses, timedPasses, totalMs, usPerFuture: (totalMs * 1000) / (n * timedPasses) };
}

type Sample = { round: number; api: Api; n: number; usPerFuture: number } & { [key: string]: Json };

async function run(context: CaseContext): Promise<CaseResult> {
  const sizes = context.quick ? ([1_000, 10_000] as const) : ([10_000, 100_000] as const);
  const rounds = context.quick ? 1 : 3;
  const work = context.quick ? { warmFutures: 20_000, timedFutures: 20_000 } : { warmFutures: 100_000, timedFutures: 200_000 };
  const samples: Sample[] = [];
  for (let round = 1; round <= rounds; round++) {
    const line: string[] = [];
    for (const api of APIS) {
      // Alternate which size goes first, as the throughput case rotates its variants.
      for (const n of round % 2 === 1 ? sizes : [...sizes].reverse()) {
        const { usPerFuture = NaN } = await context.probe(api, { n, ...work });
        samples.push({ round, api, n, usPerFuture });
        line.push(`${api}(${count(n)}) ${micros(usPerFuture)}`);
      }
    }
    context.log(`round ${round}/${rounds}: ${line.join(', ')}`);
  }
  const [small, large] = sizes;
  const perFuture = (api: Api, n: number): number =>
    median(samples.filter((s) => s.api === api && s.n === n).map((s) => s.usPerFuture));
  const growth = (api: Api): number => perFuture(api, large) / perFuture(api, small);
  const rows: Row[] = [];
  const summary: Record<string, number> = {};
  for (const api of APIS) {
    summary[`${api}UsPerFutureAt${small}`] = perFuture(api, small);
    summary[`${api}UsPerFutureAt${large}`] = perFuture(api, large);
    summary[`${api}Ratio`] = growth(api);
  }
  const sizesLabel = `${count(small)} → ${count(large)}`;
  const nativeCell = `${micros(perFuture('native', small))} → ${micros(perFuture('native', large))} (Promise.all)`;
  // V8's own growth with size (GC of a larger live set) is allowed for: quadratic work would
  // still stand out by ~10× on top of it, while a fixed threshold would flag V8 itself.
  const allowed = TARGET_RATIO * Math.max(1, growth('native'));
  summary['allowedRatio'] = allowed;
  for (const api of ['wait', 'asCompleted'] as const) {
    rows.push({
      what: `${api === 'wait' ? 'wait(ALL_COMPLETED)' : 'asCompleted()'} µs/future, ${sizesLabel}`,
      ours: `${micros(perFuture(api, small))} → ${micros(perFuture(api, large))}`,
      baseline: nativeCell,
      ratio: `${times(growth(api))} (Promise.all ${times(growth('native'))})`,
      target: `≤ ${times(allowed)} (linear)`,
      verdict: verdict(growth(api) <= allowed),
    });
  }
  return {
    rows,
    summary,
    raw: { sizes: [...sizes], rounds, ...work, samples },
    notes: [
      `wait/asCompleted: median of ${plural(rounds, 'round')}, one fresh child per (API, size). Each child runs ` +
        `unmeasured passes over ${count(work.warmFutures)} futures in all, a forced GC, then timed passes over ` +
        `${count(work.timedFutures)} futures in all and reports their mean, GC included. Timed: from the call until ` +
        `every future is observed, including the setImmediate loop that calls setResult on each (the futures are ` +
        `created before the clock starts). The ratio is µs/future at ${count(large)} over µs/future at ${count(small)}; ` +
        `"Promise.all" is the same over native promises: V8 alone grows per-item cost with size (a larger live set ` +
        `to collect), so the target is ${TARGET_RATIO}× that growth (at least ${TARGET_RATIO}×); quadratic work ` +
        `would add ~10× on top.`,
    ],
  };
}

/** Case 3 of the foundation suite. */
export const waiters: Case = {
  name: 'waiters',
  title: 'wait() and asCompleted(): time per future at two sizes',
  probes: {
    wait: (params) => probe('wait', params),
    asCompleted: (params) => probe('asCompleted', params),
    native: (params) => probe('native', params),
  },
  run,
};
