/**
 * Manager defects found by the manager suites (each of these failed before its fix): what a
 * peer, a dying client or a large reply could do to a server or to the other clients.
 */
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { serialize } from 'node:v8';
import { moduleTasks, ProcessPoolExecutor, WorkerThreadPoolExecutor } from '@concurrent/futures';
import { afterEach, describe, expect, it } from 'vitest';
import { activeChildren, currentProcess, Manager, Pool, Process, Queue, type DictProxy, SyncManager, ValueError } from '../src/index.js';
import { FAILED, unpack } from '../src/managers/protocol.js';
import { clientFor } from '../src/managers/proxy.js';
import { clientHandshake, MessageSocket } from '../src/managers/wire.js';
import type * as MoreTasks from './fixtures/manager-more-tasks.mjs';
import type * as ManagerTasks from './fixtures/manager-tasks.mjs';

const more = moduleTasks<typeof MoreTasks>(new URL('./fixtures/manager-more-tasks.mjs', import.meta.url));
const tasks = moduleTasks<typeof ManagerTasks>(new URL('./fixtures/manager-tasks.mjs', import.meta.url));
/** A hang guard only: every wait below ends on an event. */
const GUARD = 20_000;

const open: SyncManager[] = [];
afterEach(async () => {
  for (const m of open.splice(0)) await m.shutdown();
});
async function manager(options: ConstructorParameters<typeof SyncManager>[0] = {}): Promise<SyncManager> {
  const m = new SyncManager(options);
  open.push(m);
  await m.start();
  return m;
}
const serverOf = (): Process => activeChildren().find((p) => p.name.startsWith('SyncManager-'))!;

describe('the server against its peers', () => {
  it('a frame of length 0 before the handshake (4 zero bytes) does not crash it', async () => {
    const m = await manager({ address: ['127.0.0.1', 0], authkey: 'k' });
    const socket = connect((m.address as [string, number])[1], '127.0.0.1');
    socket.on('error', () => undefined);
    socket.resume();
    await new Promise((resolve) => socket.once('connect', resolve));
    socket.end(Buffer.alloc(4));
    await new Promise((resolve) => socket.once('close', resolve));
    const d = await m.dict<string, number>();
    await d.set('a', 1);
    expect(await d.get('a')).toBe(1);
    expect(serverOf().isAlive()).toBe(true);
  });

  it('an authenticated peer cannot make it run an export of the package that is not a reviver (Manager(), which starts a process)', async () => {
    const m = await manager({ address: ['127.0.0.1', 0], authkey: 'k' });
    const server = serverOf();
    const childrenOf = (pid: number): string => readFileSync(`/proc/${String(pid)}/task/${String(pid)}/children`, 'utf8').trim();
    expect(childrenOf(server.pid!)).toBe('');
    const socket = connect((m.address as [string, number])[1], '127.0.0.1');
    await new Promise((resolve) => socket.once('connect', resolve));
    const connection = new MessageSocket(socket);
    await clientHandshake(connection, Buffer.from('k'));
    connection.setLimit(1 << 20);
    const reply = new Promise((resolve) => connection.listen((body) => resolve(unpack(body))));
    const index = pathToFileURL(fileURLToPath(new URL('../dist/index.js', import.meta.url))).href;
    // The wire form of a handle (futures' reduction.ts): a module of the package, an export that is not a reviver.
    const marker = { '@concurrent/reduced': { module: index, reviver: 'Manager', state: {}, key: 'k' } };
    connection.send(Buffer.concat([Buffer.from([1 /* F_REDUCED */]), serialize(['k', [1, 'create', 'dict', [marker]]])]));
    // The request cannot be revived: the server drops that connection, runs nothing, serves on.
    await Promise.race([reply, new Promise((resolve) => connection.onClose(resolve))]);
    expect(childrenOf(server.pid!)).toBe('');
    connection.destroy();
    expect(await (await m.dict()).len()).toBe(0);
  });

  it('a reply above maxMessageBytes fails that call only (and a request above it fails here): the lock this process holds stays held', async () => {
    const m = await manager({ maxMessageBytes: 4096 });
    const lock = await m.Lock();
    const l = await m.list<string>();
    await lock.acquire();
    for (let i = 0; i < 4; i++) await l.append('x'.repeat(2000));
    await expect(l.toArray()).rejects.toThrow(ValueError);
    await expect(l.append('y'.repeat(5000))).rejects.toThrow(ValueError);
    expect(await lock.acquire({ blocking: false })).toBe(false);
    expect(await l.len()).toBe(4);
    expect(FAILED).toBe(1);
  });
});

