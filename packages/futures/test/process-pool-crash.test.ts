/**
 * ProcessPoolExecutor when things go wrong, on real child processes: a child that dies
 * (process.exit, SIGKILL, an uncaught error, out of memory) with `onWorkerExit` 'replace' and
 * 'break'; crash loops at start; run timeouts; aborts (queued, cooperative, stuck); forced
 * stops (terminateWorkers / killWorkers); and shutdown. CPython: ExecutorDeadlockTest,
 * ProcessPoolShutdownTest, R9.5 / R9.9 / R9.11 of cpython-semantics.md.
 *
 * Children run the built package (dist): `tsc -b packages/futures` first.
 */
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import {
  BrokenProcessPool,
  CancelledError,
  ExecutorShutdownError,
  type Future,
  type Task,
  TimeoutError,
  WorkerExitError,
} from '../src/index.js';
import { ABORT_GRACE_MS, MAX_STARTUP_FAILURES, SIGKILL_GRACE_MS } from '../src/worker-pool/pool.js';
import { settle } from './fixtures/harness.js';
import { pidExists, PoolTracker, ptasks, waitUntil } from './fixtures/process-harness.js';

const tracker = new PoolTracker();
afterEach(() => tracker.dispose());

function initializer<A extends unknown[]>(task: Task<A, unknown>): Task<unknown[], unknown> {
  return task as Task<unknown[], unknown>;
}

/** What a future failed with; fails the test if it succeeded. */
async function failure(future: Future<unknown>): Promise<Error> {
  const error = await future.exception();
  expect(error).toBeInstanceOf(Error);
  return error as Error;
}

interface Death {
  readonly task: Task<[], unknown>;
  readonly execArgv?: string[];
  readonly check: (error: WorkerExitError) => void;
}

// Each way a child can die while running a task. Out of memory is cheap with a 32 MB heap:
// V8 aborts the child within about half a second.
const deaths: [string, Death][] = [
  ['process.exit(3)', { task: () => process.exit(3), check: (e) => expect(e).toMatchObject({ exitCode: 3, signal: null }) }],
  ['SIGKILL', { task: ptasks.killSelf, check: (e) => expect(e).toMatchObject({ exitCode: null, signal: 'SIGKILL' }) }],
  [
    'an uncaught error from a timer',
    { task: ptasks.throwInTimer, check: (e) => expect(e).toMatchObject({ exitCode: 1, signal: null }) },
  ],
  [
    'running out of memory',
    {
      task: ptasks.exhaustMemory,
      execArgv: ['--max-old-space-size=32'],
      check: (e) => expect(e.signal === 'SIGABRT' || (e.exitCode !== null && e.exitCode !== 0)).toBe(true),
    },
  ],
];

