import { afterEach, describe, expect, test, vi } from 'vitest';
import { asCompleted, CancelledError, Future, ThreadPoolExecutor, TimeoutError } from '../src/index.js';

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

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

type Settled<T> = { status: 'fulfilled'; value: T } | { status: 'rejected'; reason: unknown };

async function settle<T>(promise: PromiseLike<T>): Promise<Settled<T>> {
  try {
    return { status: 'fulfilled', value: await promise };
  } catch (reason) {
    return { status: 'rejected', reason };
  }
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

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The runtime value of a `for await` variable over asCompleted(). TypeScript types that variable
 * as the *awaited* element type (microsoft/TypeScript#21115), so it claims `T` although the value
 * is the Future itself; this checks the value and gives it its real type.
 */
function asFuture<T>(value: unknown): Future<T> {
  expect(value).toBeInstanceOf(Future);
  return value as Future<T>;
}

async function collect<T>(iterator: AsyncIterable<Future<T>>): Promise<Future<T>[]> {
  const out: Future<T>[] = [];
  for await (const item of iterator) out.push(asFuture<T>(item));
  return out;
}

/**
 * The future a `next()` yields, boxed: a Future is thenable, so returning it bare from an async
 * function would await it and hand back its value instead (the trap api.md warns about).
 */
async function nextFuture<T>(iterator: AsyncIterator<T>): Promise<{ future: T }> {
  const result = await iterator.next();
  if (result.done === true) throw new Error('expected a future, the iterator finished');
  return { future: result.value };
}

/** Calls `asCompleted` and its first `next()`, so a TypeError counts whether thrown at the call or at the first step. */
function firstStep(run: () => AsyncIterator<unknown>): Promise<unknown> {
  try {
    return run().next();
  } catch (error) {
    return Promise.reject(error);
  }
}

// ---------------------------------------------------------------------------------------------

describe('asCompleted() order (R4.2)', () => {
  test('asCompleted() - yields already-done futures first, then in completion order', async () => {
    const a = succeeded(1);
    const b = failed(new Error('b'));
    const p1 = new Future<number>();
    const p2 = running();
    const p3 = new Future<number>();
    const iterator = asCompleted([p1, a, p2, b, p3]);

    const firstTwo = new Set([(await nextFuture(iterator)).future, (await nextFuture(iterator)).future]);
    expect(firstTwo).toEqual(new Set([a, b]));

    const third = track(nextFuture(iterator));
    await turns();
    expect(third.settled).toBe(false);
    p3.setResult(3);
    expect((await third.promise).future).toBe(p3);

    // Two complete before anyone asks: they come in completion order.
    p2.setException(new Error('p2'));
    p1.setResult(1);
    expect((await nextFuture(iterator)).future).toBe(p2);
    expect((await nextFuture(iterator)).future).toBe(p1);
    expect(await iterator.next()).toEqual({ done: true, value: undefined });
  });

  test('asCompleted() - a completion order that differs from the input order is followed', async () => {
    const fs = Array.from({ length: 4 }, () => new Future<number>());
    const iterator = asCompleted(fs);
    const yielded: Future<number>[] = [];
    for (const index of [2, 0, 3, 1]) {
      const next = nextFuture(iterator);
      fs[index]?.setResult(index);
      yielded.push((await next).future);
    }
    expect(yielded).toEqual([fs[2], fs[0], fs[3], fs[1]]);
    expect(yielded.map((f) => fs.indexOf(f))).toEqual([2, 0, 3, 1]);
    expect((await iterator.next()).done).toBe(true);
  });

  test('asCompleted() - follows the completion order of 10,000 futures completed in reverse', async () => {
    const n = 10_000;
    const fs = Array.from({ length: n }, () => new Future<number>());
    const iterator = asCompleted(fs);
    for (let i = n - 1; i >= 0; i--) fs[i]?.setResult(i);
    const yielded = await collect(iterator);
    expect(yielded).toHaveLength(n);
    expect(yielded.every((future, k) => future === fs[n - 1 - k])).toBe(true);
  });

  test('asCompleted() - with a for await loop sees every future once completions are driven from the loop', async () => {
    const fs = Array.from({ length: 5 }, () => new Future<number>());
    const order = [4, 1, 3, 0, 2];
    fs[order[0] ?? 0]?.setResult(0);
    const seen: number[] = [];
    let step = 1;
    for await (const item of asCompleted(fs)) {
      seen.push(fs.indexOf(asFuture<number>(item)));
      const index = order[step++];
      if (index !== undefined) fs[index]?.setResult(index);
    }
    expect(seen).toEqual(order);
  });
});

describe('asCompleted() inputs (R4.1)', () => {
  test('asCompleted() - yields the Future objects themselves, not their values', async () => {
    const ok = succeeded(42);
    const bad = failed(new Error('boom'));
    const yielded = await collect(asCompleted([ok, bad]));
    expect(yielded).toHaveLength(2);
    for (const future of yielded) expect(future).toBeInstanceOf(Future);
    expect(new Set(yielded)).toEqual(new Set([ok, bad]));
  });

  test('asCompleted() - yields a failed future without throwing its error', async () => {
    const error = new Error('boom');
    const pending = running();
    const iterator = asCompleted([pending]);
    const next = iterator.next();
    pending.setException(error);
    const result = await next;
    expect(result.done).toBe(false);
    expect(result.value).toBe(pending);
    await expect(pending.exception()).resolves.toBe(error);
  });

  test('asCompleted() - yields a future failed with undefined as a future', async () => {
    const f = failed(undefined);
    const [yielded] = await collect(asCompleted([f]));
    expect(yielded).toBe(f);
    expect(yielded).toBeInstanceOf(Future);
  });

  test('asCompleted() - yields each distinct future once', async () => {
    const a = succeeded(1);
    const b = succeeded(2);
    const yielded = await collect(asCompleted([a, b, a, b, a]));
    expect(yielded).toHaveLength(2);
    expect(new Set(yielded)).toEqual(new Set([a, b]));
  });

  test('asCompleted() - yields a pending duplicate once', async () => {
    const p = new Future<number>();
    const iterator = asCompleted([p, p, p]);
    const next = nextFuture(iterator);
    p.setResult(1);
    expect((await next).future).toBe(p);
    expect(await iterator.next()).toEqual({ done: true, value: undefined });
  });

  test('asCompleted() - empty input yields nothing', async () => {
    expect(await collect(asCompleted([]))).toEqual([]);
    expect(await asCompleted([]).next()).toEqual({ done: true, value: undefined });
    expect(await asCompleted([], { timeout: 0 }).next()).toEqual({ done: true, value: undefined });
  });

  test('asCompleted() - accepts a generator and a Set', async () => {
    const a = succeeded(1);
    const b = succeeded(2);
    function* gen(): Generator<Future<number>> {
      yield a;
      yield b;
      yield a;
    }
    expect(new Set(await collect(asCompleted(gen())))).toEqual(new Set([a, b]));
    expect(new Set(await collect(asCompleted(new Set([a, b]))))).toEqual(new Set([a, b]));
  });

  test('asCompleted() - is its own async iterator', () => {
    const iterator = asCompleted([succeeded(1)]);
    expect(iterator[Symbol.asyncIterator]()).toBe(iterator);
  });

  test.each([
    ['null', null],
    ['a number', 42],
    ['a plain object', {}],
  ])('asCompleted() - a non-iterable (%s) throws TypeError', async (_label, fs) => {
    await expect(firstStep(() => asCompleted(fs as unknown as Iterable<Future<number>>))).rejects.toBeInstanceOf(TypeError);
  });

  test.each([
    ['a string', '5'],
    ['NaN', Number.NaN],
  ])('asCompleted() - a timeout that is %s throws TypeError', async (_label, timeout) => {
    await expect(
      firstStep(() => asCompleted([succeeded(1)], { timeout: timeout as unknown as number })),
    ).rejects.toBeInstanceOf(TypeError);
  });
});

describe('asCompleted() cancellation (gh-92001)', () => {
  test('asCompleted() - yields futures that were cancelled before the call', async () => {
    const plain = cancelled();
    const notified = cancelled();
    notified.setRunningOrNotifyCancel();
    const yielded = await collect(asCompleted([plain, notified], { timeout: 0 }));
    expect(new Set(yielded)).toEqual(new Set([plain, notified]));
  });

  test('asCompleted() - a cancellation while waiting wakes next() and yields the future', async () => {
    const a = new Future<number>();
    const b = new Future<number>();
    const iterator = asCompleted([a, b]);
    const next = track(nextFuture(iterator));
    await turns();
    expect(next.settled).toBe(false);
    expect(b.cancel()).toBe(true);
    const yielded = (await next.promise).future;
    expect(yielded).toBe(b);
    await expect(yielded.result()).rejects.toBeInstanceOf(CancelledError);
    a.setResult(1);
    expect((await nextFuture(iterator)).future).toBe(a);
  });

  test('asCompleted() - futures cancelled by shutdown({ cancelFutures: true }) are yielded (gh-109934)', async () => {
    const executor = new ThreadPoolExecutor({ maxWorkers: 1 });
    const gate = deferred();
    const started = deferred();
    const blocker = executor.submit(async () => {
      started.resolve();
      await gate.promise;
      return 'blocker';
    });
    const queued = [executor.submit(() => 1), executor.submit(() => 2)];
    await started.promise;
    const iterator = asCompleted(queued);
    const first = nextFuture(iterator);
    const shutdown = executor.shutdown({ cancelFutures: true });
    const yielded = new Set([(await first).future, (await nextFuture(iterator)).future]);
    expect(yielded).toEqual(new Set(queued));
    for (const future of queued) expect(future.cancelled()).toBe(true);
    gate.resolve();
    await shutdown;
    expect(await blocker).toBe('blocker');
  });
});

describe('asCompleted() timeout (R4.4)', () => {
  test("asCompleted() - on timeout throws TimeoutError('N (of M) futures unfinished') after the done ones", async () => {
    const notified = cancelled();
    notified.setRunningOrNotifyCancel();
    const pending = new Future<number>();
    const run = running();
    const ok = succeeded(1);
    const iterator = asCompleted([notified, pending, run, ok], { timeout: 20 });
    const firstTwo = new Set([(await nextFuture(iterator)).future, (await nextFuture(iterator)).future]);
    expect(firstTwo).toEqual(new Set([notified, ok]));
    const outcome = await settle(iterator.next());
    expect(outcome.status).toBe('rejected');
    const reason = outcome.status === 'rejected' ? outcome.reason : undefined;
    expect(reason).toBeInstanceOf(TimeoutError);
    expect((reason as Error).message).toBe('2 (of 4) futures unfinished');
    // The futures themselves are untouched.
    expect(pending.state).toBe('PENDING');
    expect(run.state).toBe('RUNNING');
  });

  test('asCompleted() - the message counts distinct futures only', async () => {
    const ok = succeeded(1);
    const p = new Future<number>();
    const iterator = asCompleted([ok, p, p, ok, p], { timeout: 10 });
    expect((await nextFuture(iterator)).future).toBe(ok);
    await expect(iterator.next()).rejects.toThrow(new TimeoutError('1 (of 2) futures unfinished'));
  });

  test('asCompleted() - timeout 0 yields what is done, then throws if anything is pending', async () => {
    const ok = succeeded(1);
    const p = new Future<number>();
    const iterator = asCompleted([ok, p], { timeout: 0 });
    expect((await nextFuture(iterator)).future).toBe(ok);
    const outcome = await settle(iterator.next());
    expect(outcome.status === 'rejected' && outcome.reason).toBeInstanceOf(TimeoutError);
    expect(outcome.status === 'rejected' && (outcome.reason as Error).message).toBe('1 (of 2) futures unfinished');
  });

  test('asCompleted() - timeout 0 with every future done raises nothing', async () => {
    const fs = [succeeded(1), failed(new Error('x')), cancelled()];
    const yielded = await collect(asCompleted(fs, { timeout: 0 }));
    expect(new Set(yielded)).toEqual(new Set(fs));
  });

  test('asCompleted() - a negative timeout behaves as 0', async () => {
    const iterator = asCompleted([new Future<number>()], { timeout: -5 });
    await expect(iterator.next()).rejects.toThrow(new TimeoutError('1 (of 1) futures unfinished'));
  });

  test('asCompleted() - the timeout is counted from the call, not from the first next()', async () => {
    const p = new Future<number>();
    const iterator = asCompleted([p], { timeout: 20 });
    // Well past the deadline before anyone asks; a timeout counted from the first next()
    // (CPython's lazy generator, R4.3) would still be running and would yield p below.
    await sleep(100);
    const next = iterator.next();
    p.setResult(1);
    await expect(next).rejects.toThrow(new TimeoutError('1 (of 1) futures unfinished'));
  });

  test('asCompleted() - a future completing before the timeout is yielded, then the timeout hits the rest', async () => {
    const a = running();
    const b = running();
    const iterator = asCompleted([a, b], { timeout: 50 });
    const first = iterator.next();
    a.setResult(1);
    expect(await first).toEqual({ done: false, value: a });
    await expect(iterator.next()).rejects.toThrow(new TimeoutError('1 (of 2) futures unfinished'));
    expect(b.state).toBe('RUNNING');
  });

  test('asCompleted() - a timeout far in the future does not delay completions', async () => {
    // Far beyond the test's own limit: only an event-driven wake passes.
    const fs = [new Future<number>(), new Future<number>()];
    const iterator = asCompleted(fs, { timeout: 3_600_000 });
    const collected = collect(iterator);
    await turns(2);
    fs[1]?.setResult(1);
    fs[0]?.setResult(0);
    expect(await collected).toEqual([fs[1], fs[0]]);
  });

  test('asCompleted() - after the TimeoutError the iterator is finished', async () => {
    const p = new Future<number>();
    const iterator = asCompleted([p], { timeout: 0 });
    await expect(iterator.next()).rejects.toBeInstanceOf(TimeoutError);
    p.setResult(1);
    expect(await iterator.next()).toEqual({ done: true, value: undefined });
  });

  test('asCompleted() - a for await loop sees the TimeoutError', async () => {
    const ok = succeeded(1);
    const p = new Future<number>();
    const seen: Future<number>[] = [];
    const loop = async (): Promise<void> => {
      for await (const item of asCompleted([ok, p], { timeout: 10 })) seen.push(asFuture<number>(item));
    };
    await expect(loop()).rejects.toThrow(new TimeoutError('1 (of 2) futures unfinished'));
    expect(seen).toEqual([ok]);
  });
});

describe('asCompleted() timers', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  test('asCompleted() - a completion clears the timer of the next() it woke', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance', 'Date'] });
    const a = running();
    const iterator = asCompleted([a], { timeout: 60_000 });
    const next = iterator.next();
    a.setResult(1);
    expect(await next).toEqual({ done: false, value: a });
    expect(await iterator.next()).toEqual({ done: true, value: undefined });
    expect(vi.getTimerCount()).toBe(0);
  });

  test('asCompleted() - return() while a next() waits clears its timer and finishes that next()', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance', 'Date'] });
    const a = running();
    const iterator = asCompleted([a], { timeout: 60_000 });
    const next = iterator.next();
    await iterator.return?.();
    expect(await next).toEqual({ done: true, value: undefined });
    expect(vi.getTimerCount()).toBe(0);
    expect(a.state).toBe('RUNNING');
  });

  test('asCompleted() - throws exactly when the timeout elapses', async () => {
    // The deadline may be measured with performance.now() or Date.now(): fake both clocks.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance', 'Date'] });
    const a = running();
    const iterator = asCompleted([a], { timeout: 1_000 });
    const next = track(iterator.next());
    vi.advanceTimersByTime(999);
    await Promise.resolve();
    expect(next.settled).toBe(false);
    vi.advanceTimersByTime(1);
    await expect(next.promise).rejects.toThrow(new TimeoutError('1 (of 1) futures unfinished'));
  });
});

