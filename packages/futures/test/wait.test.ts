import { afterEach, describe, expect, test, vi } from 'vitest';
import {
  ALL_COMPLETED,
  FIRST_COMPLETED,
  FIRST_EXCEPTION,
  Future,
  type ReturnWhen,
  ThreadPoolExecutor,
  wait,
} from '../src/index.js';

// ---------------------------------------------------------------------------------------------
// Helpers

function succeeded<T>(value: T): Future<T> {
  const future = new Future<T>();
  future.setResult(value);
  return future;
}

function failed(error: unknown): Future<number> {
  const future = new Future<number>();
  future.setException(error);
  return future;
}

function cancelled(): Future<number> {
  const future = new Future<number>();
  future.cancel();
  return future;
}

function running(): Future<number> {
  const future = new Future<number>();
  future.setRunningOrNotifyCancel();
  return future;
}

interface Deferred<T> {
  promise: Promise<T>;
  resolve: (value: T) => void;
}

function deferred<T = void>(): Deferred<T> {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

/** Tracks whether a promise has settled yet. */
function track<T>(promise: Promise<T>): { readonly settled: boolean; readonly promise: Promise<T> } {
  let settled = false;
  const tracked = promise.finally(() => (settled = true));
  return {
    get settled() {
      return settled;
    },
    promise: tracked,
  };
}

async function turns(n = 5): Promise<void> {
  for (let i = 0; i < n; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

const ALL_RETURN_WHEN: ReturnWhen[] = [ALL_COMPLETED, FIRST_COMPLETED, FIRST_EXCEPTION];

// ---------------------------------------------------------------------------------------------

describe('wait() ALL_COMPLETED (R5.2)', () => {
  test('wait() - ALL_COMPLETED is the default and waits for every future', async () => {
    const a = new Future<number>();
    const b = running();
    const waiting = track(wait([a, b]));
    await turns();
    expect(waiting.settled).toBe(false);
    a.setResult(1);
    await turns();
    expect(waiting.settled).toBe(false);
    b.setResult(2);
    const { done, notDone } = await waiting.promise;
    expect(done).toEqual(new Set([a, b]));
    expect(notDone.size).toBe(0);
  });

  test('wait() - ALL_COMPLETED keeps waiting after a failure', async () => {
    const a = running();
    const b = running();
    const waiting = track(wait([a, b], { returnWhen: ALL_COMPLETED }));
    a.setException(new Error('boom'));
    await turns();
    expect(waiting.settled).toBe(false);
    b.setResult(2);
    const { done, notDone } = await waiting.promise;
    expect(done).toEqual(new Set([a, b]));
    expect(notDone.size).toBe(0);
  });

  test('wait() - ALL_COMPLETED resolves at once when every future is already done', async () => {
    const fs = [succeeded(1), failed(new Error('x')), cancelled()];
    const { done, notDone } = await wait(fs, { returnWhen: ALL_COMPLETED });
    expect(done).toEqual(new Set(fs));
    expect(notDone.size).toBe(0);
  });

  test('wait() - resolves to sets holding the Future objects themselves', async () => {
    const a = succeeded(1);
    const { done, notDone } = await wait([a]);
    expect(done).toBeInstanceOf(Set);
    expect(notDone).toBeInstanceOf(Set);
    const [only] = [...done];
    expect(only).toBe(a);
    expect(only).toBeInstanceOf(Future);
  });
});

describe('wait() FIRST_COMPLETED (R5.3)', () => {
  test('wait() - FIRST_COMPLETED returns at once if any future is already done; done holds all done at that moment', async () => {
    const ok = succeeded(1);
    const bad = failed(new Error('x'));
    const gone = cancelled();
    const p1 = new Future<number>();
    const p2 = running();
    const { done, notDone } = await wait([p1, ok, p2, bad, gone], { returnWhen: FIRST_COMPLETED });
    expect(done).toEqual(new Set([ok, bad, gone]));
    expect(notDone).toEqual(new Set([p1, p2]));
    expect(p1.state).toBe('PENDING');
    expect(p2.state).toBe('RUNNING');
  });

  test('wait() - FIRST_COMPLETED waits for the first completion', async () => {
    const a = new Future<number>();
    const b = running();
    const c = new Future<number>();
    const waiting = track(wait([a, b, c], { returnWhen: FIRST_COMPLETED }));
    await turns();
    expect(waiting.settled).toBe(false);
    b.setResult(2);
    const { done, notDone } = await waiting.promise;
    expect(done).toEqual(new Set([b]));
    expect(notDone).toEqual(new Set([a, c]));
  });

  test('wait() - FIRST_COMPLETED wakes on a failure', async () => {
    const a = running();
    const b = running();
    const waiting = wait([a, b], { returnWhen: FIRST_COMPLETED });
    a.setException(0);
    const { done, notDone } = await waiting;
    expect(done).toEqual(new Set([a]));
    expect(notDone).toEqual(new Set([b]));
  });

  test('wait() - FIRST_COMPLETED wakes on a cancellation', async () => {
    const a = new Future<number>();
    const b = new Future<number>();
    const waiting = track(wait([a, b], { returnWhen: FIRST_COMPLETED }));
    await turns();
    expect(waiting.settled).toBe(false);
    expect(a.cancel()).toBe(true);
    const { done, notDone } = await waiting.promise;
    expect(done).toEqual(new Set([a]));
    expect(notDone).toEqual(new Set([b]));
  });

  test('wait() - FIRST_COMPLETED does not wake when a future merely starts running', async () => {
    const a = new Future<number>();
    const waiting = track(wait([a], { returnWhen: FIRST_COMPLETED }));
    a.setRunningOrNotifyCancel();
    await turns();
    expect(waiting.settled).toBe(false);
    a.setResult(1);
    expect((await waiting.promise).done).toEqual(new Set([a]));
  });
});

describe('wait() FIRST_EXCEPTION (R5.4)', () => {
  test('wait() - FIRST_EXCEPTION returns at once when a future has already failed', async () => {
    const bad = failed(new Error('x'));
    const ok = succeeded(1);
    const pending = new Future<number>();
    const { done, notDone } = await wait([pending, bad, ok], { returnWhen: FIRST_EXCEPTION });
    expect(done).toEqual(new Set([bad, ok]));
    expect(notDone).toEqual(new Set([pending]));
  });

  test('wait() - FIRST_EXCEPTION wakes on a later failure, not on successes before it', async () => {
    const a = running();
    const b = running();
    const c = new Future<number>();
    const waiting = track(wait([a, b, c], { returnWhen: FIRST_EXCEPTION }));
    a.setResult(1);
    await turns();
    expect(waiting.settled).toBe(false);
    b.setException(new Error('boom'));
    const { done, notDone } = await waiting.promise;
    expect(done).toEqual(new Set([a, b]));
    expect(notDone).toEqual(new Set([c]));
  });

  test.each([
    ['undefined', undefined],
    ['0', 0],
    ["''", ''],
    ['false', false],
  ])('wait() - FIRST_EXCEPTION counts a thrown %s as an exception', async (_label, value) => {
    const alreadyFailed = failed(value);
    const pending = new Future<number>();
    const first = await wait([alreadyFailed, pending], { returnWhen: FIRST_EXCEPTION });
    expect(first.done).toEqual(new Set([alreadyFailed]));

    const later = running();
    const waiting = wait([later, pending], { returnWhen: FIRST_EXCEPTION });
    later.setException(value);
    const second = await waiting;
    expect(second.done).toEqual(new Set([later]));
    expect(second.notDone).toEqual(new Set([pending]));
  });

  test('wait() - FIRST_EXCEPTION does not count a cancellation as an exception', async () => {
    const alreadyCancelled = cancelled();
    const a = new Future<number>();
    const b = new Future<number>();
    const waiting = track(wait([alreadyCancelled, a, b], { returnWhen: FIRST_EXCEPTION }));
    await turns();
    expect(waiting.settled).toBe(false);
    a.cancel();
    await turns();
    expect(waiting.settled).toBe(false);
    b.setResult(1);
    const { done, notDone } = await waiting.promise;
    expect(done).toEqual(new Set([alreadyCancelled, a, b]));
    expect(notDone.size).toBe(0);
  });

  test('wait() - FIRST_EXCEPTION acts like ALL_COMPLETED when none fail', async () => {
    const a = running();
    const b = running();
    const c = succeeded(3);
    const waiting = track(wait([a, b, c], { returnWhen: FIRST_EXCEPTION }));
    a.setResult(1);
    await turns();
    expect(waiting.settled).toBe(false);
    b.setResult(2);
    const { done, notDone } = await waiting.promise;
    expect(done).toEqual(new Set([a, b, c]));
    expect(notDone.size).toBe(0);
  });

  test('wait() - FIRST_EXCEPTION resolves at once when all are done and none failed', async () => {
    const fs = [succeeded(1), cancelled()];
    const { done, notDone } = await wait(fs, { returnWhen: FIRST_EXCEPTION });
    expect(done).toEqual(new Set(fs));
    expect(notDone.size).toBe(0);
  });
});

describe('wait() timeout (R5.5)', () => {
  test('wait() - a timeout never rejects and returns the partial sets', async () => {
    const done3 = [succeeded(1), failed(new Error('x')), cancelled()];
    const blocked = running();
    const { done, notDone } = await wait([...done3, blocked], { timeout: 20 });
    expect(done).toEqual(new Set(done3));
    expect(notDone).toEqual(new Set([blocked]));
    expect(blocked.state).toBe('RUNNING');
  });

  test.each(ALL_RETURN_WHEN)('wait() - with %s and nothing completing, the timeout resolves with empty done', async (returnWhen) => {
    const a = new Future<number>();
    const b = running();
    const { done, notDone } = await wait([a, b], { timeout: 20, returnWhen });
    expect(done.size).toBe(0);
    expect(notDone).toEqual(new Set([a, b]));
    expect(a.state).toBe('PENDING');
    expect(b.state).toBe('RUNNING');
  });

  test('wait() - completions before the timeout are in done', async () => {
    const a = running();
    const b = running();
    const waiting = wait([a, b], { timeout: 50 });
    a.setResult(1);
    const { done, notDone } = await waiting;
    expect(done).toEqual(new Set([a]));
    expect(notDone).toEqual(new Set([b]));
  });

  test('wait() - timeout 0 takes a snapshot without waiting', async () => {
    const ok = succeeded(1);
    const pending = new Future<number>();
    const { done, notDone } = await wait([ok, pending], { timeout: 0 });
    expect(done).toEqual(new Set([ok]));
    expect(notDone).toEqual(new Set([pending]));
  });

  test('wait() - timeout 0 checks at the call: a completion right after it does not count', async () => {
    const a = new Future<number>();
    const waiting = wait([a], { timeout: 0 });
    a.setResult(1);
    const { done, notDone } = await waiting;
    expect(done.size).toBe(0);
    expect(notDone).toEqual(new Set([a]));
  });

  test.each(ALL_RETURN_WHEN)('wait() - timeout 0 with %s resolves with nothing done', async (returnWhen) => {
    const pending = new Future<number>();
    const { done, notDone } = await wait([pending], { timeout: 0, returnWhen });
    expect(done.size).toBe(0);
    expect(notDone).toEqual(new Set([pending]));
  });

  test('wait() - a negative timeout behaves as 0', async () => {
    const ok = succeeded(1);
    const pending = new Future<number>();
    const { done, notDone } = await wait([ok, pending], { timeout: -100 });
    expect(done).toEqual(new Set([ok]));
    expect(notDone).toEqual(new Set([pending]));
  });

  test('wait() - a timeout far in the future does not delay an early completion', async () => {
    // Far beyond the test's own limit: only an event-driven wake passes.
    const a = running();
    const waiting = wait([a], { timeout: 3_600_000 });
    await turns(2);
    a.setResult(1);
    expect((await waiting).done).toEqual(new Set([a]));
  });

  test.each([
    ['a string', '5'],
    ['NaN', Number.NaN],
    ['an object', {}],
  ])('wait() - a timeout that is %s throws TypeError', (_label, timeout) => {
    expect(() => wait([new Future<number>()], { timeout: timeout as unknown as number })).toThrow(TypeError);
  });
});

describe('wait() inputs (R5.1)', () => {
  test('wait() - collapses duplicates of a done future', async () => {
    const f = succeeded(1);
    const { done, notDone } = await wait([f, f, f]);
    expect(done).toEqual(new Set([f]));
    expect(done.size).toBe(1);
    expect(notDone.size).toBe(0);
  });

  test('wait() - collapses duplicates of a pending future', async () => {
    const f = new Future<number>();
    const waiting = wait([f, f, f]);
    f.setResult(1);
    const { done, notDone } = await waiting;
    expect(done.size).toBe(1);
    expect(done.has(f)).toBe(true);
    expect(notDone.size).toBe(0);
  });

  test('wait() - collapses duplicates in notDone after a timeout', async () => {
    const f = new Future<number>();
    const { done, notDone } = await wait([f, f], { timeout: 0 });
    expect(done.size).toBe(0);
    expect(notDone.size).toBe(1);
  });

  test.each(ALL_RETURN_WHEN)('wait() - empty input with %s resolves with two empty sets', async (returnWhen) => {
    const { done, notDone } = await wait([], { returnWhen });
    expect(done.size).toBe(0);
    expect(notDone.size).toBe(0);
  });

  test('wait() - empty input with a timeout resolves with two empty sets', async () => {
    const { done, notDone } = await wait([], { timeout: 10 });
    expect(done.size).toBe(0);
    expect(notDone.size).toBe(0);
  });

  test('wait() - accepts any iterable: a Set and a generator', async () => {
    const a = succeeded(1);
    const b = succeeded(2);
    function* gen(): Generator<Future<number>> {
      yield a;
      yield b;
      yield a;
    }
    expect((await wait(new Set([a, b]))).done).toEqual(new Set([a, b]));
    expect((await wait(gen())).done).toEqual(new Set([a, b]));
  });

  test.each([
    ['BOGUS', 'BOGUS'],
    ['a lower-case constant', 'all_completed'],
    ['a number', 1],
  ])('wait() - an unknown returnWhen (%s) throws TypeError', (_label, returnWhen) => {
    expect(() => wait([succeeded(1)], { returnWhen: returnWhen as unknown as ReturnWhen })).toThrow(TypeError);
    expect(() => wait([new Future<number>()], { returnWhen: returnWhen as unknown as ReturnWhen })).toThrow(TypeError);
  });

  test('wait() - the return_when constants are the plain strings (R1.3)', () => {
    expect(FIRST_COMPLETED).toBe('FIRST_COMPLETED');
    expect(FIRST_EXCEPTION).toBe('FIRST_EXCEPTION');
    expect(ALL_COMPLETED).toBe('ALL_COMPLETED');
  });

  test.each([
    ['null', null],
    ['undefined', undefined],
    ['a number', 42],
    ['a plain object', {}],
    ['a Future', new Future<number>()],
  ] as [string, unknown][])('wait() - a non-iterable (%s) throws TypeError', (_label, fs) => {
    expect(() => wait(fs as Iterable<Future<number>>)).toThrow(TypeError);
  });
});

describe('wait() and cancellation (gh-92001)', () => {
  test('wait() - a cancelled future counts as done, notified or not', async () => {
    const plain = cancelled();
    const notified = cancelled();
    notified.setRunningOrNotifyCancel();
    const { done, notDone } = await wait([plain, notified], { timeout: 0 });
    expect(done).toEqual(new Set([plain, notified]));
    expect(notDone.size).toBe(0);
  });

  test('wait() - cancelling while waiting wakes ALL_COMPLETED', async () => {
    const a = new Future<number>();
    const b = new Future<number>();
    const waiting = track(wait([a, b]));
    a.setResult(1);
    await turns();
    expect(waiting.settled).toBe(false);
    b.cancel();
    const { done, notDone } = await waiting.promise;
    expect(done).toEqual(new Set([a, b]));
    expect(notDone.size).toBe(0);
  });
});

describe('wait() with executors', () => {
  test('wait() - mixes ThreadPoolExecutor futures and bare futures', async () => {
    const executor = new ThreadPoolExecutor({ maxWorkers: 2 });
    try {
      const gate = deferred();
      const started = deferred();
      const slow = executor.submit(async () => {
        started.resolve();
        await gate.promise;
        return 'slow';
      });
      const quick = executor.submit((x: number) => x * 2, 21);
      const bare = new Future<string>();
      const first = await wait<unknown>([slow, quick, bare], { returnWhen: FIRST_COMPLETED });
      expect(first.done).toEqual(new Set([quick]));
      expect(first.notDone).toEqual(new Set([slow, bare]));
      await started.promise;
      expect(slow.running()).toBe(true);

      const all = track(wait<unknown>([slow, quick, bare]));
      bare.setResult('bare');
      await turns();
      expect(all.settled).toBe(false);
      gate.resolve();
      const { done, notDone } = await all.promise;
      expect(done).toEqual(new Set([slow, quick, bare]));
      expect(notDone.size).toBe(0);
      expect(await slow).toBe('slow');
      expect(await quick).toBe(42);
    } finally {
      await executor.shutdown();
    }
  });

  test('wait() - FIRST_EXCEPTION wakes on a failed executor task', async () => {
    const executor = new ThreadPoolExecutor({ maxWorkers: 2 });
    try {
      const gate = deferred();
      const slow = executor.submit(async () => {
        await gate.promise;
        return 1;
      });
      const bad = executor.submit(async (): Promise<number> => {
        await Promise.resolve();
        throw new Error('task failed');
      });
      const { done, notDone } = await wait([slow, bad], { returnWhen: FIRST_EXCEPTION });
      expect(done).toEqual(new Set([bad]));
      expect(notDone).toEqual(new Set([slow]));
      gate.resolve();
      await expect(bad).rejects.toThrow('task failed');
    } finally {
      await executor.shutdown();
    }
  });

  test('wait() - futures cancelled by shutdown({ cancelFutures: true }) count as done (gh-109934)', async () => {
    const executor = new ThreadPoolExecutor({ maxWorkers: 1 });
    const gate = deferred();
    const started = deferred();
    const blocker = executor.submit(async () => {
      started.resolve();
      await gate.promise;
      return 0;
    });
    const queued = [executor.submit(() => 1), executor.submit(() => 2)];
    await started.promise;
    const waiting = track(wait(queued));
    await turns();
    expect(waiting.settled).toBe(false);
    const shutdown = executor.shutdown({ cancelFutures: true });
    const { done, notDone } = await waiting.promise;
    expect(done).toEqual(new Set(queued));
    expect(notDone.size).toBe(0);
    for (const future of queued) expect(future.cancelled()).toBe(true);
    gate.resolve();
    await shutdown;
    expect(await blocker).toBe(0);
  });
});

describe('wait() timers', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  test('wait() - returning early clears the timeout timer', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance', 'Date'] });
    const a = running();
    const b = running();
    const waiting = wait([a, b], { timeout: 60_000, returnWhen: FIRST_COMPLETED });
    expect(vi.getTimerCount()).toBe(1);
    a.setResult(1);
    expect((await waiting).done).toEqual(new Set([a]));
    expect(vi.getTimerCount()).toBe(0);
  });

  test('wait() - resolves with the partial sets exactly when the timeout elapses', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance', 'Date'] });
    const a = running();
    const b = running();
    const waiting = track(wait([a, b], { timeout: 1_000 }));
    a.setResult(1);
    vi.advanceTimersByTime(999);
    await Promise.resolve();
    expect(waiting.settled).toBe(false);
    vi.advanceTimersByTime(1);
    const { done, notDone } = await waiting.promise;
    expect(done).toEqual(new Set([a]));
    expect(notDone).toEqual(new Set([b]));
    expect(vi.getTimerCount()).toBe(0);
  });

  test('wait() - without a timeout, or already satisfied, arms no timer', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance', 'Date'] });
    const a = running();
    const waiting = wait([a]);
    await wait([succeeded(1)], { timeout: 60_000 });
    expect(vi.getTimerCount()).toBe(0);
    a.setResult(1);
    expect((await waiting).done.size).toBe(1);
  });
});

