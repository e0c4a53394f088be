/**
 * A pool's worker process that the pool lets go (shutdown, maxTasksPerChild, Pool close/join)
 * ends the links its tasks used before it exits, as a `Process` child does: the owner reads the
 * worker's last frames (its acknowledgements, its last puts) even when it writes to the worker
 * as the worker exits. Without that, the owner's write met a closed socket (EPIPE) and Node
 * destroyed the owner's socket unread: the consumer's last reports were lost, and items it had
 * taken (acknowledged, reported) went out of the queue again.
 *
 * The consumer runs in the background of a pool worker (its task returns at once), taking what
 * the test keeps putting on a queue it owns and reporting each item on another; the owner pushes
 * each new item to the waiting consumer, so it writes to the worker up to the worker's exit. The
 * scene is set by latches (the first report, the pool's own exit), not by waiting for time to
 * pass; every wait is bounded far above any honest delay, so a stall fails instead of hanging.
 */
import { setImmediate as yieldTurn } from 'node:timers/promises';
import { ProcessPoolExecutor } from '@concurrent/futures';
import { afterEach, describe, expect, it } from 'vitest';
import { Pool, Queue } from '../src/index.js';
import { stasks } from './fixtures/sharing-harness.js';

/** What the consumer reports: [consumer, item], item `null` for a sentinel. */
type Report = [string, number | null];

/** Far above any honest wait on these machines, well below the test timeout. */
const STALL_MS = 10_000;
/** Rounds per test: each round is a fresh worker exiting under a fresh stream. */
const ROUNDS = Number(process.env.POOL_EXIT_ROUNDS ?? 3);

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((cleanup) => cleanup().catch(() => {})));
});

/**
 * Everything in `q`, each get bounded by {@link STALL_MS}: `qsize()` counts what a consumer
 * was pushed and has not taken, so the gets wait for what comes back from a closed link.
 */
async function drainNow<T>(q: Queue<T>): Promise<T[]> {
  const got: T[] = [];
  while ((await q.qsize()) > 0) got.push(await q.get({ timeout: STALL_MS }));
  return got;
}

/** Items the consumer takes (and reports) in its task, before it goes on in the background. */
const FIRST = 200;

/**
 * One round: `start` has a pool worker run the consumer; the test keeps putting items, and once
 * the consumer's task returned (it took {@link FIRST} items and streams on in the background)
 * `letGo` has the pool let the worker go. The test stops putting once the worker has exited.
 * Then every item put is either reported by the consumer (exactly once) or still in the queue
 * (given back by the closed link), never both and never neither.
 */
async function round(start: (q: Queue<number | null>, report: Queue<Report>) => PromiseLike<unknown>, letGo: () => Promise<void>): Promise<void> {
  const q = new Queue<number | null>();
  const report = new Queue<Report>();
  const reports: Report[] = [];
  let put = 0;
  let returned = false;
  const task = Promise.resolve(start(q, report)).then(() => {
    returned = true;
  });
  let exited: Promise<void> | undefined;
  let gone = false;
  // The owner pushes each item to the waiting consumer: it writes to the worker up to its exit.
  while (!gone) {
    for (let i = 0; i < 20; i++) await q.put(put++);
    await yieldTurn();
    while ((await report.qsize()) > 0) reports.push(await report.get({ timeout: STALL_MS }));
    if (returned && exited === undefined) {
      exited = letGo().then(() => {
        gone = true;
      });
    }
  }
  await task;
  await exited;
  reports.push(...(await drainNow(report)));
  const left = (await drainNow(q)).filter((i): i is number => i !== null);
  const taken = reports.map(([, i]) => i).filter((i): i is number => i !== null);
  if (process.env.POOL_EXIT_DEBUG) console.log({ put, taken: taken.length, left: left.length });
  const twice = taken.filter((i, at) => taken.indexOf(i) !== at);
  expect(twice, 'items reported twice').toEqual([]);
  const again = left.filter((i) => taken.includes(i));
  expect(again, 'items the consumer took (and reported), given out again').toEqual([]);
  const accounted = new Set([...taken, ...left]);
  const missing = Array.from({ length: put }, (_, i) => i).filter((i) => !accounted.has(i));
  expect(missing, 'items neither reported nor left in the queue').toEqual([]);
  q.close();
  report.close();
}

describe('a pool worker that the pool lets go ends its links first', () => {
  it('ProcessPoolExecutor.shutdown(): a consumer in the worker loses nothing, and what it took is not given out again', async () => {
    for (let r = 0; r < ROUNDS; r++) {
      const executor = new ProcessPoolExecutor({ maxWorkers: 1 });
      cleanups.push(() => executor.killWorkers());
      await round(
        (q, report) => executor.submit(stasks.consumeInBackground, q, report, 'c1', FIRST),
        () => executor.shutdown(),
      );
    }
  });

  it('ProcessPoolExecutor maxTasksPerChild: the worker retired after its task loses nothing', async () => {
    const executor = new ProcessPoolExecutor({ maxWorkers: 1, maxTasksPerChild: 1 });
    cleanups.push(() => executor.killWorkers());
    for (let r = 0; r < ROUNDS; r++) {
      const exited = new Promise<void>((resolve) => executor.once('workerExit', () => resolve()));
      // The worker retires as soon as its one task is done, under the stream.
      await round(
        (q, report) => executor.submit(stasks.consumeInBackground, q, report, 'c1', FIRST),
        () => exited,
      );
    }
    await executor.shutdown();
  });

  it('Pool close() and join(): a consumer in the worker loses nothing', async () => {
    for (let r = 0; r < ROUNDS; r++) {
      const pool = new Pool(1);
      cleanups.push(() => pool.terminate());
      await round(
        (q, report) => pool.apply(stasks.consumeInBackground, [q, report, 'c1', FIRST]),
        async () => {
          pool.close();
          await pool.join();
        },
      );
    }
  });
});
