/**
 * The executor contract (api.md; CPython's ExecutorTest, ExecutorShutdownTest,
 * InitializerMixin and FailingInitializerMixin), run over every executor in `executors.ts`.
 *
 * Tasks are TaskRefs to `fixtures/tasks.mjs` or self-contained functions, and tests order
 * events through files (gates, marks, logs), never through captured variables or races
 * against timers, so the suite runs unchanged on executors whose tasks run in other threads
 * or processes. Where a timeout must expire, it is small and only its expiry is asserted.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  BrokenExecutor,
  CancelledError,
  type Executor,
  ExecutorShutdownError,
  type Future,
  moduleTasks,
  TimeoutError,
} from '../src/index.js';
import { executorKinds, type KindOptions } from './executors.js';
import { loose, Scratch, settle, tasks, TASKS_URL } from './fixtures/harness.js';
import { type FailKind, thrownValue } from './fixtures/tasks.mjs';

/** Every future an executor makes, in submission order (map's included). */
function recordSubmits(executor: Executor): Future<unknown>[] {
  const futures: Future<unknown>[] = [];
  executor.on('submit', (future) => futures.push(future));
  return futures;
}

async function collect<T>(iterator: AsyncIterable<T>): Promise<T[]> {
  const values: T[] = [];
  for await (const value of iterator) values.push(value);
  return values;
}

const FAIL_KINDS: FailKind[] = ['Error', 'TypeError', 'RangeError', 'coded', 'zero', 'undefined', 'null', 'false', 'string', 'object'];

