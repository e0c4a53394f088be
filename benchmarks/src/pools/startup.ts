// Case 5: the cost of a new pool. From the constructor to the first result of one trivial
// task, against forking 2 raw echo children and getting one reply (and, for the thread pool,
// starting 2 raw Workers and getting one reply). Each child times several fresh pools, one
// after another, each fully stopped before the next; the first is discarded.
import { times, verdict } from '../harness/format.js';
import { numberParam } from '../harness/probe-kit.js';
import { median } from '../harness/stats.js';
import type { Case, CaseContext, CaseResult, Measurement, Params, Row } from '../harness/types.js';
import { millis, workersLabel } from './format.js';
import { processPool, threadPool } from './ours.js';
import { tasks } from './paths.js';
import { RawPool } from './raw.js';
import { type Resources, withResources } from '../harness/resources.js';
import { roundsText, runRounds } from './rounds.js';
import { PROBE_DEADLINE_MS, roundCounts, WORKERS } from './settings.js';

/** ProcessPoolExecutor's first result may take at most this many times raw fork's. */
const TARGET_RATIO = 1.2;
const MEASURED_ROUNDS = 5;

type Variant = 'ours-process' | 'raw-fork' | 'ours-thread' | 'raw-thread';
const VARIANTS: readonly Variant[] = ['ours-process', 'raw-fork', 'ours-thread', 'raw-thread'];

/**
 * Starts a pool of `workers` and awaits one trivial task's result.
 *
 * @returns how many workers the pool had started by the time the result arrived.
 */
async function firstResult(variant: Variant, resources: Resources, workers: number): Promise<number> {
  switch (variant) {
    case 'ours-process': {
      const pool = processPool(resources, workers);
      await pool.submit(tasks.identity, 1);
      return pool.stats.workers;
    }
    case 'ours-thread': {
      const pool = threadPool(resources, workers);
      await pool.submit(tasks.identity, 1);
      return pool.stats.workers;
    }
    case 'raw-fork':
      await RawPool.fork(resources, workers).roundTrip(1);
      return workers;
    case 'raw-thread':
      await RawPool.threads(resources, workers).roundTrip(1);
      return workers;
  }
}

async function probe(variant: Variant, params: Params): Promise<Measurement> {
  const workers = numberParam(params, 'workers');
  const pools = numberParam(params, 'pools');
  const durations: number[] = [];
  let started = 0;
  // Pool 0 is the warm-up (first use of fork / Worker and of the library's code in this child).
  for (let i = 0; i <= pools; i++) {
    await withResources(PROBE_DEADLINE_MS, async (resources) => {
      const start = performance.now();
      started = await firstResult(variant, resources, workers);
      if (i > 0) durations.push(performance.now() - start);
    });
  }
  return { workers, pools, medianMs: median(durations), minMs: Math.min(...durations), workersAtFirstResult: started };
}

async function run(context: CaseContext): Promise<CaseResult> {
  const pools = context.quick ? 2 : 5;
  const { warmupRounds, rounds } = roundCounts(context.quick, MEASURED_ROUNDS);
  const samples = await runRounds(context, {
    variants: VARIANTS,
    warmupRounds,
    rounds,
    params: () => ({ workers: WORKERS, pools }),
    describe: (variant, m) => `${variant} ${millis(m['medianMs'] ?? NaN)}`,
  });
  const ms = (variant: Variant): number => samples.median(variant, 'medianMs');
  const started = (variant: Variant): number => samples.median(variant, 'workersAtFirstResult');
  const processRatio = samples.paired('ours-process', 'raw-fork', 'medianMs');
  const threadRatio = samples.paired('ours-thread', 'raw-thread', 'medianMs');
  const rows: Row[] = [
    {
      what: `new pool @${WORKERS} → first result: ProcessPoolExecutor`,
      ours: millis(ms('ours-process')),
      baseline: `${millis(ms('raw-fork'))} (fork ${WORKERS} raw children)`,
      ratio: times(processRatio),
      target: `≤ ${times(TARGET_RATIO)} raw fork`,
      verdict: verdict(processRatio <= TARGET_RATIO),
    },
    {
      what: `new pool @${WORKERS} → first result: WorkerThreadPoolExecutor`,
      ours: millis(ms('ours-thread')),
      baseline: `${millis(ms('raw-thread'))} (${WORKERS} raw Workers)`,
      ratio: times(threadRatio),
      target: '',
      verdict: 'info',
    },
  ];
  const spreads = VARIANTS.map((v) => `${v} ${samples.spread(v, 'medianMs', 1)}`).join(', ');
  return {
    rows,
    summary: {
      oursProcessMs: ms('ours-process'),
      rawForkMs: ms('raw-fork'),
      processOverRawFork: processRatio,
      oursThreadMs: ms('ours-thread'),
      rawThreadMs: ms('raw-thread'),
      threadOverRawThread: threadRatio,
    },
    raw: { workers: WORKERS, pools, warmupRounds, rounds, samples: samples.all },
    notes: [
      `Start-up: construct a pool (${workersLabel(WORKERS)}), submit one trivial task, await its result; the raw ` +
        `floors fork ${WORKERS} echo children (start ${WORKERS} Workers) and await one reply from the first. Each ` +
        `child builds ${pools + 1} pools one after another, each stopped (not timed) before the next, and reports ` +
        `the median of the last ${pools} (the first is a warm-up). Median over ${roundsText(warmupRounds, rounds)}` +
        `, ratios paired per round. ` +
        `Workers started by the first result: ProcessPoolExecutor ${started('ours-process')}, ` +
        `WorkerThreadPoolExecutor ${started('ours-thread')} (the raw floors start all ${WORKERS}). Per-round ms: ${spreads}.`,
    ],
  };
}

/** Case 5 of the pools suite. */
export const startup: Case = {
  name: 'startup',
  title: 'First result from a new pool',
  probes: Object.fromEntries(VARIANTS.map((variant) => [variant, (params: Params) => probe(variant, params)])),
  run,
};
