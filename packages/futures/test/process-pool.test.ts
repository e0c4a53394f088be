/**
 * ProcessPoolExecutor on real child processes: options, how tasks and values cross, errors
 * across the boundary, what cannot be sent, initializer, recycling (maxTasksPerChild),
 * prefetch, map/starmap in chunks, events, stats and a large payload (R9.x of
 * cpython-semantics.md). Worker death, timeouts, aborts and shutdown are in
 * process-pool-crash.test.ts; parent/child hygiene in process-hygiene.test.ts.
 *
 * Children run the built package (dist): `tsc -b packages/futures` first.
 */
import { existsSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import {
  BrokenProcessPool,
  type Future,
  moduleTasks,
  type Task,
} from '../src/index.js';
import { CLOSURE_HINT } from '../src/internal/function-source.js';
import { AUTO_PREFETCH_START, MAX_PREFETCH } from '../src/worker-pool/options.js';
import { setTimeout as sleep } from 'node:timers/promises';
import { loose, settle } from './fixtures/harness.js';
import { PoolTracker, PROCESS_TASKS_URL, ptasks, waitUntil } from './fixtures/process-harness.js';

const tracker = new PoolTracker();
afterEach(() => tracker.dispose());

function bound(this: unknown, value: number): number {
  return value;
}

/** A typed initializer as the (non-generic) constructor takes it. */
function initializer<A extends unknown[]>(task: Task<A, unknown>): Task<unknown[], unknown> {
  return task as Task<unknown[], unknown>;
}

async function collect<T>(iterator: AsyncIterable<T>): Promise<T[]> {
  const values: T[] = [];
  for await (const value of iterator) values.push(value);
  return values;
}

describe('ProcessPoolExecutor', () => {
  describe('constructor', () => {
    it('constructor - maxWorkers defaults to availableParallelism() (R9.1)', () => {
      expect(tracker.make().pool.maxWorkers).toBe(availableParallelism());
    });

    it.each([
      [0, RangeError],
      [1.5, RangeError],
      [-1, RangeError],
      ['3', TypeError],
    ])('constructor - maxTasksPerChild %j throws %o naming the option (R9.3)', (value, ErrorClass) => {
      expect(() => tracker.make({ maxTasksPerChild: loose(value) })).toThrow(ErrorClass);
      expect(() => tracker.make({ maxTasksPerChild: loose(value) })).toThrow(/maxTasksPerChild/);
    });

    it.each([
      [{ serialization: loose('xml') }, TypeError, /serialization/],
      [{ prefetch: MAX_PREFETCH + 1 }, RangeError, /prefetch/],
      [{ prefetch: loose('fast') }, TypeError, /'auto'/],
      [{ prefetch: -1 }, RangeError, /prefetch/],
      [{ prefetch: loose('2') }, TypeError, /prefetch/],
      [{ onWorkerExit: loose('ignore') }, TypeError, /onWorkerExit/],
      [{ execArgv: loose('--inspect') }, TypeError, /execArgv/],
      [{ env: loose(null) }, TypeError, /env/],
      [{ idleTimeout: loose('1s') }, TypeError, /idleTimeout/],
      [{ taskTimeout: Number.NaN }, TypeError, /taskTimeout/],
      [{ maxWorker: 2 }, TypeError, /unknown option `maxWorker`/],
    ])('constructor - rejects %o', (options, ErrorClass, message) => {
      expect(() => tracker.make(loose(options))).toThrow(ErrorClass);
      expect(() => tracker.make(loose(options))).toThrow(message);
    });

    it('constructor - starts no child before the first submit (R9.2)', async () => {
      const { pool, started } = tracker.make({ maxWorkers: 2 });
      expect(started).toEqual([]);
      expect(pool.stats.workers).toBe(0);
      expect(await pool.submit(ptasks.add, 1, 2)).toBe(3);
      expect(started.length).toBeGreaterThanOrEqual(1);
    });
  });

  describe('submit', () => {
    it('.submit() - a TaskRef runs in a child process', async () => {
      const { pool } = tracker.make({ maxWorkers: 1 });
      const future = pool.submit(ptasks.add, 2, 3);
      expect(await future).toBe(5);
      const pid = await pool.submit(ptasks.pid);
      expect(pid).not.toBe(process.pid);
    });

    it('.submit() - a self-contained function is shipped by source, sync or async, with import() inside', async () => {
      const { pool } = tracker.make({ maxWorkers: 1 });
      expect(await pool.submit((a: number, b: number) => a * b, 6, 7)).toBe(42);
      expect(
        await pool.submit(async (n: number) => {
          await new Promise((resolve) => setTimeout(resolve, 1));
          return n + 1;
        }, 41),
      ).toBe(42);
      const cpus = await pool.submit(async () => {
        const os = await import('node:os');
        return os.availableParallelism();
      });
      expect(cpus).toBe(availableParallelism());
    });

    it('.submit() - arguments and results cross by structured clone (Map, Set, Date, BigInt, typed arrays, cycles)', async () => {
      const { pool } = tracker.make({ maxWorkers: 1 });
      const cyclic: { self?: unknown; n: number } = { n: 1 };
      cyclic.self = cyclic;
      const value = {
        map: new Map<unknown, unknown>([[1, 'one'], ['k', new Set([2n, 3n])]]),
        date: new Date(86_400_000),
        big: 2n ** 70n,
        floats: new Float64Array([1.5, -0, Number.NaN]),
        bytes: new Uint8Array([0, 255]),
        nested: { list: [undefined, null, Infinity], regexp: /a+b/gi },
        cyclic,
      };
      const back = (await pool.submit(ptasks.echo, value)) as typeof value;
      expect(back).toEqual(value);
      expect(back.map).toBeInstanceOf(Map);
      expect(back.date).toBeInstanceOf(Date);
      expect(back.floats).toBeInstanceOf(Float64Array);
      expect(Object.is(back.floats[1], -0)).toBe(true);
      expect(back.cyclic.self).toBe(back.cyclic);
    });

    it("serialization: 'json' - plain data crosses, errors keep their class, Maps become JSON", async () => {
      const { pool } = tracker.make({ maxWorkers: 1, serialization: 'json' });
      const data = { a: [1, 'x', null], b: { c: true } };
      expect(await pool.submit(ptasks.echo, data)).toEqual(data);
      expect(await pool.submit((a: number, b: number) => a + b, 1, 2)).toBe(3);
      const error = await pool.submit(ptasks.throwValidation, 'name').exception();
      expect(error).toBeInstanceOf(TypeError);
      expect(error).toMatchObject({ name: 'ValidationError', code: 'E_VALIDATION', field: 'name' });
      // JSON's own rules: a Map has no enumerable own properties.
      expect(await pool.submit(ptasks.echo, new Map([[1, 2]]))).toEqual({});
      const bigint = await pool.submit(ptasks.echo, 1n).exception();
      expect(bigint).toBeInstanceOf(TypeError);
      expect((bigint as Error).message).toMatch(/argument could not be sent.*BigInt/);
      expect(await pool.submit(ptasks.add, 2, 2)).toBe(4);
    });
  });

  describe('dispatch', () => {
    it('.submit() - tasks submitted together run in parallel on separate children before any is prefetched', async () => {
      const scratch = await tracker.scratch();
      const { pool } = tracker.make({ maxWorkers: 2 });
      const gate = scratch.gate();
      const marks = [scratch.mark(), scratch.mark()];
      const futures = marks.map((mark) => pool.submit(ptasks.markThenWait, mark, gate.path));
      // Both must be running at once: queued behind each other, the second mark never appears.
      await waitUntil(() => marks.every((mark) => existsSync(mark)), 'both tasks started');
      const pids = marks.map((mark) => readFileSync(mark, 'utf8'));
      expect(new Set(pids).size).toBe(2);
      gate.open();
      expect(await Promise.all(futures)).toEqual(['opened', 'opened']);
    });

    it('.submit() - a burst is spread over the workers, then prefetched evenly', async () => {
      const scratch = await tracker.scratch();
      const { pool } = tracker.make({ maxWorkers: 2, prefetch: 1 });
      const gate = scratch.gate();
      const marks = [scratch.mark(), scratch.mark()];
      const blockers = marks.map((mark) => pool.submit(ptasks.markThenWait, mark, gate.path));
      const rest = [1, 2, 3].map((i) => pool.submit(ptasks.add, i, 0));
      await waitUntil(() => marks.every((mark) => existsSync(mark)), 'both blockers started');
      // Two workers with room for one more each: two of the three are handed over.
      expect(rest.map((f) => f.running())).toEqual([true, true, false]);
      expect(pool.stats).toMatchObject({ workers: 2, running: 4, queued: 1 });
      gate.open();
      expect(await Promise.all([...blockers, ...rest])).toEqual(['opened', 'opened', 1, 2, 3]);
    });
  });

  describe('errors across the boundary', () => {
    it('.submit() - a thrown error keeps its class, name, message, code, own properties and cause chain', async () => {
      const { pool } = tracker.make({ maxWorkers: 1 });
      const error = await pool.submit(ptasks.throwValidation, 'age').exception();
      expect(error).toBeInstanceOf(TypeError);
      const typed = error as TypeError & { code?: unknown; field?: unknown };
      expect(typed.name).toBe('ValidationError');
      expect(typed.message).toBe('bad age');
      expect(typed.code).toBe('E_VALIDATION');
      expect(typed.field).toBe('age');
      expect(typed.cause).toBeInstanceOf(Error);
      expect((typed.cause as Error).message).toBe('root cause');
      expect((typed.cause as Error).cause).toBe('the bottom');
    });

    it("errors - the stack shows the child's frames, marked with its pid (R9.4)", async () => {
      const { pool, pids } = tracker.make({ maxWorkers: 1 });
      const error = (await pool.submit(ptasks.throwValidation, 'x').exception()) as Error;
      expect(error.stack).toContain('process-tasks.mjs');
      expect(error.stack).toContain('throwValidation');
      expect(error.stack).toContain(`[in process ${pids()[0]}]`);
    });

    it('errors - AggregateError keeps .errors, each rebuilt', async () => {
      const { pool } = tracker.make({ maxWorkers: 1 });
      const error = await pool.submit(ptasks.throwAggregate).exception();
      expect(error).toBeInstanceOf(AggregateError);
      const { errors, message } = error as AggregateError;
      expect(message).toBe('several');
      expect(errors).toHaveLength(2);
      expect(errors[0]).toBeInstanceOf(RangeError);
      expect((errors[0] as Error).message).toBe('first');
      expect((errors[1] as Error).message).toBe('second');
    });

    it('errors - a rejected promise fails the future like a throw', async () => {
      const { pool } = tracker.make({ maxWorkers: 1 });
      await expect(pool.submit(ptasks.rejectLater, 'later')).rejects.toThrow('later');
    });

    it.each([[0], [undefined], ['text'], [null], [false], [{ plain: 1 }]])(
      'errors - a thrown non-Error %j arrives as itself, and is still a failure',
      async (value) => {
        const { pool } = tracker.make({ maxWorkers: 1 });
        const future = pool.submit(ptasks.throwValue, value);
        await expect(future.result()).rejects.toEqual(value);
        expect(await future.exception()).toEqual(value);
        expect(future.state).toBe('FINISHED');
      },
    );
  });

  describe('what cannot be shipped or sent', () => {
    it('.submit() - a function that uses an outer variable fails with ReferenceError and the hint', async () => {
      const { pool } = tracker.make({ maxWorkers: 1 });
      const outer = 5;
      const error = await pool.submit(() => outer + 1).exception();
      expect(error).toBeInstanceOf(ReferenceError);
      expect((error as Error).message).toContain('outer is not defined');
      expect((error as Error).message).toContain(CLOSURE_HINT);
      expect(await pool.submit(ptasks.add, 1, 1)).toBe(2);
    });

    it.each([
      ['a bound function', () => bound.bind(null)],
      ['a class', () => class Job {}],
      ['a native function with no global name', () => (Object.getPrototypeOf(async () => {}) as { constructor: unknown }).constructor],
    ])('.submit() - %s throws TypeError at submit pointing to moduleTasks; nothing is left pending', async (_what, make) => {
      const { pool } = tracker.make({ maxWorkers: 1 });
      const fn = make() as () => unknown;
      expect(() => pool.submit(fn)).toThrow(TypeError);
      expect(() => pool.submit(fn)).toThrow(/moduleTasks/);
      expect(pool.stats.queued).toBe(0);
      await pool.shutdown({ wait: true });
    });

    it('.submit() - a built-in with a global name (Math.max) is shipped by that name', async () => {
      const { pool } = tracker.make({ maxWorkers: 1 });
      expect(await pool.submit(Math.max, 1, 3, 2)).toBe(3);
    });

    it.each([
      ['a function', (): unknown => () => 1],
      ['a symbol', (): unknown => Symbol('s')],
    ])('.submit() - %s as argument fails only that future, saying what; the pool keeps working', async (_what, make) => {
      const { pool } = tracker.make({ maxWorkers: 1 });
      // In one burst, so that the three travel in one message and only one may fail.
      const futures = [pool.submit(ptasks.echo, 1), pool.submit(ptasks.echo, make()), pool.submit(ptasks.echo, 3)];
      const error = await (futures[1] as Future<unknown>).exception();
      expect(error).toBeInstanceOf(TypeError);
      expect((error as Error).message).toMatch(/an argument could not be sent to the process worker: .*could not be cloned/);
      expect(await futures[0]).toBe(1);
      expect(await futures[2]).toBe(3);
      expect(await pool.submit(ptasks.add, 2, 2)).toBe(4);
    });

    it.each<[string, Task<[], unknown>]>([
      ['a function', ptasks.returnFunction],
      ['a symbol', ptasks.returnSymbol],
    ])('.submit() - %s as result fails only that future, saying what; the pool keeps working', async (_what, task) => {
      const { pool } = tracker.make({ maxWorkers: 1 });
      const futures = [pool.submit(ptasks.add, 1, 1), pool.submit(task), pool.submit(ptasks.add, 2, 2)];
      const error = await (futures[1] as Future<unknown>).exception();
      expect(error).toBeInstanceOf(TypeError);
      expect((error as Error).message).toMatch(/the task's result could not be sent back from the worker: .*could not be cloned/);
      expect(await futures[0]).toBe(2);
      expect(await futures[2]).toBe(4);
    });

    it('TaskRef - a module that does not exist fails the future naming module and export', async () => {
      const { pool } = tracker.make({ maxWorkers: 1 });
      const url = new URL('./fixtures/no-such-module.mjs', import.meta.url);
      const missing = moduleTasks<Record<string, () => unknown>>(url).compute as Task<[], unknown>;
      const error = await pool.submit(missing).exception();
      expect(error).toBeInstanceOf(Error);
      expect((error as Error).message).toContain(url.href);
      expect((error as Error).message).toContain('"compute"');
      expect(error).toMatchObject({ code: 'ERR_MODULE_NOT_FOUND' });
      expect(await pool.submit(ptasks.add, 1, 2)).toBe(3);
    });

    it.each([['notAFunction'], ['noSuchExport']])(
      'TaskRef - export %s that is not a function fails the future with TypeError naming module and export',
      async (name) => {
        const { pool } = tracker.make({ maxWorkers: 1 });
        const ref = moduleTasks<Record<string, () => unknown>>(PROCESS_TASKS_URL)[name] as Task<[], unknown>;
        const error = await pool.submit(ref).exception();
        expect(error).toBeInstanceOf(TypeError);
        expect((error as Error).message).toContain(PROCESS_TASKS_URL.href);
        expect((error as Error).message).toContain(`"${name}"`);
      },
    );
  });

  describe('initializer', () => {
    it('initializer - runs once per worker with initargs, before its tasks', async () => {
      const { pool } = tracker.make({ maxWorkers: 1, maxTasksPerChild: 2, initializer: initializer(ptasks.init), initargs: ['hello'] });
      const results = await Promise.all(Array.from({ length: 6 }, () => pool.submit(ptasks.readInit)));
      expect(results.map((r) => r.value)).toEqual(Array(6).fill('hello'));
      expect(results.map((r) => r.initCount)).toEqual(Array(6).fill(1));
      expect(new Set(results.map((r) => r.pid)).size).toBe(3);
    });

    it('initializer - a self-contained function works too', async () => {
      const { pool } = tracker.make({
        maxWorkers: 2,
        initializer: initializer((value: string) => {
          (globalThis as { initValue?: string }).initValue = value;
        }),
        initargs: ['from a function'],
      });
      expect(await pool.submit(ptasks.readInit)).toMatchObject({ value: 'from a function' });
    });

    it('initializer - initargs that cannot be sent break the pool; no future is left pending', async () => {
      const { pool } = tracker.make({ maxWorkers: 2, initializer: initializer(ptasks.init), initargs: [() => 1] });
      const futures = [1, 2, 3].map((i) => pool.submit(ptasks.add, i, i));
      for (const future of futures) {
        const error = await future.exception();
        expect(error).toBeInstanceOf(BrokenProcessPool);
        expect((error as Error).message).toMatch(/initargs could not be sent/);
      }
      expect(() => pool.submit(ptasks.add, 1, 1)).toThrow(BrokenProcessPool);
    });

    it('initializer - one that throws breaks the pool: BrokenProcessPool caused by the error (R9.8)', async () => {
      const { pool } = tracker.make({ maxWorkers: 2, initializer: initializer(ptasks.failingInit) });
      const broken: unknown[] = [];
      pool.on('broken', (error) => broken.push(error));
      const futures = Array.from({ length: 4 }, (_, i) => pool.submit(ptasks.add, i, i));
      for (const future of futures) {
        const error = await future.exception();
        expect(error).toBeInstanceOf(BrokenProcessPool);
        expect((error as Error).cause).toBeInstanceOf(RangeError);
        expect((error as Error).cause).toMatchObject({ message: 'initializer failed', code: 'E_INIT' });
      }
      expect(broken).toHaveLength(1);
      expect(pool.broken).toBeInstanceOf(BrokenProcessPool);
      expect(() => pool.submit(ptasks.add, 1, 1)).toThrow(BrokenProcessPool);
    });
  });

  describe('maxTasksPerChild', () => {
    it('maxTasksPerChild - 1 worker, N=3, 7 tasks: pid pattern [a,a,a,b,b,b,c] (R9.3)', async () => {
      const { pool, started } = tracker.make({ maxWorkers: 1, maxTasksPerChild: 3 });
      const pids = await Promise.all(Array.from({ length: 7 }, () => pool.submit(ptasks.pid)));
      const [a, , , b, , , c] = pids;
      expect(pids).toEqual([a, a, a, b, b, b, c]);
      expect(new Set([a, b, c]).size).toBe(3);
      expect(started.map((info) => info.pid)).toEqual([a, b, c]);
    });

    it('maxTasksPerChild - the pattern holds with prefetch 0 and prefetch 4', async () => {
      for (const prefetch of [0, 4]) {
        const { pool } = tracker.make({ maxWorkers: 1, maxTasksPerChild: 3, prefetch });
        const pids = await Promise.all(Array.from({ length: 7 }, () => pool.submit(ptasks.pid)));
        const [a, , , b, , , c] = pids;
        expect(pids).toEqual([a, a, a, b, b, b, c]);
      }
    });

    it('maxTasksPerChild - N=1, 6 tasks, then shutdown(): every result arrives (test_max_tasks_early_shutdown)', async () => {
      const { pool, started } = tracker.make({ maxWorkers: 3, maxTasksPerChild: 1 });
      const futures = Array.from({ length: 6 }, (_, i) => pool.submit(ptasks.add, i, 1));
      await pool.shutdown();
      expect(await Promise.all(futures)).toEqual([1, 2, 3, 4, 5, 6]);
      expect(started).toHaveLength(6);
    });

    it.each([
      [1, 2, 6],
      [2, 2, 8],
    ])('maxTasksPerChild - %i workers, N=%i, %i tasks: no deadlock (gh-115634)', async (maxWorkers, maxTasksPerChild, n) => {
      const { pool } = tracker.make({ maxWorkers, maxTasksPerChild });
      const results = await Promise.all(Array.from({ length: n }, (_, i) => pool.submit(ptasks.add, i, 0)));
      expect(results).toEqual(Array.from({ length: n }, (_, i) => i));
    });
  });

  describe('prefetch', () => {
    it('prefetch 0 - tasks behind a busy worker stay queued: cancellable, and never run', async () => {
      const scratch = await tracker.scratch();
      const { pool } = tracker.make({ maxWorkers: 1, prefetch: 0 });
      const gate = scratch.gate();
      const mark = scratch.mark();
      const log = scratch.log();
      const first = pool.submit(ptasks.markThenWait, mark, gate.path);
      const rest = [1, 2, 3].map((i) => pool.submit(ptasks.append, log, `task ${i}`));
      await scratch.waitFor(mark);
      expect(first.running()).toBe(true);
      expect(rest.map((f) => f.running())).toEqual([false, false, false]);
      expect(pool.stats).toMatchObject({ queued: 3, running: 1 });
      expect(rest.map((f) => f.cancel())).toEqual([true, true, true]);
      gate.open();
      expect(await first).toBe('opened');
      expect(await pool.submit(ptasks.append, log, 'after')).toBe('after');
      expect(await scratch.lines(log)).toEqual(['after']);
      expect(rest.every((f) => f.cancelled())).toBe(true);
    });

    it.each([[2], [undefined]])(
      'prefetch %s - the tasks handed to a busy worker report running() and cannot be cancelled (R9.10)',
      async (prefetch) => {
        // The default, 'auto', starts at 2 until it has timed a task.
        expect(AUTO_PREFETCH_START).toBe(2);
        const scratch = await tracker.scratch();
        const { pool } = tracker.make(prefetch === undefined ? { maxWorkers: 1 } : { maxWorkers: 1, prefetch });
        const gate = scratch.gate();
        const mark = scratch.mark();
        const log = scratch.log();
        const first = pool.submit(ptasks.markThenWait, mark, gate.path);
        const rest = [1, 2, 3].map((i) => pool.submit(ptasks.append, log, `task ${i}`));
        await scratch.waitFor(mark);
        expect([first, ...rest].map((f) => f.running())).toEqual([true, true, true, false]);
        expect(rest.map((f) => f.cancel())).toEqual([false, false, true]);
        gate.open();
        expect(await Promise.all([first, rest[0], rest[1]])).toEqual(['opened', 'task 1', 'task 2']);
        expect(await pool.submit(ptasks.append, log, 'after')).toBe('after');
        expect(await scratch.lines(log)).toEqual(['task 1', 'task 2', 'after']);
      },
    );
    it("prefetch 'auto' - after small tasks, a busy worker is handed many tasks ahead of time", async () => {
      const scratch = await tracker.scratch();
      const { pool } = tracker.make({ maxWorkers: 1 });
      // Time some trivial tasks: each runs in microseconds, far below the 1 ms window.
      await Promise.all(Array.from({ length: 20 }, (_, i) => pool.submit(ptasks.add, i, 0)));
      const gate = scratch.gate();
      const mark = scratch.mark();
      // Submitted together: the blocker has not yet outlasted the timed tasks (see the next test).
      const blocker = pool.submit(ptasks.markThenWait, mark, gate.path);
      const rest = Array.from({ length: 10 }, (_, i) => pool.submit(ptasks.add, i, 1));
      await scratch.waitFor(mark);
      await waitUntil(() => rest.every((f) => f.running()), 'the 10 tasks handed over');
      expect(pool.stats).toMatchObject({ queued: 0, running: 11 });
      gate.open();
      expect(await Promise.all([blocker, ...rest])).toEqual(['opened', ...Array.from({ length: 10 }, (_, i) => i + 1)]);
    });

    it("prefetch 'auto' - a worker whose task outlasts the recent ones is handed nothing more: later tasks stay queued, cancellable", async () => {
      const scratch = await tracker.scratch();
      const { pool } = tracker.make({ maxWorkers: 1 });
      await Promise.all(Array.from({ length: 20 }, (_, i) => pool.submit(ptasks.add, i, 0)));
      const gate = scratch.gate();
      const mark = scratch.mark();
      const blocker = pool.submit(ptasks.markThenWait, mark, gate.path);
      await scratch.waitFor(mark);
      // The blocker waits for the gate, so by now it has run far longer than the 2 ms floor
      // past which a running task counts as overdue (reclaim.ts); no race with its end.
      await sleep(50);
      const rest = Array.from({ length: 3 }, (_, i) => pool.submit(ptasks.add, i, 1));
      await settle();
      expect(rest.map((f) => f.running())).toEqual([false, false, false]);
      expect(pool.stats).toMatchObject({ queued: 3, running: 1 });
      expect(rest[2]?.cancel()).toBe(true);
      gate.open();
      expect(await Promise.all([blocker, rest[0], rest[1]])).toEqual(['opened', 1, 2]);
    });

    it("prefetch 'auto' - after tasks that take milliseconds, a busy worker holds one task ahead", async () => {
      const scratch = await tracker.scratch();
      const { pool } = tracker.make({ maxWorkers: 1 });
      // Each sleeps 20 ms, so the window of 1 ms holds less than one: the floor of 1 applies.
      await Promise.all([1, 2, 3].map(() => pool.submit(ptasks.pidAfter, 20)));
      const gate = scratch.gate();
      const mark = scratch.mark();
      const blocker = pool.submit(ptasks.markThenWait, mark, gate.path);
      const rest = [1, 2, 3].map((i) => pool.submit(ptasks.add, i, 0));
      await scratch.waitFor(mark);
      await waitUntil(() => rest[0]?.running() === true, 'one task handed over');
      expect(rest.map((f) => f.running())).toEqual([true, false, false]);
      expect(pool.stats).toMatchObject({ queued: 2, running: 2 });
      gate.open();
      expect(await Promise.all([blocker, ...rest])).toEqual(['opened', 1, 2, 3]);
    });
  });

  describe('map and starmap', () => {
    it('.map() - chunksize sends batches: a chunk counts as one task for maxTasksPerChild', async () => {
      const { pool } = tracker.make({ maxWorkers: 1, maxTasksPerChild: 1 });
      const pids = await collect(pool.map(() => process.pid, Array.from({ length: 8 }, (_, i) => i), { chunksize: 4 }));
      const [a, , , , b] = pids;
      expect(pids).toEqual([a, a, a, a, b, b, b, b]);
      expect(a).not.toBe(b);
    });

    it('.map() - results in input order across workers and chunks', async () => {
      const { pool } = tracker.make({ maxWorkers: 2 });
      const items = Array.from({ length: 50 }, (_, i) => i);
      expect(await collect(pool.map(ptasks.echo, items, { chunksize: 7 }))).toEqual(items);
    });

    it("map - an item's error is thrown at its position; the chunk's other items keep their results", async () => {
      const { pool } = tracker.make({ maxWorkers: 1 });
      const seen: number[] = [];
      const iterate = async (): Promise<void> => {
        for await (const value of pool.map(ptasks.tenfoldOrThrow, [1, 3, 4, 5], { chunksize: 4 })) seen.push(value);
      };
      await expect(iterate()).rejects.toThrow(new RangeError('item 4'));
      expect(seen).toEqual([10, 30]);
    });

    it('.map() - a chunk is one task (one submit event, one job) whose items count one by one in stats', async () => {
      const { pool } = tracker.make({ maxWorkers: 1 });
      let submits = 0;
      pool.on('submit', () => submits++);
      const values: number[] = [];
      const iterate = async (): Promise<void> => {
        for await (const value of pool.map(ptasks.tenfoldOrThrow, [1, 3, 5, 7, 2, 9], { chunksize: 3 })) values.push(value);
      };
      await expect(iterate()).rejects.toThrow(new RangeError('item 2'));
      expect(values).toEqual([10, 30, 50, 70]);
      expect(submits).toBe(2);
      expect(pool.stats).toMatchObject({ completed: 5, failed: 1, queued: 0, running: 0 });
    });

    it('.map().toArray() - collects whole chunks in input order, and throws an item error as iterating would', async () => {
      const { pool } = tracker.make({ maxWorkers: 2 });
      const items = Array.from({ length: 1000 }, (_, i) => i);
      expect(await pool.map(ptasks.echo, items, { chunksize: 64 }).toArray()).toEqual(items);
      expect(await pool.starmap(ptasks.add, [[1, 2], [3, 4], [5, 6]], { chunksize: 2 }).toArray()).toEqual([3, 7, 11]);
      await expect(pool.map(ptasks.tenfoldOrThrow, [1, 3, 5, 2, 7], { chunksize: 2 }).toArray()).rejects.toThrow(new RangeError('item 2'));
    });

    it('.map().toArray() - after some items were taken with next(), returns the rest', async () => {
      const { pool } = tracker.make({ maxWorkers: 1 });
      const iterator = pool.map(ptasks.echo, [1, 2, 3, 4, 5, 6, 7], { chunksize: 3 });
      expect(await iterator.next()).toEqual({ done: false, value: 1 });
      expect(await iterator.toArray()).toEqual([2, 3, 4, 5, 6, 7]);
      expect(await iterator.next()).toEqual({ done: true, value: undefined });
    });

    it('.starmap() - spreads each item as arguments, in chunks', async () => {
      const { pool } = tracker.make({ maxWorkers: 2 });
      const pairs: [number, number][] = Array.from({ length: 9 }, (_, i) => [i, i * 100]);
      expect(await collect(pool.starmap(ptasks.add, pairs, { chunksize: 2 }))).toEqual(pairs.map(([a, b]) => a + b));
    });

    it('.starmap() - buffersize reads an infinite input lazily; leaving early stops it', async () => {
      const scratch = await tracker.scratch();
      const { pool } = tracker.make({ maxWorkers: 2 });
      const log = scratch.log();
      function* forever(): Generator<[string, string]> {
        for (let i = 0; ; i++) yield [log, String(i)];
      }
      const got: string[] = [];
      for await (const line of pool.starmap(ptasks.append, forever(), { buffersize: 2, chunksize: 2 })) {
        got.push(line);
        if (got.length === 5) break;
      }
      expect(got).toEqual(['0', '1', '2', '3', '4']);
      await pool.shutdown();
      const lines = await scratch.lines(log);
      // As in CPython, each chunk taken from the buffer is replaced at once: having taken 3
      // chunks (items 0-5), at most 3 + buffersize chunks (10 items) ever went out.
      expect(lines.length).toBeGreaterThanOrEqual(5);
      expect(lines.length).toBeLessThanOrEqual((3 + 2) * 2);
    });
  });

  describe('events and stats', () => {
    it("events - 'workerStart' and 'workerExit' carry id and pid; exit adds exitCode and signal", async () => {
      const { pool, started, exited } = tracker.make({ maxWorkers: 2 });
      const events: string[] = [];
      pool.on('submit', () => events.push('submit'));
      pool.on('start', () => events.push('start'));
      pool.on('done', () => events.push('done'));
      await Promise.all([pool.submit(ptasks.add, 1, 2), pool.submit(ptasks.add, 3, 4)]);
      await pool.shutdown();
      expect(started.length).toBeGreaterThanOrEqual(1);
      expect(started.length).toBeLessThanOrEqual(2);
      for (const info of started) {
        expect(info).toEqual({ id: expect.any(Number) as number, pid: expect.any(Number) as number });
      }
      expect(new Set(started.map((info) => info.id)).size).toBe(started.length);
      expect(exited.map((info) => info.pid).sort()).toEqual(started.map((info) => info.pid).sort());
      for (const info of exited) expect(info).toMatchObject({ exitCode: 0, signal: null });
      expect(events.filter((e) => e === 'submit')).toHaveLength(2);
      expect(events.filter((e) => e === 'start')).toHaveLength(2);
      expect(events.filter((e) => e === 'done')).toHaveLength(2);
    });

    it('stats - counts workers, queued, running, completed and failed', async () => {
      const scratch = await tracker.scratch();
      const { pool } = tracker.make({ maxWorkers: 1, prefetch: 0 });
      expect(pool.stats).toEqual({ workers: 0, queued: 0, running: 0, completed: 0, failed: 0, reclaimed: 0 });
      const gate = scratch.gate();
      const mark = scratch.mark();
      const first = pool.submit(ptasks.markThenWait, mark, gate.path);
      const second = pool.submit(ptasks.add, 1, 1);
      const third = pool.submit(ptasks.throwValue, 'no');
      await scratch.waitFor(mark);
      expect(pool.stats).toEqual({ workers: 1, queued: 2, running: 1, completed: 0, failed: 0, reclaimed: 0 });
      gate.open();
      await Promise.allSettled([first.result(), second.result(), third.result()]);
      expect(pool.stats).toEqual({ workers: 1, queued: 0, running: 0, completed: 2, failed: 1, reclaimed: 0 });
      await pool.shutdown();
      expect(pool.stats.workers).toBe(0);
    });
  });

  describe('large payloads', () => {
    it('.submit() - a 100 MB Float64Array crosses both ways', { timeout: 120_000 }, async () => {
      const { pool } = tracker.make({ maxWorkers: 1 });
      const length = (100 * 1024 * 1024) / 8;
      const input = new Float64Array(length);
      for (let i = 0; i < length; i += 4096) input[i] = i;
      const output = await pool.submit((array: Float64Array) => {
        for (let i = 0; i < array.length; i += 4096) array[i] = (array[i] as number) * 2;
        return array;
      }, input);
      expect(output).toBeInstanceOf(Float64Array);
      expect(output.length).toBe(length);
      for (const i of [0, 4096, length - (length % 4096 || 4096)]) expect(output[i]).toBe(i * 2);
      expect(await pool.submit(ptasks.add, 1, 1)).toBe(2);
    });

    it('.submit() - a 100 MB Buffer crosses both ways', { timeout: 120_000 }, async () => {
      const { pool } = tracker.make({ maxWorkers: 1 });
      const input = Buffer.alloc(100 * 1024 * 1024, 7);
      const sum = await pool.submit((bytes: Uint8Array) => {
        let total = 0;
        for (let i = 0; i < bytes.length; i += 1024) total += bytes[i] as number;
        return { total, length: bytes.length };
      }, input);
      expect(sum).toEqual({ total: 7 * 100 * 1024, length: input.length });
    });
  });
});
