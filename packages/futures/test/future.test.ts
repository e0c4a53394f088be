import { inspect } from 'node:util';
import { afterEach, describe, expect, test, vi } from 'vitest';
import {
  CancelledError,
  type DoneCallback,
  type FutureState,
  Future,
  FuturesError,
  InvalidStateError,
  ThreadPoolExecutor,
  TimeoutError,
} from '../src/index.js';

// ---------------------------------------------------------------------------------------------
// Helpers: futures in every state (CPython's PENDING_FUTURE, RUNNING_FUTURE, ...), a way to look
// at a promise's outcome without racing it, and event-loop turns instead of sleeps.

function pendingFuture<T = number>(): Future<T> {
  return new Future<T>();
}

function runningFuture<T = number>(): Future<T> {
  const future = new Future<T>();
  future.setRunningOrNotifyCancel();
  return future;
}

function cancelledFuture<T = number>(): Future<T> {
  const future = new Future<T>();
  future.cancel();
  return future;
}

/** CPython's CANCELLED_AND_NOTIFIED: cancelled, and the executor has acknowledged it. */
function notifiedFuture<T = number>(): Future<T> {
  const future = new Future<T>();
  future.cancel();
  future.setRunningOrNotifyCancel();
  return future;
}

function succeededFuture<T>(value: T): Future<T> {
  const future = new Future<T>();
  future.setResult(value);
  return future;
}

function failedFuture<T = number>(error: unknown): Future<T> {
  const future = new Future<T>();
  future.setException(error);
  return future;
}

type Settled<T> = { status: 'fulfilled'; value: T } | { status: 'rejected'; reason: unknown };

/** The outcome of `promise`, so that a rejection with `undefined` or `0` can be asserted exactly. */
async function settle<T>(promise: PromiseLike<T>): Promise<Settled<T>> {
  try {
    return { status: 'fulfilled', value: await promise };
  } catch (reason) {
    return { status: 'rejected', reason };
  }
}

/** Tracks whether a promise has settled yet, without changing how it settles. */
function track<T>(promise: Promise<T>): { readonly settled: boolean; readonly outcome: Promise<Settled<T>> } {
  let settled = false;
  const outcome = settle(promise).then((result) => {
    settled = true;
    return result;
  });
  return {
    get settled() {
      return settled;
    },
    outcome,
  };
}

