/**
 * WorkerThreadPoolExecutor specifics: real worker threads, each way a thread can die, the
 * per-thread lifecycle (initializer, recycling, idle and task timeouts, aborts), `transfer`,
 * `resourceLimits`, `stats`, prefetch and option checks. The behaviour every executor shares
 * is in `contract.test.ts`.
 *
 * Tasks run in other threads, so tests order events through files (gates and marks, see
 * `fixtures/harness.ts`) and the pool's own events, never through shared memory or timing
 * windows; whatever is polled for is polled with a bound.
 */
import { execFile } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { threadId as thisThreadId } from 'node:worker_threads';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  BrokenExecutor,
  BrokenWorkerPool,
  CancelledError,
  ExecutorShutdownError,
  type Future,
  moduleTasks,
  TimeoutError,
  transferResult,
  WorkerExitError,
  type WorkerInfo,
  WorkerThreadPoolExecutor,
  type WorkerThreadPoolExecutorOptions,
} from '../src/index.js';
import { ABORT_GRACE_MS, MAX_STARTUP_FAILURES } from '../src/worker-pool/pool.js';
import { loose, Scratch, settle, tasks } from './fixtures/harness.js';
import type * as ThreadTasks from './fixtures/thread-tasks.mjs';

/** TaskRefs to the thread-specific fixture tasks (plain JS: a worker thread cannot load `.ts`). */
const threadTasks = moduleTasks<typeof ThreadTasks>(new URL('./fixtures/thread-tasks.mjs', import.meta.url));

/** How long a test waits for something it polls for (a thread to go, an event to arrive). */
const POLL_LIMIT_MS = 10_000;
const POLL_MS = 5;

/** A pool under test, with the worker events it emitted. */
interface Tracked {
  readonly pool: WorkerThreadPoolExecutor;
  readonly started: WorkerInfo[];
  readonly exited: WorkerInfo[];
}

const made: Tracked[] = [];
let scratch: Scratch;

/** A pool that is shut down after the test, whose workerStart and workerExit are recorded. */
function track(options?: WorkerThreadPoolExecutorOptions): Tracked {
  const pool = new WorkerThreadPoolExecutor(options);
  const tracked: Tracked = { pool, started: [], exited: [] };
  pool.on('workerStart', (info) => tracked.started.push(info));
  pool.on('workerExit', (info) => tracked.exited.push(info));
  made.push(tracked);
  return tracked;
}

function pool(options?: WorkerThreadPoolExecutorOptions): WorkerThreadPoolExecutor {
  return track(options).pool;
}

