/**
 * Reclaim (decision 0009): a task handed to a busy worker ahead of time never waits behind
 * that worker's long task while another worker is free. Run over both worker pools, with
 * tasks that hold their thread (`blocking-tasks.mjs`), so the busy worker cannot even read a
 * message until its task returns.
 *
 * Nothing here is timed: "did not wait for the long task" is checked by finishing while the
 * long task is still held by a closed gate, which only the test opens.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  type Executor,
  type Future,
  moduleTasks,
  ProcessPoolExecutor,
  type ProcessPoolExecutorOptions,
  type Task,
  type WorkerInfo,
  WorkerExitError,
  WorkerThreadPoolExecutor,
} from '../src/index.js';
import type * as BlockingTasks from './fixtures/blocking-tasks.mjs';
import { Scratch } from './fixtures/harness.js';
import { pidExists, waitUntil } from './fixtures/process-harness.js';

const btasks = moduleTasks<typeof BlockingTasks>(new URL('./fixtures/blocking-tasks.mjs', import.meta.url));

type PoolOptions = Pick<ProcessPoolExecutorOptions, 'maxWorkers' | 'prefetch' | 'onWorkerExit'>;
type Pool = ProcessPoolExecutor | WorkerThreadPoolExecutor;

const kinds: { name: string; make: (options: PoolOptions) => Pool }[] = [
  { name: 'ProcessPoolExecutor', make: (options) => new ProcessPoolExecutor(options) },
  { name: 'WorkerThreadPoolExecutor', make: (options) => new WorkerThreadPoolExecutor(options) },
];

/** Resolves with `promise`, or fails saying `what` if it takes longer than a generous bound. */
async function within<T>(promise: Promise<T>, what: string, ms = 20_000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: not within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, expired]);
  } finally {
    clearTimeout(timer);
  }
}

/** Trivial tasks, so that 'auto' prefetch sizes itself for them (up to 32 ahead). */
async function warm(pool: Executor): Promise<void> {
  const values = await Promise.all(Array.from({ length: 64 }, (_, i) => pool.submit(btasks.add, i, 1)));
  expect(values[63]).toBe(64);
}

