/**
 * Condition: the contract in one thread, then with the other side in child processes and in
 * worker threads, then what only a process can do (die while it waits).
 */
import { moduleTasks } from '@concurrent/futures';
import { afterEach, describe, expect, it } from 'vitest';
import { Condition, Empty, Lock, Queue, RLock, RuntimeError, Semaphore } from '../src/index.js';
import { type Runner, runnerNames } from './fixtures/sharing-harness.js';
import type * as SyncMoreTasks from './fixtures/sync-more-tasks.mjs';

const more = moduleTasks<typeof SyncMoreTasks>(new URL('./fixtures/sync-more-tasks.mjs', import.meta.url));

/** Settles after a few turns of the event loop: enough for a wrong wake-up in this thread to show. */
async function turns(n = 5): Promise<void> {
  for (let i = 0; i < n; i++) await new Promise((resolve) => setImmediate(resolve));
}

/** Resolves once `ready()` holds: a latch on state that other tasks change (checked every ms). */
async function until(ready: () => boolean): Promise<void> {
  while (!ready()) await new Promise((resolve) => setTimeout(resolve, 1));
}

describe('Condition in one thread', () => {
  it('new - takes a Lock or an RLock of ours, a new RLock by default, nothing else', async () => {
    const cond = new Condition();
    // The default is an RLock: the holder may take it again.
    await cond.acquire();
    expect(await cond.acquire(false)).toBe(true);
    cond.release();
    cond.release();
    expect(() => new Condition(new Lock())).not.toThrow();
    expect(() => new Condition({} as never)).toThrow(/Lock or RLock/);
  });

  it('.wait() and .notify() - without the lock: RuntimeError with Python\'s messages', async () => {
    const cond = new Condition(new Lock());
    await expect(cond.wait()).rejects.toThrow(new RuntimeError('cannot wait on un-acquired lock'));
    expect(() => cond.notify()).toThrow(new RuntimeError('cannot notify on un-acquired lock'));
    expect(() => cond.notifyAll()).toThrow(RuntimeError);
  });

  it.each([
    ['Lock', () => new Lock()],
    ['RLock', () => new RLock()],
  ] as const)('.wait() - with a %s: frees it while waiting, resolves false on timeout with it held again', async (_, makeLock) => {
    const lock = makeLock();
    const cond = new Condition(lock);
    await cond.acquire();
    expect(await cond.wait(20)).toBe(false);
    // Held again by this thread: release works once, then the lock is free.
    cond.release();
    expect(await lock.acquire(false)).toBe(true);
    lock.release();
  });

  it('.wait() - an RLock held three deep is freed entirely, and held three deep again after', async () => {
    const lock = new RLock();
    const cond = new Condition(lock);
    for (let i = 0; i < 3; i++) await cond.acquire();
    const waiting = cond.wait();
    // Free while it waits: a Lock-style check from this thread would see it as ours, so use the
    // notifier's path: take it (depth 1), notify, release.
    expect(await lock.acquire(false)).toBe(true);
    cond.notify();
    lock.release();
    expect(await waiting).toBe(true);
    for (let i = 0; i < 3; i++) cond.release();
    expect(() => cond.release()).toThrow(RuntimeError);
  });

  it('.wait() - never blocks its event loop: a timer of the same thread notifies it', async () => {
    const cond = new Condition(new Lock());
    await cond.acquire();
    setImmediate(() => {
      void (async () => {
        await cond.acquire();
        cond.notify();
        cond.release();
      })();
    });
    expect(await cond.wait()).toBe(true);
    cond.release();
  });

  it('.notify(n) - wakes n of the waiters, the oldest; notifyAll() the rest', async () => {
    const cond = new Condition(new Lock());
    const woken: number[] = [];
    const entered: number[] = [];
    const waiters = [0, 1, 2, 3].map(async (i) => {
      await cond.acquire();
      // wait() registers the waiter before it first yields: once all four are here, all wait.
      entered.push(i);
      const notified = await cond.wait();
      woken.push(i);
      cond.release();
      return notified;
    });
    await until(() => entered.length === 4);
    await cond.acquire();
    cond.notify(2);
    cond.release();
    await until(() => woken.length === 2);
    // The two oldest were woken; which of them takes the lock back first is theirs to race.
    expect([...woken].sort((a, b) => a - b)).toEqual([0, 1]);
    await cond.acquire();
    cond.notify(0);
    cond.release();
    await turns();
    expect([...woken].sort((a, b) => a - b)).toEqual([0, 1]);
    await cond.acquire();
    cond.notifyAll();
    cond.release();
    expect(await Promise.all(waiters)).toEqual([true, true, true, true]);
    expect(woken.slice(2).sort((a, b) => a - b)).toEqual([2, 3]);
  });

  it('.notify() - wakes nobody who starts waiting after it, and is not kept for later', async () => {
    const cond = new Condition(new Lock());
    await cond.acquire();
    cond.notify();
    expect(await cond.wait(20)).toBe(false);
    cond.release();
  });

  it('.notify() - a waiter that timed out takes no wake-up from the others', async () => {
    const cond = new Condition(new Lock());
    await cond.acquire();
    const late = (async () => {
      await cond.acquire();
      const notified = await cond.wait();
      cond.release();
      return notified;
    })();
    // The first waiter times out (and takes the lock again) while the second waits.
    expect(await cond.wait(20)).toBe(false);
    cond.notify();
    cond.release();
    expect(await late).toBe(true);
  });

  it('.waitFor() - resolves the predicate\'s first truthy value, re-checked after each wake-up; its falsy value on timeout', async () => {
    const cond = new Condition();
    const items: number[] = [];
    const consumer = (async () => {
      await cond.acquire();
      const seen = await cond.waitFor(() => items.length >= 2 && items.length);
      cond.release();
      return seen;
    })();
    for (const item of [1, 2]) {
      await turns();
      await cond.acquire();
      items.push(item);
      cond.notify();
      cond.release();
    }
    expect(await consumer).toBe(2);
    await cond.acquire();
    expect(await cond.waitFor(() => items.length > 5, 20)).toBe(false);
    expect(await cond.waitFor(async () => Promise.resolve('yes'))).toBe('yes');
    cond.release();
  });

  it('.hold() - `await using` holds the lock for the block', async () => {
    const lock = new Lock();
    const cond = new Condition(lock);
    {
      await using _ = await cond.hold();
      expect(await lock.acquire(false)).toBe(false);
      cond.notifyAll();
    }
    expect(await lock.acquire(false)).toBe(true);
    lock.release();
  });
});

