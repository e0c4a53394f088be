/**
 * Semaphore, Event, Condition and Barrier travel like Lock: nested in the arguments of a
 * Process and of a worker thread's task, in a pool's task arguments and initargs, and inside
 * a Queue item; what arrives is the same object.
 */
import { moduleTasks, ProcessPoolExecutor } from '@concurrent/futures';
import { afterEach, describe, expect, it } from 'vitest';
import { Barrier, Condition, Event, Pool, Queue, Semaphore } from '../src/index.js';
import { type Runner, runnerNames } from './fixtures/sharing-harness.js';
import type * as SyncMoreTasks from './fixtures/sync-more-tasks.mjs';
import type { Objects } from './fixtures/sync-more-tasks.mjs';

const more = moduleTasks<typeof SyncMoreTasks>(new URL('./fixtures/sync-more-tasks.mjs', import.meta.url));

function makeObjects(): Objects {
  return { sem: new Semaphore(0), more: [new Event(), new Condition(), new Barrier(2)] };
}

/**
 * Starts `use` (which runs useAll() elsewhere) and checks that each object there is the one
 * here: its semaphore release, event set, notify and barrier wait are seen here.
 */
async function expectSameObjects(objects: Objects, report: Queue<string>, use: () => PromiseLike<unknown>): Promise<void> {
  const { sem, more: [event, cond, barrier] } = objects;
  await cond.acquire();
  // Waiting (and the lock free) before the other side starts: its notify() wakes us.
  const notified = cond.wait(20_000);
  const used = use();
  expect(await notified).toBe(true);
  cond.release();
  expect(await report.get({ timeout: 20_000 })).toBe('used');
  expect(sem.getValue()).toBe(1);
  expect(event.isSet()).toBe(true);
  expect(await barrier.wait(20_000)).toBeGreaterThanOrEqual(0);
  await used;
}

describe.each(runnerNames)('travel $name', ({ make }) => {
  let runner: Runner = make();
  afterEach(async () => {
    await runner.dispose();
    runner = make();
  });

  it('nested in an object and an array of the arguments', async () => {
    const objects = makeObjects();
    const report = new Queue<string>();
    await expectSameObjects(objects, report, () => runner.start(more.useAll, objects, report).done);
  });

  it('inside a Queue item', async () => {
    const objects = makeObjects();
    const report = new Queue<string>();
    const queue = new Queue<Objects>();
    await queue.put(objects);
    await expectSameObjects(objects, report, () => runner.start(more.useFromQueue, queue, report).done);
  });
});

describe('travel to pools', () => {
  it('ProcessPoolExecutor: nested in a task argument', async () => {
    const objects = makeObjects();
    const report = new Queue<string>();
    const pool = new ProcessPoolExecutor({ maxWorkers: 1 });
    try {
      await expectSameObjects(objects, report, () => pool.submit(more.useAll, objects, report));
    } finally {
      await pool.shutdown();
    }
  });

  it('Pool: in initargs', async () => {
    const objects = makeObjects();
    const report = new Queue<string>();
    const pool = new Pool({ processes: 1, initializer: more.keepObjects, initargs: [objects] });
    try {
      await expectSameObjects(objects, report, () => pool.apply(more.useInitialized, [report]));
    } finally {
      pool.close();
      await pool.join();
    }
  });
});