describe.each(kinds)('$name', ({ make }) => {
  let scratch: Scratch;
  const made: { pool: Pool; started: WorkerInfo[]; exited: WorkerInfo[] }[] = [];

  function pool(options: PoolOptions): Pool {
    const executor = make(options);
    const record = { pool: executor, started: [] as WorkerInfo[], exited: [] as WorkerInfo[] };
    executor.on('workerStart', (info) => record.started.push(info));
    executor.on('workerExit', (info) => record.exited.push(info));
    made.push(record);
    return executor;
  }

  beforeEach(async () => {
    scratch = await Scratch.create();
  });

  afterEach(async () => {
    scratch.openAll();
    const records = made.splice(0);
    await Promise.all(records.map(({ pool: executor }) => within(executor.shutdown({ cancelFutures: true }), 'shutdown')));
    await scratch.remove();
    for (const { started, exited } of records) {
      expect(exited.length, 'a workerExit for every workerStart').toBe(started.length);
      const pids = started.map((info) => info.pid).filter((pid): pid is number => pid !== undefined);
      expect(pids.filter(pidExists), 'children left after shutdown').toEqual([]);
    }
  });

  it('reclaim - tasks handed to a worker stuck in a long task run on the free worker instead', async () => {
    const executor = pool({ maxWorkers: 2 });
    await warm(executor);
    const gate = scratch.gate();
    const mark = scratch.mark();
    // One synchronous stretch: the long task goes to one worker, and the six are shared
    // between both (the dispatcher cannot know yet that the first task is long).
    const long = executor.submit(btasks.holdUntilGate, mark, gate.path, 'long');
    const six = Array.from({ length: 6 }, (_, i) => executor.submit(btasks.hold, 20, i));
    expect(await within(Promise.all(six), 'the six tasks beside the long one')).toEqual([0, 1, 2, 3, 4, 5]);
    expect(long.running()).toBe(true);
    expect(executor.stats.reclaimed).toBeGreaterThan(0);
    gate.open();
    expect(await long).toBe('long');
    expect(executor.stats).toMatchObject({ queued: 0, running: 0, completed: 64 + 7, failed: 0 });
  });

  it('reclaim - a crash beside a long task: the tasks that waited behind both run on the replacement', async () => {
    const executor = pool({ maxWorkers: 2, onWorkerExit: 'replace' });
    await warm(executor);
    const gate = scratch.gate();
    const mark = scratch.mark();
    const long = executor.submit(btasks.holdUntilGate, mark, gate.path, 'long');
    const crash = executor.submit(btasks.exitWith, 3);
    const four = Array.from({ length: 4 }, (_, i) => executor.submit(btasks.add, i, 10));
    expect(await within(crash.exception(), 'the crash')).toBeInstanceOf(WorkerExitError);
    expect(await within(Promise.all(four), 'the four tasks behind the crash and the long task')).toEqual([10, 11, 12, 13]);
    expect(long.running()).toBe(true);
    gate.open();
    expect(await long).toBe('long');
  });

  it('reclaim - a worker that becomes free takes back the tasks waiting behind a long task started later', async () => {
    // prefetch 4: the busy worker holds tasks while the other still runs its own.
    const executor = pool({ maxWorkers: 2, prefetch: 4 });
    const gateA = scratch.gate();
    const gateB = scratch.gate();
    const markA = scratch.mark();
    const markB = scratch.mark();
    const first = executor.submit(btasks.holdUntilGate, markA, gateA.path, 'first');
    const second = executor.submit(btasks.holdUntilGate, markB, gateB.path, 'second');
    // Both workers hold two of these behind their own long task.
    const queued = Array.from({ length: 4 }, (_, i) => executor.submit(btasks.add, i, 0));
    await scratch.waitFor(markA);
    await scratch.waitFor(markB);
    await waitUntil(() => executor.stats.queued === 0, 'all four handed over');
    gateA.open();
    // The first worker runs its own two, then takes the two that wait behind `second`.
    expect(await within(Promise.all(queued), 'the four queued tasks while one worker is held')).toEqual([0, 1, 2, 3]);
    expect(await first).toBe('first');
    expect(second.running()).toBe(true);
    expect(executor.stats.reclaimed).toBeGreaterThanOrEqual(2);
    gateB.open();
    expect(await second).toBe('second');
  });

  it('reclaim - a worker stuck in one task, handed and robbed of far more tasks than its claim ring holds: each task runs exactly once', async () => {
    // Every task a new one to the workers (untimed), so that the recent average stays at the
    // 300 ms of the warm-up and the stuck worker is not overdue: it keeps being handed tasks
    // ahead of time, and the free worker keeps taking them back (reclaim.ts).
    const log = scratch.log();
    const count = 240;
    const module = join(scratch.dir, 'distinct-tasks.mjs');
    const lines = ["import { appendFileSync } from 'node:fs';"];
    for (let i = 0; i < count; i++) lines.push(`export function t${i}(log) { appendFileSync(log, '${i}\\n'); return ${i}; }`);
    writeFileSync(module, `${lines.join('\n')}\n`);
    const distinct = moduleTasks<Record<string, (log: string) => number>>(pathToFileURL(module));
    const executor = pool({ maxWorkers: 2, prefetch: 32 });
    await Promise.all([0, 1, 2, 3].map((i) => executor.submit(btasks.hold, 300, i)));
    const gate = scratch.gate();
    const mark = scratch.mark();
    const long = executor.submit(btasks.holdUntilGate, mark, gate.path, 'long');
    await scratch.waitFor(mark);
    for (let round = 0; round < count / 24; round++) {
      const batch = Array.from({ length: 24 }, (_, j) => executor.submit(distinct[`t${round * 24 + j}`] as Task<[string], number>, log));
      expect(await within(Promise.all(batch), `round ${round} beside the stuck worker`)).toHaveLength(24);
    }
    expect(long.running()).toBe(true);
    gate.open();
    expect(await long).toBe('long');
    // The stuck worker now passes over every task taken from it; none runs there again.
    expect(await executor.submit(btasks.add, 1, 1)).toBe(2);
    await executor.shutdown();
    const ran = (await scratch.lines(log)).map(Number).sort((a, b) => a - b);
    expect(ran).toEqual(Array.from({ length: count }, (_, i) => i));
  });

  it('reclaim - stress: random task lengths, prefetch settings and crashes; every future settles as the contract says', async () => {
    // Each run: a pool, a random program of tasks that hold their thread for 0-15 ms or
    // crash their worker, all submitted at once. With 'replace', a crash fails only its
    // own task: every other task gives its value, whatever was prefetched where.
    await fc.assert(
      fc.asyncProperty(
        fc.record({
          prefetch: fc.constantFrom<PoolOptions['prefetch']>('auto', 0, 1, 4, 32),
          maxWorkers: fc.integer({ min: 1, max: 3 }),
          tasks: fc.array(fc.oneof({ weight: 9, arbitrary: fc.integer({ min: 0, max: 15 }) }, { weight: 1, arbitrary: fc.constant(-1) }), {
            minLength: 1,
            maxLength: 40,
          }),
        }),
        async ({ prefetch, maxWorkers, tasks }) => {
          const executor = pool({ maxWorkers, prefetch, onWorkerExit: 'replace' });
          const futures: Future<unknown>[] = tasks.map((ms, i) => (ms < 0 ? executor.submit(btasks.exitWith, 9) : executor.submit(btasks.hold, ms, i)));
          const outcomes = await within(Promise.allSettled(futures), 'every future of the program');
          outcomes.forEach((outcome, i) => {
            if ((tasks[i] as number) >= 0) expect(outcome).toEqual({ status: 'fulfilled', value: i });
            else expect(outcome.status === 'rejected' && outcome.reason instanceof WorkerExitError, `task ${i} failed with WorkerExitError`).toBe(true);
          });
          const crashes = tasks.filter((ms) => ms < 0).length;
          expect(executor.stats).toMatchObject({ queued: 0, running: 0, completed: tasks.length - crashes, failed: crashes });
          expect(await executor.submit(btasks.add, 1, 1)).toBe(2);
          await executor.shutdown();
        },
      ),
      { numRuns: 6 },
    );
  });
});

