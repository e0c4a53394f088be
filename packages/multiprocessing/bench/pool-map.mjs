// Pool.map over 20,000 items with 2 processes and the default chunksize, against Python's
// multiprocessing.Pool.map in the same run. Not a test: it measures, it asserts nothing.
//
//   npx tsc -b packages/multiprocessing && node packages/multiprocessing/bench/pool-map.mjs [--runs 7] [--items 20000]
//
// Each run times one map() call on a pool that is already started and warm (the pool
// start-up is excluded, as are the first two runs); the median of the runs is printed as
// microseconds per item.
import { execFileSync } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { moduleTasks } from '@concurrent/futures';
import { Pool } from '@concurrent/multiprocessing';

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i === -1 ? fallback : Number(args[i + 1]);
};
const RUNS = option('runs', 15);
const ITEMS = option('items', 20_000);
const PROCESSES = option('processes', 2);
// Node's JIT needs about ten maps before the parent's code is optimised (the first run is
// ~20 µs/item, the next few ~1 µs): those are reported apart, not in the median.
const WARMUP = option('warmup', 10);

const tasks = moduleTasks(new URL('./tasks.mjs', import.meta.url));
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function ours() {
  const pool = new Pool(PROCESSES);
  const items = Array.from({ length: ITEMS }, (_, i) => i);
  const times = [];
  const cold = [];
  try {
    for (let run = 0; run < WARMUP + RUNS; run++) {
      const start = performance.now();
      const out = await pool.map(tasks.double, items);
      const ms = performance.now() - start;
      if (out.length !== ITEMS || out[ITEMS - 1] !== (ITEMS - 1) * 2) throw new Error('wrong result');
      if (run >= WARMUP) times.push(ms);
      else cold.push((ms * 1000) / ITEMS);
    }
  } finally {
    pool.close();
    await pool.join();
  }
  return { us: (median(times) * 1000) / ITEMS, cold };
}

const PYTHON = `
import sys, time, statistics
from multiprocessing import Pool
def double(x):
    return x * 2
if __name__ == '__main__':
    items, runs, warmup, processes = (int(a) for a in sys.argv[1:5])
    data = list(range(items))
    times = []
    with Pool(processes) as p:
        for run in range(warmup + runs):
            t = time.perf_counter()
            out = p.map(double, data)
            dt = time.perf_counter() - t
            assert len(out) == items
            if run >= warmup:
                times.append(dt)
    print(statistics.median(times) * 1e6 / items)
`;

function python() {
  try {
    const out = execFileSync('python3', ['-c', PYTHON, String(ITEMS), String(RUNS), String(WARMUP), String(PROCESSES)], { encoding: 'utf8' });
    return Number(out.trim());
  } catch (error) {
    if (error.code === 'ENOENT') return undefined;
    throw error;
  }
}

const { us: usOurs, cold } = await ours();
const usPython = python();
console.log(`Pool.map, ${ITEMS} items, ${PROCESSES} processes, default chunksize, median of ${RUNS} runs:`);
console.log(`  @concurrent/multiprocessing  ${usOurs.toFixed(3)} µs/item  (warm-up runs: ${cold.map((us) => us.toFixed(2)).join(' ')})`);
if (usPython === undefined) console.log('  python3 not found: no comparison');
else console.log(`  Python multiprocessing      ${usPython.toFixed(3)} µs/item  (ours / Python = ${(usOurs / usPython).toFixed(2)})`);