describe('ProcessPoolExecutor - worker death', () => {
  it.each(deaths)(
    "onWorkerExit 'replace' - a child dying of %s fails only its task with WorkerExitError; the others complete",
    async (_how, death) => {
      const { pool, started, exited } = tracker.make({ maxWorkers: 1, ...(death.execArgv ? { execArgv: death.execArgv } : {}) });
      // One burst: the three adds are handed to the same child behind the fatal task, and go
      // back to the queue when it dies.
      const fatal = pool.submit(death.task);
      const others = [1, 2, 3].map((i) => pool.submit(ptasks.add, i, 10));
      const error = await failure(fatal);
      expect(error).toBeInstanceOf(WorkerExitError);
      const firstPid = started[0]?.pid;
      expect(error).toMatchObject({ pid: firstPid });
      death.check(error as WorkerExitError);
      expect(await Promise.all(others)).toEqual([11, 12, 13]);
      expect(await pool.submit(ptasks.pid)).not.toBe(firstPid);
      expect(pool.broken).toBeUndefined();
      expect(exited[0]).toMatchObject({ pid: firstPid, exitCode: (error as WorkerExitError).exitCode, signal: (error as WorkerExitError).signal });
    },
  );

  it("onWorkerExit 'replace' - the tasks that finished before a process.exit() keep their results, and it runs once", async () => {
    const { pool, started } = tracker.make({ maxWorkers: 1 });
    // Sent together: the child runs `before` and then exits in the same turn, before its
    // end-of-turn flush; the pool must not blame `before`, nor run the exit again.
    const before = pool.submit(ptasks.add, 1, 1);
    const fatal = pool.submit(ptasks.exitWith, 4);
    const after = pool.submit(ptasks.add, 2, 2);
    expect(await before).toBe(2);
    expect(await failure(fatal)).toMatchObject({ exitCode: 4 });
    expect(await after).toBe(4);
    expect(started).toHaveLength(2);
  });

  it("onWorkerExit 'break' - every pending and running future fails with BrokenProcessPool caused by WorkerExitError (R9.5)", async () => {
    const scratch = await tracker.scratch();
    const { pool } = tracker.make({ maxWorkers: 2, prefetch: 0, onWorkerExit: 'break' });
    const broken: unknown[] = [];
    pool.on('broken', (error) => broken.push(error));
    const mark = scratch.mark();
    const running = pool.submit(ptasks.markThenWait, mark, scratch.gate().path);
    await scratch.waitFor(mark);
    const fatal = pool.submit(ptasks.exitWith, 3);
    const queued = [1, 2, 3].map((i) => pool.submit(ptasks.add, i, 0));
    for (const future of [running, fatal, ...queued]) {
      const error = await failure(future);
      expect(error).toBeInstanceOf(BrokenProcessPool);
      expect(error.message).toMatch(/terminated abruptly/);
      expect(error.cause).toBeInstanceOf(WorkerExitError);
      expect(error.cause).toMatchObject({ exitCode: 3 });
    }
    expect(broken).toHaveLength(1);
    expect(() => pool.submit(ptasks.add, 1, 1)).toThrow(BrokenProcessPool);
    await pool.shutdown();
  });

  it("onWorkerExit 'break' - a SIGKILLed child breaks the pool too", async () => {
    const { pool } = tracker.make({ maxWorkers: 1, onWorkerExit: 'break' });
    const futures = [pool.submit(ptasks.killSelf), pool.submit(ptasks.add, 1, 1)];
    for (const future of futures) {
      const error = await failure(future);
      expect(error).toBeInstanceOf(BrokenProcessPool);
      expect(error.cause).toMatchObject({ signal: 'SIGKILL' });
    }
  });

  it.each([['replace' as const], ['break' as const]])(
    "crash loop - an initializer that exits breaks the pool (onWorkerExit '%s') instead of respawning forever",
    async (onWorkerExit) => {
      const { pool, started } = tracker.make({ maxWorkers: 1, onWorkerExit, initializer: initializer(ptasks.exitingInit) });
      const futures = [1, 2, 3, 4].map((i) => pool.submit(ptasks.add, i, 0));
      // None of the tasks ran, so none of them is to blame: they all fail with the pool.
      for (const future of futures) {
        const error = await failure(future);
        expect(error).toBeInstanceOf(BrokenProcessPool);
        expect(error.cause).toBeInstanceOf(WorkerExitError);
        expect(error.cause).toMatchObject({ exitCode: 7 });
      }
      expect(started).toHaveLength(onWorkerExit === 'replace' ? MAX_STARTUP_FAILURES : 1);
      expect(() => pool.submit(ptasks.add, 1, 1)).toThrow(BrokenProcessPool);
    },
  );

  it('crash loop - children that cannot start (a bad execArgv) break the pool', async () => {
    const { pool, started } = tracker.make({ maxWorkers: 2, execArgv: ['--no-such-node-option'] });
    const error = await failure(pool.submit(ptasks.add, 1, 1));
    expect(error).toBeInstanceOf(BrokenProcessPool);
    expect(error.cause).toBeInstanceOf(WorkerExitError);
    expect(started.length).toBeLessThanOrEqual(MAX_STARTUP_FAILURES + 1);
  });

  it("crash loop - one child dying while starting is replaced; its tasks run on the next ('replace')", async () => {
    const scratch = await tracker.scratch();
    const flag = scratch.mark();
    // The first child to start exits in its initializer; the flag file lets the next one live.
    const { pool, started } = tracker.make({
      maxWorkers: 1,
      initializer: initializer(async (path: string) => {
        const fs = await import('node:fs');
        if (!fs.existsSync(path)) {
          fs.writeFileSync(path, '');
          process.exit(5);
        }
      }),
      initargs: [flag],
    });
    expect(await Promise.all([pool.submit(ptasks.add, 1, 1), pool.submit(ptasks.add, 2, 2)])).toEqual([2, 4]);
    expect(started).toHaveLength(2);
    expect(pool.broken).toBeUndefined();
  });
});

