/**
 * `Executor.map` / `starmap` edge cases that do not depend on where tasks run (CPython R7.x,
 * decision 0004): how the input is read, when it is submitted, how errors of the input take
 * their position, how the iterator closes its input. They run on the thread pool, whose
 * tasks may close over test state; the per-executor map behaviour is in `contract.test.ts`.
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  ExecutorShutdownError,
  type Future,
  ThreadPoolExecutor,
  type ThreadPoolExecutorOptions,
  TimeoutError,
} from '../src/index.js';
import { type Deferred, deferred, loose, settle } from './fixtures/harness.js';

const made: ThreadPoolExecutor[] = [];
const latches: Deferred<void>[] = [];

function pool(options?: ThreadPoolExecutorOptions): ThreadPoolExecutor {
  const executor = new ThreadPoolExecutor(options);
  made.push(executor);
  return executor;
}

/** A deferred resolved after the test at the latest, so nothing waits forever. */
function latch(): Deferred<void> {
  const d = deferred();
  latches.push(d);
  return d;
}

afterEach(async () => {
  for (const d of latches.splice(0)) d.resolve();
  await Promise.all(made.splice(0).map((executor) => executor.shutdown({ cancelFutures: true })));
});

function recordSubmits(executor: ThreadPoolExecutor): Future<unknown>[] {
  const futures: Future<unknown>[] = [];
  executor.on('submit', (future) => futures.push(future));
  return futures;
}

async function collect<T>(iterator: AsyncIterable<T>): Promise<T[]> {
  const values: T[] = [];
  for await (const value of iterator) values.push(value);
  return values;
}

const double = (x: number): number => x * 2;

describe('.map() input', () => {
  it('.map() - a sync iterable is submitted during the call; the tasks run even if never iterated (R7.1)', async () => {
    const executor = pool({ maxWorkers: 2 });
    const futures = recordSubmits(executor);
    const calls: number[] = [];
    executor.map((x: number) => calls.push(x), [1, 2, 3]);
    expect(futures).toHaveLength(3);
    await executor.shutdown();
    expect(calls).toEqual([1, 2, 3]);
  });

  it('.map() - an async iterable is read in the background from the call on', async () => {
    const executor = pool();
    const allCalled = deferred();
    const calls: number[] = [];
    async function* source(): AsyncGenerator<number> {
      yield 1;
      yield 2;
      yield 3;
    }
    executor.map((x: number) => {
      if (calls.push(x) === 3) allCalled.resolve();
    }, source());
    await allCalled.promise;
    expect(calls).toEqual([1, 2, 3]);
  });

  it('.map() - an async iterable gives its results in order', async () => {
    const executor = pool();
    async function* source(): AsyncGenerator<number> {
      yield 1;
      await new Promise((resolve) => setTimeout(resolve, 1));
      yield 2;
      yield 3;
    }
    expect(await collect(executor.map(double, source()))).toEqual([2, 4, 6]);
    expect(await collect(executor.map(double, source(), { buffersize: 1 }))).toEqual([2, 4, 6]);
  });

  it('.starmap() - takes an async iterable of argument arrays', async () => {
    const executor = pool();
    async function* pairs(): AsyncGenerator<[number, number]> {
      yield [1, 2];
      yield [3, 4];
    }
    expect(await collect(executor.starmap((a: number, b: number) => a + b, pairs()))).toEqual([3, 7]);
  });

  it.each([
    ['an empty array', (): Iterable<number> => []],
    ['an empty Set', (): Iterable<number> => new Set<number>()],
    [
      'an empty async generator',
      (): AsyncIterable<number> =>
        (async function* () {
          // yields nothing
        })(),
    ],
  ])('.map() - %s ends the iteration at once', async (_label, source) => {
    const executor = pool();
    expect(await collect(executor.map(double, source()))).toEqual([]);
    expect(await collect(executor.map(double, source(), { buffersize: 2 }))).toEqual([]);
    const iterator = executor.starmap((a: number) => a, loose<Iterable<[number]>>(source()));
    expect(await iterator.next()).toEqual({ done: true, value: undefined });
  });

  it.each([
    [
      'sync',
      (error: Error): Iterable<number> =>
        (function* () {
          yield 1;
          yield 2;
          throw error;
        })(),
    ],
    [
      'async',
      (error: Error): AsyncIterable<number> =>
        (async function* () {
          yield 1;
          yield 2;
          throw error;
        })(),
    ],
  ])('.map() - a %s source that throws at item k gives the earlier results, then its error', async (_label, source) => {
    const executor = pool();
    const error = new Error('the source broke');
    const iterator = executor.map(double, source(error));
    expect(await iterator.next()).toEqual({ done: false, value: 2 });
    expect(await iterator.next()).toEqual({ done: false, value: 4 });
    await expect(iterator.next()).rejects.toBe(error);
    expect(await iterator.next()).toEqual({ done: true, value: undefined });
  });

  it('.starmap() - an item that is not an argument array is a TypeError at its position; the rest is not read', async () => {
    const executor = pool();
    const futures = recordSubmits(executor);
    const iterator = executor.starmap((a: number, b: number) => a + b, loose<[number, number][]>([[1, 2], 5, [3, 4]]));
    expect(await iterator.next()).toEqual({ done: false, value: 3 });
    const next = iterator.next();
    await expect(next).rejects.toThrow(TypeError);
    await expect(next).rejects.toThrow('`5` (number)');
    expect(await iterator.next()).toEqual({ done: true, value: undefined });
    expect(futures).toHaveLength(1);
  });
});