describe('clients that die', () => {
  it('a client SIGKILLed while waiting on a Condition (own RLock, or a Lock given) leaves its lock free', async () => {
    const m = await manager();
    const report = await m.Queue();
    for (const lock of [undefined, await m.Lock()]) {
      const cond = await m.Condition(lock);
      const waiter = new Process({ target: more.condWait, args: [cond, report, 'w', null] });
      waiter.start();
      expect(await report.get({ timeout: GUARD })).toBe('w:waiting');
      waiter.kill();
      await waiter.join();
      expect(await cond.acquire({ timeout: GUARD })).toBe(true);
      await cond.release();
      if (lock !== undefined) expect(await lock.acquire({ blocking: false })).toBe(true);
    }
  });

  it('an item put after a consumer was SIGKILLed in get() goes to a live consumer, not to the dead one', async () => {
    const m = await manager();
    const q = await m.Queue<number>();
    const report = await m.Queue();
    const callers = async (): Promise<number> => ((await (await clientFor(m.address!, currentProcess().authkey)).request('ping')) as { callers: number }).callers;
    const before = await callers();
    const consumer = new Process({ target: more.getForever, args: [q, report] });
    consumer.start();
    expect(await report.get({ timeout: GUARD })).toBe('getting');
    consumer.kill();
    await consumer.join();
    // "After" as the server sees it: once it has seen the consumer's connection close (this
    // process may see the exit first; a put before that goes to the get still waiting there).
    const deadline = Date.now() + GUARD;
    while ((await callers()) > before && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    await q.put(3);
    expect(await q.get({ timeout: GUARD })).toBe(3);
  });

  it('the Semaphore units a consumer took stay taken when it exits (Python: the value does not come back)', async () => {
    const m = await manager();
    const items = await m.Semaphore(0);
    const report = await m.Queue();
    await items.release();
    await items.release();
    const consumer = new Process({ target: more.acquireReport, args: [items, report, {}, false] });
    consumer.start();
    expect(await report.get({ timeout: GUARD })).toBe('trying');
    expect(await report.get({ timeout: GUARD })).toBe(true);
    await consumer.join();
    expect(consumer.exitcode).toBe(0);
    expect(await items.getValue()).toBe(1);
  });

  it('a proxy a child made and put on a local Queue still works after the child exited', async () => {
    const m = await manager();
    const queue = new Queue<DictProxy<string, string>>();
    const child = new Process({ target: tasks.makeAndSend, args: [m.address, queue] });
    child.start();
    await child.join();
    expect(child.exitcode).toBe(0);
    const d = await queue.get({ timeout: GUARD });
    expect(await d.get('made by')).toBe('child');
  });
});

describe('the default authkey', () => {
  it('proxies of a Manager() travel to Pool, ProcessPoolExecutor and WorkerThreadPoolExecutor tasks', async () => {
    const m = await Manager();
    open.push(m);
    const d = await m.dict<string, boolean>();
    const bundle = { d, nested: [{ l: await m.list<string>() }, await m.Namespace()] as const };
    const pool = new Pool({ processes: 1 });
    const executor = new ProcessPoolExecutor({ maxWorkers: 1 });
    const threads = new WorkerThreadPoolExecutor({ maxWorkers: 1 });
    try {
      const outcomes = await Promise.allSettled([
        pool.apply(more.useBundle, [bundle, 'pool']),
        executor.submit(more.useBundle, bundle, 'executor'),
        threads.submit(more.useBundle, bundle, 'thread'),
      ]);
      expect(outcomes.map((o) => (o.status === 'fulfilled' ? 'ok' : `${(o.reason as Error).name}: ${(o.reason as Error).message}`))).toEqual(['ok', 'ok', 'ok']);
      expect((await d.keys()).sort()).toEqual(['executor', 'pool', 'thread']);
    } finally {
      await pool.terminate();
      await executor.shutdown();
      await threads.shutdown();
    }
  });
});
