/**
 * Manager, beyond manager.test.ts: every SyncManager typeid's Python behaviour across real
 * processes, proxies travelling to every kind of worker, a dead client's references released,
 * programs that end without shutdown(), and Unix-socket and TCP addresses.
 *
 * Ordering: a process has one connection per manager and the server starts its requests in
 * the order they came, so a child that starts a wait and then puts 'waiting' on a report queue
 * is waiting in the server by the time the test reads 'waiting' (see the fixture's header).
 */
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { moduleTasks, ProcessPoolExecutor, type TaskRef, WorkerThreadPoolExecutor } from '@concurrent/futures';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  activeChildren,
  type Address,
  AuthenticationError,
  BaseManager,
  BrokenBarrierError,
  currentProcess,
  Empty,
  Full,
  Manager,
  Pool,
  Process,
  Queue,
  type QueueProxy,
  RuntimeError,
  SyncManager,
  ValueError,
} from '../src/index.js';
import { clientFor } from '../src/managers/proxy.js';
import { MessageSocket } from '../src/managers/wire.js';
import type * as MoreTasks from './fixtures/manager-more-tasks.mjs';
import type { Bundle } from './fixtures/manager-more-tasks.mjs';

const tasks = moduleTasks<typeof MoreTasks>(new URL('./fixtures/manager-more-tasks.mjs', import.meta.url));
const run = promisify(execFile);
const DIST = pathToFileURL(fileURLToPath(new URL('../dist/index.js', import.meta.url))).href;
/** A hang guard, never a timing assumption: every wait below ends long before on a sane run. */
const GUARD = 20_000;

const managers: BaseManager[] = [];
const children: Process[] = [];

async function manager(options: ConstructorParameters<typeof SyncManager>[0] = {}): Promise<SyncManager> {
  const m = await Manager(options);
  managers.push(m);
  return m;
}

function started<A extends unknown[]>(target: TaskRef<A, unknown>, args: A): Process {
  const p = new Process<A>({ target, args });
  children.push(p);
  p.start();
  return p;
}

afterEach(async () => {
  for (const p of children.splice(0)) {
    if (p.isAlive()) p.kill();
    await p.join();
  }
  for (const m of managers.splice(0)) await m.shutdown();
  // A server process that failed to start ends by itself: give it the time, then nothing is left.
  await Promise.all(activeChildren().map((p) => p.join(GUARD)));
  expect(activeChildren()).toEqual([]);
});

/** The next item of a report queue (a hang guard, not a timing window). */
function next(report: QueueProxy<unknown>): Promise<unknown> {
  return report.get({ timeout: GUARD });
}

/** The server's own count of objects and connected callers (its `ping` reply). */
async function ping(address: Address, authkey: Buffer = currentProcess().authkey): Promise<{ objects: number; callers: number }> {
  return (await (await clientFor(address, authkey)).request('ping')) as { objects: number; callers: number };
}

