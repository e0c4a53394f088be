import type { Suite } from '../harness/types.js';
import { cpu } from './cpu.js';
import { cpuTail } from './cpu-tail.js';
import { distributed } from './distributed.js';
import { headOfLine } from './head-of-line.js';
import { manager } from './manager.js';
import { map } from './map.js';
import { payload } from './payload.js';
import { poolMap } from './pool-map.js';
import { sharing } from './sharing.js';
import { startup } from './startup.js';
import { sync } from './sync.js';
import { tiny } from './tiny.js';

/**
 * `pnpm bench:peers`. Issue 3's performance claims about ProcessPoolExecutor and
 * WorkerThreadPoolExecutor, on 2 workers, extended by issue 4: per-task cost against the raw
 * fork / worker_threads / event-loop floors, the peers (piscina, tinypool, workerpool,
 * poolifier, p-limit) and Python (ProcessPoolExecutor, ThreadPoolExecutor,
 * multiprocessing.Pool); map with chunksize; CPU speedup; a big payload; start-up; and
 * multiprocessing's Pool.map against Python's; issue 9's short tasks beside a long one (taken
 * back from a busy worker) and the tail of a CPU-bound run against the raw floors; issue 13's
 * DistributedExecutor on a loopback Redis against raw BullMQ and Celery.
 */
export const pools: Suite = {
  name: 'pools',
  title: 'Pools: our executors against raw IPC, the peers and Python',
  cases: [tiny, map, cpu, payload, startup, poolMap, headOfLine, cpuTail, sharing, sync, manager, distributed],
};
