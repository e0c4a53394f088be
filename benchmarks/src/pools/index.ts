import type { Suite } from '../harness/types.js';
import { cpu } from './cpu.js';
import { map } from './map.js';
import { payload } from './payload.js';
import { startup } from './startup.js';
import { tiny } from './tiny.js';

/**
 * Issue 3's performance claims about ProcessPoolExecutor and WorkerThreadPoolExecutor, on 2
 * workers: per-task cost against the raw fork / worker_threads floors, the peers (piscina,
 * tinypool, workerpool, poolifier) and Python; map with chunksize; CPU speedup; a big payload;
 * start-up.
 */
export const pools: Suite = {
  name: 'pools',
  title: 'Pools: ProcessPoolExecutor and WorkerThreadPoolExecutor against raw IPC, the peers and Python',
  cases: [tiny, map, cpu, payload, startup],
};
