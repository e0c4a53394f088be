/**
 * Semaphore and BoundedSemaphore: the contract in one thread, then with the other side in
 * child processes and in worker threads.
 */
import { moduleTasks, TimeoutError } from '@concurrent/futures';
import { afterEach, describe, expect, it } from 'vitest';
import { BoundedSemaphore, Empty, Queue, Semaphore, ValueError } from '../src/index.js';
import { type Runner, runnerNames } from './fixtures/sharing-harness.js';
import type * as SyncMoreTasks from './fixtures/sync-more-tasks.mjs';

const more = moduleTasks<typeof SyncMoreTasks>(new URL('./fixtures/sync-more-tasks.mjs', import.meta.url));

describe.each([
  ['Semaphore', (value?: number) => new Semaphore(value)],
  ['BoundedSemaphore', (value?: number) => new BoundedSemaphore(value)],
] as const)('%s in one thread', (_, make) => {
  it('new - value defaults to 1; a negative or fractional value is a ValueError, a non-number a TypeError', () => {
    expect(make().getValue()).toBe(1);
    expect(make(0).getValue()).toBe(0);
    expect(() => make(-1)).toThrow(ValueError);
    expect(() => make(-1)).toThrow(/^semaphore initial value must be >= 0.*`-1` \(number\)/);
    expect(() => make(1.5)).toThrow(ValueError);
    expect(() => make('2' as never)).toThrow(TypeError);
  });

  it('.acquire() - takes units until none is left; a try that may not wait, or a timeout, then gives false', async () => {
    const sem = make(2);
    expect(await sem.acquire()).toBe(true);
    expect(await sem.acquire({ blocking: true })).toBe(true);
    expect(sem.getValue()).toBe(0);
    expect(await sem.acquire(false)).toBe(false);
    expect(await sem.acquire({ blocking: false })).toBe(false);
    expect(await sem.acquire({ timeout: 20 })).toBe(false);
    await expect(sem.hold({ timeout: 10 })).rejects.toBeInstanceOf(TimeoutError);
    sem.release();
    expect(sem.getValue()).toBe(1);
  });

  it('.acquire() - options are checked', () => {
    const sem = make();
    expect(() => sem.acquire({ blocking: 'no' } as never)).toThrow(/`blocking` to be a boolean/);
    expect(() => sem.acquire({ timout: 5 } as never)).toThrow(/timout.*did you mean `timeout`/);
  });

  it('.acquire() - a waiter gets the unit that a release() gives back', async () => {
    const sem = make(1);
    await sem.acquire();
    const waiting = sem.acquire();
    let got = false;
    void waiting.then(() => (got = true));
    await new Promise((resolve) => setImmediate(resolve));
    expect(got).toBe(false);
    sem.release();
    expect(await waiting).toBe(true);
    expect(sem.getValue()).toBe(0);
  });

  it('.hold() - `await using` gives the unit back at the end of the block, however it ends', async () => {
    const sem = make(1);
    await expect(
      (async () => {
        await using _ = await sem.hold();
        expect(sem.getValue()).toBe(0);
        throw new Error('inside');
      })(),
    ).rejects.toThrow('inside');
    expect(sem.getValue()).toBe(1);
  });
});

describe('Semaphore and BoundedSemaphore in one thread', () => {
  it('Semaphore.release() - may raise the count above its start, as in Python', () => {
    const sem = new Semaphore(1);
    sem.release();
    sem.release(2);
    expect(sem.getValue()).toBe(4);
  });

  it('BoundedSemaphore.release() - above its initial value is ValueError(semaphore or lock released too many times)', async () => {
    const sem = new BoundedSemaphore(2);
    expect(() => sem.release()).toThrow(new ValueError('semaphore or lock released too many times'));
    await sem.acquire();
    expect(() => sem.release(2)).toThrow(ValueError);
    sem.release();
    expect(sem.getValue()).toBe(2);
  });

  it('BoundedSemaphore - a subclass keeps the bound', () => {
    class Pool extends BoundedSemaphore {}
    const sem = new Pool(1);
    expect(() => sem.release()).toThrow(new ValueError('semaphore or lock released too many times'));
  });

  it('.release(n) - n is a whole number from 1 up', () => {
    const sem = new Semaphore(0);
    expect(() => sem.release(0)).toThrow(/`0` \(number\)/);
    expect(sem.getValue()).toBe(0);
  });
});

describe.each(runnerNames)('Semaphore and BoundedSemaphore $name', ({ make }) => {
  let runner: Runner = make();
  afterEach(async () => {
    await runner.dispose();
    runner = make();
  });

  it.each([
    ['Semaphore', () => new Semaphore(1)],
    ['BoundedSemaphore', () => new BoundedSemaphore(1)],
  ] as const)('%s - its unit held there cannot be taken here until released there', async (_, makeSem) => {
    const sem = makeSem();
    const report = new Queue<string>();
    const go = new Queue<string>();
    const started = runner.start(more.semHoldUntil, sem, report, go);
    expect(await report.get()).toBe('held');
    expect(sem.getValue()).toBe(0);
    expect(await sem.acquire({ blocking: false })).toBe(false);
    await go.put('go');
    expect(await report.get()).toBe('released');
    expect(await sem.acquire({ timeout: 20_000 })).toBe(true);
    await started.done;
  });

  it('Semaphore - two waiters there, one release here wakes one of them, the next the other', async () => {
    const sem = new Semaphore(0);
    const report = new Queue<string>();
    const a = runner.start(more.semAcquireThenReport, sem, report);
    const b = runner.start(more.semAcquireThenReport, sem, report);
    expect(await report.get()).toBe('waiting');
    expect(await report.get()).toBe('waiting');
    sem.release();
    expect(await report.get({ timeout: 20_000 })).toBe('acquired');
    // The other cannot have it: a wrong 'acquired' would show within this wait (no false failure).
    await expect(report.get({ timeout: 50 })).rejects.toBeInstanceOf(Empty);
    sem.release();
    expect(await report.get({ timeout: 20_000 })).toBe('acquired');
    await Promise.all([a.done, b.done]);
    expect(sem.getValue()).toBe(0);
  });

  it('BoundedSemaphore - released too many times there: ValueError there, the count unchanged', async () => {
    const sem = new BoundedSemaphore(2);
    const report = new Queue<string>();
    await sem.acquire();
    await runner.start(more.semRelease, sem, report, 2).done;
    expect(await report.get()).toBe('ValueError: semaphore or lock released too many times');
    expect(sem.getValue()).toBe(2);
  });
});