describe('ProcessPoolExecutor - timeouts', () => {
  it('taskTimeout - a task that loops forever fails with TimeoutError; its child is killed and replaced', async () => {
    const { pool, started, exited } = tracker.make({ maxWorkers: 1, taskTimeout: 1_000 });
    const stuck = pool.submit(ptasks.loopForever);
    const error = await failure(stuck);
    expect(error).toBeInstanceOf(TimeoutError);
    expect(error.message).toContain('1000 ms');
    expect(await pool.submit(ptasks.add, 2, 3)).toBe(5);
    const firstPid = started[0]?.pid;
    expect(exited).toContainEqual(expect.objectContaining({ pid: firstPid, signal: 'SIGKILL' }));
    expect(started).toHaveLength(2);
  });

  it('.submitWith({ timeout }) - stops a stuck task; the pool keeps working', async () => {
    const { pool } = tracker.make({ maxWorkers: 1 });
    const error = await failure(pool.submitWith({ timeout: 500 }, ptasks.loopForever));
    expect(error).toBeInstanceOf(TimeoutError);
    expect(await pool.submit(ptasks.add, 1, 2)).toBe(3);
  });

  it('.submitWith({ timeout }) - counts from the start, not while handed over behind another task', async () => {
    const scratch = await tracker.scratch();
    const { pool } = tracker.make({ maxWorkers: 1, prefetch: 2 });
    const gate = scratch.gate();
    const mark = scratch.mark();
    const first = pool.submit(ptasks.markThenWait, mark, gate.path);
    const second = pool.submitWith({ timeout: 1_000 }, ptasks.add, 1, 1);
    await scratch.waitFor(mark);
    expect(second.running()).toBe(true);
    // Longer than its timeout, spent waiting behind `first`.
    await sleep(1_500);
    gate.open();
    expect(await first).toBe('opened');
    expect(await second).toBe(2);
  });

  it("taskTimeout - the initializer's time does not count", async () => {
    const { pool } = tracker.make({ maxWorkers: 1, taskTimeout: 1_000, initializer: initializer(ptasks.slowInit), initargs: [1_500] });
    expect(await pool.submit(ptasks.readInit)).toMatchObject({ value: 'slow' });
  });

  it('taskTimeout - a map chunk that runs too long fails, and its child is stopped (shutdown does not hang)', async () => {
    const { pool, exited } = tracker.make({ maxWorkers: 1, taskTimeout: 500 });
    const results = pool.map(
      (_: number) => {
        for (;;);
      },
      [1, 2],
      { chunksize: 2 },
    );
    await expect(results.next()).rejects.toThrow(TimeoutError);
    await pool.shutdown();
    expect(exited).toContainEqual(expect.objectContaining({ signal: 'SIGKILL' }));
  });
});