describe('WorkerThreadPoolExecutor, transferred arguments', () => {
  const made: WorkerThreadPoolExecutor[] = [];
  let scratch: Scratch;
  beforeEach(async () => {
    scratch = await Scratch.create();
  });
  afterEach(async () => {
    scratch.openAll();
    await Promise.all(made.splice(0).map((executor) => within(executor.shutdown({ cancelFutures: true }), 'shutdown')));
    await scratch.remove();
  });
  function pool(options: PoolOptions): WorkerThreadPoolExecutor {
    const executor = new WorkerThreadPoolExecutor(options);
    made.push(executor);
    return executor;
  }
  function moved(): { array: Float64Array; transfer: ArrayBuffer[] } {
    const array = new Float64Array([1, 2, 3]);
    return { array, transfer: [array.buffer] };
  }

  it('a task whose buffers went to a worker that died before starting it fails with WorkerExitError, never hangs (issue 15)', async () => {
    const executor = pool({ maxWorkers: 1, prefetch: 4 });
    const crash = executor.submit(btasks.exitWith, 3);
    const { array, transfer } = moved();
    const behind = executor.submitWith({ transfer }, btasks.sum, array);
    expect(await within(crash.exception(), 'the crash')).toBeInstanceOf(WorkerExitError);
    const error = await within(behind.exception(), 'the task behind the crash');
    expect(error).toBeInstanceOf(WorkerExitError);
    expect((error as Error).message).toMatch(/transferred arguments were moved to that worker/);
    const again = moved();
    expect(await executor.submitWith({ transfer: again.transfer }, btasks.sum, again.array)).toBe(6);
  });

  it('a task whose buffers went to a busy worker is not taken back: it runs there, with its buffers', async () => {
    const executor = pool({ maxWorkers: 2, prefetch: 4 });
    const gate = scratch.gate();
    const mark = scratch.mark();
    const long = executor.submit(btasks.holdUntilGate, mark, gate.path, 'long');
    const short = executor.submit(btasks.hold, 1, 'short');
    const { array, transfer } = moved();
    const behind = executor.submitWith({ transfer }, btasks.sum, array);
    expect(await short).toBe('short');
    await scratch.waitFor(mark);
    expect(behind.done()).toBe(false);
    gate.open();
    expect(await within(behind.result(), 'the task with transferred buffers')).toBe(6);
    expect(await long).toBe('long');
    expect(executor.stats.reclaimed).toBe(0);
  });
});