describe('.map() buffersize', () => {
  it('.map() - buffersize pulls from the input only what is needed', async () => {
    const executor = pool();
    let pulled = 0;
    function* counting(): Generator<number> {
      for (let i = 0; ; i++) {
        pulled++;
        yield i;
      }
    }
    const iterator = executor.map(double, counting(), { buffersize: 2 });
    expect(pulled).toBe(2);
    expect(await iterator.next()).toEqual({ done: false, value: 0 });
    await settle();
    expect(pulled).toBeLessThanOrEqual(3);
    await iterator.return?.();
  });

  it('.map() - buffersize pulls from an async input only what is needed', async () => {
    const executor = pool();
    let pulled = 0;
    async function* counting(): AsyncGenerator<number> {
      for (let i = 0; ; i++) {
        pulled++;
        yield i;
      }
    }
    const iterator = executor.map(double, counting(), { buffersize: 2 });
    expect(await iterator.next()).toEqual({ done: false, value: 0 });
    // However long we wait, the input is not read ahead of the buffer.
    await settle();
    expect(pulled).toBeLessThanOrEqual(3);
    expect(await iterator.next()).toEqual({ done: false, value: 2 });
    await settle();
    expect(pulled).toBeLessThanOrEqual(4);
    await iterator.return?.();
  });

  it('.map() - buffersize counts chunks: buffersize × chunksize items are read ahead', () => {
    const executor = pool();
    const futures = recordSubmits(executor);
    let pulled = 0;
    function* counting(): Generator<number> {
      for (let i = 0; ; i++) {
        pulled++;
        yield i;
      }
    }
    const iterator = executor.map(double, counting(), { buffersize: 2, chunksize: 3 });
    expect(pulled).toBe(6);
    expect(futures).toHaveLength(6);
    void iterator.return?.();
  });

  it('.map() - buffersize: each result taken lets one more item be submitted, up to the end', async () => {
    const executor = pool();
    const futures = recordSubmits(executor);
    const iterator = executor.map(double, [1, 2, 3, 4, 5], { buffersize: 2 });
    expect(futures).toHaveLength(2);
    expect(await iterator.next()).toEqual({ done: false, value: 2 });
    expect(futures).toHaveLength(3);
    expect(await collect(iterator)).toEqual([4, 6, 8, 10]);
    expect(futures).toHaveLength(5);
  });
});