describe.each(runnerNames)('Condition $name', ({ make }) => {
  let runner: Runner = make();
  afterEach(async () => {
    await runner.dispose();
    runner = make();
  });

  it.each([
    ['Lock', () => new Lock()],
    ['RLock', () => new RLock()],
  ] as const)('with a %s: a wait() there frees the lock, a notify() here wakes it with the lock held again', async (_, makeLock) => {
    const lock = makeLock();
    const cond = new Condition(lock);
    const report = new Queue<unknown>();
    const started = runner.start(more.condWait, cond, report, undefined, lock instanceof RLock ? 2 : 1);
    expect(await report.get()).toBe('waiting');
    // Ours only once its wait() freed it (entirely, for the RLock held twice).
    expect(await cond.acquire({ timeout: 20_000 })).toBe(true);
    cond.notify();
    cond.release();
    expect(await report.get({ timeout: 20_000 })).toEqual([true, true]);
    await started.done;
  });

  it('a wait() there with a timeout resolves false, with the lock held again', async () => {
    const cond = new Condition();
    const report = new Queue<unknown>();
    const started = runner.start(more.condWait, cond, report, 30, 2);
    expect(await report.get()).toBe('waiting');
    expect(await report.get({ timeout: 20_000 })).toEqual([false, true]);
    await started.done;
  });

  it('notify() there wakes a wait() here', async () => {
    const cond = new Condition(new Lock());
    await cond.acquire();
    const waiting = cond.wait();
    await runner.start(more.condNotify, cond, 1).done;
    expect(await waiting).toBe(true);
    cond.release();
  });

  it('notify(1) wakes one of three waiters there, notify(2) the other two', async () => {
    const cond = new Condition(new Lock());
    const report = new Queue<unknown>();
    const waiters = [0, 1, 2].map(() => runner.start(more.condWait, cond, report));
    for (let i = 0; i < 3; i++) {
      expect(await report.get()).toBe('waiting');
      // Taking the lock after each 'waiting' ensures that waiter is in wait().
      await cond.acquire();
      cond.release();
    }
    await cond.acquire();
    cond.notify(1);
    cond.release();
    expect(await report.get({ timeout: 20_000 })).toEqual([true, true]);
    // No second one: a wrong wake-up would show within this wait (no false failure).
    await expect(report.get({ timeout: 100 })).rejects.toBeInstanceOf(Empty);
    await cond.acquire();
    cond.notify(2);
    cond.release();
    expect(await report.get({ timeout: 20_000 })).toEqual([true, true]);
    expect(await report.get({ timeout: 20_000 })).toEqual([true, true]);
    await Promise.all(waiters.map((waiter) => waiter.done));
  });

  it('wait() and notify() there without the lock: RuntimeError there', async () => {
    const cond = new Condition();
    const report = new Queue<string[]>();
    await runner.start(more.condUnacquired, cond, report).done;
    expect(await report.get()).toEqual(['RuntimeError: cannot wait on un-acquired lock', 'RuntimeError: cannot notify on un-acquired lock']);
  });

  it('a producer here and a consumer there that waits with waitFor()', async () => {
    const cond = new Condition();
    const items = new Semaphore(0);
    const report = new Queue<string>();
    const consumer = runner.start(more.condConsume, cond, items, 20, report);
    expect(await report.get()).toBe('ready');
    for (let i = 0; i < 20; i++) {
      await cond.acquire();
      items.release();
      cond.notify();
      cond.release();
    }
    expect(await report.get({ timeout: 20_000 })).toBe('consumed 20');
    await consumer.done;
    expect(items.getValue()).toBe(0);
  });
});