describe('ProcessPoolExecutor - abort', () => {
  it('.submitWith({ signal }) - aborting a queued task cancels it; it never runs', async () => {
    const scratch = await tracker.scratch();
    const { pool } = tracker.make({ maxWorkers: 1, prefetch: 0 });
    const gate = scratch.gate();
    const mark = scratch.mark();
    const log = scratch.log();
    const first = pool.submit(ptasks.markThenWait, mark, gate.path);
    const controller = new AbortController();
    const queued = pool.submitWith({ signal: controller.signal }, ptasks.append, log, 'queued');
    await scratch.waitFor(mark);
    controller.abort();
    expect(queued.cancelled()).toBe(true);
    await expect(queued.result()).rejects.toThrow(CancelledError);
    gate.open();
    await first;
    expect(await pool.submit(ptasks.append, log, 'after')).toBe('after');
    expect(await scratch.lines(log)).toEqual(['after']);
  });

  it('.submitWith({ signal }) - an already aborted signal cancels at once', async () => {
    const { pool } = tracker.make({ maxWorkers: 1 });
    const future = pool.submitWith({ signal: AbortSignal.abort() }, ptasks.add, 1, 1);
    expect(future.cancelled()).toBe(true);
  });

  it('.submitWith({ signal }) - a running task sees taskSignal() abort and stops early; its child lives on', async () => {
    const scratch = await tracker.scratch();
    const { pool, exited } = tracker.make({ maxWorkers: 1 });
    expect(await pool.submit(ptasks.signalState)).toEqual({ isSignal: true, aborted: false });
    const mark = scratch.mark();
    const controller = new AbortController();
    const future = pool.submitWith({ signal: controller.signal }, ptasks.cooperative, mark);
    await scratch.waitFor(mark);
    const pid = Number(readFileSync(mark, 'utf8'));
    controller.abort();
    const error = await failure(future);
    expect(error).toBeInstanceOf(CancelledError);
    expect(error.cause).toMatchObject({ name: 'AbortError' });
    // The next task runs on the same child: the cooperative task returned, nothing was killed.
    expect(await pool.submit(ptasks.pid)).toBe(pid);
    expect(exited).toEqual([]);
  });

  it('.submitWith({ signal }) - a running task that ignores its signal is killed after the grace period', async () => {
    const scratch = await tracker.scratch();
    const { pool, started, exited } = tracker.make({ maxWorkers: 1 });
    const mark = scratch.mark();
    const controller = new AbortController();
    const future = pool.submitWith({ signal: controller.signal }, ptasks.markThenHang, mark);
    await scratch.waitFor(mark);
    const abortedAt = Date.now();
    controller.abort();
    // The future fails at once, not after the grace period.
    expect(await failure(future)).toBeInstanceOf(CancelledError);
    const pid = started[0]?.pid;
    await waitUntil(() => exited.some((info) => info.pid === pid), 'the stuck child was killed');
    expect(Date.now() - abortedAt).toBeGreaterThanOrEqual(ABORT_GRACE_MS - 50);
    expect(exited[0]).toMatchObject({ pid, signal: 'SIGKILL' });
    expect(await pool.submit(ptasks.pid)).not.toBe(pid);
  });

  it('.submitWith({ signal }) - aborting a handed-over task does not kill the task running ahead of it', async () => {
    const scratch = await tracker.scratch();
    const { pool, exited } = tracker.make({ maxWorkers: 1, prefetch: 2 });
    const gate = scratch.gate();
    const mark = scratch.mark();
    const log = scratch.log();
    // `first` blocks its child's event loop: the abort message cannot even be read.
    const first = pool.submit(ptasks.markThenBlock, mark, gate.path, log);
    const controller = new AbortController();
    const second = pool.submitWith({ signal: controller.signal }, ptasks.add, 1, 1);
    await scratch.waitFor(mark);
    expect(second.running()).toBe(true);
    controller.abort();
    expect(await failure(second)).toBeInstanceOf(CancelledError);
    // Past the grace period: the pool must not have stopped `first`'s child over `second`.
    await sleep(ABORT_GRACE_MS + 500);
    expect(exited).toEqual([]);
    gate.open();
    const pid = await first;
    expect(await scratch.lines(log)).toEqual([`block ${pid}`]);
    expect(await pool.submit(ptasks.pid)).toBe(pid);
  });

  it('.submitWith({ signal }) - aborting a stuck task and the one behind it, then shutdown(), finishes', async () => {
    const scratch = await tracker.scratch();
    const { pool, exited } = tracker.make({ maxWorkers: 1, prefetch: 2 });
    const mark = scratch.mark();
    const controller = new AbortController();
    const stuck = pool.submitWith({ signal: controller.signal }, ptasks.markThenHang, mark);
    const behind = pool.submitWith({ signal: controller.signal }, ptasks.add, 1, 1);
    await scratch.waitFor(mark);
    controller.abort();
    expect(await failure(stuck)).toBeInstanceOf(CancelledError);
    expect(await failure(behind)).toBeInstanceOf(CancelledError);
    await pool.shutdown();
    expect(exited).toHaveLength(1);
    expect(pool.stats.workers).toBe(0);
  });
});

describe('ProcessPoolExecutor - terminateWorkers / killWorkers (R9.9)', () => {
  it.each([
    ['terminateWorkers', 'SIGTERM'],
    ['killWorkers', 'SIGKILL'],
  ] as const)('.%s() - fails outstanding futures with BrokenProcessPool and leaves no child', async (method, signal) => {
    const scratch = await tracker.scratch();
    const { pool, pids, exited } = tracker.make({ maxWorkers: 2, prefetch: 0 });
    const marks = [scratch.mark(), scratch.mark()];
    const running = marks.map((mark) => pool.submit(ptasks.markThenWait, mark, scratch.gate().path));
    for (const mark of marks) await scratch.waitFor(mark);
    const queued = pool.submit(ptasks.add, 1, 1);
    await pool[method]();
    for (const future of [...running, queued]) expect(await failure(future)).toBeInstanceOf(BrokenProcessPool);
    expect(pids()).toHaveLength(2);
    expect(pids().filter(pidExists)).toEqual([]);
    expect(exited.map((info) => info.signal)).toEqual([signal, signal]);
    expect(pool.isShutdown).toBe(true);
    expect(() => pool.submit(ptasks.add, 1, 1)).toThrow();
  });

  it('.terminateWorkers() - a child that ignores SIGTERM gets SIGKILL after a grace period', { timeout: 60_000 }, async () => {
    const scratch = await tracker.scratch();
    const { pool, pids, exited } = tracker.make({ maxWorkers: 1 });
    const mark = scratch.mark();
    const future = pool.submit(ptasks.ignoreSigterm, mark, scratch.gate().path);
    await scratch.waitFor(mark);
    const started = Date.now();
    await pool.terminateWorkers();
    expect(Date.now() - started).toBeGreaterThanOrEqual(SIGKILL_GRACE_MS - 100);
    expect(await failure(future)).toBeInstanceOf(BrokenProcessPool);
    expect(exited[0]).toMatchObject({ signal: 'SIGKILL' });
    expect(pids().filter(pidExists)).toEqual([]);
  });

  it('.killWorkers() - on a pool that never started a child, it only shuts the pool down', async () => {
    const { pool, started } = tracker.make({ maxWorkers: 1 });
    await pool.killWorkers();
    expect(started).toEqual([]);
    expect(pool.isShutdown).toBe(true);
  });
});