describe('asCompleted() leaving early', () => {
  test('asCompleted() - break leaves the remaining futures alone', async () => {
    const ok = succeeded(1);
    const p = new Future<number>();
    const r = running();
    for await (const item of asCompleted([ok, p, r])) {
      expect(asFuture<number>(item)).toBe(ok);
      break;
    }
    expect(p.state).toBe('PENDING');
    expect(r.state).toBe('RUNNING');
    expect(p.cancelled()).toBe(false);
    // They can still be completed, and nothing left behind throws.
    expect(() => p.setResult(2)).not.toThrow();
    expect(() => r.setException(new Error('late'))).not.toThrow();
    await expect(p.result()).resolves.toBe(2);
  });

  test('asCompleted() - return() finishes the iterator and leaves the futures alone', async () => {
    const p = new Future<number>();
    const q = new Future<number>();
    const iterator = asCompleted([p, q], { timeout: 3_600_000 });
    const returned = await iterator.return?.();
    expect(returned).toEqual({ done: true, value: undefined });
    expect(await iterator.next()).toEqual({ done: true, value: undefined });
    expect(p.state).toBe('PENDING');
    q.cancel();
    p.setResult(1);
    expect(await iterator.next()).toEqual({ done: true, value: undefined });
  });

  test('asCompleted() - return() after some yields leaves the rest pending and usable', async () => {
    const fs = Array.from({ length: 3 }, () => new Future<number>());
    const iterator = asCompleted(fs);
    const first = nextFuture(iterator);
    fs[1]?.setResult(1);
    expect((await first).future).toBe(fs[1]);
    await iterator.return?.();
    expect(fs[0]?.state).toBe('PENDING');
    expect(fs[2]?.state).toBe('PENDING');
    fs[0]?.setResult(0);
    fs[2]?.cancel();
    expect(await iterator.next()).toEqual({ done: true, value: undefined });
  });
});