describe('a process that dies waiting on a Condition', () => {
  let runner: Runner = runnerNames[0]!.make();
  afterEach(async () => {
    await runner.dispose();
    runner = runnerNames[0]!.make();
  });

  it('SIGKILLed while it waits: notify(1) goes to a waiter that lives', async () => {
    const cond = new Condition(new Lock());
    const report = new Queue<unknown>();
    const doomed = runner.start(more.condWait, cond, report);
    expect(await report.get()).toBe('waiting');
    await cond.acquire();
    cond.release();
    const living = runner.start(more.condWait, cond, report);
    expect(await report.get()).toBe('waiting');
    await cond.acquire();
    cond.release();
    await doomed.kill();
    await cond.acquire();
    cond.notify(1);
    cond.release();
    expect(await report.get({ timeout: 20_000 })).toEqual([true, true]);
    await living.done;
  });
});

describe('Condition with an RLock and async tasks of one thread', () => {
  it('.wait() - takes the lock back only once free: another task of the thread that took it meanwhile keeps it until it releases', async () => {
    const lock = new RLock();
    const cond = new Condition(lock);
    await cond.acquire();
    const waiting = cond.wait();
    // Another task of this thread: the RLock is free, so it takes it, and notifies.
    expect(await lock.acquire(false)).toBe(true);
    cond.notify();
    let back = false;
    void waiting.then(() => (back = true));
    await turns();
    // The waiter, of the same thread, did not take it recursively under the other task.
    expect(back).toBe(false);
    lock.release();
    expect(await waiting).toBe(true);
    cond.release();
    expect(() => lock.release()).toThrow(RuntimeError);
  });
});