/** Lets the event loop go round `n` times (microtasks, then one macrotask turn each). */
async function turns(n = 5): Promise<void> {
  for (let i = 0; i < n; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

afterEach(() => {
  vi.restoreAllMocks();
});

// ---------------------------------------------------------------------------------------------

describe('Future states (R2.1, R2.3)', () => {
  const states: [label: string, make: () => Future<number>, state: FutureState, running: boolean, done: boolean, cancelled: boolean][] = [
    ['PENDING', pendingFuture, 'PENDING', false, false, false],
    ['RUNNING', runningFuture, 'RUNNING', true, false, false],
    ['CANCELLED', cancelledFuture, 'CANCELLED', false, true, true],
    ['CANCELLED_AND_NOTIFIED', notifiedFuture, 'CANCELLED', false, true, true],
    ['FINISHED with a result', () => succeededFuture(42), 'FINISHED', false, true, false],
    ['FINISHED with an exception', () => failedFuture(new Error('boom')), 'FINISHED', false, true, false],
  ];

  test.each(states)('.running() / .done() / .cancelled() / .state - %s', (_label, make, state, running, done, cancelled) => {
    const future = make();
    expect(future.state).toBe(state);
    expect(future.running()).toBe(running);
    expect(future.done()).toBe(done);
    expect(future.cancelled()).toBe(cancelled);
  });

  test('new Future() - starts PENDING', () => {
    const future = new Future<number>();
    expect(future.state).toBe('PENDING');
    expect(future).toBeInstanceOf(Future);
  });

  test('.cancel() - returns true on a pending future and cancels it', () => {
    const future = pendingFuture();
    expect(future.cancel()).toBe(true);
    expect(future.state).toBe('CANCELLED');
    expect(future.cancelled()).toBe(true);
    expect(future.done()).toBe(true);
  });

  test('.cancel() - returns true again on a cancelled future', () => {
    const future = cancelledFuture();
    expect(future.cancel()).toBe(true);
    expect(future.cancel()).toBe(true);
    expect(future.state).toBe('CANCELLED');
  });

  test('.cancel() - returns true after the executor was notified of the cancellation', () => {
    const future = notifiedFuture();
    expect(future.cancel()).toBe(true);
    expect(future.state).toBe('CANCELLED');
  });

  test('.cancel() - returns false once running and leaves it running', () => {
    const future = runningFuture();
    expect(future.cancel()).toBe(false);
    expect(future.state).toBe('RUNNING');
    expect(future.running()).toBe(true);
    expect(future.cancelled()).toBe(false);
  });

  test('.cancel() - returns false once finished with a result and keeps the result', async () => {
    const future = succeededFuture(7);
    expect(future.cancel()).toBe(false);
    expect(future.state).toBe('FINISHED');
    expect(future.cancelled()).toBe(false);
    await expect(future.result()).resolves.toBe(7);
  });

  test('.cancel() - returns false once finished with an exception and keeps the exception', async () => {
    const error = new Error('boom');
    const future = failedFuture(error);
    expect(future.cancel()).toBe(false);
    expect(future.state).toBe('FINISHED');
    await expect(future.exception()).resolves.toBe(error);
  });

  test('.setResult() - is allowed straight from PENDING', async () => {
    const future = pendingFuture();
    future.setResult(1);
    expect(future.state).toBe('FINISHED');
    await expect(future.result()).resolves.toBe(1);
  });

  test('.setResult() - is allowed from RUNNING', async () => {
    const future = runningFuture();
    future.setResult(2);
    expect(future.state).toBe('FINISHED');
    await expect(future.result()).resolves.toBe(2);
  });

  test('.setException() - is allowed from PENDING and from RUNNING', async () => {
    const fromPending = pendingFuture();
    const fromRunning = runningFuture();
    const error = new Error('boom');
    fromPending.setException(error);
    fromRunning.setException(error);
    expect(fromPending.state).toBe('FINISHED');
    expect(fromRunning.state).toBe('FINISHED');
    await expect(fromPending.exception()).resolves.toBe(error);
    await expect(fromRunning.exception()).resolves.toBe(error);
  });
});

describe('.setRunningOrNotifyCancel() (R2.6)', () => {
  test('.setRunningOrNotifyCancel() - moves PENDING to RUNNING and returns true', () => {
    const future = pendingFuture();
    expect(future.setRunningOrNotifyCancel()).toBe(true);
    expect(future.state).toBe('RUNNING');
    expect(future.running()).toBe(true);
  });

  test('.setRunningOrNotifyCancel() - returns false once on a cancelled future, then throws InvalidStateError', () => {
    const future = cancelledFuture();
    expect(future.setRunningOrNotifyCancel()).toBe(false);
    expect(future.state).toBe('CANCELLED');
    expect(future.cancelled()).toBe(true);
    expect(future.done()).toBe(true);
    expect(() => future.setRunningOrNotifyCancel()).toThrow(InvalidStateError);
    expect(future.state).toBe('CANCELLED');
  });

  test('.setRunningOrNotifyCancel() - throws InvalidStateError on a running future', () => {
    const future = runningFuture();
    expect(() => future.setRunningOrNotifyCancel()).toThrow(InvalidStateError);
    expect(future.state).toBe('RUNNING');
  });

  test('.setRunningOrNotifyCancel() - throws InvalidStateError on a finished future', async () => {
    const succeeded = succeededFuture(1);
    const failed = failedFuture(new Error('boom'));
    expect(() => succeeded.setRunningOrNotifyCancel()).toThrow(InvalidStateError);
    expect(() => failed.setRunningOrNotifyCancel()).toThrow(InvalidStateError);
    expect(succeeded.state).toBe('FINISHED');
    await expect(succeeded.result()).resolves.toBe(1);
  });

  test('.setRunningOrNotifyCancel() - does not run the done callbacks of a cancelled future again', () => {
    const future = pendingFuture();
    const callback = vi.fn<DoneCallback<number>>();
    future.addDoneCallback(callback);
    future.cancel();
    future.cancel();
    future.setRunningOrNotifyCancel();
    expect(callback).toHaveBeenCalledTimes(1);
    expect(callback).toHaveBeenCalledWith(future);
  });
});

describe('.setResult() / .setException() on a done future (R2.7)', () => {
  const doneStates: [label: string, make: () => Future<number>, state: FutureState][] = [
    ['FINISHED with a result', () => succeededFuture(1), 'FINISHED'],
    ['FINISHED with an exception', () => failedFuture(new RangeError('first')), 'FINISHED'],
    ['CANCELLED', cancelledFuture, 'CANCELLED'],
    ['CANCELLED_AND_NOTIFIED', notifiedFuture, 'CANCELLED'],
  ];

  function thrownBy(fn: () => void): unknown {
    try {
      fn();
    } catch (error) {
      return error;
    }
    throw new Error('expected the call to throw');
  }

  test.each(doneStates)('.setResult() - on %s throws InvalidStateError naming the state', (_label, make, state) => {
    const future = make();
    const error = thrownBy(() => future.setResult(2));
    expect(error).toBeInstanceOf(InvalidStateError);
    expect((error as Error).message).toBe(`${state}: ${future.toString()}`);
    expect((error as Error).message.startsWith(`${state}: `)).toBe(true);
  });

  test.each(doneStates)('.setException() - on %s throws InvalidStateError naming the state', (_label, make, state) => {
    const future = make();
    const error = thrownBy(() => future.setException(new Error('second')));
    expect(error).toBeInstanceOf(InvalidStateError);
    expect((error as Error).message).toBe(`${state}: ${future.toString()}`);
  });

  test('.setResult() - a second call keeps the first result', async () => {
    const future = succeededFuture(1);
    expect(() => future.setResult(2)).toThrow(InvalidStateError);
    expect(() => future.setException(new Error('late'))).toThrow(InvalidStateError);
    await expect(future.result()).resolves.toBe(1);
    await expect(future.exception()).resolves.toBeUndefined();
  });

  test('.setException() - a second call keeps the first exception', async () => {
    const first = new RangeError('first');
    const future = failedFuture(first);
    expect(() => future.setException(new Error('second'))).toThrow(InvalidStateError);
    expect(() => future.setResult(3)).toThrow(InvalidStateError);
    await expect(future.exception()).resolves.toBe(first);
  });

  test('.setResult() - on a cancelled future keeps it cancelled', async () => {
    const future = cancelledFuture();
    expect(() => future.setResult(1)).toThrow(InvalidStateError);
    expect(future.state).toBe('CANCELLED');
    await expect(future.result()).rejects.toBeInstanceOf(CancelledError);
  });

  test('.setResult() - a refused call does not run the done callbacks again', () => {
    const future = pendingFuture();
    const callback = vi.fn<DoneCallback<number>>();
    future.addDoneCallback(callback);
    future.setResult(1);
    expect(() => future.setResult(2)).toThrow(InvalidStateError);
    expect(() => future.setException(new Error('x'))).toThrow(InvalidStateError);
    expect(future.cancel()).toBe(false);
    expect(callback).toHaveBeenCalledTimes(1);
  });
});

describe('.result() (R2.4, R2.10)', () => {
  test('.result() - resolves to the value of a finished future', async () => {
    await expect(succeededFuture(42).result()).resolves.toBe(42);
    await expect(succeededFuture(undefined).result()).resolves.toBeUndefined();
    await expect(succeededFuture(null).result()).resolves.toBeNull();
    const object = { a: 1 };
    await expect(succeededFuture(object).result()).resolves.toBe(object);
  });

  test('.result() - rejects with the stored error, the same object every time', async () => {
    const error = new TypeError('boom');
    const future = failedFuture(error);
    const first = await settle(future.result());
    const second = await settle(future.result());
    const third = await settle(future.result(0));
    expect(first).toEqual({ status: 'rejected', reason: error });
    expect(first.status === 'rejected' && first.reason).toBe(error);
    expect(second.status === 'rejected' && second.reason).toBe(error);
    expect(third.status === 'rejected' && third.reason).toBe(error);
  });

  test('.result() - rejects with CancelledError on a cancelled future', async () => {
    await expect(cancelledFuture().result()).rejects.toBeInstanceOf(CancelledError);
    await expect(notifiedFuture().result()).rejects.toBeInstanceOf(CancelledError);
    await expect(cancelledFuture().result(0)).rejects.toBeInstanceOf(CancelledError);
  });

  test('.result() - can be read any number of times without changing the state', async () => {
    const future = succeededFuture('v');
    for (let i = 0; i < 5; i++) await expect(future.result()).resolves.toBe('v');
    expect(future.state).toBe('FINISHED');
  });

  test('.result(0) - resolves at once on a done future', async () => {
    await expect(succeededFuture(5).result(0)).resolves.toBe(5);
  });

  test('.result(0) - rejects with TimeoutError on a pending future and leaves it pending', async () => {
    const future = pendingFuture();
    await expect(future.result(0)).rejects.toBeInstanceOf(TimeoutError);
    expect(future.state).toBe('PENDING');
    future.setResult(3);
    await expect(future.result(0)).resolves.toBe(3);
  });

  test('.result(0) - checks at the call: a completion right after it does not count', async () => {
    const future = pendingFuture();
    const read = future.result(0);
    future.setResult(1);
    await expect(read).rejects.toBeInstanceOf(TimeoutError);
    await expect(future.result(0)).resolves.toBe(1);
  });

  test('.result(0) - rejects with TimeoutError on a running future and leaves it running', async () => {
    const future = runningFuture();
    await expect(future.result(0)).rejects.toBeInstanceOf(TimeoutError);
    expect(future.state).toBe('RUNNING');
  });

  test('.result(-1) - a negative timeout behaves as 0', async () => {
    const future = pendingFuture();
    await expect(future.result(-1)).rejects.toBeInstanceOf(TimeoutError);
    await expect(future.result(-Infinity)).rejects.toBeInstanceOf(TimeoutError);
    await expect(succeededFuture(9).result(-1)).resolves.toBe(9);
    expect(future.state).toBe('PENDING');
  });

  test('.result(timeout) - rejects with TimeoutError once the timeout passes; the future is unaffected', async () => {
    const future = runningFuture();
    const error = await settle(future.result(20));
    expect(error.status).toBe('rejected');
    expect(error.status === 'rejected' && error.reason).toBeInstanceOf(TimeoutError);
    expect(future.state).toBe('RUNNING');
    expect(future.done()).toBe(false);
    // Completing it afterwards works, and the timed-out read left nothing behind that throws.
    future.setResult(4);
    await expect(future.result()).resolves.toBe(4);
  });

  test('.result(timeout) - a timed-out read does not stop a later cancel from working', async () => {
    const future = pendingFuture();
    await expect(future.result(10)).rejects.toBeInstanceOf(TimeoutError);
    expect(future.cancel()).toBe(true);
    await expect(future.result()).rejects.toBeInstanceOf(CancelledError);
  });

  test('.result() - a pending call wakes when the future completes', async () => {
    const future = pendingFuture();
    const read = track(future.result());
    await turns();
    expect(read.settled).toBe(false);
    future.setRunningOrNotifyCancel();
    await turns();
    expect(read.settled).toBe(false);
    future.setResult(11);
    expect(await read.outcome).toEqual({ status: 'fulfilled', value: 11 });
  });

  test('.result(timeout) - wakes the moment the future completes, not at the timeout', async () => {
    // The timeout is far beyond the test's own limit: only an event-driven wake can pass.
    const future = pendingFuture();
    const read = future.result(3_600_000);
    await turns(2);
    future.setResult(12);
    await expect(read).resolves.toBe(12);
  });

  test('.result(timeout) - wakes with the error the moment the future fails', async () => {
    const future = runningFuture();
    const error = new Error('late failure');
    const read = settle(future.result(3_600_000));
    await turns(2);
    future.setException(error);
    const outcome = await read;
    expect(outcome.status === 'rejected' && outcome.reason).toBe(error);
  });

  test('.result() - a pending call rejects with CancelledError the moment the future is cancelled', async () => {
    const future = pendingFuture();
    const forever = track(future.result());
    const withTimeout = track(future.result(3_600_000));
    await turns();
    expect(forever.settled).toBe(false);
    future.cancel();
    const [a, b] = await Promise.all([forever.outcome, withTimeout.outcome]);
    expect(a.status === 'rejected' && a.reason).toBeInstanceOf(CancelledError);
    expect(b.status === 'rejected' && b.reason).toBeInstanceOf(CancelledError);
  });

  test('.result(Infinity) - waits without a timeout', async () => {
    const future = pendingFuture();
    const read = track(future.result(Infinity));
    await turns();
    expect(read.settled).toBe(false);
    future.setResult(1);
    expect(await read.outcome).toEqual({ status: 'fulfilled', value: 1 });
  });

  test('.result() - many concurrent readers all wake with the same value', async () => {
    const future = pendingFuture<{ n: number }>();
    const reads = Array.from({ length: 50 }, (_, i) => future.result(i % 2 === 0 ? undefined : 3_600_000));
    const value = { n: 1 };
    future.setResult(value);
    const values = await Promise.all(reads);
    for (const v of values) expect(v).toBe(value);
  });

  test.each([
    ['a string', '5'],
    ['NaN', Number.NaN],
    ['an object', {}],
    ['a bigint', 5n],
  ])('.result() - a timeout that is %s throws TypeError', (_label, timeout) => {
    const future = pendingFuture();
    expect(() => future.result(timeout as unknown as number)).toThrow(TypeError);
    expect(() => future.exception(timeout as unknown as number)).toThrow(TypeError);
    expect(future.state).toBe('PENDING');
  });
});

describe('.exception() (R2.5)', () => {
  test('.exception() - resolves to undefined on success', async () => {
    await expect(succeededFuture(1).exception()).resolves.toBeUndefined();
    await expect(succeededFuture(1).exception(0)).resolves.toBeUndefined();
  });

  test('.exception() - resolves to the stored error, the same object every time, and never rejects with it', async () => {
    const error = new Error('boom');
    const future = failedFuture(error);
    await expect(future.exception()).resolves.toBe(error);
    await expect(future.exception()).resolves.toBe(error);
    await expect(future.exception(0)).resolves.toBe(error);
  });

  test('.exception() - rejects with CancelledError on a cancelled future', async () => {
    await expect(cancelledFuture().exception()).rejects.toBeInstanceOf(CancelledError);
    await expect(notifiedFuture().exception(0)).rejects.toBeInstanceOf(CancelledError);
  });

  test('.exception(0) - rejects with TimeoutError on a pending future and leaves it pending', async () => {
    const future = pendingFuture();
    await expect(future.exception(0)).rejects.toBeInstanceOf(TimeoutError);
    await expect(future.exception(-5)).rejects.toBeInstanceOf(TimeoutError);
    expect(future.state).toBe('PENDING');
  });

  test('.exception(timeout) - rejects with TimeoutError once the timeout passes; the future is unaffected', async () => {
    const future = runningFuture();
    await expect(future.exception(20)).rejects.toBeInstanceOf(TimeoutError);
    expect(future.state).toBe('RUNNING');
    const error = new Error('later');
    future.setException(error);
    await expect(future.exception()).resolves.toBe(error);
  });

  test('.exception() - a pending call wakes when the future fails, with the error as its value', async () => {
    const future = runningFuture();
    const read = track(future.exception(3_600_000));
    await turns();
    expect(read.settled).toBe(false);
    const error = new Error('boom');
    future.setException(error);
    expect(await read.outcome).toEqual({ status: 'fulfilled', value: error });
  });

  test('.exception() - a pending call wakes with undefined when the future succeeds', async () => {
    const future = pendingFuture();
    const read = track(future.exception());
    await turns();
    expect(read.settled).toBe(false);
    future.setResult(1);
    expect(await read.outcome).toEqual({ status: 'fulfilled', value: undefined });
  });

  test('.exception() - a pending call rejects with CancelledError the moment the future is cancelled', async () => {
    const future = pendingFuture();
    const read = track(future.exception(3_600_000));
    await turns();
    expect(read.settled).toBe(false);
    future.cancel();
    const outcome = await read.outcome;
    expect(outcome.status === 'rejected' && outcome.reason).toBeInstanceOf(CancelledError);
  });
});

describe('thrown values of any kind (gh-132063)', () => {
  const thrownValues: [label: string, value: unknown][] = [
    ['undefined', undefined],
    ['null', null],
    ['0', 0],
    ['false', false],
    ["''", ''],
    ['NaN', Number.NaN],
    ['0n', 0n],
    ['a string', 'text'],
    ['a plain object', { code: 'E_BAD' }],
    ['an Error', new Error('boom')],
    ['an object whose valueOf is falsy', { valueOf: () => 0 }],
  ];

  test.each(thrownValues)('.setException(%s) - is a failure: result() rejects with exactly that value', async (_label, value) => {
    const future = failedFuture(value);
    expect(future.state).toBe('FINISHED');
    expect(future.done()).toBe(true);
    const outcome = await settle(future.result());
    expect(outcome.status).toBe('rejected');
    expect(outcome.status === 'rejected' && Object.is(outcome.reason, value)).toBe(true);
    expect(future.toString()).toMatch(/^<Future state=finished raised /);
  });

  test.each(thrownValues)('.setException(%s) - await rejects with exactly that value', async (_label, value) => {
    const future = failedFuture(value);
    const outcome = await settle(future);
    expect(outcome.status === 'rejected' && Object.is(outcome.reason, value)).toBe(true);
  });

  test.each(thrownValues)('.exception() - resolves to %s, the exact thrown value', async (_label, value) => {
    const future = failedFuture(value);
    const outcome = await settle(future.exception());
    expect(outcome.status === 'fulfilled' && Object.is(outcome.value, value)).toBe(true);
  });

  test('.setException(undefined) - a pending reader is woken with a rejection, not a value', async () => {
    const future = runningFuture();
    const read = settle(future.result(3_600_000));
    future.setException(undefined);
    expect(await read).toEqual({ status: 'rejected', reason: undefined });
  });

  test('.setException(0) - the same value every time', async () => {
    const future = failedFuture(0);
    for (let i = 0; i < 3; i++) expect(await settle(future.result())).toEqual({ status: 'rejected', reason: 0 });
  });

  test('.setException() - an object thrown is handed back as the same object', async () => {
    const thrown = { reason: 'custom' };
    const future = failedFuture(thrown);
    const first = await settle(future.result());
    const second = await settle(future);
    expect(first.status === 'rejected' && first.reason).toBe(thrown);
    expect(second.status === 'rejected' && second.reason).toBe(thrown);
  });
});

describe('.toString() / inspect (R2.8)', () => {
  class Point {
    constructor(
      readonly x: number,
      readonly y: number,
    ) {}
  }

  test.each([
    ['pending', pendingFuture, '<Future state=pending>'],
    ['running', runningFuture, '<Future state=running>'],
    ['cancelled', cancelledFuture, '<Future state=cancelled>'],
    ['cancelled and notified', notifiedFuture, '<Future state=cancelled>'],
    ['finished with a number', () => succeededFuture(1), '<Future state=finished returned number>'],
    ['finished with a string', () => succeededFuture('s'), '<Future state=finished returned string>'],
    ['finished with undefined', () => succeededFuture(undefined), '<Future state=finished returned undefined>'],
    ['finished with null', () => succeededFuture(null), '<Future state=finished returned null>'],
    ['finished with an array', () => succeededFuture([1]), '<Future state=finished returned Array>'],
    ['finished with a class instance', () => succeededFuture(new Point(1, 2)), '<Future state=finished returned Point>'],
    ['failed with a TypeError', () => failedFuture(new TypeError('x')), '<Future state=finished raised TypeError>'],
    ['failed with undefined', () => failedFuture(undefined), '<Future state=finished raised undefined>'],
    ['failed with a string', () => failedFuture('oops'), '<Future state=finished raised string>'],
    ['failed with 0', () => failedFuture(0), '<Future state=finished raised number>'],
  ] as [string, () => Future<unknown>, string][])('.toString() - %s', (_label, make, expected) => {
    const future = make();
    expect(future.toString()).toBe(expected);
    expect(String(future)).toBe(expected);
    expect(`${future.toString()}`).toBe(expected);
  });

  test('.toString() - a named Error subclass shows its name', () => {
    class ValidationError extends Error {
      override name = 'ValidationError';
    }
    expect(failedFuture(new ValidationError('x')).toString()).toBe('<Future state=finished raised ValidationError>');
  });

  test('inspect() - shows the repr', () => {
    const future = succeededFuture(1);
    expect(inspect(future)).toBe('<Future state=finished returned number>');
    expect(inspect({ f: pendingFuture() })).toContain('<Future state=pending>');
  });

  test('.toString() - follows the state as it changes', () => {
    const future = pendingFuture();
    expect(future.toString()).toBe('<Future state=pending>');
    future.setRunningOrNotifyCancel();
    expect(future.toString()).toBe('<Future state=running>');
    future.setException(new RangeError('r'));
    expect(future.toString()).toBe('<Future state=finished raised RangeError>');
  });
});

describe('.addDoneCallback() (R3)', () => {
  test('.addDoneCallback() - runs callbacks in the order added, with the future, after the state changed', () => {
    const future = pendingFuture();
    const seen: [number, Future<number>, FutureState][] = [];
    for (const id of [1, 2, 3]) future.addDoneCallback((f) => seen.push([id, f, f.state]));
    expect(seen).toEqual([]);
    future.setResult(5);
    expect(seen.map(([id]) => id)).toEqual([1, 2, 3]);
    for (const [, f, state] of seen) {
      expect(f).toBe(future);
      expect(state).toBe('FINISHED');
    }
  });

  test('.addDoneCallback() - runs inside setResult, before it returns', () => {
    const future = runningFuture();
    let ran = false;
    future.addDoneCallback(() => (ran = true));
    future.setResult(1);
    expect(ran).toBe(true);
  });

  test('.addDoneCallback() - runs on failure, seeing the failure', async () => {
    const future = runningFuture();
    const error = new Error('boom');
    const exceptions: Promise<unknown>[] = [];
    future.addDoneCallback((f) => exceptions.push(f.exception(0)));
    future.setException(error);
    expect(exceptions).toHaveLength(1);
    await expect(exceptions[0]).resolves.toBe(error);
  });

  test('.addDoneCallback() - runs inside cancel(), seeing the future cancelled', () => {
    const future = pendingFuture();
    const seen: boolean[] = [];
    future.addDoneCallback((f) => seen.push(f.cancelled()));
    expect(future.cancel()).toBe(true);
    expect(seen).toEqual([true]);
  });

  test('.addDoneCallback() - runs each callback exactly once', () => {
    const future = pendingFuture();
    const callback = vi.fn<DoneCallback<number>>();
    future.addDoneCallback(callback);
    future.setRunningOrNotifyCancel();
    future.setResult(1);
    expect(() => future.setResult(2)).toThrow(InvalidStateError);
    future.cancel();
    expect(callback).toHaveBeenCalledTimes(1);
  });

  test('.addDoneCallback() - the same function added twice runs twice', () => {
    const future = pendingFuture();
    const callback = vi.fn<DoneCallback<number>>();
    future.addDoneCallback(callback);
    future.addDoneCallback(callback);
    future.setResult(1);
    expect(callback).toHaveBeenCalledTimes(2);
  });

  test.each([
    ['finished', () => succeededFuture(5)],
    ['failed', () => failedFuture(new Error('x'))],
    ['failed with undefined', () => failedFuture(undefined)],
    ['cancelled', cancelledFuture],
    ['cancelled and notified', notifiedFuture],
  ] as [string, () => Future<number>][])('.addDoneCallback() - on a %s future runs synchronously, before returning', (_label, make) => {
    const future = make();
    const seen: Future<number>[] = [];
    future.addDoneCallback((f) => seen.push(f));
    expect(seen).toEqual([future]);
    expect(seen[0]).toBe(future);
  });

  test('.addDoneCallback() - a callback added inside a callback runs at once', () => {
    const future = pendingFuture();
    const log: string[] = [];
    future.addDoneCallback((f) => {
      log.push('a:start');
      f.addDoneCallback(() => log.push('nested'));
      log.push('a:end');
    });
    future.addDoneCallback(() => log.push('b'));
    future.setResult(1);
    expect(log).toEqual(['a:start', 'nested', 'a:end', 'b']);
  });

  test('.addDoneCallback() - a throwing callback is reported with console.error and the others still run', () => {
    const errorSpy = vi.spyOn(console, 'error').mockImplementation(() => {});
    const future = pendingFuture();
    const log: number[] = [];
    const thrown = new Error('doh!');
    future.addDoneCallback(() => log.push(1));
    future.addDoneCallback(() => {
      throw thrown;
    });
    future.addDoneCallback(() => log.push(3));
    expect(() => future.setResult(1)).not.toThrow();
    expect(log).toEqual([1, 3]);
    expect(future.state).toBe('FINISHED');
    expect(errorSpy).toHaveBeenCalledTimes(1);
    expect(errorSpy.mock.calls[0]).toContain(thrown);
  });

  test('.addDoneCallback() - a callback that throws a falsy value is still reported', () => {
    const errorSpy = vi.spyOn(console, 'error').mockImplementation(() => {});
    const future = pendingFuture();
    let after = false;
    future.addDoneCallback(() => {
      throw undefined;
    });
    future.addDoneCallback(() => (after = true));
    future.cancel();
    expect(after).toBe(true);
    expect(errorSpy).toHaveBeenCalledTimes(1);
  });

  test('.addDoneCallback() - a throwing callback on a done future is reported, not thrown', () => {
    const errorSpy = vi.spyOn(console, 'error').mockImplementation(() => {});
    const future = succeededFuture(1);
    const thrown = new Error('doh!');
    expect(() =>
      future.addDoneCallback(() => {
        throw thrown;
      }),
    ).not.toThrow();
    expect(errorSpy).toHaveBeenCalledTimes(1);
    expect(errorSpy.mock.calls[0]).toContain(thrown);
    // The future is untouched and keeps taking callbacks.
    let ran = false;
    future.addDoneCallback(() => (ran = true));
    expect(ran).toBe(true);
  });

  test('.addDoneCallback() - waiters still wake when a callback throws', async () => {
    vi.spyOn(console, 'error').mockImplementation(() => {});
    const future = pendingFuture();
    const read = future.result();
    future.addDoneCallback(() => {
      throw new Error('doh!');
    });
    future.setResult(8);
    await expect(read).resolves.toBe(8);
  });

  test('.addDoneCallback() - throws TypeError for something that is not a function', () => {
    const future = pendingFuture();
    expect(() => future.addDoneCallback('nope' as unknown as DoneCallback<number>)).toThrow(TypeError);
    expect(() => future.addDoneCallback(undefined as unknown as DoneCallback<number>)).toThrow(TypeError);
  });
});

describe('thenable', () => {
  test('await - resolves to the value', async () => {
    expect(await succeededFuture(3)).toBe(3);
  });

  test('await - a pending future resolves once it completes', async () => {
    const future = pendingFuture();
    const awaited = track(Promise.resolve(future));
    await turns();
    expect(awaited.settled).toBe(false);
    future.setResult(4);
    expect(await awaited.outcome).toEqual({ status: 'fulfilled', value: 4 });
  });

  test('await - throws the stored error', async () => {
    const error = new Error('boom');
    await expect((async () => await failedFuture(error))()).rejects.toBe(error);
  });

  test('await - throws CancelledError on a cancelled future', async () => {
    const future = pendingFuture();
    const awaited = settle(future);
    future.cancel();
    const outcome = await awaited;
    expect(outcome.status === 'rejected' && outcome.reason).toBeInstanceOf(CancelledError);
  });

  test('.then() - calls onfulfilled with the value and returns a Promise', async () => {
    const chained = succeededFuture(2).then((v) => v * 10);
    expect(chained).toBeInstanceOf(Promise);
    await expect(chained).resolves.toBe(20);
  });

  test('.then() - calls onrejected with the error', async () => {
    const error = new Error('boom');
    const onFulfilled = vi.fn((v: number) => v);
    await expect(failedFuture(error).then(onFulfilled, (reason) => reason)).resolves.toBe(error);
    expect(onFulfilled).not.toHaveBeenCalled();
  });

  test('.then() - without handlers passes the value through', async () => {
    await expect(succeededFuture('x').then()).resolves.toBe('x');
  });

  test('.catch() - handles the error and passes a value through', async () => {
    const error = new Error('boom');
    await expect(failedFuture(error).catch((reason) => reason)).resolves.toBe(error);
    await expect(succeededFuture(1).catch(() => 2)).resolves.toBe(1);
    await expect(failedFuture(0).catch((reason) => ({ reason }))).resolves.toEqual({ reason: 0 });
  });

  test('.finally() - runs on success and failure and keeps the outcome', async () => {
    const onFinally = vi.fn();
    await expect(succeededFuture(1).finally(onFinally)).resolves.toBe(1);
    const error = new Error('boom');
    await expect(failedFuture(error).finally(onFinally)).rejects.toBe(error);
    await expect(cancelledFuture().finally(onFinally)).rejects.toBeInstanceOf(CancelledError);
    expect(onFinally).toHaveBeenCalledTimes(3);
  });

  test('Promise.all() - over futures resolves to their values in order', async () => {
    const a = pendingFuture();
    const b = pendingFuture();
    const c = succeededFuture(3);
    const all = Promise.all([a, b, c]);
    b.setResult(2);
    a.setResult(1);
    await expect(all).resolves.toEqual([1, 2, 3]);
  });

  test('Promise.all() - over futures rejects with the first failure', async () => {
    const error = new Error('boom');
    const a = pendingFuture();
    const all = Promise.all([a, failedFuture(error)]);
    await expect(all).rejects.toBe(error);
    a.setResult(1);
  });

  test('Promise.allSettled() - over futures reports each outcome', async () => {
    const error = new Error('boom');
    const results = await Promise.allSettled([succeededFuture(1), failedFuture(error), cancelledFuture()]);
    expect(results[0]).toEqual({ status: 'fulfilled', value: 1 });
    expect(results[1]).toEqual({ status: 'rejected', reason: error });
    expect(results[2]?.status).toBe('rejected');
    expect(results[2]?.status === 'rejected' && results[2].reason).toBeInstanceOf(CancelledError);
  });

  test('Promise.race() - settles with the first future to complete', async () => {
    const slow = pendingFuture();
    const fast = pendingFuture();
    const race = Promise.race([slow, fast]);
    fast.setResult(2);
    await expect(race).resolves.toBe(2);
    slow.setResult(1);
  });

  test('Promise.resolve() - adopts the future without changing it', async () => {
    const future = pendingFuture();
    const adopted = Promise.resolve(future);
    expect(adopted).not.toBe(future);
    future.setResult(6);
    await expect(adopted).resolves.toBe(6);
    expect(future.state).toBe('FINISHED');
  });
});

describe('unhandled rejections', () => {
  /** Runs `body`, gives the event loop a few turns, and returns every unhandled rejection seen. */
  async function unhandledDuring(body: () => Promise<void> | void): Promise<unknown[]> {
    const seen: unknown[] = [];
    const onUnhandled = (reason: unknown): void => {
      seen.push(reason);
    };
    process.on('unhandledRejection', onUnhandled);
    try {
      await body();
      await turns(10);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
    return seen;
  }

  test('.setException() - a failed future nobody reads never triggers unhandledRejection', async () => {
    const seen = await unhandledDuring(() => {
      failedFuture(new Error('nobody reads me'));
      failedFuture(undefined);
      failedFuture(0);
      const running = runningFuture();
      running.setException(new Error('failed while running'));
      // Callbacks that do not read the outcome do not make anyone responsible for it either.
      const withCallback = pendingFuture();
      withCallback.addDoneCallback(() => {});
      withCallback.setException(new Error('callback only'));
    });
    expect(seen).toEqual([]);
  });

  test('.cancel() - a cancelled future nobody reads never triggers unhandledRejection', async () => {
    const seen = await unhandledDuring(() => {
      cancelledFuture();
      notifiedFuture();
    });
    expect(seen).toEqual([]);
  });

  test('.result(timeout) - a timed-out read that was handled leaves no unhandled rejection when the future fails later', async () => {
    const seen = await unhandledDuring(async () => {
      const future = pendingFuture();
      await expect(future.result(10)).rejects.toBeInstanceOf(TimeoutError);
      await expect(future.exception(0)).rejects.toBeInstanceOf(TimeoutError);
      future.setException(new Error('after the timeout'));
    });
    expect(seen).toEqual([]);
  });

  test('.setException() - a failed future read only through exception() never triggers unhandledRejection', async () => {
    const seen = await unhandledDuring(async () => {
      const future = runningFuture();
      const read = future.exception();
      future.setException(new Error('read as a value'));
      await read;
    });
    expect(seen).toEqual([]);
  });

  test('ThreadPoolExecutor - a failed task nobody reads never triggers unhandledRejection', async () => {
    const executor = new ThreadPoolExecutor({ maxWorkers: 2 });
    try {
      const seen = await unhandledDuring(async () => {
        const futures = [
          executor.submit(() => {
            throw new Error('sync failure');
          }),
          executor.submit(async () => {
            await Promise.resolve();
            throw new Error('async failure');
          }),
          executor.submit(() => Promise.reject(new Error('rejected promise'))),
        ];
        // Wait for completion without reading any outcome.
        await new Promise<void>((resolve) => {
          let left = futures.length;
          for (const future of futures) future.addDoneCallback(() => --left === 0 && resolve());
        });
        for (const future of futures) expect(future.state).toBe('FINISHED');
      });
      expect(seen).toEqual([]);
    } finally {
      await executor.shutdown();
    }
  });
});

describe('timers', () => {
  // Fake timers make the pending timer count observable: a read that completed early must not
  // leave its timeout timer armed (it would keep the process alive until it fired).
  afterEach(() => {
    vi.useRealTimers();
  });

  test('.result(timeout) - completing the future clears the timeout timer', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance', 'Date'] });
    const future = pendingFuture();
    const read = future.result(60_000);
    expect(vi.getTimerCount()).toBe(1);
    future.setResult(1);
    await expect(read).resolves.toBe(1);
    expect(vi.getTimerCount()).toBe(0);
  });

  test('.exception(timeout) - cancelling the future clears the timeout timer', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance', 'Date'] });
    const future = pendingFuture();
    const read = future.exception(60_000);
    expect(vi.getTimerCount()).toBe(1);
    future.cancel();
    await expect(read).rejects.toBeInstanceOf(CancelledError);
    expect(vi.getTimerCount()).toBe(0);
  });

  test('.result(timeout) - rejects when the timeout elapses, not before', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance', 'Date'] });
    const future = runningFuture();
    const read = track(future.result(1_000));
    vi.advanceTimersByTime(999);
    await Promise.resolve();
    expect(read.settled).toBe(false);
    vi.advanceTimersByTime(1);
    const outcome = await read.outcome;
    expect(outcome.status === 'rejected' && outcome.reason).toBeInstanceOf(TimeoutError);
    expect(future.state).toBe('RUNNING');
  });

  test('.result() / .result(0) / a done future - arm no timer', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance', 'Date'] });
    const pending = pendingFuture();
    const read = pending.result();
    await expect(pending.result(0)).rejects.toBeInstanceOf(TimeoutError);
    await expect(succeededFuture(1).result(60_000)).resolves.toBe(1);
    expect(vi.getTimerCount()).toBe(0);
    pending.setResult(2);
    await expect(read).resolves.toBe(2);
  });
});

describe('timeouts that expire (real timers)', () => {
  test('.result(timeout) - the rejection is a TimeoutError that is also a FuturesError, and a later read still works', async () => {
    const future = pendingFuture();
    const outcome = await settle(future.result(30));
    const reason = outcome.status === 'rejected' ? outcome.reason : undefined;
    expect(reason).toBeInstanceOf(TimeoutError);
    expect(reason).toBeInstanceOf(FuturesError);
    expect((reason as Error).name).toBe('TimeoutError');
    await sleep(0);
    expect(future.state).toBe('PENDING');
    future.setException(new Error('late'));
    await expect(future.exception()).resolves.toEqual(new Error('late'));
  });
});
