/**
 * ThreadPoolExecutor specifics (CPython's ThreadPoolExecutorTest and R8.x of
 * cpython-semantics.md), plus TaskRef loading and `moduleTasks`. The behaviour every
 * executor shares is in `contract.test.ts`. Tasks here run on this event loop, so the tests
 * order events with in-thread deferreds.
 */
import { isAbsolute } from 'node:path';
import { fileURLToPath } from 'node:url';
import type * as Os from 'node:os';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  BrokenExecutor,
  BrokenThreadPool,
  CancelledError,
  isTaskRef,
  moduleTasks,
  ThreadPoolExecutor,
  type ThreadPoolExecutorOptions,
  TimeoutError,
} from '../src/index.js';
import { type Deferred, deferred, loose, settle, tasks, TASKS_URL } from './fixtures/harness.js';

// `availableParallelism` reports `cpus.count` when a test sets it, the real value otherwise.
const cpus = vi.hoisted(() => ({ count: undefined as number | undefined }));
vi.mock('node:os', async (importOriginal) => {
  const os = await importOriginal<typeof Os>();
  return { ...os, availableParallelism: () => cpus.count ?? os.availableParallelism() };
});

const made: ThreadPoolExecutor[] = [];
const latches: Deferred<void>[] = [];

/** A thread pool that is shut down after the test. */
function pool(options?: ThreadPoolExecutorOptions): ThreadPoolExecutor {
  const executor = new ThreadPoolExecutor(options);
  made.push(executor);
  return executor;
}

/** A deferred that is resolved after the test at the latest, so no task waits forever. */
function latch(): Deferred<void> {
  const d = deferred();
  latches.push(d);
  return d;
}

afterEach(async () => {
  cpus.count = undefined;
  for (const d of latches.splice(0)) d.resolve();
  await Promise.all(made.splice(0).map((executor) => executor.shutdown({ cancelFutures: true })));
});

