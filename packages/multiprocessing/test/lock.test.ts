/**
 * Lock and RLock: the contract in one thread, then with the other side in child processes and
 * in worker threads, then what only a process can do (die holding the lock), and that no
 * shared memory outlives the program.
 */
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { moduleTasks, ProcessPoolExecutor, TimeoutError } from '@concurrent/futures';
import { afterEach, describe, expect, it } from 'vitest';
import { Empty, Lock, Queue, RLock, RuntimeError, ValueError } from '../src/index.js';
import { type Runner, runnerNames } from './fixtures/sharing-harness.js';
import type * as SyncTasks from './fixtures/sync-tasks.mjs';

const sync = moduleTasks<typeof SyncTasks>(new URL('./fixtures/sync-tasks.mjs', import.meta.url));

describe.each([
  ['Lock', () => new Lock()],
  ['RLock', () => new RLock()],
] as const)('%s in one thread', (name, make) => {
  it('.acquire() - resolves true; a try that may not wait, or a timeout, gives false while held elsewhere', async () => {
    const lock = make();
    expect(await lock.acquire()).toBe(true);
    lock.release();
    expect(await lock.acquire(false)).toBe(true);
    lock.release();
    expect(await lock.acquire({ timeout: 0 })).toBe(true);
    lock.release();
  });

  it('.acquire() - options are checked', async () => {
    const lock = make();
    expect(() => lock.acquire({ blocking: 'no' } as never)).toThrow(/`blocking` to be a boolean/);
    expect(() => lock.acquire({ timeout: 'soon' } as never)).toThrow(TypeError);
    expect(() => lock.acquire({ timout: 5 } as never)).toThrow(/timout.*did you mean `timeout`/);
    expect(await lock.acquire({ block: true })).toBe(true);
    lock.release();
  });

  it('.release() - of a lock nobody holds throws', () => {
    const lock = make();
    if (name === 'Lock') expect(() => lock.release()).toThrow(new ValueError('semaphore or lock released too many times'));
    else expect(() => lock.release()).toThrow(new RuntimeError('cannot release un-acquired lock'));
  });

  it('.hold() - `await using` releases at the end of the block, however it ends', async () => {
    const lock = make();
    await expect(
      (async () => {
        await using _ = await lock.hold();
        throw new Error('inside');
      })(),
    ).rejects.toThrow('inside');
    expect(await lock.acquire({ blocking: false })).toBe(true);
    lock.release();
  });
});

describe('Lock in one thread', () => {
  it('.acquire() - not recursive: a second acquire waits, and times out', async () => {
    const lock = new Lock();
    await lock.acquire();
    expect(await lock.acquire({ blocking: false })).toBe(false);
    expect(await lock.acquire({ timeout: 20 })).toBe(false);
    await expect(lock.hold({ timeout: 10 })).rejects.toBeInstanceOf(TimeoutError);
    lock.release();
  });

  it('.acquire() - a waiter gets the lock when it is released', async () => {
    const lock = new Lock();
    await lock.acquire();
    const waiting = lock.acquire();
    let got = false;
    void waiting.then(() => (got = true));
    await new Promise((resolve) => setImmediate(resolve));
    expect(got).toBe(false);
    lock.release();
    expect(await waiting).toBe(true);
    expect(lock.ownerDied).toBe(false);
    lock.release();
  });
});

describe('RLock in one thread', () => {
  it('.acquire() - recursive: the holder acquires again at once and releases as many times', async () => {
    const lock = new RLock();
    for (let i = 0; i < 3; i++) expect(await lock.acquire({ blocking: false })).toBe(true);
    lock.release();
    lock.release();
    lock.release();
    expect(() => lock.release()).toThrow(RuntimeError);
  });
});

