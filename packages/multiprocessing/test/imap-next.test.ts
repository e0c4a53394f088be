/**
 * `imap().next(timeout)` resolves to `{ value, done }`, as every JavaScript iterator's `next`
 * does, where Python's `it.next(timeout)` returns the value and raises `StopIteration` at
 * the end (issue 16): the README documents it; this pins it. (A timeout rejects with
 * `TimeoutError` instead: pool.test.ts.)
 */
import { afterEach, describe, expect, expectTypeOf, it } from 'vitest';
import { PoolTracker, tasks } from './fixtures/harness.js';

const tracker = new PoolTracker();
afterEach(() => tracker.dispose());

describe.each(['Pool', 'ThreadPool'] as const)('%s', (kind) => {
  it('.imap() - next(timeout) resolves to { value, done: false }, then { done: true } at the end', async () => {
    const { pool } = tracker.make(kind, 1);
    const results = pool.imap(tasks.square, [3, 4]);
    const first = await results.next(10_000);
    expect(first).toEqual({ value: 9, done: false });
    const { value, done } = await results.next(10_000);
    expectTypeOf(value).toEqualTypeOf<number | undefined>();
    expect([value, done]).toEqual([16, false]);
    expect(await results.next(10_000)).toEqual({ value: undefined, done: true });
  });
});