describe('ThreadPoolExecutor', () => {
  describe('constructor', () => {
    it.each([
      [1, 5],
      [2, 6],
      [28, 32],
      [64, 32],
    ])('constructor - default maxWorkers with %i CPUs is min(32, CPUs + 4) = %i (R8.1)', (count, expected) => {
      cpus.count = count;
      expect(pool().maxWorkers).toBe(expected);
    });

    it('constructor - an explicit maxWorkers wins over the default', () => {
      cpus.count = 64;
      expect(pool({ maxWorkers: 100 }).maxWorkers).toBe(100);
    });

    it("constructor - name defaults to 'ThreadPoolExecutor-<n>', distinct per pool (R8.3)", () => {
      const a = pool();
      const b = pool();
      expect(a.name).toMatch(/^ThreadPoolExecutor-\d+$/);
      expect(b.name).toMatch(/^ThreadPoolExecutor-\d+$/);
      expect(a.name).not.toBe(b.name);
      expect(pool({ name: 'SpecialPool' }).name).toBe('SpecialPool');
      expect(() => pool({ name: loose(5) })).toThrow(TypeError);
    });

    it('constructor - an unknown option lists the known ones', () => {
      expect(() => pool(loose({ max_workers: 2 }))).toThrow('known options are maxWorkers, initializer, initargs, name');
    });
  });

  describe('.submit()', () => {
    it('.submit() - the task starts after submit returns, so it can still be cancelled synchronously', async () => {
      const executor = pool();
      const calls: string[] = [];
      const future = executor.submit(() => calls.push('ran'));
      expect(future.state).toBe('PENDING');
      expect(future.cancel()).toBe(true);
      await executor.shutdown();
      expect(calls).toEqual([]);
    });

    it('.submit() - runs at most maxWorkers tasks at once', async () => {
      const executor = pool({ maxWorkers: 3 });
      const count = 10;
      const started = Array.from({ length: count }, () => deferred());
      const releases = Array.from({ length: count }, () => latch());
      let active = 0;
      let peak = 0;
      const futures = Array.from({ length: count }, (_, i) =>
        executor.submit(async () => {
          active++;
          peak = Math.max(peak, active);
          started[i]?.resolve();
          await releases[i]?.promise;
          active--;
          return i;
        }),
      );
      await Promise.all(started.slice(0, 3).map((d) => d.promise));
      await settle();
      expect(active).toBe(3);
      expect(futures.filter((f) => f.running())).toHaveLength(3);
      // Each release lets exactly one more task in (FIFO).
      for (let i = 0; i < count; i++) {
        releases[i]?.resolve();
        if (i + 3 < count) await started[i + 3]?.promise;
        expect(active).toBeLessThanOrEqual(3);
      }
      expect(await Promise.all(futures.map((f) => f.result()))).toEqual(Array.from({ length: count }, (_, i) => i));
      expect(peak).toBe(3);
    });

    it('.submit() - a task can submit to its own executor and await the result (R8.6)', async () => {
      const executor = pool({ maxWorkers: 2 });
      const outer = executor.submit(async () => {
        const inner = executor.submit((base: number, exponent: number) => base ** exponent, 2, 10);
        return (await inner.result()) + 1;
      });
      expect(await outer.result()).toBe(1025);
    });

    it('.submit() - a sync task that throws leaves the pool working (R8.4)', async () => {
      const executor = pool({ maxWorkers: 1 });
      const failed = executor.submit(() => {
        throw new Error('task failed');
      });
      expect(await failed.exception()).toMatchObject({ message: 'task failed' });
      expect(await executor.submit(() => 'still running').result()).toBe('still running');
    });
  });

  describe('initializer', () => {
    it('initializer - runs once, with initargs, before the first task', async () => {
      const calls: string[] = [];
      const executor = pool({
        maxWorkers: 4,
        initializer: (...args: unknown[]) => {
          calls.push(`init ${args.join(',')}`);
        },
        initargs: ['a', 1],
      });
      const first = await Promise.all([1, 2, 3].map((i) => executor.submit(() => calls.push(`task ${i}`)).result()));
      await executor.submit(() => calls.push('task 4')).result();
      expect(first).toHaveLength(3);
      expect(calls[0]).toBe('init a,1');
      expect(calls.filter((call) => call.startsWith('init'))).toHaveLength(1);
      expect(calls).toHaveLength(5);
    });

    it('initializer - an async initializer holds back every task until it settles', async () => {
      const ready = latch();
      const executor = pool({ maxWorkers: 2, initializer: () => ready.promise });
      const futures = [executor.submit(() => 1), executor.submit(() => 2)];
      await settle();
      expect(futures.map((f) => f.state)).toEqual(['PENDING', 'PENDING']);
      ready.resolve();
      expect(await Promise.all(futures.map((f) => f.result()))).toEqual([1, 2]);
    });

    it('initializer - a failure breaks the pool with BrokenThreadPool, caused by the error (R8.5)', async () => {
      const initError = new Error('no database');
      const executor = pool({
        initializer: () => {
          throw initError;
        },
      });
      const broken: unknown[] = [];
      executor.on('broken', (error) => broken.push(error));
      const calls: number[] = [];
      const futures = [1, 2, 3, 4].map((i) => executor.submit(() => calls.push(i)));
      for (const future of futures) {
        const error = await future.exception();
        expect(error).toBeInstanceOf(BrokenThreadPool);
        expect(error).toMatchObject({
          name: 'BrokenThreadPool',
          message: 'A thread initializer failed, the thread pool is not usable anymore',
          cause: initError,
        });
      }
      expect(calls).toEqual([]);
      expect(broken).toHaveLength(1);
      expect(executor.broken).toBe(broken[0]);
      // Later submits throw the same class, message and cause.
      let thrown: unknown;
      try {
        executor.submit(() => 0);
      } catch (error) {
        thrown = error;
      }
      expect(thrown).toBeInstanceOf(BrokenThreadPool);
      expect(thrown).toBeInstanceOf(BrokenExecutor);
      expect(thrown).toMatchObject({ message: 'A thread initializer failed, the thread pool is not usable anymore', cause: initError });
      // A broken pool still shuts down.
      await executor.shutdown();
    });

    it('initializer - a TaskRef initializer whose module cannot be imported breaks the pool', async () => {
      const missing = moduleTasks<{ init: () => void }>(new URL('./fixtures/no-such-module.ts', import.meta.url)).init;
      const executor = pool({ initializer: missing });
      const error = await executor.submit(() => 1).exception();
      expect(error).toBeInstanceOf(BrokenThreadPool);
      expect(((error as Error).cause as Error).message).toContain('no-such-module.ts');
    });
  });

  describe('.submitWith()', () => {
    it('.submitWith() - an aborted running task fails at once with CancelledError; its code keeps the slot until it returns', async () => {
      const executor = pool({ maxWorkers: 1 });
      const started = deferred();
      const release = latch();
      let returned = false;
      const controller = new AbortController();
      const aborted = executor.submitWith({ signal: controller.signal }, async () => {
        started.resolve();
        await release.promise;
        returned = true;
        return 'too late';
      });
      const next = executor.submit(() => 'next');
      await started.promise;
      const reason = new Error('user gave up');
      controller.abort(reason);
      expect(aborted.done()).toBe(true);
      const error = await aborted.exception();
      expect(error).toBeInstanceOf(CancelledError);
      expect((error as Error).cause).toBe(reason);
      // The aborted code still runs and holds the only slot.
      await settle();
      expect(next.state).toBe('PENDING');
      release.resolve();
      expect(await next.result()).toBe('next');
      expect(returned).toBe(true);
      // Its late value is dropped.
      expect(await aborted.exception()).toBe(error);
    });

    it('.submitWith() - shutdown({ wait: true }) waits for the code of an aborted task', async () => {
      const executor = pool({ maxWorkers: 1 });
      const started = deferred();
      const release = latch();
      let returned = false;
      const controller = new AbortController();
      const aborted = executor.submitWith({ signal: controller.signal }, async () => {
        started.resolve();
        await release.promise;
        returned = true;
      });
      await started.promise;
      controller.abort();
      expect(await aborted.exception()).toBeInstanceOf(CancelledError);
      let shutDown = false;
      const shutdown = executor.shutdown().then(() => {
        shutDown = true;
      });
      await settle();
      expect(shutDown).toBe(false);
      release.resolve();
      await shutdown;
      expect(returned).toBe(true);
    });

    it('.submitWith() - a timed-out running task keeps its slot too', async () => {
      const executor = pool({ maxWorkers: 1 });
      const release = latch();
      const timedOut = executor.submitWith({ timeout: 5 }, () => release.promise);
      const next = executor.submit(() => 'next');
      const error = await timedOut.exception();
      expect(error).toBeInstanceOf(TimeoutError);
      expect((error as Error).message).toContain('5 ms');
      await settle();
      expect(next.state).toBe('PENDING');
      release.resolve();
      expect(await next.result()).toBe('next');
    });

    it('.submitWith() - the timeout counts from the start, not from the submit', async () => {
      const executor = pool({ maxWorkers: 1 });
      const release = latch();
      const blocker = executor.submit(() => release.promise);
      // A sync task completes in the tick it starts, so a 1 ms timeout cannot expire while it runs.
      const quick = executor.submitWith({ timeout: 1 }, () => 'quick');
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(quick.state).toBe('PENDING');
      release.resolve();
      await blocker.result();
      expect(await quick.result()).toBe('quick');
    });
  });

  describe('TaskRef', () => {
    it('TaskRef - is imported and run in this process', async () => {
      const executor = pool();
      expect(await executor.submit(tasks.processId).result()).toBe(process.pid);
      expect(await executor.submit(tasks.add, 20, 22).result()).toBe(42);
    });

    it('TaskRef - a missing module fails the future with an error naming the module', async () => {
      const executor = pool();
      const url = new URL('./fixtures/no-such-module.ts', import.meta.url);
      const missing = moduleTasks<{ run: () => void }>(url).run;
      const error = await executor.submit(missing).exception();
      expect(error).toBeInstanceOf(Error);
      expect((error as Error).message).toContain(`cannot import task module ${url.href}`);
      expect(error).toMatchObject({ code: 'ERR_MODULE_NOT_FOUND' });
      expect((error as Error).cause).toBeInstanceOf(Error);
    });

    it('TaskRef - an export that is not a function fails with a TypeError naming module and export', async () => {
      const executor = pool();
      const ref = moduleTasks<{ notAFunction: () => void }>(TASKS_URL).notAFunction;
      const error = await executor.submit(ref).exception();
      expect(error).toBeInstanceOf(TypeError);
      expect((error as Error).message).toContain('"notAFunction"');
      expect((error as Error).message).toContain(TASKS_URL.href);
      expect((error as Error).message).toContain('`42` (number)');
      // A missing export is not a function either.
      const absent = moduleTasks<{ absent: () => void }>(TASKS_URL).absent;
      expect(await executor.submit(absent).exception()).toBeInstanceOf(TypeError);
    });
  });

  describe('moduleTasks()', () => {
    it.each(['./fixtures/tasks.mjs', 'fixtures/tasks.mjs', '../tasks.js'])(
      'moduleTasks() - the relative path %j is a TypeError pointing to new URL()',
      (path) => {
        expect(() => moduleTasks(path)).toThrow(TypeError);
        expect(() => moduleTasks(path)).toThrow('new URL(');
      },
    );

    it('moduleTasks() - a value that is neither URL nor string is a TypeError', () => {
      expect(() => moduleTasks(loose(42))).toThrow(TypeError);
      expect(() => moduleTasks(loose(42))).toThrow('`42` (number)');
    });

    it('moduleTasks() - takes a URL, an absolute URL string or an absolute path, all to the same module', async () => {
      const path = fileURLToPath(TASKS_URL);
      expect(isAbsolute(path)).toBe(true);
      const executor = pool();
      for (const where of [TASKS_URL, TASKS_URL.href, path]) {
        const ref = moduleTasks<{ add: (a: number, b: number) => number }>(where).add;
        expect(ref).toMatchObject({ module: TASKS_URL.href, name: 'add' });
        expect(await executor.submit(ref, 1, 2).result()).toBe(3);
      }
    });

    it('moduleTasks() - gives one frozen TaskRef per name, made on first use', () => {
      expect(isTaskRef(tasks.add)).toBe(true);
      expect(tasks.add).toBe(tasks.add);
      expect(tasks.add).not.toBe(tasks.double);
      expect(Object.isFrozen(tasks.add)).toBe(true);
      expect(isTaskRef({ module: TASKS_URL.href, name: 'add' })).toBe(false);
    });

    it('moduleTasks() - awaiting the result does not hang: it is not thenable', async () => {
      const refs = moduleTasks<{ add: (a: number, b: number) => number }>(TASKS_URL);
      expect(loose<{ then?: unknown }>(refs).then).toBeUndefined();
      // Promise.resolve adopts thenables; a `then` property would make this wait forever.
      const awaited = await Promise.resolve(refs);
      expect(awaited).toBe(refs);
      expect(isTaskRef(awaited.add)).toBe(true);
    });
  });
});