describe.each(runnerNames)('Lock and RLock $name', ({ make }) => {
  let runner: Runner = make();
  afterEach(async () => {
    await runner.dispose();
    runner = make();
  });

  it.each([
    ['Lock', () => new Lock()],
    ['RLock', () => new RLock()],
  ] as const)('%s - held there, it cannot be taken here until released there', async (_, makeLock) => {
    const lock = makeLock();
    const report = new Queue<string>();
    const go = new Queue<string>();
    const started = runner.start(sync.holdUntil, lock, report, go);
    expect(await report.get()).toBe('held');
    expect(await lock.acquire({ blocking: false })).toBe(false);
    expect(await lock.acquire({ timeout: 20 })).toBe(false);
    await go.put('go');
    expect(await report.get()).toBe('released');
    expect(await lock.acquire({ timeout: 20_000 })).toBe(true);
    lock.release();
    await started.done;
  });

  it.each([
    ['Lock', () => new Lock()],
    ['RLock', () => new RLock()],
  ] as const)('%s - held here, the other side waits in acquire() and gets it on release', async (_, makeLock) => {
    const lock = makeLock();
    const report = new Queue<string>();
    await lock.acquire();
    const started = runner.start(sync.acquireThenReport, lock, report);
    expect(await report.get()).toBe('waiting');
    // It cannot have it yet: a wrong 'acquired' would show within this wait (no false failure).
    await expect(report.get({ timeout: 50 })).rejects.toBeInstanceOf(Empty);
    lock.release();
    expect(await report.get({ timeout: 20_000 })).toBe('acquired');
    await started.done;
  });

  it('Lock - may be released by another process or thread, as in Python; RLock may not', async () => {
    const lock = new Lock();
    const rlock = new RLock();
    const report = new Queue<string>();
    await lock.acquire();
    await rlock.acquire();
    await runner.start(sync.releaseOther, lock, report).done;
    expect(await report.get()).toBe('ok');
    expect(await lock.acquire({ blocking: false })).toBe(true);
    await runner.start(sync.releaseOther, rlock, report).done;
    expect(await report.get()).toBe('RuntimeError: cannot release un-acquired lock');
    rlock.release();
  });

  it('RLock - hold() twice there, released by disposal', async () => {
    const lock = new RLock();
    const report = new Queue<string | boolean>();
    await runner.start(sync.nestedHold, lock, report).done;
    expect(await report.get()).toBe('twice');
    expect(await report.get()).toBe(true);
    expect(await lock.acquire({ blocking: false })).toBe(true);
    lock.release();
  });
});

describe('a process that dies holding a lock', () => {
  let runner: Runner = runnerNames[0]!.make();
  afterEach(async () => {
    await runner.dispose();
    runner = runnerNames[0]!.make();
  });

  it.each([
    ['Lock', () => new Lock()],
    ['RLock', () => new RLock()],
  ] as const)('%s - SIGKILLed while holding it: the next acquire() takes it over and sees ownerDied', async (_, makeLock) => {
    const lock = makeLock();
    const report = new Queue<number>();
    const started = runner.start(sync.holdForever, lock, report);
    const pid = await report.get();
    expect(pid).not.toBe(process.pid);
    expect(await lock.acquire({ blocking: false })).toBe(false);
    const waiting = lock.acquire({ timeout: 20_000 });
    await started.kill();
    expect(await waiting).toBe(true);
    expect(lock.ownerDied).toBe(true);
    lock.release();
    expect(await lock.acquire({ blocking: false })).toBe(true);
    expect(lock.ownerDied).toBe(false);
    lock.release();
  });
});

describe('travel', () => {
  it('a Lock inside a pool task argument is the same lock there', async () => {
    const lock = new Lock();
    const report = new Queue<string>();
    const go = new Queue<string>();
    const pool = new ProcessPoolExecutor({ maxWorkers: 1 });
    try {
      const future = pool.submit(sync.holdUntil, lock, report, go);
      expect(await report.get()).toBe('held');
      expect(await lock.acquire({ blocking: false })).toBe(false);
      await go.put('go');
      await future;
      expect(await lock.acquire({ blocking: false })).toBe(true);
    } finally {
      await pool.shutdown();
    }
  });
});

describe('no shared memory outlives the program', () => {
  it('a parent and its child SIGKILLed together, holding a lock: no segment of theirs is left', async () => {
    const script = fileURLToPath(new URL('./fixtures/sync-tree.mjs', import.meta.url));
    const child = spawn(process.execPath, [script], { stdio: ['ignore', 'pipe', 'inherit'], detached: true });
    const exited = once(child, 'exit');
    // Its pids, or its exit if it fails first (its error is on stderr).
    const first = await Promise.race([once(child.stdout, 'data'), exited.then(() => [Buffer.from('')])]);
    const pids = String(first[0]).trim().split(' ').map(Number);
    expect(pids).toHaveLength(2);
    // Columns of `ipcs -m -p`: shmid owner cpid lpid.
    const segments = (): string[][] =>
      execFileSync('ipcs', ['-m', '-p'], { encoding: 'utf8' })
        .split('\n')
        .map((row) => row.trim().split(/\s+/))
        .filter((cols) => cols.length >= 4 && /^\d+$/.test(cols[0] ?? ''));
    // Theirs: created by either pid, named by id (pids are reused at once here, ids are not:
    // another test's new process may soon have one of these pids, and segments of its own).
    const theirs = segments()
      .filter((cols) => pids.includes(Number(cols[2])))
      .map((cols) => cols[0]);
    expect(theirs.length).toBeGreaterThan(0);
    process.kill(-child.pid!, 'SIGKILL');
    await exited;
    // The grandchild, reparented, dies in its own time (its pid may be someone else's soon, so
    // it is not polled): the segments go when it has, or the bound passes and the check fails.
    const left = (): string[][] => segments().filter((cols) => theirs.includes(cols[0]));
    for (let i = 0; i < 1_000 && left().length > 0; i++) await sleep(10);
    expect(left()).toEqual([]);
  });
});