describe('ProcessPoolExecutor - shutdown', () => {
  it('.shutdown() - waits for running work, then for every child to exit', async () => {
    const scratch = await tracker.scratch();
    const { pool, pids } = tracker.make({ maxWorkers: 2 });
    const gate = scratch.gate();
    const mark = scratch.mark();
    const running = pool.submit(ptasks.markThenWait, mark, gate.path);
    const quick = pool.submit(ptasks.add, 1, 1);
    await scratch.waitFor(mark);
    let finished = false;
    const shutdown = pool.shutdown().then(() => (finished = true));
    await settle(20);
    expect(finished).toBe(false);
    expect(() => pool.submit(ptasks.add, 1, 1)).toThrow(ExecutorShutdownError);
    gate.open();
    await shutdown;
    expect(await running).toBe('opened');
    expect(await quick).toBe(2);
    // No polling: shutdown() resolves only once every child has exited (and been reaped).
    expect(pids().length).toBeGreaterThan(0);
    expect(pids().filter(pidExists)).toEqual([]);
  });

  it('.shutdown({ cancelFutures: true }) - cancels what has not started; running work finishes', async () => {
    const scratch = await tracker.scratch();
    const { pool, pids } = tracker.make({ maxWorkers: 1, prefetch: 0 });
    const gate = scratch.gate();
    const mark = scratch.mark();
    const running = pool.submit(ptasks.markThenWait, mark, gate.path);
    const queued = [1, 2, 3].map((i) => pool.submit(ptasks.add, i, 0));
    await scratch.waitFor(mark);
    const shutdown = pool.shutdown({ cancelFutures: true });
    expect(queued.every((future) => future.cancelled())).toBe(true);
    gate.open();
    await shutdown;
    expect(await running).toBe('opened');
    expect(pids().filter(pidExists)).toEqual([]);
  });

  it('.shutdown({ wait: false }) - returns at once; queued work still completes and the children go (R9.11)', async () => {
    const { pool, pids } = tracker.make({ maxWorkers: 1, prefetch: 0 });
    const futures = [1, 2, 3].map((i) => pool.submit(ptasks.add, i, i));
    await pool.shutdown({ wait: false });
    expect(await Promise.all(futures)).toEqual([2, 4, 6]);
    await waitUntil(() => pids().every((pid) => !pidExists(pid)), 'the children exited');
  });

  it('.shutdown({ wait: false }) - after a failing task with maxTasksPerChild 1, nothing hangs (gh-132969)', async () => {
    const { pool } = tracker.make({ maxWorkers: 1, maxTasksPerChild: 1 });
    const failing = pool.submit(ptasks.throwValue, 'boom');
    const ok = pool.submit(ptasks.add, 1, 1);
    await pool.shutdown({ wait: false });
    await expect(failing.result()).rejects.toBe('boom');
    expect(await ok).toBe(2);
    await pool.shutdown();
  });

  it('.shutdown() - after a child crashed, still resolves with every child gone', async () => {
    const { pool, pids } = tracker.make({ maxWorkers: 2 });
    const futures = [pool.submit(ptasks.exitWith, 9), pool.submit(ptasks.add, 1, 1)];
    await pool.shutdown();
    expect(await futures[0]?.exception()).toBeInstanceOf(WorkerExitError);
    expect(await futures[1]).toBe(2);
    expect(pids().filter(pidExists)).toEqual([]);
  });

  it('await using - disposes the pool and its children', async () => {
    let pids: number[] = [];
    {
      await using pool = tracker.make({ maxWorkers: 2 }).pool;
      const started: number[] = [];
      pool.on('workerStart', (info) => started.push(info.pid ?? -1));
      expect(await pool.submit(ptasks.add, 1, 1)).toBe(2);
      pids = started;
    }
    expect(pids.length).toBeGreaterThan(0);
    expect(pids.filter(pidExists)).toEqual([]);
  });
});