describe.each(executorKinds)('$name', (kind) => {
  let scratch: Scratch;
  const made: Executor[] = [];

  /** Makes an executor that is shut down after the test, whatever happens in it. */
  function make(options?: KindOptions): Executor {
    const executor = kind.make(options);
    made.push(executor);
    return executor;
  }

  beforeEach(async () => {
    scratch = await Scratch.create();
  });

  afterEach(async () => {
    // Open the gates first: a task still waiting on one would hold its executor's shutdown.
    scratch.openAll();
    await Promise.all(made.splice(0).map((executor) => executor.shutdown({ cancelFutures: true })));
    await scratch.remove();
  });

  describe('constructor', () => {
    it('constructor - maxWorkers defaults to the executor default', () => {
      expect(make().maxWorkers).toBe(kind.defaultMaxWorkers());
      expect(make({ maxWorkers: 3 }).maxWorkers).toBe(3);
    });

    it.each([0, -1, 1.5, NaN, Infinity])('constructor - maxWorkers %s is a RangeError echoing the value', (value) => {
      expect(() => make({ maxWorkers: value })).toThrow(RangeError);
      expect(() => make({ maxWorkers: value })).toThrow(`maxWorkers\` to be a whole number from 1 and up, got \`${value}\` (number)`);
    });

    it.each([['4', "`'4'` (string)"], [true, '`true` (boolean)'], [null, '`null` (null)']])(
      'constructor - maxWorkers %j is a TypeError echoing the value',
      (value, shown) => {
        expect(() => make({ maxWorkers: loose(value) })).toThrow(TypeError);
        expect(() => make({ maxWorkers: loose(value) })).toThrow(`got ${shown}`);
      },
    );

    it('constructor - an unknown option key is a TypeError naming it', () => {
      expect(() => make(loose({ maxWorker: 2 }))).toThrow(TypeError);
      expect(() => make(loose({ maxWorker: 2 }))).toThrow('unknown option `maxWorker`');
    });

    it('constructor - a non-callable initializer or non-array initargs is a TypeError', () => {
      expect(() => make({ initializer: loose('setup') })).toThrow(TypeError);
      expect(() => make({ initializer: loose('setup') })).toThrow("`'setup'` (string)");
      expect(() => make({ initializer: tasks.recordInit, initargs: loose('x') })).toThrow(TypeError);
      expect(() => make({ initializer: tasks.recordInit, initargs: loose('x') })).toThrow('initargs');
    });

    it('constructor - a non-object options argument is a TypeError', () => {
      expect(() => make(loose(4))).toThrow(TypeError);
      expect(() => make(loose(4))).toThrow('`4` (number)');
    });
  });

  describe('.submit()', () => {
    it('.submit() - a sync function gives its value', async () => {
      const executor = make();
      expect(await executor.submit((a: number, b: number) => a * b, 6, 7).result()).toBe(42);
    });

    it('.submit() - an async function gives its resolved value', async () => {
      const executor = make();
      const future = executor.submit(async (x: number) => {
        await new Promise((resolve) => setTimeout(resolve, 1));
        return x + 1;
      }, 41);
      expect(await future.result()).toBe(42);
      expect(future.state).toBe('FINISHED');
    });

    it('.submit() - runs a TaskRef, sync or async', async () => {
      const executor = make();
      expect(await executor.submit(tasks.add, 2, 3).result()).toBe(5);
      expect(await executor.submit(tasks.addAsync, 2, 3).result()).toBe(5);
      // `await future` is `await future.result()`.
      expect(await executor.submit(tasks.echo, { nested: [1, 2] })).toEqual({ nested: [1, 2] });
    });

    it('.submit() - runs a static method of an exported class, with its class as `this`', async () => {
      const executor = make();
      expect(await executor.submit(tasks.CalculateFib.fib, 10)).toBe(55);
      expect(await executor.submit(tasks.CalculateFib.fibAsync, 11)).toBe(89);
      expect(await executor.map(tasks.CalculateFib.fib, [1, 2, 3, 4]).toArray()).toEqual([1, 1, 2, 3]);
    });

    it('.submit() - a member of an exported class that is not a function fails with a TypeError naming it', async () => {
      const executor = make();
      const future = executor.submit(loose<() => unknown>((tasks.CalculateFib as unknown as Record<string, unknown>).notAMethod));
      const error = await future.exception();
      expect(error).toBeInstanceOf(TypeError);
      expect((error as Error).message).toContain('member "CalculateFib.notAMethod" of task module');
      expect((error as Error).message).toContain('is not a function (got `7` (number))');
    });

    it('.submit() - values of every structured-clone shape come back equal', async () => {
      const executor = make();
      const value = { map: new Map([[1, 'a']]), set: new Set([2]), date: new Date(0), big: 10n, bytes: new Uint8Array([1, 2]) };
      expect(await executor.submit(tasks.echo, value).result()).toEqual(value);
    });

    it.each(FAIL_KINDS)('.submit() - a thrown %s arrives as itself, sync or async', async (failKind) => {
      const executor = make();
      const expected = thrownValue(failKind);
      for (const future of [executor.submit(tasks.fail, failKind), executor.submit(tasks.failAsync, failKind)]) {
        // result() rejects with exactly the thrown value, falsy ones included.
        const rejected = await future.result().then(
          () => ({ rejected: false, reason: undefined as unknown }),
          (reason: unknown) => ({ rejected: true, reason }),
        );
        expect(rejected.rejected).toBe(true);
        expect(rejected.reason).toEqual(expected);
        if (expected instanceof Error) expect(rejected.reason).toBeInstanceOf(expected.constructor);
        expect(await future.exception()).toEqual(expected);
        expect(future.state).toBe('FINISHED');
      }
    });

    it('.submit() - a thrown self-contained error keeps its class and message', async () => {
      const executor = make();
      const error = await executor
        .submit(() => {
          throw new RangeError('too far');
        })
        .exception();
      expect(error).toBeInstanceOf(RangeError);
      expect(error).toMatchObject({ name: 'RangeError', message: 'too far' });
    });

    it.each([
      [42, '`42` (number)'],
      ['add', "`'add'` (string)"],
      [null, '`null` (null)'],
      [undefined, '`undefined` (undefined)'],
      [{ module: 'file:///tasks.js', name: 'add' }, "`{ module: 'file:///tasks.js', name: 'add' }` (object)"],
    ])('.submit() - rejects the non-function %j with a TypeError naming it', (value, shown) => {
      const executor = make();
      expect(() => executor.submit(loose<() => unknown>(value))).toThrow(TypeError);
      expect(() => executor.submit(loose<() => unknown>(value))).toThrow(shown);
    });

    it('.submit() - a burst of arguments that cannot be sent settles every future, and the rest still run', async () => {
      // Issue 15: with 12 such arguments ahead of 18 good ones, the failed sends used to keep
      // their places in the workers' allowance, and the 18 (and every later submit) hung.
      const executor = make({ maxWorkers: 2 });
      const bad = Array.from({ length: 12 }, () => executor.submit(tasks.echo, Symbol('unclonable')));
      const good = Array.from({ length: 18 }, (_, i) => executor.submit(tasks.echo, i));
      const outcomes = await Promise.allSettled(bad);
      for (const outcome of outcomes) {
        // In this thread a symbol is an ordinary value; elsewhere it cannot be cloned.
        if (kind.parallel) expect(outcome.status === 'rejected' && outcome.reason instanceof TypeError).toBe(true);
        else expect(outcome.status).toBe('fulfilled');
      }
      expect(await Promise.all(good)).toEqual(Array.from({ length: 18 }, (_, i) => i));
      expect(await executor.submit(tasks.add, 2, 3)).toBe(5);
    });

    it('.submit() - runs at most maxWorkers tasks; the next waits, pending', async () => {
      const executor = make({ maxWorkers: 2 });
      const gate = scratch.gate();
      const marks = [scratch.mark(), scratch.mark(), scratch.mark()];
      const futures = marks.map((mark, i) => executor.submit(tasks.markThenWait, mark, gate.path, i));
      await scratch.waitFor(marks[0] as string);
      await scratch.waitFor(marks[1] as string);
      await settle();
      expect(futures.map((f) => f.state)).toEqual(['RUNNING', 'RUNNING', 'PENDING']);
      gate.open();
      expect(await Promise.all(futures.map((f) => f.result()))).toEqual([0, 1, 2]);
    });

    it('.submit() - a future cancelled while queued never runs', async () => {
      const executor = make({ maxWorkers: 1 });
      const gate = scratch.gate();
      const log = scratch.log();
      const blocker = executor.submit(tasks.waitForGate, gate.path);
      const queued = executor.submit(tasks.record, log, 'queued');
      expect(queued.cancel()).toBe(true);
      expect(queued.cancelled()).toBe(true);
      await expect(queued.result()).rejects.toBeInstanceOf(CancelledError);
      gate.open();
      await blocker.result();
      await executor.shutdown();
      expect(await scratch.lines(log)).toEqual([]);
    });

    it('.submit() - after shutdown throws ExecutorShutdownError', async () => {
      const executor = make();
      await executor.shutdown();
      expect(() => executor.submit(tasks.add, 1, 2)).toThrow(ExecutorShutdownError);
      expect(() => executor.submit(tasks.add, 1, 2)).toThrow('cannot schedule new futures after shutdown');
      expect(() => executor.submitWith({}, tasks.add, 1, 2)).toThrow(ExecutorShutdownError);
    });

    it('.submit() - a TaskRef to a missing module or a non-function export fails its future', async () => {
      const executor = make();
      const missingUrl = new URL('./fixtures/no-such-module.ts', import.meta.url);
      const missing = moduleTasks<{ run: () => void }>(missingUrl).run;
      const error = await executor.submit(missing).exception();
      expect(error).toBeInstanceOf(Error);
      expect((error as Error).message).toContain(missingUrl.href);
      // A lie about the module's type: `notAFunction` is the number 42.
      const notAFunction = moduleTasks<{ notAFunction: () => void }>(TASKS_URL).notAFunction;
      const typeError = await executor.submit(notAFunction).exception();
      expect(typeError).toBeInstanceOf(TypeError);
      expect((typeError as Error).message).toContain('notAFunction');
      // The executor is unaffected.
      expect(await executor.submit(tasks.add, 1, 1).result()).toBe(2);
    });
  });

  describe('initializer', () => {
    it('initializer - runs with initargs before the first task', async () => {
      const log = scratch.log();
      const executor = make({ maxWorkers: 1, initializer: tasks.recordInit, initargs: [log, 'a', 1] });
      await executor.submit(tasks.record, log, 'task 1').result();
      await executor.submit(tasks.record, log, 'task 2').result();
      expect(await scratch.lines(log)).toEqual([`init ${JSON.stringify(['a', 1])}`, 'task 1', 'task 2']);
    });

    it('initializer - a self-contained function works too', async () => {
      const executor = make({ initializer: (x: unknown) => void x, initargs: [1] });
      expect(await executor.submit(tasks.add, 1, 2).result()).toBe(3);
    });

    it.each([
      ['TaskRef', tasks.failInit],
      [
        'sync function',
        (message: string): never => {
          throw new Error(message);
        },
      ],
    ] as const)('initializer - a failing %s fails every pending future with the Broken error; submit then throws it', async (_what, initializer) => {
      const log = scratch.log();
      const executor = make({ maxWorkers: 1, initializer, initargs: ['init failed'] });
      const futures = [1, 2, 3].map((i) => executor.submit(tasks.record, log, `task ${i}`));
      for (const future of futures) {
        const error = await future.exception();
        expect(error).toBeInstanceOf(kind.Broken);
        expect(error).toBeInstanceOf(BrokenExecutor);
        expect((error as Error).cause).toMatchObject({ message: 'init failed' });
      }
      expect(() => executor.submit(tasks.add, 1, 2)).toThrow(kind.Broken);
      expect(() => executor.map(tasks.double, [1])).toThrow(kind.Broken);
      expect(await scratch.lines(log)).toEqual([]);
    });

    it("initializer - a failing one emits 'broken' once, with the Broken error", async () => {
      const broken: unknown[] = [];
      const executor = make({ initializer: () => Promise.reject(new Error('no database')) });
      executor.on('broken', (error) => broken.push(error));
      const future = executor.submit(tasks.add, 1, 2);
      const error = await future.exception();
      expect(broken).toHaveLength(1);
      expect(broken[0]).toBeInstanceOf(kind.Broken);
      expect((broken[0] as Error).cause).toMatchObject({ message: 'no database' });
      expect((error as Error).message).toBe((broken[0] as Error).message);
    });
  });

  describe('.map() and .starmap()', () => {
    it('.map() - yields results in input order', async () => {
      const executor = make({ maxWorkers: 3 });
      expect(await collect(executor.map(tasks.double, [1, 2, 3, 4, 5]))).toEqual([2, 4, 6, 8, 10]);
      expect(await collect(executor.map((x: number) => x + 1, [1, 2]))).toEqual([2, 3]);
      // Later items finish first; the order is still the input's.
      const slowFirst = executor.starmap(tasks.sleepThenReturn, [
        [30, 'a'],
        [0, 'b'],
        [10, 'c'],
      ]);
      expect(await collect(slowFirst)).toEqual(['a', 'b', 'c']);
    });

    it('.starmap() - spreads each item as the arguments', async () => {
      const executor = make();
      expect(
        await collect(
          executor.starmap(tasks.add, [
            [1, 2],
            [3, 4],
          ]),
        ),
      ).toEqual([3, 7]);
    });

    it('.map() - an empty input yields nothing', async () => {
      const executor = make();
      expect(await collect(executor.map(tasks.double, []))).toEqual([]);
    });

    it(".map() - an item's error is thrown at its position; then the iterator is done and unstarted futures are cancelled", async () => {
      const executor = make({ maxWorkers: 1 });
      const futures = recordSubmits(executor);
      const gate = scratch.gate();
      const log = scratch.log();
      const iterator = executor.map(tasks.step, [
        { value: 1 },
        { value: 2 },
        { fail: 'RangeError' },
        { gate: gate.path, value: 4 },
        { log, record: 'item 4' },
        { log, record: 'item 5' },
      ]);
      expect(await iterator.next()).toEqual({ done: false, value: 1 });
      expect(await iterator.next()).toEqual({ done: false, value: 2 });
      await expect(iterator.next()).rejects.toEqual(new RangeError('out of range'));
      expect(await iterator.next()).toEqual({ done: true, value: undefined });
      expect(futures).toHaveLength(6);
      expect(futures[4]?.cancelled()).toBe(true);
      expect(futures[5]?.cancelled()).toBe(true);
      // Item 3 was running or was cancelled: running work is never stopped by map.
      expect(['RUNNING', 'CANCELLED']).toContain(futures[3]?.state);
      gate.open();
      await executor.shutdown();
      expect(await scratch.lines(log)).toEqual([]);
    });

    it('.map() - with chunksize > 1, results and errors stay per item', async () => {
      const executor = make();
      const iterator = executor.map(tasks.failIfNegative, [1, 2, -3, 4], { chunksize: 2 });
      expect(await iterator.next()).toEqual({ done: false, value: 1 });
      expect(await iterator.next()).toEqual({ done: false, value: 2 });
      await expect(iterator.next()).rejects.toEqual(new RangeError('negative: -3'));
      expect(await iterator.next()).toEqual({ done: true, value: undefined });
    });

    it('.map() - timeout counts from the call: TimeoutError, then the rest is cancelled', async () => {
      const executor = make({ maxWorkers: 1 });
      const futures = recordSubmits(executor);
      const gate = scratch.gate();
      const log = scratch.log();
      const iterator = executor.map(tasks.step, [{ value: 1 }, { gate: gate.path, value: 2 }, { log, record: 'late' }], {
        timeout: 20,
      });
      // The deadline passes before anyone iterates; a result that is ready is still given.
      await new Promise((resolve) => setTimeout(resolve, 60));
      await futures[0]?.result();
      expect(await iterator.next()).toEqual({ done: false, value: 1 });
      await expect(iterator.next()).rejects.toBeInstanceOf(TimeoutError);
      expect(await iterator.next()).toEqual({ done: true, value: undefined });
      expect(futures[2]?.cancelled()).toBe(true);
      gate.open();
      await executor.shutdown();
      expect(await scratch.lines(log)).toEqual([]);
    });

    it('.map() - leaving a for await early cancels what has not started', async () => {
      const executor = make({ maxWorkers: 1 });
      const futures = recordSubmits(executor);
      const gate = scratch.gate();
      const log = scratch.log();
      const seen: unknown[] = [];
      for await (const value of executor.map(tasks.step, [
        { value: 'first' },
        { gate: gate.path, value: 'second' },
        { log, record: 'third' },
        { log, record: 'fourth' },
      ])) {
        seen.push(value);
        break;
      }
      expect(seen).toEqual(['first']);
      expect(futures[2]?.cancelled()).toBe(true);
      expect(futures[3]?.cancelled()).toBe(true);
      gate.open();
      await executor.shutdown();
      expect(await scratch.lines(log)).toEqual([]);
    });

    it.each([
      ['chunksize', 0],
      ['chunksize', -1],
      ['buffersize', 0],
      ['buffersize', 1.5],
    ])('.map() - %s %s is a RangeError at the call, before anything is submitted', (option, value) => {
      const executor = make();
      const futures = recordSubmits(executor);
      expect(() => executor.map(tasks.double, [1, 2], { [option]: value })).toThrow(RangeError);
      expect(() => executor.starmap(tasks.add, [[1, 2]], { [option]: value })).toThrow(`\`${option}\``);
      expect(futures).toEqual([]);
    });

    it('.map() - buffersize reads an infinite async generator lazily', async () => {
      const executor = make({ maxWorkers: 2 });
      const futures = recordSubmits(executor);
      async function* naturals(): AsyncGenerator<number> {
        for (let i = 0; ; i++) yield i;
      }
      const values: number[] = [];
      for await (const value of executor.map(tasks.double, naturals(), { buffersize: 2 })) {
        values.push(value);
        if (values.length === 5) break;
      }
      expect(values).toEqual([0, 2, 4, 6, 8]);
      // At most `buffersize` items beyond the ones consumed were ever submitted.
      expect(futures.length).toBeLessThanOrEqual(5 + 2);
    });

    it('.map() and .starmap() - throw ExecutorShutdownError after shutdown', async () => {
      const executor = make();
      await executor.shutdown();
      expect(() => executor.map(tasks.double, [1])).toThrow(ExecutorShutdownError);
      expect(() => executor.starmap(tasks.add, [[1, 2]])).toThrow('cannot schedule new futures after shutdown');
      expect(() => executor.map(tasks.double, [])).toThrow(ExecutorShutdownError);
    });
  });

  describe('.shutdown()', () => {
    it('.shutdown() - can be called any number of times', async () => {
      const executor = make();
      const future = executor.submit(tasks.add, 1, 2);
      await Promise.all([executor.shutdown(), executor.shutdown({ wait: false }), executor.shutdown()]);
      await executor.shutdown({ cancelFutures: true });
      expect(await future.result()).toBe(3);
    });

    it('.shutdown() - wait: true resolves only after the running work has finished', async () => {
      const executor = make({ maxWorkers: 2 });
      const gate = scratch.gate();
      const marks = [scratch.mark(), scratch.mark()];
      const futures = marks.map((mark, i) => executor.submit(tasks.markThenWait, mark, gate.path, i));
      for (const mark of marks) await scratch.waitFor(mark);
      let resolved = false;
      const shutdown = executor.shutdown().then(() => {
        resolved = true;
      });
      await settle();
      expect(resolved).toBe(false);
      gate.open();
      await shutdown;
      expect(futures.every((f) => f.done())).toBe(true);
      expect(await Promise.all(futures.map((f) => f.result()))).toEqual([0, 1]);
    });

    it('.shutdown() - queued work still runs (CPython test_hang_issue12364)', async () => {
      const executor = make({ maxWorkers: 1 });
      const futures = Array.from({ length: 20 }, (_, i) => executor.submit(tasks.add, i, 1));
      await executor.shutdown();
      expect(futures.every((f) => f.done())).toBe(true);
      expect(await Promise.all(futures.map((f) => f.result()))).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    });

    it('.shutdown() - wait: false returns while work is still running', async () => {
      const executor = make({ maxWorkers: 1 });
      const gate = scratch.gate();
      const mark = scratch.mark();
      const running = executor.submit(tasks.markThenWait, mark, gate.path, 'done');
      await scratch.waitFor(mark);
      await executor.shutdown({ wait: false });
      expect(running.running()).toBe(true);
      expect(() => executor.submit(tasks.add, 1, 2)).toThrow(ExecutorShutdownError);
      gate.open();
      expect(await running.result()).toBe('done');
    });

    it('.shutdown() - cancelFutures cancels queued futures; running ones complete', async () => {
      const executor = make({ maxWorkers: 1 });
      const gate = scratch.gate();
      const mark = scratch.mark();
      const log = scratch.log();
      const running = executor.submit(tasks.markThenWait, mark, gate.path, 'finished');
      const queued = [1, 2, 3].map((i) => executor.submit(tasks.record, log, `queued ${i}`));
      await scratch.waitFor(mark);
      const shutdown = executor.shutdown({ cancelFutures: true });
      expect(queued.map((f) => f.state)).toEqual(['CANCELLED', 'CANCELLED', 'CANCELLED']);
      expect(running.running()).toBe(true);
      gate.open();
      await shutdown;
      expect(await running.result()).toBe('finished');
      expect(await scratch.lines(log)).toEqual([]);
    });

    it('.shutdown() - a future cancelled just before shutdown does not hang it (CPython gh-94440)', async () => {
      const executor = make({ maxWorkers: 1 });
      const gate = scratch.gate();
      const blocker = executor.submit(tasks.waitForGate, gate.path);
      const queued = executor.submit(tasks.add, 1, 2);
      queued.cancel();
      const shutdown = executor.shutdown();
      gate.open();
      await shutdown;
      expect(blocker.done()).toBe(true);
      expect(queued.cancelled()).toBe(true);
    });

    it('.shutdown() - rejects bad options with a TypeError and stays open', async () => {
      const executor = make();
      await expect(executor.shutdown(loose('now'))).rejects.toThrow(TypeError);
      await expect(executor.shutdown({ wait: loose('yes') })).rejects.toThrow('`wait`');
      await expect(executor.shutdown({ cancelFutures: loose(1) })).rejects.toThrow('`cancelFutures`');
      expect(await executor.submit(tasks.add, 1, 2).result()).toBe(3);
    });

    it('[Symbol.asyncDispose]() - await using shuts down and waits for the work', async () => {
      let outer: Executor | undefined;
      let future: Future<unknown> | undefined;
      {
        await using executor = make({ maxWorkers: 1 });
        outer = executor;
        future = executor.submit(tasks.sleepThenReturn, 5, 'value');
      }
      expect(future.done()).toBe(true);
      expect(await future.result()).toBe('value');
      expect(() => outer.submit(tasks.add, 1, 2)).toThrow(ExecutorShutdownError);
    });

    it('[Symbol.asyncDispose]() - an error thrown in the block still propagates after the shutdown', async () => {
      let future: Future<unknown> | undefined;
      const run = async (): Promise<void> => {
        await using executor = make();
        future = executor.submit(tasks.sleepThenReturn, 5, 'value');
        throw new Error('thrown in the block');
      };
      await expect(run()).rejects.toThrow('thrown in the block');
      expect(future?.done()).toBe(true);
    });
  });

  describe('events', () => {
    it("events - 'submit', 'start' and 'done' fire in that order with the future", async () => {
      const executor = make();
      const events: [string, Future<unknown>][] = [];
      for (const name of ['submit', 'start', 'done'] as const) executor.on(name, (future) => events.push([name, future]));
      const future = executor.submit(tasks.add, 1, 2);
      expect(events[0]).toEqual(['submit', future]);
      await future.result();
      expect(events.map(([name]) => name)).toEqual(['submit', 'start', 'done']);
      expect(events.every(([, f]) => f === future)).toBe(true);
    });

    it("events - a cancelled future emits 'submit' and 'done', never 'start'", async () => {
      const executor = make({ maxWorkers: 1 });
      const events: [string, Future<unknown>][] = [];
      for (const name of ['submit', 'start', 'done'] as const) executor.on(name, (future) => events.push([name, future]));
      const gate = scratch.gate();
      const blocker = executor.submit(tasks.waitForGate, gate.path);
      const queued = executor.submit(tasks.add, 1, 2);
      queued.cancel();
      gate.open();
      await blocker.result();
      await executor.shutdown();
      expect(events.filter(([, future]) => future === queued).map(([name]) => name)).toEqual(['submit', 'done']);
      expect(events.filter(([, future]) => future === blocker).map(([name]) => name)).toEqual(['submit', 'start', 'done']);
    });

    it("events - a throwing done-callback is reported through 'callbackError', not console.error", async () => {
      const consoleError = vi.spyOn(console, 'error').mockImplementation(() => {});
      try {
        const executor = make();
        const reported: [unknown, Future<unknown>][] = [];
        executor.on('callbackError', (error, future) => reported.push([error, future]));
        const boom = new Error('callback failed');
        const later: string[] = [];
        const future = executor.submit(tasks.add, 1, 2);
        future.addDoneCallback(() => {
          throw boom;
        });
        future.addDoneCallback(() => later.push('second callback ran'));
        expect(await future.result()).toBe(3);
        expect(reported).toEqual([[boom, future]]);
        expect(later).toEqual(['second callback ran']);
        // A callback added to a done future runs at once, and is reported the same way.
        future.addDoneCallback(() => {
          throw boom;
        });
        expect(reported).toHaveLength(2);
        expect(consoleError).not.toHaveBeenCalled();
        // The executor keeps working.
        expect(await executor.submit(tasks.add, 2, 2).result()).toBe(4);
      } finally {
        consoleError.mockRestore();
      }
    });
  });

  describe('.submitWith()', () => {
    it('.submitWith() - aborting the signal cancels a queued task', async () => {
      const executor = make({ maxWorkers: 1 });
      const gate = scratch.gate();
      const log = scratch.log();
      const blocker = executor.submit(tasks.waitForGate, gate.path);
      const controller = new AbortController();
      const queued = executor.submitWith({ signal: controller.signal }, tasks.record, log, 'queued');
      controller.abort();
      expect(queued.cancelled()).toBe(true);
      await expect(queued.result()).rejects.toBeInstanceOf(CancelledError);
      gate.open();
      await blocker.result();
      await executor.shutdown();
      expect(await scratch.lines(log)).toEqual([]);
    });

    it('.submitWith() - aborting the signal fails a running task at once with CancelledError', async () => {
      const executor = make({ maxWorkers: 1 });
      const gate = scratch.gate();
      const mark = scratch.mark();
      const controller = new AbortController();
      const future = executor.submitWith({ signal: controller.signal }, tasks.markThenWait, mark, gate.path, 'value');
      await scratch.waitFor(mark);
      const reason = new Error('stop');
      controller.abort(reason);
      // A running future cannot be cancelled: it finishes with the error, without waiting
      // for the task (which ignores its signal and waits for a gate that stays closed).
      expect(future.state).toBe('FINISHED');
      expect(future.cancelled()).toBe(false);
      const error = await future.exception();
      expect(error).toBeInstanceOf(CancelledError);
      expect((error as Error).cause).toBe(reason);
      gate.open();
    });

    // The one place where executors differ: what becomes of the code of a running task that
    // was aborted or timed out and does not stop by itself.
    const stopping = kind.stopsRunningTasks
      ? 'is stopped after a grace period; its slot frees without it'
      : 'runs on to its end, holding its slot';

    it.each(['abort', 'timeout'] as const)(`.submitWith() - a running task that ignores its %s ${stopping}`, async (how) => {
      const executor = make({ maxWorkers: 1 });
      const gate = scratch.gate();
      const mark = scratch.mark();
      const log = scratch.log();
      const controller = new AbortController();
      const options = how === 'abort' ? { signal: controller.signal } : { timeout: 20 };
      const stuck = executor.submitWith(options, tasks.markWaitRecord, mark, gate.path, log, 'stuck task ended');
      if (how === 'abort') {
        // Running, so the abort cannot simply cancel it. (The timeout needs no wait: its
        // clock starts with the task, and may stop it before it gets as far as its mark.)
        await scratch.waitFor(mark);
        controller.abort();
      }
      expect(await stuck.exception()).toBeInstanceOf(how === 'abort' ? CancelledError : TimeoutError);
      const next = executor.submit(tasks.record, log, 'next task');
      if (kind.stopsRunningTasks) {
        // The gate is still closed: only stopping the stuck task can free the one slot.
        expect(await next.result()).toBe('next task');
        gate.open();
        await executor.shutdown();
        expect(await scratch.lines(log)).toEqual(['next task']);
      } else {
        await settle();
        expect(next.state).toBe('PENDING');
        gate.open();
        expect(await next.result()).toBe('next task');
        await executor.shutdown();
        expect(await scratch.lines(log)).toEqual(['stuck task ended', 'next task']);
      }
    });

    it('.submitWith() - an already aborted signal gives a cancelled future; the task never runs', async () => {
      const executor = make();
      const log = scratch.log();
      const future = executor.submitWith({ signal: AbortSignal.abort() }, tasks.record, log, 'ran');
      expect(future.cancelled()).toBe(true);
      await expect(future.result()).rejects.toBeInstanceOf(CancelledError);
      await executor.shutdown();
      expect(await scratch.lines(log)).toEqual([]);
    });

    it('.submitWith() - timeout fails a task that runs too long with TimeoutError', async () => {
      const executor = make();
      const gate = scratch.gate();
      const future = executor.submitWith({ timeout: 10 }, tasks.waitForGate, gate.path);
      expect(await future.exception()).toBeInstanceOf(TimeoutError);
      gate.open();
    });

    it('.submitWith() - a task that ends within its timeout keeps its value', async () => {
      const executor = make();
      expect(await executor.submitWith({ timeout: 60_000 }, tasks.add, 1, 2).result()).toBe(3);
      expect(await executor.submitWith({}, tasks.add, 2, 2).result()).toBe(4);
    });
  });

  describe('bad arguments', () => {
    const badCalls: [string, (executor: Executor) => unknown, new (...args: never[]) => Error, string][] = [
      ['submit(42)', (ex) => ex.submit(loose<() => unknown>(42)), TypeError, '`42` (number)'],
      ['submitWith(null, fn)', (ex) => ex.submitWith(loose(null), tasks.add, 1, 2), TypeError, '`null` (null)'],
      ['submitWith({}, 42)', (ex) => ex.submitWith({}, loose<() => unknown>(42)), TypeError, '`42` (number)'],
      ['submitWith({ signal: "x" })', (ex) => ex.submitWith({ signal: loose('x') }, tasks.add, 1, 2), TypeError, '`signal`'],
      ['submitWith({ timeout: "soon" })', (ex) => ex.submitWith({ timeout: loose('soon') }, tasks.add, 1, 2), TypeError, "`'soon'`"],
      ['submitWith({ timeout: NaN })', (ex) => ex.submitWith({ timeout: NaN }, tasks.add, 1, 2), TypeError, '`NaN`'],
      ['submitWith({ transfer: 1 })', (ex) => ex.submitWith({ transfer: loose(1) }, tasks.add, 1, 2), TypeError, '`transfer`'],
      ['map(42, items)', (ex) => ex.map(loose<(x: number) => number>(42), [1]), TypeError, '`42` (number)'],
      ['map(fn, 42)', (ex) => ex.map(tasks.double, loose(42)), TypeError, '`42` (number)'],
      ['map(fn, null)', (ex) => ex.map(tasks.double, loose(null)), TypeError, '`null` (null)'],
      ['map(fn, items, "fast")', (ex) => ex.map(tasks.double, [1], loose('fast')), TypeError, "`'fast'`"],
      ['map(fn, items, { timeout: "1s" })', (ex) => ex.map(tasks.double, [1], { timeout: loose('1s') }), TypeError, "`'1s'`"],
      ['map(fn, items, { chunksize: "2" })', (ex) => ex.map(tasks.double, [1], { chunksize: loose('2') }), TypeError, "`'2'`"],
      ['map(fn, items, { buffersize: 0 })', (ex) => ex.map(tasks.double, [1], { buffersize: 0 }), RangeError, '`0`'],
      ['starmap(fn, 42)', (ex) => ex.starmap(tasks.add, loose(42)), TypeError, '`42` (number)'],
      ['starmap(fn, items, { chunksize: 0 })', (ex) => ex.starmap(tasks.add, [[1, 2]], { chunksize: 0 }), RangeError, '`0`'],
    ];

    it.each(badCalls)('bad arguments - %s throws at the call and leaves nothing pending', async (_label, call, ErrorClass, shown) => {
      const executor = make();
      const futures = recordSubmits(executor);
      expect(() => call(executor)).toThrow(ErrorClass);
      expect(() => call(executor)).toThrow(shown);
      expect(futures).toEqual([]);
      // Nothing outstanding: shutdown({ wait: true }) resolves, and the executor had kept working.
      expect(await executor.submit(tasks.add, 1, 2).result()).toBe(3);
      await executor.shutdown();
    });

    it('bad arguments - a starmap item that is not an argument array fails at its position, nothing hangs', async () => {
      const executor = make();
      const iterator = executor.starmap(tasks.add, loose<[number, number][]>([[1, 2], 5]));
      expect(await iterator.next()).toEqual({ done: false, value: 3 });
      await expect(iterator.next()).rejects.toThrow(TypeError);
      expect(await iterator.next()).toEqual({ done: true, value: undefined });
      await executor.shutdown();
    });
  });
});

