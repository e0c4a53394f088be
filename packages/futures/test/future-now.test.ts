/**
 * `resultNow()` / `exceptionNow()`: the synchronous reads of a done future that a
 * done-callback needs (issue 16, decision 0013). Python's callback calls `f.result()`, which
 * returns at once on a done future; ours returns a promise, so a done future also has these.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { CancelledError, Future, InvalidStateError, ThreadPoolExecutor } from '../src/index.js';

const executors: ThreadPoolExecutor[] = [];
afterEach(async () => {
  await Promise.all(executors.splice(0).map((executor) => executor.shutdown()));
});

function finished<T>(value: T): Future<T> {
  const future = new Future<T>();
  future.setResult(value);
  return future;
}

function failed(error: unknown): Future<never> {
  const future = new Future<never>();
  future.setException(error);
  return future;
}

describe('Future.resultNow()', () => {
  it('.resultNow() - returns the value of a finished future, synchronously', () => {
    expect(finished(42).resultNow()).toBe(42);
    expect(finished(undefined).resultNow()).toBeUndefined();
  });

  it('.resultNow() - throws the very value the task threw, falsy ones too', () => {
    const error = new RangeError('too big');
    expect(() => failed(error).resultNow()).toThrow(error);
    for (const thrown of [0, undefined, '', null]) {
      let caught: unknown = 'nothing thrown';
      try {
        failed(thrown).resultNow();
      } catch (e) {
        caught = e;
      }
      expect(caught).toBe(thrown);
    }
  });

  it('.resultNow() - throws CancelledError for a cancelled future, as result() rejects', async () => {
    const future = new Future<number>();
    future.cancel();
    expect(() => future.resultNow()).toThrow(CancelledError);
    await expect(future.result()).rejects.toBeInstanceOf(CancelledError);
  });

  it('.resultNow() - throws InvalidStateError while PENDING or RUNNING, naming the state', () => {
    const future = new Future<number>();
    expect(() => future.resultNow()).toThrow(InvalidStateError);
    expect(() => future.resultNow()).toThrow('resultNow() needs a done future; <Future state=pending> is not done yet');
    future.setRunningOrNotifyCancel();
    expect(() => future.resultNow()).toThrow('<Future state=running> is not done yet');
    future.setResult(1);
    expect(future.resultNow()).toBe(1);
  });
});

describe('Future.exceptionNow()', () => {
  it('.exceptionNow() - the thrown value, or undefined on success', () => {
    const error = new Error('boom');
    expect(failed(error).exceptionNow()).toBe(error);
    expect(failed(0).exceptionNow()).toBe(0);
    expect(finished('ok').exceptionNow()).toBeUndefined();
  });

  it('.exceptionNow() - CancelledError when cancelled, InvalidStateError when not done', () => {
    const pending = new Future<number>();
    expect(() => pending.exceptionNow()).toThrow(InvalidStateError);
    expect(() => pending.exceptionNow()).toThrow('exceptionNow() needs a done future');
    pending.cancel();
    expect(() => pending.exceptionNow()).toThrow(CancelledError);
  });
});

describe('done-callbacks read their future synchronously', () => {
  it(".addDoneCallback() - Python's `lambda f: out.append(f.result())` is `(f) => out.push(f.resultNow())`", async () => {
    const executor = new ThreadPoolExecutor({ maxWorkers: 2 });
    executors.push(executor);
    const out: number[] = [];
    const errors: unknown[] = [];
    executor.on('callbackError', (error) => errors.push(error));
    const futures = [1, 2, 3].map((n) => executor.submit(async (x: number) => x * 10, n));
    for (const future of futures) future.addDoneCallback((f) => out.push(f.resultNow()));
    await Promise.all(futures);
    expect(out.sort((a, b) => a - b)).toEqual([10, 20, 30]);
    expect(errors).toEqual([]);
  });

  it('.addDoneCallback() - a callback on a failed or cancelled future reads it with exceptionNow() / cancelled()', async () => {
    const executor = new ThreadPoolExecutor({ maxWorkers: 1 });
    executors.push(executor);
    const seen: string[] = [];
    const callback = (f: Future<unknown>): void => {
      if (f.cancelled()) seen.push('cancelled');
      else seen.push(String(f.exceptionNow() ?? f.resultNow()));
    };
    const bad = executor.submit(() => {
      throw new Error('boom');
    });
    const good = executor.submit(() => 'fine');
    const never = executor.submit(() => 'never');
    never.cancel();
    for (const future of [bad, good, never]) future.addDoneCallback(callback);
    await Promise.allSettled([bad, good]);
    expect(seen).toEqual(['cancelled', 'Error: boom', 'fine']);
  });
});