describe('.map() closing', () => {
  it('.map() - return() closes a sync source generator (its finally runs) and cancels what has not started', async () => {
    const executor = pool({ maxWorkers: 1 });
    const futures = recordSubmits(executor);
    const release = latch();
    let closed = false;
    function* source(): Generator<number> {
      try {
        for (let i = 0; ; i++) yield i;
      } finally {
        closed = true;
      }
    }
    const iterator = executor.map((x: number) => (x === 0 ? x : release.promise.then(() => x)), source(), { buffersize: 3 });
    expect(await iterator.next()).toEqual({ done: false, value: 0 });
    expect(closed).toBe(false);
    expect(await iterator.return?.()).toEqual({ done: true, value: undefined });
    expect(closed).toBe(true);
    expect(await iterator.next()).toEqual({ done: true, value: undefined });
    // Item 1 holds the only slot; whatever came after it never starts.
    expect(futures.slice(2).every((f) => f.cancelled())).toBe(true);
  });

  it('.map() - return() closes an async source generator (its finally runs)', async () => {
    const executor = pool();
    const closed = deferred();
    async function* source(): AsyncGenerator<number> {
      try {
        for (let i = 0; ; i++) yield i;
      } finally {
        closed.resolve();
      }
    }
    const iterator = executor.map(double, source(), { buffersize: 1 });
    expect(await iterator.next()).toEqual({ done: false, value: 0 });
    await iterator.return?.();
    await closed.promise;
    expect(await iterator.next()).toEqual({ done: true, value: undefined });
  });

  it('.map() - breaking out of for await closes the source', async () => {
    const executor = pool();
    let closed = false;
    function* source(): Generator<number> {
      try {
        for (let i = 0; ; i++) yield i;
      } finally {
        closed = true;
      }
    }
    const values: number[] = [];
    for await (const value of executor.map(double, source(), { buffersize: 2 })) {
      values.push(value);
      if (values.length === 3) break;
    }
    expect(values).toEqual([0, 2, 4]);
    expect(closed).toBe(true);
  });

  it(".map() - an item's error closes the source too", async () => {
    const executor = pool();
    let closed = false;
    function* source(): Generator<number> {
      try {
        for (let i = 0; ; i++) yield i;
      } finally {
        closed = true;
      }
    }
    const iterator = executor.map(
      (x: number) => {
        if (x === 1) throw new RangeError('one');
        return x;
      },
      source(),
      { buffersize: 2 },
    );
    expect(await iterator.next()).toEqual({ done: false, value: 0 });
    await expect(iterator.next()).rejects.toThrow('one');
    expect(closed).toBe(true);
  });

  it('.starmap() - a bad item closes an async source (its finally runs)', async () => {
    const executor = pool();
    const closed = deferred();
    async function* source(): AsyncGenerator<unknown> {
      try {
        yield [1, 2];
        yield 5;
        for (;;) yield [0, 0];
      } finally {
        closed.resolve();
      }
    }
    const iterator = executor.starmap((a: number, b: number) => a + b, loose<AsyncIterable<[number, number]>>(source()));
    expect(await iterator.next()).toEqual({ done: false, value: 3 });
    await expect(iterator.next()).rejects.toThrow(TypeError);
    await closed.promise;
  });

  it('.map() - a shutdown during a lazy map over an async source closes the source', async () => {
    const executor = pool();
    const closed = deferred();
    async function* source(): AsyncGenerator<number> {
      try {
        for (let i = 0; ; i++) yield i;
      } finally {
        closed.resolve();
      }
    }
    const iterator = executor.map(double, source(), { buffersize: 1 });
    // An async source is read in the background, so its first item reaches the executor
    // only after this synchronous shutdown: it cannot be submitted, which ends the map (at
    // that position) and closes the input.
    void executor.shutdown({ wait: false });
    await expect(iterator.next()).rejects.toBeInstanceOf(ExecutorShutdownError);
    expect(await iterator.next()).toEqual({ done: true, value: undefined });
    await closed.promise;
  });
});

