/**
 * The behaviour Pool and ThreadPool share, run once against each (one contract, as CPython's
 * pool tests are): every method, the AsyncResult states, the lifecycle, bad input, and the
 * places where CPython hangs and these fail or report instead.
 */
import { BrokenExecutor, CancelledError, TimeoutError } from '@concurrent/futures';
import { afterEach, describe, expect, it } from 'vitest';
import { AsyncResult, type BasePool, Pool, ThreadPool, ValueError } from '../src/index.js';
import { deferred, loose, type PoolKind, PoolTracker, tasks } from './fixtures/harness.js';

const tracker = new PoolTracker();
afterEach(() => tracker.dispose());

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

async function* asyncRange(n: number): AsyncGenerator<number> {
  for (let i = 0; i < n; i++) yield i;
}

describe.each<PoolKind>(['Pool', 'ThreadPool'])('%s', (kind) => {
  const make = (processes = 2): BasePool => tracker.make(kind, processes).pool;

  it('.apply() - resolves with the task value (TaskRef and self-contained function)', async () => {
    const pool = make();
    expect(await pool.apply(tasks.square, [5])).toBe(25);
    expect(await pool.apply((a: number, b: number) => a * b, [6, 7])).toBe(42);
    expect(await pool.apply(tasks.pid)).toEqual(expect.any(Number));
  });

  it('.apply() - rejects with the task error, keeping its class', async () => {
    const pool = make();
    await expect(pool.apply(tasks.tenfoldUnless, [3])).rejects.toThrow(RangeError);
    await expect(pool.apply(tasks.tenfoldUnless, [3])).rejects.toThrow('bad 3');
  });

  it('.applyAsync() - callback runs before wait resolves', async () => {
    const pool = make();
    const seen: number[] = [];
    const result = pool.applyAsync(tasks.square, [7], { callback: (value) => seen.push(value) });
    expect(result).toBeInstanceOf(AsyncResult);
    await result.wait();
    expect(seen).toEqual([49]);
    expect(result.ready()).toBe(true);
    expect(result.successful()).toBe(true);
    expect(await result.get()).toBe(49);
  });

  it('.applyAsync() - errorCallback gets the error, callback is not called', async () => {
    const pool = make();
    const errors: unknown[] = [];
    const values: unknown[] = [];
    const result = pool.applyAsync(tasks.tenfoldUnless, [3], { callback: (v) => values.push(v), errorCallback: (e) => errors.push(e) });
    await result.wait();
    expect(values).toEqual([]);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(RangeError);
    expect(result.successful()).toBe(false);
    const first = await result.get().catch((error: unknown) => error);
    const second = await result.get().catch((error: unknown) => error);
    expect(first).toBe(errors[0]);
    expect(second).toBe(first);
  });

  it('.applyAsync() - a throwing callback is reported and later results are still delivered', async () => {
    const pool = make();
    const reported = deferred<{ error: unknown; result: AsyncResult<unknown> }>();
    pool.on('callbackError', (error, result) => reported.resolve({ error, result }));
    const bad = pool.applyAsync(tasks.square, [2], {
      callback: () => {
        throw new Error('callback failed');
      },
    });
    const { error, result } = await reported.promise;
    expect((error as Error).message).toBe('callback failed');
    expect(result).toBe(bad);
    // The result keeps the task's value, and the pool goes on.
    expect(await bad.get()).toBe(4);
    const later: number[] = [];
    await pool.applyAsync(tasks.square, [3], { callback: (v) => later.push(v) }).wait();
    expect(later).toEqual([9]);
    expect(await pool.map(tasks.square, [1, 2, 3])).toEqual([1, 4, 9]);
  });

  it('AsyncResult - get(timeout) rejects with TimeoutError while not ready, and works later', async () => {
    const pool = make();
    const scratch = await tracker.scratch();
    const mark = scratch.path('mark');
    const gate = scratch.gate();
    const result = pool.applyAsync(tasks.markThenWait, [mark, gate.path, 'late']);
    await scratch.waitFor(mark);
    expect(result.ready()).toBe(false);
    expect(() => result.successful()).toThrow(ValueError);
    expect(() => result.successful()).toThrow(/^<AsyncResult of applyAsync\(markThenWait\)> not ready$/);
    await expect(result.get(10)).rejects.toBeInstanceOf(TimeoutError);
    await result.wait(10); // resolves, never rejects
    expect(result.ready()).toBe(false);
    gate.open();
    expect(await result.get()).toBe('late');
    expect(result.successful()).toBe(true);
  });

  it('.map() - results in input order, for arrays, iterables and async iterables', async () => {
    const pool = make();
    expect(await pool.map(tasks.square, range(100))).toEqual(range(100).map((x) => x * x));
    expect(await pool.map(tasks.square, new Set([3, 4]))).toEqual([9, 16]);
    expect(await pool.map(tasks.square, asyncRange(10))).toEqual(range(10).map((x) => x * x));
    expect(await pool.map((x: number) => x + 1, range(50), { chunksize: 7 })).toEqual(range(50).map((x) => x + 1));
    expect(await pool.map(tasks.square, [])).toEqual([]);
  });

  it('.map() - a failing item rejects the whole map with its error', async () => {
    const pool = make();
    await expect(pool.map(tasks.tenfoldUnless, range(20), { chunksize: 3 })).rejects.toThrow('bad 3');
    await expect(pool.map(tasks.tenfoldUnless, range(20), { chunksize: 1 })).rejects.toThrow('bad 3');
  });

  it('.map() - an error thrown by the input is thrown as it is', async () => {
    const pool = make();
    const failure = new Error('input broke');
    function* broken(): Generator<number> {
      yield 1;
      throw failure;
    }
    await expect(pool.map(tasks.square, broken())).rejects.toBe(failure);
    async function* brokenAsync(): AsyncGenerator<number> {
      yield 1;
      throw failure;
    }
    await expect(pool.map(tasks.square, brokenAsync())).rejects.toBe(failure);
  });

  it('.mapAsync() - callback gets the whole list before wait resolves', async () => {
    const pool = make();
    const lists: number[][] = [];
    const result = pool.mapAsync(tasks.square, [1, 2, 3], { callback: (list) => lists.push(list) });
    await result.wait();
    expect(lists).toEqual([[1, 4, 9]]);
    expect(await result.get()).toEqual([1, 4, 9]);
  });

  it('.mapAsync() - errorCallback gets the error once', async () => {
    const pool = make();
    const errors: unknown[] = [];
    const result = pool.mapAsync(tasks.tenfoldUnless, range(10), { chunksize: 2, errorCallback: (e) => errors.push(e) });
    await result.wait();
    expect(errors).toHaveLength(1);
    expect(result.successful()).toBe(false);
    await expect(result.get()).rejects.toThrow('bad 3');
  });

  it('.mapAsync() - empty input does not stall, and calls the callback with []', async () => {
    const pool = make();
    const lists: number[][] = [];
    const result = pool.mapAsync(tasks.square, [], { chunksize: 1, callback: (list) => lists.push(list) });
    expect(await result.get()).toEqual([]);
    expect(lists).toEqual([[]]);
  });

  it('.starmap() - unpacks each item as the arguments', async () => {
    const pool = make();
    expect(await pool.starmap(tasks.add, [[1, 2], [3, 4], [5, 6]])).toEqual([3, 7, 11]);
    expect(await pool.starmap((a: number, b: number) => a - b, [[5, 1], [9, 2]], { chunksize: 1 })).toEqual([4, 7]);
    await expect(pool.starmap(tasks.add, [loose<[number, number]>(5)])).rejects.toThrow(TypeError);
  });

  it('.starmapAsync() - callback and get', async () => {
    const pool = make();
    const lists: number[][] = [];
    const result = pool.starmapAsync(tasks.add, [[1, 1], [2, 2]], { callback: (list) => lists.push(list) });
    expect(await result.get()).toEqual([2, 4]);
    expect(lists).toEqual([[2, 4]]);
  });

  it('.imap() - results in input order, lazily', async () => {
    const pool = make();
    const out: number[] = [];
    for await (const value of pool.imap(tasks.square, range(30), { chunksize: 4 })) out.push(value);
    expect(out).toEqual(range(30).map((x) => x * x));
    const fromAsync: number[] = [];
    for await (const value of pool.imap(tasks.square, asyncRange(12))) fromAsync.push(value);
    expect(fromAsync).toEqual(range(12).map((x) => x * x));
  });

  it('.imap() - with chunksize 1 an item error takes its place and iteration goes on', async () => {
    const pool = make();
    const iterator = pool.imap(tasks.tenfoldUnless, range(6));
    const seen: unknown[] = [];
    for (;;) {
      try {
        const next = await iterator.next();
        if (next.done === true) break;
        seen.push(next.value);
      } catch (error) {
        seen.push((error as Error).message);
      }
    }
    expect(seen).toEqual([0, 10, 20, 'bad 3', 40, 50]);
  });

  it('.imap() - with a larger chunksize a failing chunk ends the iteration', async () => {
    const pool = make();
    const iterator = pool.imap(tasks.tenfoldUnless, range(8), { chunksize: 2 });
    const seen: unknown[] = [];
    for (;;) {
      try {
        const next = await iterator.next();
        if (next.done === true) break;
        seen.push(next.value);
      } catch (error) {
        seen.push((error as Error).message);
      }
    }
    expect(seen).toEqual([0, 10, 'bad 3']);
  });

  it('.imap() - an input error comes after the results before it, then the end', async () => {
    const pool = make();
    const failure = new Error('input broke at 3');
    function* input(): Generator<number> {
      yield* [0, 1, 2];
      throw failure;
    }
    const iterator = pool.imap(tasks.square, input(), { chunksize: 2 });
    const seen: unknown[] = [];
    for (;;) {
      try {
        const next = await iterator.next();
        if (next.done === true) break;
        seen.push(next.value);
      } catch (error) {
        seen.push(error);
      }
    }
    expect(seen).toEqual([0, 1, 4, failure]);
  });

  it('.imap() - next(timeout) rejects with TimeoutError and the iteration goes on', async () => {
    const pool = make();
    const scratch = await tracker.scratch();
    const mark = scratch.path('mark');
    const gate = scratch.gate();
    const iterator = pool.imap(tasks.gated, [{ mark, gate: gate.path, value: 'a' }]);
    await scratch.waitFor(mark);
    await expect(iterator.next(20)).rejects.toBeInstanceOf(TimeoutError);
    gate.open();
    expect(await iterator.next()).toEqual({ done: false, value: 'a' });
    expect(await iterator.next()).toEqual({ done: true, value: undefined });
  });

  it('.imapUnordered() - every result once; one that finishes first comes first', async () => {
    const pool = make(2);
    const scratch = await tracker.scratch();
    const slow = { mark: scratch.path('mark'), gate: scratch.gate().path, value: 'slow' };
    const open = scratch.gate();
    open.open();
    const fast = { mark: scratch.path('mark'), gate: open.path, value: 'fast' };
    const iterator = pool.imapUnordered(tasks.gated, [slow, fast]);
    // 'slow' cannot finish before its gate opens, which happens only after 'fast' came out.
    expect(await iterator.next()).toEqual({ done: false, value: 'fast' });
    scratch.openAll();
    expect(await iterator.next()).toEqual({ done: false, value: 'slow' });
    expect(await iterator.next()).toEqual({ done: true, value: undefined });
    const out: number[] = [];
    for await (const value of pool.imapUnordered(tasks.square, range(40), { chunksize: 3 })) out.push(value);
    expect(out.sort((a, b) => a - b)).toEqual(range(40).map((x) => x * x));
  });

  it('.imapUnordered() - leaving the loop early stops reading the input', async () => {
    const pool = make();
    let pulled = 0;
    function* naturals(): Generator<number> {
      for (let i = 0; ; i++) {
        pulled++;
        yield i;
      }
    }
    let count = 0;
    for await (const _ of pool.imapUnordered(tasks.square, naturals(), { chunksize: 5, buffersize: 2 })) {
      if (++count === 12) break;
    }
    const after = pulled;
    expect(after).toBeLessThanOrEqual(12 + 2 * 5);
    expect(await pool.apply(tasks.square, [3])).toBe(9);
    expect(pulled).toBe(after);
  });

  it('.close() / .join() - queued work finishes, then join resolves', async () => {
    const pool = make();
    const results = range(6).map((i) => pool.applyAsync(tasks.square, [i]));
    pool.close();
    pool.close(); // idempotent
    await pool.join();
    expect(results.every((r) => r.ready())).toBe(true);
    expect(await Promise.all(results.map((r) => r.get()))).toEqual([0, 1, 4, 9, 16, 25]);
    await pool.join(); // repeatable
  });

  it('.join() - before close rejects with "Pool is still running"', async () => {
    const pool = make();
    await expect(pool.join()).rejects.toThrow(ValueError);
    await expect(pool.join()).rejects.toThrow(/^Pool is still running$/);
  });

  it('every submit method after close throws "Pool not running"', async () => {
    const pool = make();
    pool.close();
    const calls: (() => unknown)[] = [
      () => pool.applyAsync(tasks.square, [1]),
      () => pool.mapAsync(tasks.square, [1]),
      () => pool.starmapAsync(tasks.add, [[1, 2]]),
      () => pool.imap(tasks.square, [1]),
      () => pool.imapUnordered(tasks.square, [1]),
    ];
    for (const call of calls) expect(call).toThrow(new ValueError('Pool not running'));
    await expect(pool.apply(tasks.square, [1])).rejects.toThrow('Pool not running');
    await expect(pool.map(tasks.square, [1])).rejects.toThrow('Pool not running');
    await expect(pool.starmap(tasks.add, [[1, 2]])).rejects.toThrow('Pool not running');
    await pool.join();
  });

  it('.join() - an imap iterator made before close still runs to its end', async () => {
    const pool = make();
    const iterator = pool.imap(tasks.square, range(50), { buffersize: 1 });
    pool.close();
    await pool.join(); // reads the rest of the input (as Python does at the call)
    const out: number[] = [];
    for await (const value of iterator) out.push(value);
    expect(out).toEqual(range(50).map((x) => x * x));
  });

  it('.terminate() - outstanding results fail with CancelledError instead of hanging', async () => {
    const pool = make();
    const scratch = await tracker.scratch();
    const mark = scratch.path('mark');
    const gate = scratch.gate();
    const errors: unknown[] = [];
    const running = pool.applyAsync(tasks.markThenWait, [mark, gate.path], { errorCallback: (e) => errors.push(e) });
    const queued = range(10).map(() => pool.applyAsync(tasks.markThenWait, [scratch.path('m'), gate.path]));
    const iterator = pool.imap(tasks.gated, [{ mark: scratch.path('m'), gate: gate.path, value: 'never' }]);
    await scratch.waitFor(mark);
    await pool.terminate();
    await expect(running.get()).rejects.toBeInstanceOf(CancelledError);
    expect(errors).toHaveLength(1);
    for (const result of queued) await expect(result.get()).rejects.toBeInstanceOf(CancelledError);
    await expect(iterator.next()).rejects.toBeInstanceOf(CancelledError);
    expect(() => pool.applyAsync(tasks.square, [1])).toThrow('Pool not running');
    await pool.terminate(); // again: harmless
    gate.open(); // a ThreadPool task already running cannot be stopped: join() waits for it
    await pool.join();
  });

  it('[Symbol.asyncDispose] - terminates, as Python\'s with-block does', async () => {
    const scratch = await tracker.scratch();
    const mark = scratch.path('mark');
    const gate = scratch.gate();
    let result: AsyncResult<string> | undefined;
    {
      await using pool = tracker.make(kind).pool;
      result = pool.applyAsync(tasks.markThenWait, [mark, gate.path]);
      await scratch.waitFor(mark);
    }
    await expect(result.get()).rejects.toBeInstanceOf(CancelledError);
    gate.open();
  });

  it('a failing initializer fails the pool once: results reject, later submits throw', async () => {
    const { pool } = tracker.make(kind, { processes: 2, initializer: tasks.failingInit });
    const results = range(4).map((i) => pool.applyAsync(tasks.square, [i]));
    for (const result of results) {
      const error = await result.get().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(BrokenExecutor);
      expect(((error as Error).cause as Error).message).toBe('init failed on purpose');
    }
    expect(() => pool.applyAsync(tasks.square, [1])).toThrow(BrokenExecutor);
    await expect(pool.map(tasks.square, [1, 2])).rejects.toBeInstanceOf(BrokenExecutor);
  });

  it('initializer(...initargs) runs before the tasks', async () => {
    const { pool } = tracker.make(kind, { processes: 1, initializer: tasks.init, initargs: ['ready'] });
    const seen = await pool.apply(tasks.readInit);
    expect(seen.value).toBe('ready');
    expect(seen.initCount).toBeGreaterThanOrEqual(1);
  });

  it('bad input - RangeError at the call, echoing the value; nothing pending', async () => {
    const P = kind === 'Pool' ? Pool : ThreadPool;
    expect(() => new P(0)).toThrow(RangeError);
    expect(() => new P(0)).toThrow(/Number of processes must be at least 1.*`0` \(number\)/);
    expect(() => new P({ processes: -1 })).toThrow(/`-1` \(number\)/);
    expect(() => new P({ processes: 1.5 })).toThrow(RangeError);
    expect(() => new P(loose<number>('2'))).toThrow(TypeError);
    if (kind === 'Pool') {
      expect(() => new Pool({ maxtasksperchild: 0 })).toThrow(RangeError);
      expect(() => new Pool({ maxtasksperchild: 0 })).toThrow(/maxtasksperchild.*`0` \(number\)/);
      expect(() => new Pool({ maxtasksperchild: 0.5 })).toThrow(RangeError);
    } else {
      expect(() => new ThreadPool(loose<object>({ maxtasksperchild: 2 }))).toThrow(/unknown option `maxtasksperchild`/);
    }
    expect(() => new P({ initializer: loose<() => void>(42) })).toThrow(TypeError);
    const pool = make();
    expect(() => pool.mapAsync(tasks.square, [1], { chunksize: 0 })).toThrow(RangeError);
    expect(() => pool.mapAsync(tasks.square, [1], { chunksize: 0 })).toThrow(/`0` \(number\)/);
    await expect(pool.map(tasks.square, [1], { chunksize: -1 })).rejects.toThrow(RangeError);
    await expect(pool.starmap(tasks.add, [[1, 2]], { chunksize: 0 })).rejects.toThrow(RangeError);
    expect(() => pool.imap(tasks.square, [1], { chunksize: 0 })).toThrow(RangeError);
    expect(() => pool.imapUnordered(tasks.square, [1], { chunksize: 0 })).toThrow(RangeError);
    expect(() => pool.imapUnordered(tasks.square, [1], { buffersize: 0 })).toThrow(RangeError);
    expect(() => pool.applyAsync(loose<() => number>('square'))).toThrow(TypeError);
    expect(() => pool.mapAsync(tasks.square, loose<number[]>(5))).toThrow(TypeError);
    expect(() => pool.applyAsync(tasks.square, [1], loose<object>({ callback: 5 }))).toThrow(TypeError);
    await expect(pool.apply(tasks.square, [1]).then(() => 'still works')).resolves.toBe('still works');
  });
});