describe('wait() cost and cleanup', () => {
  test('wait() - 100,000 bare futures completed one by one', async () => {
    const n = 100_000;
    const fs = Array.from({ length: n }, () => new Future<number>());
    const waiting = track(wait(fs));
    for (let i = 0; i < n - 1; i++) fs[i]?.setResult(i);
    await turns(1);
    expect(waiting.settled).toBe(false);
    fs[n - 1]?.setResult(n - 1);
    const { done, notDone } = await waiting.promise;
    expect(done.size).toBe(n);
    expect(notDone.size).toBe(0);
  });

  test('wait() - 100,000 bare futures with FIRST_EXCEPTION, the last one failing', async () => {
    const n = 100_000;
    const fs = Array.from({ length: n }, () => new Future<number>());
    const waiting = wait(fs, { returnWhen: FIRST_EXCEPTION });
    // Complete them in reverse order, so that no implementation gets a lucky scan order.
    for (let i = n - 1; i > 0; i--) fs[i]?.setResult(i);
    fs[0]?.setException(new Error('last'));
    const { done, notDone } = await waiting;
    expect(done.size).toBe(n);
    expect(notDone.size).toBe(0);
  });

  test('wait() - 100,000 bare futures with FIRST_COMPLETED, then the rest complete afterwards', async () => {
    const n = 100_000;
    const fs = Array.from({ length: n }, () => new Future<number>());
    const waiting = wait(fs, { returnWhen: FIRST_COMPLETED });
    fs[n >> 1]?.setResult(0);
    const { done, notDone } = await waiting;
    expect(done.size).toBe(1);
    expect(notDone.size).toBe(n - 1);
    for (const future of fs) if (!future.done()) future.setResult(1);
    // The returned sets are a snapshot: later completions do not move anything.
    expect(done.size).toBe(1);
    expect(notDone.size).toBe(n - 1);
  });

  test('wait() - after a timeout the remaining futures hold no leftover waiters', async () => {
    const fs = Array.from({ length: 1_000 }, () => new Future<number>());
    const result = await wait(fs, { timeout: 10 });
    expect(result.done.size).toBe(0);
    expect(result.notDone.size).toBe(fs.length);
    // Completing them afterwards neither throws nor reaches the finished wait's sets.
    fs.forEach((future, i) => {
      if (i % 3 === 0) future.cancel();
      else if (i % 3 === 1) future.setException(new Error(`late ${i}`));
      else future.setResult(i);
    });
    expect(result.done.size).toBe(0);
    expect(result.notDone.size).toBe(fs.length);
    // And a fresh wait on them sees them all done.
    const again = await wait(fs, { timeout: 0 });
    expect(again.done.size).toBe(fs.length);
  });

  test('wait() - many timed-out waits on one future leave nothing behind that fires later', async () => {
    const future = running();
    const results = await Promise.all(Array.from({ length: 200 }, () => wait([future], { timeout: 10 })));
    for (const { done, notDone } of results) {
      expect(done.size).toBe(0);
      expect(notDone.has(future)).toBe(true);
    }
    const callbacks: number[] = [];
    future.addDoneCallback(() => callbacks.push(1));
    expect(() => future.setResult(1)).not.toThrow();
    expect(callbacks).toEqual([1]);
    for (const { done, notDone } of results) {
      expect(done.size).toBe(0);
      expect(notDone.size).toBe(1);
    }
  });

  test('wait() - after FIRST_COMPLETED returns, later completions do not touch its result', async () => {
    const a = running();
    const b = running();
    const c = new Future<number>();
    const waiting = wait([a, b, c], { returnWhen: FIRST_COMPLETED });
    a.setResult(1);
    const result = await waiting;
    b.setException(new Error('late'));
    c.cancel();
    expect(result.done).toEqual(new Set([a]));
    expect(result.notDone).toEqual(new Set([b, c]));
  });
});