describe('asCompleted() concurrent next()', () => {
  test('asCompleted() - two next() calls made at once both resolve, with different futures', async () => {
    const a = new Future<number>();
    const b = new Future<number>();
    const iterator = asCompleted([a, b]);
    const first = track(iterator.next());
    const second = track(iterator.next());
    await turns();
    expect(first.settled).toBe(false);
    expect(second.settled).toBe(false);
    a.setResult(1);
    await turns();
    b.setResult(2);
    const [r1, r2] = await Promise.all([first.promise, second.promise]);
    expect(r1.done).toBe(false);
    expect(r2.done).toBe(false);
    expect(new Set([r1.value, r2.value])).toEqual(new Set([a, b]));
    expect(await iterator.next()).toEqual({ done: true, value: undefined });
  });

  test('asCompleted() - two next() calls made at once both resolve when the futures complete together', async () => {
    const a = new Future<number>();
    const b = new Future<number>();
    const iterator = asCompleted([a, b]);
    const both = Promise.all([iterator.next(), iterator.next()]);
    b.setResult(2);
    a.setResult(1);
    const [r1, r2] = await both;
    expect([r1.value, r2.value]).toEqual([b, a]);
  });

  test('asCompleted() - more next() calls than futures: the extra ones finish', async () => {
    const a = new Future<number>();
    const iterator = asCompleted([a]);
    const calls = [iterator.next(), iterator.next(), iterator.next()];
    a.setResult(1);
    const results = await Promise.all(calls);
    expect(results.filter((r) => !r.done).map((r) => r.value)).toEqual([a]);
    expect(results.filter((r) => r.done)).toHaveLength(2);
  });
});

describe('asCompleted() with executors', () => {
  test('asCompleted() - yields ThreadPoolExecutor futures and bare futures in completion order', async () => {
    const executor = new ThreadPoolExecutor({ maxWorkers: 2 });
    try {
      const gate = deferred();
      const slow = executor.submit(async () => {
        await gate.promise;
        return 'slow';
      });
      const bare = new Future<string>();
      const iterator = asCompleted<string>([slow, bare]);
      const first = nextFuture(iterator);
      bare.setResult('bare');
      expect((await first).future).toBe(bare);
      const second = nextFuture(iterator);
      gate.resolve();
      expect((await second).future).toBe(slow);
      expect(await slow).toBe('slow');
      expect((await iterator.next()).done).toBe(true);
    } finally {
      await executor.shutdown();
    }
  });
});
