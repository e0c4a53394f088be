import type { Benchmark, CustomSuite } from '../harness/types.js';
import { EXECUTOR_NAMES } from './executors.js';
import { matrixProbe } from './probe.js';
import { runMatrix, SUITE_NAME, SUITE_TITLE } from './run.js';
import { WORKLOADS } from './workloads.js';

const KIND: Readonly<Record<string, string>> = { cpu: 'CPU-bound', io: 'IO-bound', mixed: 'mixed', tiny: 'tiny tasks' };

/**
 * Issue 4's matrix, what a bare `pnpm bench` runs: the sequential baseline,
 * ThreadPoolExecutor, WorkerThreadPoolExecutor and ProcessPoolExecutor at 1, 2 and <cores>
 * workers, on CPU-bound (fib, hash), IO-bound (http, timers), mixed and tiny tasks. Each
 * workload is a case (`--only fib`), each executor one of its probes.
 */
export const matrix: CustomSuite = {
  name: SUITE_NAME,
  title: SUITE_TITLE,
  cases: WORKLOADS.map(
    (workload): Benchmark => ({
      name: workload.name,
      title: `${KIND[workload.kind] ?? workload.kind}: ${workload.description}`,
      probes: Object.fromEntries(EXECUTOR_NAMES.map((executor) => [executor, matrixProbe(workload, executor)])),
    }),
  ),
  run: runMatrix,
};