/** Polls `condition` for at most POLL_LIMIT_MS; throws saying `what` if it never holds. */
async function waitUntil(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + POLL_LIMIT_MS;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`gave up after ${POLL_LIMIT_MS} ms waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

/**
 * The OS threads of this process (Linux). A worker thread is one; after it has exited and
 * been joined it is gone, so a count that stays above its baseline is a thread left behind.
 */
function osThreads(): number {
  return readdirSync('/proc/self/task').length;
}

async function expectNoThreadLeft(baseline: number): Promise<void> {
  await waitUntil(() => osThreads() <= baseline, `the process is back to its ${baseline} threads`);
  expect(osThreads()).toBeLessThanOrEqual(baseline);
}

/** Settles a future's outcome as data, for assertions on failures of any value. */
async function outcome<T>(future: Future<T>): Promise<{ ok: true; value: T } | { ok: false; error: unknown }> {
  return future.result().then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  );
}

beforeEach(async () => {
  scratch = await Scratch.create();
});

afterEach(async () => {
  // Open the gates first: a task still waiting on one would hold its pool's shutdown.
  scratch.openAll();
  const tracked = made.splice(0);
  await Promise.all(tracked.map(({ pool }) => pool.shutdown({ cancelFutures: true })));
  await scratch.remove();
  for (const { pool, started, exited } of tracked) {
    expect(exited.map((info) => info.id).sort(), `${pool.name}: a workerExit for every workerStart`).toEqual(
      started.map((info) => info.id).sort(),
    );
    expect(pool.stats.workers, `${pool.name}: no worker left after shutdown`).toBe(0);
  }
});

describe('WorkerThreadPoolExecutor', () => {
  describe('constructor', () => {
    const badOptions: [string, string, 'RangeError' | 'TypeError', unknown][] = [
      ['prefetch', '`33` (number)', 'RangeError', 33],
      ['prefetch', '`-1` (number)', 'RangeError', -1],
      ['prefetch', '`1.5` (number)', 'RangeError', 1.5],
      ['prefetch', "`'2'` (string)", 'TypeError', '2'],
      ['maxTasksPerWorker', '`0` (number)', 'RangeError', 0],
      ['maxTasksPerWorker', '`1.5` (number)', 'RangeError', 1.5],
      ['maxTasksPerWorker', "`'3'` (string)", 'TypeError', '3'],
      ['onWorkerExit', "`'restart'` (string)", 'TypeError', 'restart'],
      ['taskTimeout', "`'soon'` (string)", 'TypeError', 'soon'],
      ['idleTimeout', '`NaN` (number)', 'TypeError', NaN],
      ['execArgv', "`'--inspect'` (string)", 'TypeError', '--inspect'],
      ['env', '`null` (null)', 'TypeError', null],
      ['resourceLimits', '`64` (number)', 'TypeError', 64],
    ];

    it.each(badOptions)('constructor - %s %s is a %s naming the option and echoing the value', (option, shown, errorName, value) => {
      const make = (): unknown => new WorkerThreadPoolExecutor(loose({ [option]: value }));
      expect(make).toThrow(errorName === 'RangeError' ? RangeError : TypeError);
      expect(make).toThrow(`\`${option}\``);
      expect(make).toThrow(shown);
    });

    it("constructor - an unknown option (the process pool's maxTasksPerChild) is a TypeError naming it", () => {
      const make = (): unknown => new WorkerThreadPoolExecutor(loose({ maxTasksPerChild: 2 }));
      expect(make).toThrow(TypeError);
      expect(make).toThrow('unknown option `maxTasksPerChild`');
    });

    it('constructor - starts no thread before the first task', async () => {
      const { pool: executor, started } = track({ maxWorkers: 2 });
      await settle();
      expect(started).toEqual([]);
      expect(executor.stats.workers).toBe(0);
      expect(await executor.submit(tasks.add, 1, 2)).toBe(3);
      expect(started).toHaveLength(1);
    });
  });

  describe('.submit()', () => {
    it('.submit() - runs tasks in worker threads of this process, up to maxWorkers at once', async () => {
      const { pool: executor, started } = track({ maxWorkers: 2 });
      const gate = scratch.gate();
      const marks = [scratch.mark(), scratch.mark()];
      const futures = marks.map((mark) => executor.submit(threadTasks.markThenWaitThreadId, mark, gate.path));
      // Both have started before either may finish: two threads run at once.
      for (const mark of marks) await scratch.waitFor(mark);
      gate.open();
      const ids = await Promise.all(futures);
      expect(new Set(ids).size).toBe(2);
      for (const id of ids) {
        expect(id).not.toBe(thisThreadId);
        expect(id).toBeGreaterThan(0);
      }
      expect(new Set(started.map((info) => info.threadId))).toEqual(new Set(ids));
      // Threads, not processes.
      expect(await executor.submit(tasks.processId)).toBe(process.pid);
    });

    it('.submit() - an argument that cannot be cloned fails only its future, saying why', async () => {
      const executor = pool({ maxWorkers: 1 });
      const error = await executor.submit(tasks.echo, { callback: () => 1 }).exception();
      expect(error).toBeInstanceOf(TypeError);
      expect((error as Error).message).toContain('could not be sent');
      expect(await executor.submit(tasks.echo, 'still works')).toBe('still works');
    });

    it('.submit() - a result that cannot be cloned fails only its future, saying why', async () => {
      const executor = pool({ maxWorkers: 1 });
      const error = await executor.submit(() => Symbol('result')).exception();
      expect(error).toBeInstanceOf(TypeError);
      expect((error as Error).message).toContain("task's result could not be sent back");
      expect(await executor.submit(tasks.add, 2, 2)).toBe(4);
    });
  });

  describe('.submitWith() transfer', () => {
    it('.submitWith() - transfer moves the buffer to the thread: detached here once handed over, whole there', async () => {
      const executor = pool({ maxWorkers: 1 });
      const bytes = new Uint8Array(1024).map((_, i) => i % 256);
      const expectedSum = bytes.reduce((sum, byte) => sum + byte, 0);
      const future = executor.submitWith({ transfer: [bytes.buffer] }, threadTasks.sumBytes, bytes);
      // The dispatch pass that follows the submit hands the task (and the buffer) over.
      await settle();
      expect(future.state).not.toBe('PENDING');
      expect(bytes.byteLength).toBe(0);
      expect(bytes.buffer.byteLength).toBe(0);
      expect(await future).toEqual({ byteLength: 1024, sum: expectedSum });
    });

    it('.submitWith() - with transfer, a value that cannot be cloned fails only its future; its buffer stays here', async () => {
      const executor = pool({ maxWorkers: 1 });
      const bytes = new Uint8Array([1, 2, 3]);
      const future = executor.submitWith({ transfer: [bytes.buffer] }, tasks.echo, { bytes, callback: () => 1 });
      const error = await future.exception();
      expect(error).toBeInstanceOf(TypeError);
      expect((error as Error).message).toContain('could not be sent');
      expect(bytes.byteLength).toBe(3);
      // The buffer was never moved: it can still go with the next task.
      expect(await executor.submitWith({ transfer: [bytes.buffer] }, threadTasks.sumBytes, bytes)).toEqual({ byteLength: 3, sum: 6 });
    });

    it.each([
      ['sent apart (the first is handed over before the second is submitted)', true],
      ['sent in one batch', false],
    ])('.submitWith() - one buffer transferred by two tasks, %s: the second fails with TypeError, nothing hangs', async (_, apart) => {
      const executor = pool({ maxWorkers: 1, prefetch: 4 });
      const bytes = new Uint8Array([1, 2, 3]);
      const first = executor.submitWith({ transfer: [bytes.buffer] }, threadTasks.sumBytes, bytes);
      if (apart) await settle();
      const second = executor.submitWith({ transfer: [bytes.buffer] }, threadTasks.sumBytes, bytes);
      expect(await first).toEqual({ byteLength: 3, sum: 6 });
      const error = await second.exception();
      expect(error).toBeInstanceOf(TypeError);
      expect((error as Error).message).toContain('already transferred');
      expect(await executor.submit(tasks.add, 2, 2)).toBe(4);
    });

    it('.submitWith() - without transfer the buffer is copied and stays usable here', async () => {
      const executor = pool({ maxWorkers: 1 });
      const bytes = new Uint8Array([1, 2, 3, 4]);
      expect(await executor.submit(threadTasks.sumBytes, bytes)).toEqual({ byteLength: 4, sum: 10 });
      expect(bytes.byteLength).toBe(4);
    });
  });

  describe('worker death', () => {
    it("worker death - process.exit(3) in a task fails only its future with WorkerExitError; the pool goes on ('replace')", async () => {
      const { pool: executor, exited } = track({ maxWorkers: 2 });
      const gate = scratch.gate();
      const mark = scratch.mark();
      const bystander = executor.submit(threadTasks.markThenWaitThreadId, mark, gate.path);
      await scratch.waitFor(mark);
      const dying = executor.submit(threadTasks.exitWith, 3);
      const error = await dying.exception();
      expect(error).toBeInstanceOf(WorkerExitError);
      expect(error).toMatchObject({ exitCode: 3, signal: null });
      const { threadId } = error as WorkerExitError;
      expect(threadId).toBeGreaterThan(0);
      // A thread has no pid: the error carries no `pid` key at all, not one set to undefined.
      expect(Object.hasOwn(error as object, 'pid')).toBe(false);
      expect(exited).toEqual([expect.objectContaining({ threadId, exitCode: 3 })]);
      // The other thread's task was not touched, and finishes normally.
      expect(bystander.running()).toBe(true);
      gate.open();
      expect(await bystander).not.toBe(threadId);
      // A new thread takes the dead one's place.
      const next = await executor.submit(threadTasks.currentThreadId);
      expect(next).not.toBe(threadId);
    });

    it('worker death - only the task that exits fails: tasks done before it in the same turn keep their results, tasks handed over behind it run on the replacement', async () => {
      const { pool: executor, started } = track({ maxWorkers: 1, prefetch: 2 });
      // Loads the fixture module in the thread, so that the tasks below run synchronously.
      const threadId = await executor.submit(threadTasks.currentThreadId);
      // One dispatch pass hands all three to the one thread; the first finishes in the very
      // turn in which the second ends the thread.
      const before = executor.submit(threadTasks.currentThreadId);
      const dying = executor.submit(threadTasks.exitWith, 3);
      const behind = executor.submit(threadTasks.currentThreadId);
      expect(await outcome(before)).toEqual({ ok: true, value: threadId });
      expect(await dying.exception()).toMatchObject({ exitCode: 3, threadId });
      const replacement = await behind;
      expect(replacement).not.toBe(threadId);
      expect(started.map((info) => info.threadId)).toEqual([threadId, replacement]);
    });

    it("worker death - with onWorkerExit 'break' every pending and running future fails with BrokenWorkerPool caused by WorkerExitError", async () => {
      const { pool: executor } = track({ maxWorkers: 2, onWorkerExit: 'break' });
      const broken: unknown[] = [];
      executor.on('broken', (error) => broken.push(error));
      const gate = scratch.gate();
      const mark = scratch.mark();
      const running = executor.submit(tasks.markThenWait, mark, gate.path, 'never');
      await scratch.waitFor(mark);
      const dying = executor.submit(threadTasks.exitWith, 3);
      const queued = executor.submit(tasks.add, 1, 2);
      for (const future of [dying, running, queued]) {
        const error = await future.exception();
        expect(error).toBeInstanceOf(BrokenWorkerPool);
        expect(error).toBeInstanceOf(BrokenExecutor);
        expect((error as Error).cause).toBeInstanceOf(WorkerExitError);
        expect((error as Error).cause).toMatchObject({ exitCode: 3 });
      }
      expect(broken).toHaveLength(1);
      expect(() => executor.submit(tasks.add, 1, 2)).toThrow(BrokenWorkerPool);
    });

    it('worker death - an error thrown from a timer inside a task fails that future; the parent and the pool live on, no thread is left', async () => {
      const baseline = osThreads();
      const { pool: executor, exited } = track({ maxWorkers: 1 });
      const error = await executor.submit(threadTasks.throwInTimer, 'thrown from a timer').exception();
      expect(error).toBeInstanceOf(WorkerExitError);
      expect(error).toMatchObject({ exitCode: 1 });
      expect(exited).toHaveLength(1);
      expect(await executor.submit(tasks.add, 2, 3)).toBe(5);
      await executor.shutdown();
      // Tinypool restarts a thread that died of an error; that thread must not outlive the pool.
      await expectNoThreadLeft(baseline);
    });

    it('worker death - a thread that runs out of heap (resourceLimits) fails only its future; no thread is left', async () => {
      const baseline = osThreads();
      const executor = pool({ maxWorkers: 1, resourceLimits: { maxOldGenerationSizeMb: 16, maxYoungGenerationSizeMb: 4 } });
      const error = await executor.submit(threadTasks.exhaustMemory).exception();
      expect(error).toBeInstanceOf(WorkerExitError);
      expect((error as WorkerExitError).threadId).toBeGreaterThan(0);
      expect(await executor.submit(tasks.add, 1, 1)).toBe(2);
      await executor.shutdown();
      await expectNoThreadLeft(baseline);
    });

    it('worker death - threads that keep dying while starting break the pool instead of respawning forever', async () => {
      const { pool: executor, started } = track({ maxWorkers: 1, initializer: threadTasks.exitingInit });
      const error = await executor.submit(tasks.add, 1, 2).exception();
      expect(error).toBeInstanceOf(BrokenWorkerPool);
      expect((error as Error).cause).toBeInstanceOf(WorkerExitError);
      expect((error as Error).cause).toMatchObject({ exitCode: 7 });
      expect(started).toHaveLength(MAX_STARTUP_FAILURES);
      expect(() => executor.submit(tasks.add, 1, 2)).toThrow(BrokenWorkerPool);
    });
  });

  describe('initializer', () => {
    it('initializer - runs once in each thread, before that thread runs a task', async () => {
      const executor = pool({ maxWorkers: 2, initializer: threadTasks.init, initargs: ['configured'] });
      const gate = scratch.gate();
      const marks = [scratch.mark(), scratch.mark()];
      const futures = marks.map((mark) => executor.submit(threadTasks.markThenReadInit, mark, gate.path));
      for (const mark of marks) await scratch.waitFor(mark);
      gate.open();
      const seen = await Promise.all(futures);
      expect(new Set(seen.map((s) => s.threadId)).size).toBe(2);
      for (const s of seen) expect(s).toMatchObject({ value: 'configured', initCount: 1 });
      // Later tasks on the same threads see the same, single initialization.
      expect(await executor.submit(threadTasks.readInit)).toMatchObject({ value: 'configured', initCount: 1 });
    });

    it('initializer - a failing one breaks the pool: BrokenWorkerPool caused by the thread error, which keeps its class and code', async () => {
      const { pool: executor, exited, started } = track({
        maxWorkers: 2,
        initializer: threadTasks.failingInit,
        initargs: ['no config'],
      });
      const futures = [executor.submit(tasks.add, 1, 2), executor.submit(tasks.add, 3, 4)];
      for (const future of futures) {
        const error = await future.exception();
        expect(error).toBeInstanceOf(BrokenWorkerPool);
        const cause = (error as Error).cause;
        expect(cause).toBeInstanceOf(RangeError);
        expect(cause).toMatchObject({ message: 'no config', code: 'E_INIT' });
      }
      expect(() => executor.submit(tasks.add, 1, 2)).toThrow(BrokenWorkerPool);
      // The broken pool stops its threads by itself.
      await waitUntil(() => exited.length === started.length, 'every thread of the broken pool has exited');
    });
  });

  describe('maxTasksPerWorker', () => {
    it.each([0, 2, 4])(
      'maxTasksPerWorker - 3 on one worker (prefetch %i) runs 7 tasks on threads [a,a,a,b,b,b,c]',
      async (prefetch) => {
        const { pool: executor, started, exited } = track({ maxWorkers: 1, maxTasksPerWorker: 3, prefetch });
        const futures = Array.from({ length: 7 }, () => executor.submit(threadTasks.currentThreadId));
        const ids = await Promise.all(futures);
        const [a, b, c] = [ids[0], ids[3], ids[6]];
        expect(ids).toEqual([a, a, a, b, b, b, c]);
        expect(new Set([a, b, c]).size).toBe(3);
        expect(started.map((info) => info.threadId)).toEqual([a, b, c]);
        // The two spent threads were retired, not crashed: no future failed.
        await waitUntil(() => exited.length >= 2, 'the two spent threads have exited');
        expect(exited.slice(0, 2).map((info) => info.threadId)).toEqual([a, b]);
        expect(executor.stats).toMatchObject({ completed: 7, failed: 0 });
      },
    );
  });

  describe('env', () => {
    it("env - sets the threads' process.env; by default they see the parent's", async () => {
      const readVariable = (): string | undefined => process.env.CONCURRENT_FUTURES_TEST_VARIABLE;
      const configured = pool({ maxWorkers: 1, env: { CONCURRENT_FUTURES_TEST_VARIABLE: 'from options' } });
      expect(await configured.submit(readVariable)).toBe('from options');
      process.env.CONCURRENT_FUTURES_TEST_VARIABLE = 'from the parent';
      try {
        expect(await pool({ maxWorkers: 1 }).submit(readVariable)).toBe('from the parent');
      } finally {
        delete process.env.CONCURRENT_FUTURES_TEST_VARIABLE;
      }
    });
  });

  describe('resourceLimits', () => {
    it('resourceLimits - reach the threads', async () => {
      const executor = pool({ maxWorkers: 1, resourceLimits: { maxOldGenerationSizeMb: 48, stackSizeMb: 2 } });
      expect(await executor.submit(threadTasks.threadResourceLimits)).toMatchObject({ maxOldGenerationSizeMb: 48, stackSizeMb: 2 });
    });
  });

  describe('taskTimeout', () => {
    it('taskTimeout - a busy loop past it fails with TimeoutError, its thread is stopped, the next task works', async () => {
      const { pool: executor, exited } = track({ maxWorkers: 1, taskTimeout: 1_000 });
      const spinning = executor.submit(threadTasks.markThenSpin, scratch.mark());
      const error = await spinning.exception();
      expect(error).toBeInstanceOf(TimeoutError);
      expect((error as Error).message).toContain('1000 ms');
      // The spinning thread never looks at its signal: it goes after the grace period, and
      // only then can the single worker slot run the next task.
      expect(await executor.submit(tasks.add, 2, 2)).toBe(4);
      expect(exited).toHaveLength(1);
      expect(executor.stats).toMatchObject({ completed: 1, failed: 1 });
    });

    it('taskTimeout - counts from the start of the task, not from the submit', async () => {
      const executor = pool({ maxWorkers: 1, taskTimeout: 1_000 });
      const gate = scratch.gate();
      // The blocker times out; the task behind it (handed to the same thread ahead of time,
      // by the default prefetch) starts only when the blocker's thread has been stopped,
      // longer than one timeout after the submit, and still has its whole timeout.
      const blocker = executor.submit(tasks.markThenWait, scratch.mark(), gate.path, 'blocker');
      const queued = executor.submit(tasks.add, 1, 2);
      expect(await blocker.exception()).toBeInstanceOf(TimeoutError);
      expect(await queued).toBe(3);
    });
  });

  describe('.submitWith() signal', () => {
    it('.submitWith() - aborting a running task that reads taskSignal() stops it cooperatively; its thread lives on', async () => {
      const { pool: executor, exited } = track({ maxWorkers: 1 });
      const mark = scratch.mark();
      const log = scratch.log();
      const controller = new AbortController();
      const future = executor.submitWith({ signal: controller.signal }, threadTasks.cooperative, mark, log);
      await scratch.waitFor(mark);
      controller.abort(new Error('user gave up'));
      const error = await future.exception();
      expect(error).toBeInstanceOf(CancelledError);
      expect((error as Error).cause).toMatchObject({ message: 'user gave up' });
      // The task saw its own signal and ended by itself, in its thread...
      await scratch.waitFor(log);
      const [line] = await scratch.lines(log);
      const threadId = Number(/saw abort in thread (\d+)/.exec(line ?? '')?.[1]);
      expect(threadId).toBeGreaterThan(0);
      // ...which was not stopped: the next task runs on it.
      expect(await executor.submit(threadTasks.currentThreadId)).toBe(threadId);
      expect(exited).toEqual([]);
      // Stopped while running, it counts as failed.
      expect(executor.stats).toMatchObject({ completed: 1, failed: 1 });
    });

    it('.submitWith() - aborting a busy loop fails it at once and stops its thread after the grace period', async () => {
      const { pool: executor, started, exited } = track({ maxWorkers: 1 });
      const mark = scratch.mark();
      const controller = new AbortController();
      const future = executor.submitWith({ signal: controller.signal }, threadTasks.markThenSpin, mark);
      await scratch.waitFor(mark);
      const abortedAt = Date.now();
      controller.abort();
      expect(future.state).toBe('FINISHED');
      expect(await future.exception()).toBeInstanceOf(CancelledError);
      await waitUntil(() => exited.length === 1, 'the spinning thread has been stopped');
      // A lower bound only: a loaded machine can make the stop later, never earlier.
      expect(Date.now() - abortedAt).toBeGreaterThanOrEqual(ABORT_GRACE_MS - 50);
      expect(exited[0]?.threadId).toBe(started[0]?.threadId);
      const next = await executor.submit(threadTasks.currentThreadId);
      expect(next).not.toBe(started[0]?.threadId);
    });

    it('.submitWith() - aborting a task handed over ahead of time: it never runs, and the task ahead of it is left alone', async () => {
      const { pool: executor, exited } = track({ maxWorkers: 1, prefetch: 2 });
      const gate = scratch.gate();
      const mark = scratch.mark();
      const log = scratch.log();
      const ahead = executor.submit(tasks.markThenWait, mark, gate.path, 'ahead');
      const controller = new AbortController();
      const prefetched = executor.submitWith({ signal: controller.signal }, tasks.record, log, 'prefetched ran');
      await scratch.waitFor(mark);
      expect(prefetched.running()).toBe(true);
      controller.abort();
      expect(await prefetched.exception()).toBeInstanceOf(CancelledError);
      gate.open();
      expect(await ahead).toBe('ahead');
      expect(await executor.submit(tasks.add, 1, 2)).toBe(3);
      expect(exited).toEqual([]);
      expect(await scratch.lines(log)).toEqual([]);
    });
  });

  describe('prefetch', () => {
    it('prefetch - by default a busy worker is handed 2 more tasks, which are RUNNING and no longer cancellable; the rest stay queued', async () => {
      const executor = pool({ maxWorkers: 1 });
      const gate = scratch.gate();
      const mark = scratch.mark();
      const blocker = executor.submit(tasks.markThenWait, mark, gate.path, 'blocker');
      const more = [1, 2, 3].map((i) => executor.submit(tasks.add, i, 0));
      await scratch.waitFor(mark);
      expect([blocker, ...more].map((f) => f.state)).toEqual(['RUNNING', 'RUNNING', 'RUNNING', 'PENDING']);
      expect(more[0]?.cancel()).toBe(false);
      expect(more[2]?.cancel()).toBe(true);
      gate.open();
      expect(await Promise.all([blocker, more[0], more[1]])).toEqual(['blocker', 1, 2]);
      expect(more[2]?.cancelled()).toBe(true);
    });

    it('prefetch - 0 hands tasks only to idle workers: a queued task stays cancellable', async () => {
      const executor = pool({ maxWorkers: 1, prefetch: 0 });
      const gate = scratch.gate();
      const mark = scratch.mark();
      const blocker = executor.submit(tasks.markThenWait, mark, gate.path, 'blocker');
      const queued = executor.submit(tasks.add, 1, 0);
      await scratch.waitFor(mark);
      await settle();
      expect(queued.state).toBe('PENDING');
      expect(queued.cancel()).toBe(true);
      gate.open();
      expect(await blocker).toBe('blocker');
    });
  });

  describe('transferResult', () => {
    it('transferResult() - a marked result is moved, not copied: it arrives whole, and is detached in the thread', async () => {
      const { pool: executor } = track({ maxWorkers: 1 });
      const moved = await executor.submit(threadTasks.makeTransferred, 1000);
      expect(moved).toBeInstanceOf(Float64Array);
      expect(moved.length).toBe(1000);
      expect(moved[999]).toBe(999);
      expect(await executor.submit(threadTasks.keptByteLength)).toBe(0);
      // Unmarked, the same result is copied: the thread's array stays whole.
      const copied = await executor.submit(threadTasks.makeCopied, 1000);
      expect(copied[999]).toBe(999);
      expect(await executor.submit(threadTasks.keptByteLength)).toBe(8000);
    });

    it('transferResult() - in-process and process executors return the value itself, unmarked', async () => {
      const view = new Uint8Array([1, 2, 3]);
      expect(transferResult(view)).toBe(view);
      const buffer = new ArrayBuffer(4);
      expect(transferResult(buffer)).toBe(buffer);
      const holder = { buffer };
      expect(transferResult(holder, [buffer])).toBe(holder);
    });

    it.each([
      [42, /expects an object, got `42` \(number\)/],
      [{ a: 1 }, /needs a transferList/],
    ])('transferResult() - rejects %o', (value, message) => {
      expect(() => transferResult(value as object)).toThrow(TypeError);
      expect(() => transferResult(value as object)).toThrow(message);
    });
  });

  describe('idle', () => {
    it('idle - a pool that is never shut down keeps its process alive while busy, and lets it exit once idle', async () => {
      const script = fileURLToPath(new URL('./fixtures/thread-idle.mjs', import.meta.url));
      const { code, stdout } = await new Promise<{ code: number | null; stdout: string }>((resolve) => {
        // The timeout kills a process that an idle pool keeps alive: the test then fails.
        execFile(process.execPath, [script], { timeout: 20_000, killSignal: 'SIGKILL' }, (error, stdout) => {
          resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : null, stdout });
        });
      });
      expect(stdout).toMatch(/^workerStart \d+\ntask done\n$/);
      expect(code).toBe(0);
    });

    it('execArgv - a parent run with flags a Worker refuses explicitly (--expose-gc, --max-old-space-size) still runs tasks', async () => {
      const script = fileURLToPath(new URL('./fixtures/thread-idle.mjs', import.meta.url));
      const { code, stdout } = await new Promise<{ code: number | null; stdout: string }>((resolve) => {
        execFile(process.execPath, ['--expose-gc', '--max-old-space-size=512', script], { timeout: 20_000, killSignal: 'SIGKILL' }, (error, stdout) => {
          resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : null, stdout });
        });
      });
      expect(stdout).toMatch(/^workerStart \d+\ntask done\n$/);
      expect(code).toBe(0);
    });

    it('worker death - the process stays alive between a thread dying in a task and its exit event: every future settles', async () => {
      const script = fileURLToPath(new URL('./fixtures/thread-exit-alive.mjs', import.meta.url));
      const { code, stdout } = await new Promise<{ code: number | null; stdout: string }>((resolve) => {
        execFile(process.execPath, [script], { timeout: 30_000, killSignal: 'SIGKILL' }, (error, stdout) => {
          resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : null, stdout });
        });
      });
      // And each death blamed on the task that died, not on the one that finished before it.
      expect(stdout).toBe('0 1 WorkerExitError 3 4 5 6\n'.repeat(5));
      expect(code).toBe(0);
    });

    it('idle - idleTimeout lets an idle thread go; the next task starts a new one', async () => {
      const { pool: executor, started, exited } = track({ maxWorkers: 1, idleTimeout: 50 });
      const first = await executor.submit(threadTasks.currentThreadId);
      await waitUntil(() => exited.length === 1, 'the idle thread has exited');
      expect(exited[0]?.threadId).toBe(first);
      expect(executor.stats.workers).toBe(0);
      const second = await executor.submit(threadTasks.currentThreadId);
      expect(second).not.toBe(first);
      expect(started).toHaveLength(2);
    });
  });

  describe('.shutdown()', () => {
    it('.shutdown() - waits for running tasks, then every thread has exited and none is left', async () => {
      const baseline = osThreads();
      const { pool: executor, started, exited } = track({ maxWorkers: 2 });
      const gate = scratch.gate();
      const marks = [scratch.mark(), scratch.mark()];
      const futures = marks.map((mark, i) => executor.submit(tasks.markThenWait, mark, gate.path, i));
      for (const mark of marks) await scratch.waitFor(mark);
      expect(started).toHaveLength(2);
      let finished = false;
      const shutdown = executor.shutdown().then(() => {
        finished = true;
      });
      await settle();
      expect(finished).toBe(false);
      expect(exited).toEqual([]);
      gate.open();
      await shutdown;
      expect(await Promise.all(futures)).toEqual([0, 1]);
      expect(exited.map((info) => info.threadId).sort()).toEqual(started.map((info) => info.threadId).sort());
      expect(executor.stats.workers).toBe(0);
      expect(() => executor.submit(tasks.add, 1, 2)).toThrow(ExecutorShutdownError);
      await expectNoThreadLeft(baseline);
    });

    it('.terminateWorkers() - stops every thread now; running and queued futures fail with BrokenWorkerPool', async () => {
      const { pool: executor, started, exited } = track({ maxWorkers: 1 });
      const mark = scratch.mark();
      const spinning = executor.submit(threadTasks.markThenSpin, mark);
      const queued = executor.submit(tasks.add, 1, 2);
      await scratch.waitFor(mark);
      await executor.terminateWorkers();
      expect(await spinning.exception()).toBeInstanceOf(BrokenWorkerPool);
      expect(await queued.exception()).toBeInstanceOf(BrokenWorkerPool);
      expect(exited).toHaveLength(started.length);
    });
  });

  describe('stats', () => {
    it('stats - counts workers, queued, running, completed and failed tasks', async () => {
      const executor = pool({ maxWorkers: 1, prefetch: 0 });
      expect(executor.stats).toEqual({ workers: 0, queued: 0, running: 0, completed: 0, failed: 0, reclaimed: 0 });
      const gate = scratch.gate();
      const mark = scratch.mark();
      const blocker = executor.submit(tasks.markThenWait, mark, gate.path, 'blocker');
      const queued = [executor.submit(tasks.add, 1, 1), executor.submit(tasks.fail, 'Error')];
      await scratch.waitFor(mark);
      expect(executor.stats).toEqual({ workers: 1, queued: 2, running: 1, completed: 0, failed: 0, reclaimed: 0 });
      gate.open();
      const outcomes = await Promise.all([blocker, ...queued].map(outcome));
      expect(outcomes.map((o) => o.ok)).toEqual([true, true, false]);
      expect(executor.stats).toEqual({ workers: 1, queued: 0, running: 0, completed: 2, failed: 1, reclaimed: 0 });
      await executor.shutdown();
      expect(executor.stats).toMatchObject({ workers: 0, completed: 2, failed: 1 });
    });
  });
});
