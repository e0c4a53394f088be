/**
 * Without the native part (no prebuilt for the platform, no compiler), Semaphore, Event,
 * Condition and Barrier live in a SharedArrayBuffer: they still work between the threads of
 * one process, and refuse, with the reason, to go to another process.
 */
import { moduleTasks, WorkerThreadPoolExecutor } from '@concurrent/futures';
import { describe, expect, it, vi } from 'vitest';
import { Barrier, Condition, Event, Process, Queue, Semaphore } from '../src/index.js';
import type * as SyncMoreTasks from './fixtures/sync-more-tasks.mjs';
import type { Objects } from './fixtures/sync-more-tasks.mjs';

vi.mock('../src/shm/native.js', () => ({
  nativeShm: () => new Error('shared memory between processes needs its native part (mocked away by this test)'),
}));

const more = moduleTasks<typeof SyncMoreTasks>(new URL('./fixtures/sync-more-tasks.mjs', import.meta.url));

describe('without the native part', () => {
  it('they work with a worker thread (on a SharedArrayBuffer)', async () => {
    const objects: Objects = { sem: new Semaphore(0), more: [new Event(), new Condition(), new Barrier(2)] };
    const { sem, more: [event, cond, barrier] } = objects;
    const report = new Queue<string>();
    const executor = new WorkerThreadPoolExecutor({ maxWorkers: 1 });
    try {
      await cond.acquire();
      const notified = cond.wait(20_000);
      const used = executor.submit(more.useAll, objects, report);
      expect(await notified).toBe(true);
      cond.release();
      expect(await report.get({ timeout: 20_000 })).toBe('used');
      expect(sem.getValue()).toBe(1);
      expect(event.isSet()).toBe(true);
      expect(await barrier.wait(20_000)).toBeGreaterThanOrEqual(0);
      await used;
    } finally {
      await executor.shutdown();
    }
  });

  it.each([
    ['Semaphore', () => new Semaphore()],
    ['Event', () => new Event()],
    ['Condition', () => new Condition()],
    ['Barrier', () => new Barrier(2)],
  ] as const)('a %s refuses to go to another process, saying why', (_, make) => {
    const child = new Process({ target: more.eventSet, args: [make() as never] });
    expect(() => child.start()).toThrow(/native part/);
  });
});