describe('.map() ordering and time', () => {
  it('.map() - concurrent next() calls resolve in input order', async () => {
    const executor = pool({ maxWorkers: 3 });
    const results = [deferred<string>(), deferred<string>(), deferred<string>()];
    const iterator = executor.map((i: number) => (results[i] as Deferred<string>).promise, [0, 1, 2]);
    const order: number[] = [];
    const nexts = [iterator.next(), iterator.next(), iterator.next(), iterator.next()].map((promise, i) =>
      promise.then((result) => {
        order.push(i);
        return result;
      }),
    );
    results[2]?.resolve('c');
    results[1]?.resolve('b');
    await settle();
    expect(order).toEqual([]);
    results[0]?.resolve('a');
    expect(await Promise.all(nexts)).toEqual([
      { done: false, value: 'a' },
      { done: false, value: 'b' },
      { done: false, value: 'c' },
      { done: true, value: undefined },
    ]);
    expect(order).toEqual([0, 1, 2, 3]);
  });

  it(".map() - a later item's error waits for its position", async () => {
    const executor = pool({ maxWorkers: 2 });
    const first = latch();
    const iterator = executor.map(
      async (i: number) => {
        if (i === 1) throw new Error('second failed first');
        await first.promise;
        return i;
      },
      [0, 1],
    );
    const next = iterator.next();
    await settle();
    first.resolve();
    expect(await next).toEqual({ done: false, value: 0 });
    await expect(iterator.next()).rejects.toThrow('second failed first');
  });

  it('.map() - timeout 0 with a busy pool throws TimeoutError and cancels every item (CPython test_executor_map_current_future_cancel)', async () => {
    const executor = pool({ maxWorkers: 1 });
    const release = latch();
    const calls: string[] = [];
    const blocker = executor.submit(() => release.promise);
    const futures = recordSubmits(executor);
    const iterator = executor.map((x: string) => calls.push(x), ['second', 'third'], { timeout: 0 });
    await expect(iterator.next()).rejects.toBeInstanceOf(TimeoutError);
    expect(futures.map((f) => f.state)).toEqual(['CANCELLED', 'CANCELLED']);
    release.resolve();
    await blocker.result();
    await executor.shutdown();
    expect(calls).toEqual([]);
  });

  it('.map() - timeout counts from the call, not from next()', async () => {
    const executor = pool({ maxWorkers: 1 });
    const release = latch();
    const iterator = executor.map(() => release.promise.then(() => 'value'), [0], { timeout: 20 });
    await new Promise((resolve) => setTimeout(resolve, 40));
    const next = iterator.next();
    // The task could finish on the next turn of the loop; a timeout counted from this next()
    // would still be waiting then, and yield the value. From the call, it has already expired.
    setImmediate(() => release.resolve());
    await expect(next).rejects.toBeInstanceOf(TimeoutError);
  });

  it('.map() - timeout also covers waiting for a slow async source', async () => {
    const executor = pool();
    const never = latch();
    async function* slow(): AsyncGenerator<number> {
      await never.promise;
      yield 1;
    }
    const iterator = executor.map(double, slow(), { timeout: 20 });
    await expect(iterator.next()).rejects.toBeInstanceOf(TimeoutError);
    expect(await iterator.next()).toEqual({ done: true, value: undefined });
  });

  it('.map() - an executor shut down during a lazy map ends it at that position with ExecutorShutdownError', async () => {
    const executor = pool();
    const iterator = executor.map(double, [1, 2, 3], { buffersize: 1 });
    await executor.shutdown({ wait: false });
    // Item 1 was submitted before the shutdown; item 2 could not be.
    expect(await iterator.next()).toEqual({ done: false, value: 2 });
    await expect(iterator.next()).rejects.toBeInstanceOf(ExecutorShutdownError);
    expect(await iterator.next()).toEqual({ done: true, value: undefined });
  });
});

describe('.map().toArray()', () => {
  it('.map().toArray() - every result in input order, from an async iterable too', async () => {
    const executor = pool({ maxWorkers: 3 });
    expect(await executor.map(double, [1, 2, 3]).toArray()).toEqual([2, 4, 6]);
    async function* numbers(): AsyncGenerator<number> {
      yield* [4, 5, 6];
    }
    expect(await executor.map(double, numbers(), { buffersize: 1 }).toArray()).toEqual([8, 10, 12]);
  });

  it('.map().toArray() - throws the first error in input order and cancels what has not started', async () => {
    const executor = pool({ maxWorkers: 1 });
    const futures = recordSubmits(executor);
    const gate = latch();
    const failing = executor.map(
      async (x: number) => {
        if (x === 1) {
          await gate.promise;
          throw new RangeError('one');
        }
        return x;
      },
      [0, 1, 2, 3],
    );
    const collected = failing.toArray();
    gate.resolve();
    await expect(collected).rejects.toThrow(new RangeError('one'));
    expect(futures.map((f) => f.state)).toEqual(['FINISHED', 'FINISHED', 'CANCELLED', 'CANCELLED']);
  });

  it('.map().toArray() - the timeout counts from the call', async () => {
    const executor = pool({ maxWorkers: 1 });
    const never = latch();
    await expect(executor.map(() => never.promise, [1], { timeout: 10 }).toArray()).rejects.toThrow(TimeoutError);
  });
});
