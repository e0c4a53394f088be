// Case 4: nothing retained per finished task. 1,000,000 trivial tasks go through one executor
// in batches of 10,000 (submit the batch, await it); after selected batches a forced GC is
// run and heapUsed sampled. The samples should be flat. Bare p-limit runs the same as a floor.
import { count, kibibytesDelta, mebibytes, verdict } from '../harness/format.js';
import { numberListParam, numberParam, retainedHeap } from '../harness/probe-kit.js';
import type { Case, CaseContext, CaseResult, Measurement, Params, Row } from '../harness/types.js';
import { type Impl, makePool, type Pool, submitAllTrivial } from './pools.js';

const MAX_WORKERS = 100;
const BATCH = 10_000;
/** Heap growth between the first and the last sample must stay under this. */
const MAX_GROWTH_BYTES = 1024 * 1024;

/** One batch in its own frame, so that nothing of it is reachable once it returns. */
async function runBatch(pool: Pool, first: number, size: number): Promise<void> {
  await submitAllTrivial(pool, Array.from({ length: size }, (_, i) => first + i));
}

async function probe(impl: Impl, params: Params): Promise<Measurement> {
  const total = numberParam(params, 'total');
  const batch = numberParam(params, 'batch');
  const sampleAt = new Set(numberListParam(params, 'samples'));
  const pool = makePool(impl, numberParam(params, 'maxWorkers'));
  const measurement: Record<string, number> = { heapUsedAtStart: retainedHeap() };
  for (let done = 0; done < total; ) {
    const size = Math.min(batch, total - done);
    await runBatch(pool, done, size);
    done += size;
    if (sampleAt.has(done)) measurement[`heapUsedAt${done}`] = retainedHeap();
  }
  await pool.close();
  return measurement;
}

function heapAt(measurement: Measurement, tasks: number): number {
  const value = measurement[`heapUsedAt${tasks}`];
  if (value === undefined) throw new Error(`no heap sample at ${tasks} tasks`);
  return value;
}

async function run(context: CaseContext): Promise<CaseResult> {
  const total = context.quick ? 100_000 : 1_000_000;
  const sampleAt = context.quick ? [10_000, 50_000, 100_000] : [100_000, 500_000, 1_000_000];
  const params = { total, batch: BATCH, maxWorkers: MAX_WORKERS, samples: sampleAt.join(',') };
  const ours = await context.probe('ours', params);
  const pLimit = await context.probe('p-limit', params);
  const first = sampleAt[0] as number;
  const last = sampleAt[sampleAt.length - 1] as number;
  const heaps = (m: Measurement): string => sampleAt.map((at) => mebibytes(heapAt(m, at)).replace(' MiB', '')).join(' / ');
  const growth = (m: Measurement): number => heapAt(m, last) - heapAt(m, first);
  const oursGrowth = growth(ours);
  const bytesPerTask = oursGrowth / (last - first);
  context.log(`ours ${heaps(ours)} MiB, p-limit ${heaps(pLimit)} MiB`);
  const rows: Row[] = [
    {
      what: `heapUsed after GC at ${sampleAt.map(count).join(' / ')} tasks (MiB)`,
      ours: heaps(ours),
      baseline: `${heaps(pLimit)} (p-limit)`,
      ratio: '',
      target: 'flat',
      verdict: 'info',
    },
    {
      what: `heap growth ${count(first)} → ${count(last)} tasks`,
      ours: `${kibibytesDelta(oursGrowth)} (${bytesPerTask.toFixed(2)} B/task)`,
      baseline: `${kibibytesDelta(growth(pLimit))} (p-limit)`,
      ratio: '',
      target: `< ${mebibytes(MAX_GROWTH_BYTES)}`,
      verdict: verdict(oursGrowth < MAX_GROWTH_BYTES),
    },
  ];
  return {
    rows,
    summary: { oursGrowthBytes: oursGrowth, oursBytesPerTask: bytesPerTask, pLimitGrowthBytes: growth(pLimit) },
    raw: { ...params, samples: sampleAt, ours: { ...ours }, pLimit: { ...pLimit } },
    notes: [
      `Memory: ${count(total)} trivial tasks in batches of ${count(BATCH)} on one pool (maxWorkers ${MAX_WORKERS}), ` +
        `one child each for ours and p-limit; heapUsed is read after two forced full GCs (--expose-gc), ` +
        `when no batch is reachable. A retained object per task would show as ~${count(last - first)} × its size.`,
    ],
  };
}

/** Case 4 of the foundation suite. */
export const memory: Case = {
  name: 'memory',
  title: 'Memory: the executor retains nothing per finished task',
  probes: {
    ours: (params) => probe('ours', params),
    'p-limit': (params) => probe('p-limit', params),
  },
  run,
};