/** Polls `check` until it holds (for what only the server sees, like a socket's close), or fails after GUARD ms. */
async function eventually<T>(probe: () => Promise<T>, check: (value: T) => boolean): Promise<T> {
  const deadline = Date.now() + GUARD;
  for (;;) {
    const value = await probe();
    if (check(value) || Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Whether `pid` is gone (or a zombie that nobody here reaps). */
function isDead(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return true;
  }
  try {
    return readFileSync(`/proc/${String(pid)}/stat`, 'utf8').split(') ')[1]?.startsWith('Z') ?? false;
  } catch {
    return true;
  }
}

describe('SyncManager typeids behave as Python\'s through proxies', () => {
  it('RLock: its owner re-enters; another process can neither take nor release it; free after the last release', async () => {
    const m = await manager();
    const rlock = await m.RLock();
    const report = await m.Queue();
    expect(await rlock.acquire()).toBe(true);
    expect(await rlock.acquire({ blocking: false })).toBe(true);
    const foreign = started(tasks.rlockForeign, [rlock, report]);
    expect(await next(report)).toEqual({ got: false, error: 'RuntimeError: cannot release un-acquired lock' });
    await foreign.join();
    await rlock.release();
    // Still held once: another process still cannot take it.
    started(tasks.acquireReport, [rlock, report, { blocking: false }]);
    expect(await next(report)).toBe('trying');
    expect(await next(report)).toBe(false);
    await rlock.release();
    await expect(rlock.release()).rejects.toThrow(RuntimeError);
    started(tasks.acquireReport, [rlock, report, { blocking: false }]);
    expect(await next(report)).toBe('trying');
    expect(await next(report)).toBe(true);
  });

  it('Lock: has no owner, so another process may release it (threading.Lock)', async () => {
    const m = await manager();
    const lock = await m.Lock();
    const report = await m.Queue();
    await lock.acquire();
    started(tasks.releaseReport, [lock, report]);
    expect(await next(report)).toBe('ok');
    expect(await lock.acquire({ blocking: false })).toBe(true);
    await lock.release();
    await expect(lock.release()).rejects.toThrow('release unlocked lock');
  });

  it('Semaphore: a child waits for a unit; getValue; a release by anyone adds a unit', async () => {
    const m = await manager();
    const sem = await m.Semaphore(2);
    const report = await m.Queue();
    expect(await sem.acquire()).toBe(true);
    expect(await sem.acquire()).toBe(true);
    expect(await sem.acquire({ blocking: false })).toBe(false);
    expect(await sem.acquire({ timeout: 30 })).toBe(false);
    started(tasks.acquireReport, [sem, report, {}, false]);
    expect(await next(report)).toBe('trying');
    // The child's acquire waits in the server (it came before 'trying'): the value stays 0.
    expect(await sem.getValue()).toBe(0);
    await sem.release();
    expect(await next(report)).toBe(true);
    expect(await sem.getValue()).toBe(0);
    // Unbounded: a process that never acquired may release, beyond the start value.
    const counter = await m.Semaphore(0);
    started(tasks.releaseReport, [counter, report, 3]);
    expect(await next(report)).toBe('ok');
    expect(await counter.getValue()).toBe(3);
    await expect(m.Semaphore(-1)).rejects.toThrow(ValueError);
  });

  it('BoundedSemaphore: a release beyond its start raises ValueError(\'Semaphore released too many times\'), here and in a child', async () => {
    const m = await manager();
    const sem = await m.BoundedSemaphore(1);
    const report = await m.Queue();
    await expect(sem.release()).rejects.toThrow(new ValueError('Semaphore released too many times'));
    const err = await sem.release().catch((error: unknown) => error);
    expect(err).toBeInstanceOf(ValueError);
    started(tasks.releaseReport, [sem, report]);
    expect(await next(report)).toBe('ValueError: Semaphore released too many times');
    expect(await sem.acquire()).toBe(true);
    expect(await sem.getValue()).toBe(0);
    await sem.release();
    expect(await sem.getValue()).toBe(1);
  });

  it('a client SIGKILLed holding an RLock twice gives it back; a Semaphore unit it took stays taken (a semaphore has no owner, as in Python)', async () => {
    const m = await manager();
    const rlock = await m.RLock();
    const sem = await m.BoundedSemaphore(1);
    const report = await m.Queue();
    const a = started(tasks.acquireForever, [rlock, report, 2]);
    expect(await next(report)).toBe('held');
    const b = started(tasks.acquireForever, [sem, report, 1]);
    expect(await next(report)).toBe('held');
    expect(await rlock.acquire({ blocking: false })).toBe(false);
    expect(await sem.getValue()).toBe(0);
    a.kill();
    b.kill();
    await Promise.all([a.join(), b.join()]);
    expect(await rlock.acquire({ timeout: GUARD })).toBe(true);
    expect(await sem.getValue()).toBe(0);
    expect(await sem.acquire({ blocking: false })).toBe(false);
    await sem.release();
    await expect(sem.release()).rejects.toThrow(ValueError);
  });

  it('Event: set() in one process wakes a waiter in another; clear(); wait(timeout) resolves false', async () => {
    const m = await manager();
    const event = await m.Event();
    const report = await m.Queue();
    expect(await event.isSet()).toBe(false);
    started(tasks.eventWait, [event, report, null]);
    expect(await next(report)).toBe('waiting');
    started(tasks.eventSet, [event]);
    expect(await next(report)).toBe(true);
    expect(await event.isSet()).toBe(true);
    expect(await event.wait(0)).toBe(true);
    await event.clear();
    expect(await event.isSet()).toBe(false);
    expect(await event.wait(30)).toBe(false);
    started(tasks.eventWait, [event, report, 50]);
    expect(await next(report)).toBe('waiting');
    expect(await next(report)).toBe(false);
  });

  it('Condition: notify() wakes the first waiter only, notifyAll() the rest; wait(timeout) false; no lock → RuntimeError', async () => {
    const m = await manager();
    const cond = await m.Condition();
    const report = await m.Queue();
    started(tasks.condWait, [cond, report, 'a', null]);
    expect(await next(report)).toBe('a:waiting');
    started(tasks.condWait, [cond, report, 'b', null]);
    expect(await next(report)).toBe('b:waiting');
    started(tasks.condWait, [cond, report, 'c', null]);
    expect(await next(report)).toBe('c:waiting');
    await cond.acquire();
    await cond.notify();
    await cond.release();
    expect(await next(report)).toBe('a:true');
    // Nobody else woke: this can only miss a bug on a very slow run, never fail a correct one.
    await expect(report.get({ timeout: 300 })).rejects.toThrow(Empty);
    await cond.acquire();
    await cond.notifyAll();
    await cond.release();
    expect([await next(report), await next(report)].sort()).toEqual(['b:true', 'c:true']);

    await expect(cond.wait(10)).rejects.toThrow(RuntimeError);
    await expect(cond.notify()).rejects.toThrow(RuntimeError);
    await cond.acquire();
    // Its own lock is an RLock: re-entered, and wait() gives back and restores both levels.
    await cond.acquire();
    expect(await cond.wait(20)).toBe(false);
    await cond.release();
    await cond.release();
    await expect(cond.release()).rejects.toThrow(RuntimeError);
  });

  it('Condition.waitFor: re-checks its predicate after each notify from another process; false after its timeout', async () => {
    const m = await manager();
    const cond = await m.Condition();
    const counter = await m.Value('i', 0);
    const report = await m.Queue();
    started(tasks.condWaitFor, [cond, counter, 3, report]);
    expect(await next(report)).toBe('locked');
    for (let i = 1; i <= 3; i++) {
      // Acquired only once the child's wait gave the lock back: no notify can be lost.
      await cond.acquire();
      await counter.set(i);
      await cond.notifyAll();
      await cond.release();
    }
    const seen = (await next(report)) as { result: boolean; calls: number; value: number };
    expect(seen.result).toBe(true);
    expect(seen.value).toBe(3);
    expect(seen.calls).toBeGreaterThanOrEqual(2);

    await cond.acquire();
    expect(await cond.waitFor(async () => (await counter.get()) > 3, 50)).toBe(false);
    expect(await cond.waitFor(async () => (await counter.get()) === 3, 50)).toBe(true);
    await cond.release();
  });

  it('Condition(lock): a manager Lock or RLock given to it is its lock', async () => {
    const m = await manager();
    const report = await m.Queue();
    for (const lock of [await m.Lock(), await m.RLock()]) {
      const cond = await m.Condition(lock);
      await lock.acquire();
      // The same lock: taken through the lock, so not free through the condition.
      started(tasks.acquireReport, [cond, report, { blocking: false }]);
      expect(await next(report)).toBe('trying');
      expect(await next(report)).toBe(false);
      // Waiting gives the lock back: a child takes it through the condition and notifies.
      const waiting = cond.wait(GUARD);
      started(tasks.condNotify, [cond, 1]);
      expect(await waiting).toBe(true);
      // wait() took it back: it is held again, through the lock.
      started(tasks.acquireReport, [lock, report, { blocking: false }]);
      expect(await next(report)).toBe('trying');
      expect(await next(report)).toBe(false);
      await lock.release();
    }
    await expect(m.Condition((await m.Event()) as never)).rejects.toThrow(TypeError);
  });

  it('Barrier: indexes 0..parties-1 across processes, round after round; abort, broken, reset; a timeout breaks it', async () => {
    const m = await manager();
    const barrier = await m.Barrier(3);
    const report = await m.Queue();
    expect(await barrier.parties()).toBe(3);
    for (let round = 0; round < 2; round++) {
      started(tasks.barrierWait, [barrier, report, 'a', null]);
      expect(await next(report)).toBe('a:waiting');
      started(tasks.barrierWait, [barrier, report, 'b', null]);
      expect(await next(report)).toBe('b:waiting');
      expect(await barrier.nWaiting()).toBe(2);
      expect(await barrier.wait()).toBe(2);
      expect([await next(report), await next(report)].sort()).toEqual(['a:0', 'b:1']);
      expect(await barrier.nWaiting()).toBe(0);
    }

    started(tasks.barrierWait, [barrier, report, 'a', null]);
    expect(await next(report)).toBe('a:waiting');
    await barrier.abort();
    expect(await next(report)).toBe('a:BrokenBarrierError');
    expect(await barrier.broken()).toBe(true);
    await expect(barrier.wait()).rejects.toThrow(BrokenBarrierError);
    await barrier.reset();
    expect(await barrier.broken()).toBe(false);

    // reset() with a party waiting: it gets BrokenBarrierError, and the barrier is usable.
    started(tasks.barrierWait, [barrier, report, 'b', null]);
    expect(await next(report)).toBe('b:waiting');
    await barrier.reset();
    expect(await next(report)).toBe('b:BrokenBarrierError');
    expect(await barrier.broken()).toBe(false);

    // A per-call timeout, and the barrier's own default.
    await expect(barrier.wait(30)).rejects.toThrow(BrokenBarrierError);
    expect(await barrier.broken()).toBe(true);
    const timed = await m.Barrier(2, { timeout: 30 });
    // No timeout argument: the barrier's own applies.
    started(tasks.barrierWait, [timed, report, 't']);
    expect(await next(report)).toBe('t:waiting');
    expect(await next(report)).toBe('t:BrokenBarrierError');
    expect(await timed.broken()).toBe(true);
    await expect(m.Barrier(0)).rejects.toThrow(ValueError);
  });

  it('JoinableQueue: join() resolves only after another process\'s last taskDone(); one too many → ValueError', async () => {
    const m = await manager();
    const q = await m.JoinableQueue<number>();
    const report = await m.Queue();
    const go = await m.Queue();
    for (const n of [1, 2, 3]) await q.put(n);
    let joined = false;
    const join = q.join().then(() => (joined = true));
    started(tasks.consumeJoinable, [q, report, go]);
    expect(await next(report)).toBe('two done');
    // A round trip on this connection after the two taskDone()s: had join() been answered, its
    // reply (sent first on this connection) would have set `joined` before this resolves.
    expect(await q.qsize()).toBe(0);
    expect(joined).toBe(false);
    await go.put('go');
    await join;
    expect(await next(report)).toEqual({ items: [1, 2, 3], extra: 'ValueError: task_done() called too many times' });
    await expect(q.taskDone()).rejects.toThrow(new ValueError('task_done() called too many times'));
    await q.join();
  });

  it('Queue(maxsize): Full without blocking or after a timeout; a blocked put goes in once there is room', async () => {
    const m = await manager();
    const q = await m.Queue<number>(2);
    const report = await m.Queue();
    await q.put(1);
    await q.putNowait(2);
    expect(await q.full()).toBe(true);
    expect(await q.qsize()).toBe(2);
    await expect(q.put(3, { block: false })).rejects.toThrow(Full);
    await expect(q.putNowait(3)).rejects.toThrow(Full);
    await expect(q.put(3, { timeout: 30 })).rejects.toThrow(Full);
    started(tasks.putBlocked, [q, 3, report]);
    expect(await next(report)).toBe('putting');
    expect(await q.qsize()).toBe(2);
    expect(await q.get()).toBe(1);
    expect(await next(report)).toBe('put');
    expect([await q.get(), await q.getNowait()]).toEqual([2, 3]);
    expect(await q.empty()).toBe(true);
    await expect(q.getNowait()).rejects.toThrow(Empty);
  });
});

describe('proxies travel, nested in objects and arrays', () => {
  async function bundle(m: SyncManager): Promise<Bundle> {
    return { d: await m.dict<string, boolean>(), nested: [{ l: await m.list<string>() }, await m.Namespace()] };
  }

  /** The writes of useBundle(tag) are seen here: what arrived was the same objects. */
  async function expectWritten(b: Bundle, tags: string[]): Promise<void> {
    expect((await b.d.keys()).sort()).toEqual([...tags].sort());
    expect((await b.nested[0].l.toArray()).sort()).toEqual([...tags].sort());
    expect(Object.keys(await b.nested[1].toObject()).sort()).toEqual([...tags].sort());
  }

  it('as Process arguments', async () => {
    const m = await manager();
    const b = await bundle(m);
    const p = started(tasks.useBundle, [b, 'process']);
    await p.join();
    expect(p.exitcode).toBe(0);
    await expectWritten(b, ['process']);
  });

  // With the default authkey these fail today (pool workers and worker threads have keys of
  // their own): reported to the Manager's author. A manager with a key of its own travels the
  // key in the proxy, which is what is checked here.
  it('as task arguments of Pool, ProcessPoolExecutor and WorkerThreadPoolExecutor (a manager with its own authkey)', async () => {
    const m = await manager({ authkey: 'travel' });
    const b = await bundle(m);
    const pool = new Pool({ processes: 1 });
    const executor = new ProcessPoolExecutor({ maxWorkers: 1 });
    const threads = new WorkerThreadPoolExecutor({ maxWorkers: 1 });
    try {
      expect(await pool.apply(tasks.useBundle, [b, 'pool'])).toEqual(['dict', 'list', 'Namespace']);
      expect(await executor.submit(tasks.useBundle, b, 'executor')).toEqual(['dict', 'list', 'Namespace']);
      expect(await threads.submit(tasks.useBundle, b, 'thread')).toEqual(['dict', 'list', 'Namespace']);
      await expectWritten(b, ['pool', 'executor', 'thread']);
      // A worker thread has a connection of its own: another owner for an RLock.
      const rlock = await m.RLock();
      await rlock.acquire();
      expect(await threads.submit(tasks.releaseForeignRLock, rlock)).toBe('RuntimeError: cannot release un-acquired lock');
      await rlock.release();
    } finally {
      await pool.terminate();
      await pool.join();
      await executor.shutdown();
      await threads.shutdown();
    }
  });

  it('inside an item of a manager Queue and of a local Queue', async () => {
    const m = await manager();
    const b = await bundle(m);
    const remote = await m.Queue<Bundle>();
    const local = new Queue<Bundle>();
    await remote.put(b);
    await local.put(b);
    const p1 = started(tasks.useBundleFromQueue, [remote, 'manager queue']);
    const p2 = started(tasks.useBundleFromQueue, [local, 'local queue']);
    await Promise.all([p1.join(), p2.join()]);
    expect([p1.exitcode, p2.exitcode]).toEqual([0, 0]);
    await expectWritten(b, ['manager queue', 'local queue']);
  });
});

describe('a client that goes releases its references', () => {
  it('a child SIGKILLed after making objects: the server\'s object and caller counts go back down', async () => {
    const m = await manager();
    const report = await m.Queue();
    const address = m.address!;
    const before = await ping(address);
    const child = started(tasks.makeObjectsForever, [address, 5, report]);
    expect(await next(report)).toBe('made');
    const during = await ping(address);
    expect(during.objects).toBe(before.objects + 5);
    expect(during.callers).toBe(before.callers + 1);
    child.kill();
    await child.join();
    const after = await eventually(() => ping(address), (counts) => counts.objects === before.objects);
    expect(after).toEqual(before);
    // Used to the end: a proxy collected earlier would give its object back and move the count.
    expect(await report.empty()).toBe(true);
  });

  it('a worker thread that made objects: they are released when the executor ends its thread', async () => {
    const m = await manager();
    const address = m.address!;
    const before = await ping(address);
    const threads = new WorkerThreadPoolExecutor({ maxWorkers: 1 });
    try {
      // The key given explicitly: a worker thread's default key is not its process's today (reported).
      expect(await threads.submit(tasks.makeObjectsInThread, address, currentProcess().authkey.toString('hex'), 4)).toBe(4);
      expect((await ping(address)).objects).toBe(before.objects + 4);
    } finally {
      await threads.shutdown();
    }
    const after = await eventually(() => ping(address), (counts) => counts.objects === before.objects);
    expect(after).toEqual(before);
  });
});

describe('nothing keeps a finished program alive', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'manager-more-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const MANAGER_SCRIPT = `import { activeChildren, Manager } from '${DIST}';
const m = await Manager();
const d = await m.dict();
await d.set('a', 41);
await d.set('a', (await d.get('a')) + 1);
const server = activeChildren().find((p) => p.name.startsWith('SyncManager-'));
console.log(JSON.stringify({ value: await d.get('a'), server: server.pid }));
`;
  // CommonJS (node's default for -e and stdin): the package by dynamic import.
  const MANAGER_SCRIPT_CJS = `import('${DIST}').then(async ({ activeChildren, Manager }) => {
  const m = await Manager();
  const d = await m.dict();
  await d.set('a', 42);
  const server = activeChildren().find((p) => p.name.startsWith('SyncManager-'));
  console.log(JSON.stringify({ value: await d.get('a'), server: server.pid }));
});
`;

  /** Runs a start style, expects it to end by itself, and its server process to be gone. */
  async function expectEnds(output: Promise<{ stdout: string }>): Promise<void> {
    const { stdout } = await output;
    const { value, server } = JSON.parse(stdout) as { value: number; server: number };
    expect(value).toBe(42);
    expect(server).toBeGreaterThan(0);
    expect(await eventually(async () => isDead(server), (dead) => dead)).toBe(true);
  }

  function withStdin(args: string[], input: string): Promise<{ stdout: string }> {
    return new Promise((resolve, reject) => {
      const child = execFile(process.execPath, args, { timeout: GUARD }, (error, stdout) => (error === null ? resolve({ stdout }) : reject(error)));
      child.stdin!.end(input);
    });
  }

  it('a script file that starts Manager(), uses a dict and never calls shutdown()', async () => {
    const file = join(dir, 'manager-script.mjs');
    writeFileSync(file, MANAGER_SCRIPT);
    await expectEnds(run(process.execPath, [file], { timeout: GUARD }));
  });

  it.each([
    ['node --input-type=module -e', () => run(process.execPath, ['--input-type=module', '-e', MANAGER_SCRIPT], { timeout: GUARD })],
    ['node -e (CommonJS)', () => run(process.execPath, ['-e', MANAGER_SCRIPT_CJS], { timeout: GUARD })],
    ['node --input-type=module - (stdin)', () => withStdin(['--input-type=module', '-'], MANAGER_SCRIPT)],
    ['node - (stdin, CommonJS)', () => withStdin(['-'], MANAGER_SCRIPT_CJS)],
  ])('the same started as %s', async (_style, start) => {
    await expectEnds(start());
  });

  it('a script that connects a BaseManager client, uses a proxy and never calls shutdown()', async () => {
    class Served extends BaseManager {}
    const inbox = new Queue<string>();
    Served.register('getInbox', () => inbox);
    const server = new Served({ address: ['127.0.0.1', 0], authkey: 'script' });
    managers.push(server);
    await server.start();
    const [host, port] = server.address as [string, number];
    const file = join(dir, 'client-script.mjs');
    writeFileSync(
      file,
      `import { BaseManager } from '${DIST}';
class Client extends BaseManager {}
Client.register('getInbox');
const m = new Client({ address: [process.argv[2], Number(process.argv[3])], authkey: 'script' });
await m.connect();
const inbox = await m.getInbox();
await inbox.put('hello from the script');
console.log('done');
`,
    );
    const { stdout } = await run(process.execPath, [file, host, String(port)], { timeout: GUARD });
    expect(stdout.trim()).toBe('done');
    expect(await inbox.get({ timeout: GUARD })).toBe('hello from the script');
    // Its connection is gone from the server: only this test's own remains.
    const key = Buffer.from('script');
    expect(await eventually(() => ping(server.address!, key), (counts) => counts.callers === 1)).toMatchObject({ callers: 1 });
  });
});

describe('addresses', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'manager-sock-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('a Unix socket path: start() there, a child connects by the path; a taken path is refused; the file goes at shutdown', async () => {
    const path = join(dir, 'sync.sock');
    const m = await manager({ address: path });
    expect(m.address).toBe(path);
    expect(existsSync(path)).toBe(true);
    const report = await m.Queue();
    const child = started(tasks.makeObjectsForever, [path, 1, report]);
    expect(await next(report)).toBe('made');
    expect((await ping(path)).callers).toBe(2);
    child.kill();
    await child.join();

    const second = new SyncManager({ address: path });
    await expect(second.start()).rejects.toThrow(/EADDRINUSE/);
    // The first serves on.
    const d = await m.dict<string, number>();
    await d.set('x', 1);
    expect(await d.get('x')).toBe(1);

    await m.shutdown();
    expect(existsSync(path)).toBe(false);
    // Free again.
    const again = await manager({ address: path });
    expect(await (await again.list([1, 2])).toArray()).toEqual([1, 2]);
  });

  it('getServer().serveForever() at a Unix socket path in another node process; a client\'s shutdown request ends that process', async () => {
    const path = join(dir, 'forever.sock');
    const file = join(dir, 'serve-forever.mjs');
    writeFileSync(
      file,
      `import { BaseManager } from '${DIST}';
class Served extends BaseManager {}
const counts = new Map();
Served.register('getCounter', () => ({ add: (key) => { counts.set(key, (counts.get(key) ?? 0) + 1); return counts.get(key); } }));
const server = new Served({ address: process.argv[2], authkey: 'unix' }).getServer();
await server.listen(process.argv[2]);
console.log('listening');
await server.serveForever();
console.log('stopped');
`,
    );
    const child = spawn(process.execPath, [file, path], { stdio: ['ignore', 'pipe', 'inherit'] });
    let stdout = '';
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
    try {
      await new Promise<void>((resolve, reject) => {
        child.stdout.on('data', (chunk: Buffer) => {
          stdout += chunk.toString();
          if (stdout.includes('listening')) resolve();
        });
        child.on('exit', () => reject(new Error(`the server process ended early: ${stdout}`)));
      });
      class Client extends BaseManager {}
      Client.register('getCounter');
      const client = new Client({ address: path, authkey: 'unix' });
      await client.connect();
      const counter = (await (client as unknown as { getCounter(): Promise<{ add(key: string): Promise<number> }> }).getCounter());
      expect(await counter.add('a')).toBe(1);
      expect(await counter.add('a')).toBe(2);
      await (await clientFor(path, Buffer.from('unix'))).request('shutdown');
      expect(await exited).toBe(0);
      expect(stdout).toContain('stopped');
      expect(existsSync(path)).toBe(false);
      await client.shutdown();
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('TCP with port 0: start() picks a port; a child connects by [host, port]', async () => {
    const m = await manager({ address: ['127.0.0.1', 0] });
    const [host, port] = m.address as [string, number];
    expect(host).toBe('127.0.0.1');
    expect(port).toBeGreaterThan(0);
    const report = await m.Queue();
    started(tasks.makeObjectsForever, [[host, port], 2, report]);
    expect(await next(report)).toBe('made');
    expect((await ping([host, port])).objects).toBe(3);
  });

  it('connect() to a server that does not know the key (it welcomes any answer) fails with AuthenticationError: the client checks the server too', async () => {
    const fake = createServer((socket) => {
      const connection = new MessageSocket(socket);
      connection.send(Buffer.concat([Buffer.from('#CHALLENGE#{sha256}'), Buffer.alloc(32, 7)]));
      void connection.next().then(
        () => {
          connection.send(Buffer.from('#WELCOME#'));
          // Its own challenge answered with a guess.
          return connection.next().then(() => connection.send(Buffer.alloc(32)));
        },
        () => undefined,
      );
    });
    await new Promise<void>((resolve) => fake.listen(0, '127.0.0.1', resolve));
    try {
      const port = (fake.address() as { port: number }).port;
      const m = new SyncManager({ address: ['127.0.0.1', port], authkey: 'real' });
      await expect(m.connect()).rejects.toThrow(AuthenticationError);
    } finally {
      fake.close();
    }
  });
});
