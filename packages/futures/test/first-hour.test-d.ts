// The types of issue 16's additions: synchronous reads of a done future (decision 0013), the
// awaitable map iterator (decision 0012) and `maxtasksperchild` on the process pool (0011).
import { describe, expectTypeOf, test } from 'vitest';
import { type Executor, Future, type MapIterable, type ProcessPoolExecutorOptions, type ShutdownOptions } from '../src/index.js';

declare const executor: Executor;

describe('Future.resultNow() / .exceptionNow()', () => {
  test('.resultNow() - is the value type, synchronously; .exceptionNow() is unknown', () => {
    expectTypeOf(new Future<number>().resultNow()).toEqualTypeOf<number>();
    expectTypeOf(new Future<number>().exceptionNow()).toEqualTypeOf<unknown>();
    executor.submit((x: number) => String(x), 1).addDoneCallback((f) => expectTypeOf(f.resultNow()).toEqualTypeOf<string>());
  });
});

describe('await executor.map()', () => {
  test('.map() - awaiting the iterator gives an array of the result type', async () => {
    expectTypeOf(await executor.map((x: number) => String(x), [1, 2])).toEqualTypeOf<string[]>();
    expectTypeOf(await executor.starmap(async (a: number, b: number) => a + b, [[1, 2]])).toEqualTypeOf<number[]>();
    expectTypeOf<MapIterable<string>>().toMatchTypeOf<PromiseLike<string[]>>();
  });

  test('.map() - for await still yields single results', async () => {
    for await (const value of executor.map((x: number) => String(x), [1])) expectTypeOf(value).toEqualTypeOf<string>();
  });
});

describe('option spellings', () => {
  test("ProcessPoolExecutorOptions - takes Pool's maxtasksperchild beside maxTasksPerChild", () => {
    expectTypeOf<ProcessPoolExecutorOptions>().toHaveProperty('maxtasksperchild');
    expectTypeOf<ProcessPoolExecutorOptions>().toHaveProperty('maxTasksPerChild');
  });

  test('ShutdownOptions - a snake_case key is a compile error too', () => {
    // @ts-expect-error -- cancel_futures is not an option (cancelFutures is)
    const options: ShutdownOptions = { cancel_futures: true };
    void options;
  });
});
