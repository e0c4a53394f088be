/**
 * What `cancel()` and `shutdown({ cancelFutures: true })` can still reach on a worker or
 * process pool, as the README states it (issue 16): a task handed to a worker ahead of time
 * reports `running()` and cannot be cancelled (CPython's call queue does the same), so a
 * fresh pool of 2 workers that is given eight long tasks at once can cancel two of them with
 * the default `prefetch: 'auto'` (each worker holds its task and 2 ahead until tasks have
 * been timed), four with `prefetch: 1`, and six with `prefetch: 0`.
 *
 * Workers run the built package (dist): `tsc -b packages/futures` first.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { type Executor, type Future, ProcessPoolExecutor, WorkerThreadPoolExecutor } from '../src/index.js';
import { AUTO_PREFETCH_START } from '../src/worker-pool/options.js';
import { type Gate, Scratch, tasks } from './fixtures/harness.js';

const executors: Executor[] = [];
let scratch: Scratch | undefined;
afterEach(async () => {
  scratch?.openAll();
  await Promise.all(executors.splice(0).map((executor) => executor.shutdown()));
  await scratch?.remove();
  scratch = undefined;
});

const WORKERS = 2;
const TASKS = 8;

type Make = (options: { maxWorkers: number; prefetch?: number }) => Executor;

describe.each<[string, Make]>([
  ['WorkerThreadPoolExecutor', (options) => new WorkerThreadPoolExecutor(options)],
  ['ProcessPoolExecutor', (options) => new ProcessPoolExecutor(options)],
])('%s', (_name, make) => {
  async function eightWaiting(prefetch: number | undefined): Promise<{ executor: Executor; gate: Gate; futures: Future<void>[] }> {
    scratch = await Scratch.create();
    const gate = scratch.gate();
    const executor = make(prefetch === undefined ? { maxWorkers: WORKERS } : { maxWorkers: WORKERS, prefetch });
    executors.push(executor);
    const futures = Array.from({ length: TASKS }, () => executor.submit(tasks.waitForGate, gate.path));
    return { executor, gate, futures };
  }

  it.each([
    ['auto (untimed: 2 ahead)', WORKERS * (1 + AUTO_PREFETCH_START), undefined],
    ['1', WORKERS * 2, 1],
    ['0', WORKERS, 0],
  ])('.shutdown({ cancelFutures }) - prefetch %s: %i of 8 report running() and are not cancelled', async (_label, expected, prefetch) => {
    const { executor, gate, futures } = await eightWaiting(prefetch);
    // Handed over at submit, before any worker has even started.
    expect(futures.filter((f) => f.running())).toHaveLength(expected);
    const down = executor.shutdown({ cancelFutures: true });
    expect(futures.filter((f) => f.cancelled())).toHaveLength(TASKS - expected);
    gate.open();
    await down;
    expect(futures.filter((f) => f.state === 'FINISHED')).toHaveLength(expected);
  });

  it('.cancel() - refuses exactly the futures that report running(); the others never run', async () => {
    const { gate, futures } = await eightWaiting(undefined);
    const wasRunning = futures.map((f) => f.running());
    expect(futures.map((f) => f.cancel())).toEqual(wasRunning.map((running) => !running));
    gate.open();
    await Promise.allSettled(futures);
    expect(futures.map((f) => f.state)).toEqual(wasRunning.map((running) => (running ? 'FINISHED' : 'CANCELLED')));
  });
});
