// Case 3: real parallelism. fib(30) sixteen times: in-process, one after another (the
// sequential baseline), and submitted at once to a pool of 2 workers. 2 is the limit on 2
// workers. Each child alternates sequential and pooled passes and takes the speedup of each
// adjacent pair, so a burst of other load on the machine hits both sides of a ratio alike.
// Two raw forked children computing the same (no pool at all) show what the machine allows
// at the time: other load on the cores caps every speedup, ours included. The peers (piscina,
// tinypool on both runtimes, workerpool on both, poolifier's thread and cluster pools) run
// the same probe, each compared with our executor of the same family.
import { plural, times, verdict } from '../harness/format.js';
import { forceGc, numberParam } from '../harness/probe-kit.js';
import { median } from '../harness/stats.js';
import type { Case, CaseContext, CaseResult, Measurement, Params, Row } from '../harness/types.js';
import { millis, workersLabel } from './format.js';
import { OURS_LABEL, OURS_NAMES, type OursName, startOurs } from './ours.js';
import { tasks } from './paths.js';
import { RawPool } from './raw.js';
import { isProcessPeer, PEER_LABEL, PEER_NAMES, type PeerName, startPeer } from './peers.js';
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

type Pooled = OursName | 'raw-fork' | PeerName;
const POOLED: readonly Pooled[] = [...OURS_NAMES, 'raw-fork', ...PEER_NAMES];
const LABEL: Readonly<Record<Pooled, string>> = {
  ...OURS_LABEL,
  'raw-fork': 'raw fork (2 children, no pool)',
  ...PEER_LABEL,
};

function isOurs(variant: Pooled): variant is OursName {
  return (OURS_NAMES as readonly Pooled[]).includes(variant);
}

/** Our executor of the family `variant` belongs to (processes or threads). */
function oursOf(variant: Pooled): OursName {
  if (isOurs(variant)) return variant;
  return variant === 'raw-fork' || isProcessPeer(variant) ? 'ours-process' : 'ours-thread';
}

/** Runs fib(n) `count` times at once through `call`; checks every result is the same. */
async function allFib(call: (n: number) => PromiseLike<unknown>, n: number, count: number): Promise<void> {
  const results = await Promise.all(Array.from({ length: count }, () => call(n)));
  if (typeof results[0] !== 'number' || results.some((value) => value !== results[0])) {
    throw new Error(`fib results differ: ${String(results[0])}`);
  }
}

/** Starts `variant` with `workers` workers; the returned pass runs fib(n) `count` times on it. */
function startPooled(variant: Pooled, resources: Resources, workers: number): (n: number, count: number) => Promise<void> {
  if (variant === 'raw-fork') {
    const raw = RawPool.fork(resources, workers, 'raw-fork-fib.mjs');
    return (n, count) => raw.pipelined(Array.from({ length: count }, () => n));
  }
  if (isOurs(variant)) {
    const pool = startOurs(variant, resources, workers);
    return (n, count) => allFib((arg) => pool.submit(tasks.fib, arg), n, count);
  }
  const pool = startPeer(variant, resources, workers);
  return (n, count) => allFib((arg) => pool.call('fib', arg), n, count);
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
  for (const variant of POOLED) {
    summary[`${variant}.pooledMs`] = samples.median(variant, 'pooledMs');
    summary[`${variant}.sequentialMs`] = samples.median(variant, 'sequentialMs');
    summary[`${variant}.speedup`] = samples.median(variant, 'speedup');
    if (!isOurs(variant)) summary[`${variant}.speedupOverOurs`] = samples.paired(variant, oursOf(variant), 'speedup');
  }
  const head = `fib(${n}) ×${TASKS} @${WORKERS}`;
  const targetRows: Row[] = OURS_NAMES.map((variant) => {
    const speedup = samples.median(variant, 'speedup');
    return {
      what: `${head}, speedup: ${LABEL[variant]}`,
      ours: millis(samples.median(variant, 'pooledMs')),
      baseline: `${millis(samples.median(variant, 'sequentialMs'))} (sequential)`,
      ratio: `${times(speedup)} speedup`,
      target: `≥ ${times(TARGET_SPEEDUP)}`,
      verdict: verdict(speedup >= TARGET_SPEEDUP),
    };
  });
  /** One row per pool: pooled ms, speedup (min–max over rounds), and its speedup over ours, paired per round. */
  const listingRow = (variant: Pooled): Row => {
    const cell =
      `${millis(samples.median(variant, 'pooledMs'))}, ` +
      `${times(samples.median(variant, 'speedup'))} (${samples.spread(variant, 'speedup')})`;
    const ours = isOurs(variant);
    return {
      what: `  ${LABEL[variant]}`,
      ours: ours ? cell : '',
      baseline: ours ? '' : cell,
      ratio: ours ? '' : `${times(samples.paired(variant, oursOf(variant), 'speedup'))} ours`,
      target: '',
      verdict: 'info',
    };
  };
  const rows: Row[] = [
    ...targetRows,
    {
      what: `${head}, all: pooled ms, speedup (min–max over rounds); speedup ÷ ours, paired per round:`,
      ours: '',
      baseline: '',
      ratio: '',
      target: '',
      verdict: 'info',
    },
    ...OURS_NAMES.flatMap((family) => POOLED.filter((variant) => oursOf(variant) === family).map(listingRow)),
  ];
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
        `allows at the time, which other load on its cores caps.`,
      `Peers: the same probe on fixed pools of ${WORKERS} (defaults otherwise; piscina idleTimeout 60 s), the same ` +
        `fib in their worker files (benchmarks/fixtures/), called by name: piscina and tinypool run(n, { name: 'fib' }), ` +
        `workerpool exec('fib', [n]), poolifier execute(n, 'fib'). Each is compared with our executor of its family ` +
        `(processes: tinypool child_process, workerpool process, poolifier FixedClusterPool, raw fork; threads: ` +
        `piscina, tinypool worker_threads, workerpool thread, poolifier FixedThreadPool): its speedup ÷ ours, taken ` +
        `within each round, median over rounds; above 1× the peer was faster. Per-round speedups: ${spreads}.`,
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
