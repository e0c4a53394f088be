/**
 * `await executor.map(...)` resolves to the results, as `Pool.map` does, instead of to the
 * iterator (issue 16, decision 0012): the map iterator is thenable, `then` being `toArray()`
 * shared by every await.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { type Executor, type MapIterable, ThreadPoolExecutor, WorkerThreadPoolExecutor } from '../src/index.js';

const executors: Executor[] = [];
afterEach(async () => {
  await Promise.all(executors.splice(0).map((executor) => executor.shutdown({ cancelFutures: true })));
});

function track<E extends Executor>(executor: E): E {
  executors.push(executor);
  return executor;
}

const square = (x: number): number => x * x;

describe('await executor.map()', () => {
  it('.map() - await gives the results in input order, as toArray() does', async () => {
    const executor = track(new ThreadPoolExecutor({ maxWorkers: 2 }));
    const results: number[] = await executor.map(async (x: number) => x + 1, [1, 2, 3]);
    expect(results).toEqual([2, 3, 4]);
    expect(await executor.starmap(Math.pow, [[2, 3], [3, 2]])).toEqual([8, 9]);
  });

  it('.map() - await works on a worker pool with chunks', async () => {
    const executor = track(new WorkerThreadPoolExecutor({ maxWorkers: 2 }));
    expect(await executor.map(square, [1, 2, 3, 4, 5], { chunksize: 2 })).toEqual([1, 4, 9, 16, 25]);
  });

  it('.map() - awaiting twice gives the same array (one collection)', async () => {
    const executor = track(new ThreadPoolExecutor({ maxWorkers: 2 }));
    const iterator = executor.map(square, [1, 2]);
    const first = await iterator;
    expect(await iterator).toBe(first);
  });

  it('.map() - await rejects with the first item error, as iterating would', async () => {
    const executor = track(new ThreadPoolExecutor({ maxWorkers: 1 }));
    const failing = (x: number): number => {
      if (x === 2) throw new RangeError(`bad ${x}`);
      return x;
    };
    await expect(executor.map(failing, [1, 2, 3])).rejects.toThrow('bad 2');
  });

  it('.map() - after next(), await gives the remaining results', async () => {
    const executor = track(new ThreadPoolExecutor({ maxWorkers: 2 }));
    const iterator = executor.map(square, [1, 2, 3]);
    expect(await iterator.next()).toEqual({ done: false, value: 1 });
    expect(await iterator).toEqual([4, 9]);
  });

  it('.map() - for await still yields the values one by one', async () => {
    const executor = track(new ThreadPoolExecutor({ maxWorkers: 2 }));
    const seen: number[] = [];
    for await (const value of executor.map(square, [1, 2, 3])) seen.push(value);
    expect(seen).toEqual([1, 4, 9]);
  });

  it('.map() - returned from an async function, it is collected too (the documented trade-off)', async () => {
    const executor = track(new ThreadPoolExecutor({ maxWorkers: 2 }));
    const start = async (): Promise<number[]> => executor.map(square, [2, 3]);
    expect(await start()).toEqual([4, 9]);
    // To hand the iterator itself through a promise, wrap it.
    const wrapped: { iterator: MapIterable<number> } = await Promise.resolve({ iterator: executor.map(square, [4]) });
    expect(await wrapped.iterator.next()).toEqual({ done: false, value: 16 });
  });
});
