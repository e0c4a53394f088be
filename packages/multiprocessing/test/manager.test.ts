/**
 * Manager, BaseManager and proxies: the objects in a real server process (or this one), the
 * clients in real child processes, over real sockets.
 */
import { connect } from 'node:net';
import { moduleTasks, type TaskRef } from '@concurrent/futures';
import { afterEach, describe, expect, it } from 'vitest';
import {
  AttributeError,
  AuthenticationError,
  BaseManager,
  BrokenBarrierError,
  BrokenPipeError,
  Empty,
  KeyError,
  Manager,
  OSError,
  Process,
  Queue,
  RemoteError,
  RuntimeError,
  type ListProxy,
  type SyncManager,
  type QueueProxy,
} from '../src/index.js';
import type * as ManagerTasks from './fixtures/manager-tasks.mjs';

const tasks = moduleTasks<typeof ManagerTasks>(new URL('./fixtures/manager-tasks.mjs', import.meta.url));

const open: SyncManager[] = [];
async function manager(): Promise<SyncManager> {
  const m = await Manager();
  open.push(m);
  return m;
}
afterEach(async () => {
  for (const m of open.splice(0)) await m.shutdown();
});

function started<A extends unknown[]>(target: TaskRef<A, unknown>, args: A): Process<A> {
  const p = new Process<A>({ target, args });
  p.start();
  return p;
}

describe('Manager()', () => {
  it('dict: three child processes write through one proxy; every method of Python', async () => {
    const m = await manager();
    const shared = await m.dict<string, number>();
    const ps = [1, 2, 3].map((i) => started(tasks.record, [shared, i]));
    for (const p of ps) await p.join();
    expect(ps.map((p) => p.exitcode)).toEqual([0, 0, 0]);
    expect(await shared.toObject()).toEqual({ k1: 1, k2: 4, k3: 9 });
    expect(await shared.len()).toBe(3);
    expect(await shared.get('nope')).toBe(null);
    expect(await shared.get('nope', 7)).toBe(7);
    expect(await shared.setdefault('k4', 16)).toBe(16);
    expect(await shared.pop('k4')).toBe(16);
    expect(await shared.pop('k4', -1)).toBe(-1);
    await expect(shared.getItem('k4')).rejects.toThrow(KeyError);
    expect(await shared.has('k1')).toBe(true);
    await shared.update({ k5: 25 });
    expect((await shared.keys()).sort()).toEqual(['k1', 'k2', 'k3', 'k5']);
    await shared.delete('k5');
    expect(await shared.popitem()).toHaveLength(2);
  });

  it('list, Namespace, Value, Array: Python behaviour, errors as Python raises them', async () => {
    const m = await manager();
    const l = await m.list<number>([3, 1, 2]);
    await l.append(4);
    await l.extend([5]);
    await l.sort({ reverse: true });
    expect(await l.toArray()).toEqual([5, 4, 3, 2, 1]);
    expect(await l.get(-1)).toBe(1);
    expect(await l.index(3)).toBe(2);
    expect(await l.slice(1, 3)).toEqual([4, 3]);
    await expect(l.get(10)).rejects.toThrow('list index out of range');
    await expect(l.index(42)).rejects.toThrow('42 is not in list');
    const ns = await m.Namespace({ x: 1 });
    await ns.set('y', 'two');
    expect(await ns.toObject()).toEqual({ x: 1, y: 'two' });
    await expect(ns.get('typo')).rejects.toThrow(AttributeError);
    const v = await m.Value('d', 1.5);
    await v.set(2.5);
    expect(await v.get()).toBe(2.5);
    const a = await m.Array('i', [1, 2, 3]);
    await a.set(0, 10);
    expect(await a.toArray()).toEqual([10, 2, 3]);
    expect(await a.len()).toBe(3);
  });

  it('a method that is not exposed is refused; an unknown error class arrives as RemoteError with the server stack', async () => {
    const m = await manager();
    const d = await m.dict();
    await expect(d._callMethod('constructor')).rejects.toThrow(AttributeError);
    await expect(d._callMethod('__proto__')).rejects.toThrow(AttributeError);
    // An unclonable argument fails at the call, and the proxy keeps working.
    await expect(d.set('f', (() => 1))).rejects.toThrow(TypeError);
    await d.set('ok', 1);
    expect(await d.get('ok')).toBe(1);
    const err = (await d.getItem('missing').catch((error: unknown) => error)) as Error;
    expect(err).toBeInstanceOf(KeyError);
    expect(err.stack).toContain("raised in the manager's server");
    expect(err.stack).toContain('getItem');
    expect(new RemoteError('X: y', 'stack')).toHaveProperty('remoteStack', 'stack');
  });

  it('Value + Lock: 2 processes × 100 locked increments count exactly', async () => {
    const m = await manager();
    const lock = await m.Lock();
    const value = await m.Value('i', 0);
    const ps = [0, 1].map(() => started(tasks.addLocked, [lock, value, 100]));
    for (const p of ps) await p.join();
    expect(await value.get()).toBe(200);
    await expect(lock.release()).rejects.toThrow(RuntimeError);
  });

  it('Queue: Empty after a timeout; producer/consumer through proxies in a child', async () => {
    const m = await manager();
    const q = await m.Queue<number | null>();
    const results = await m.Queue<number>();
    await expect(q.get({ timeout: 10 })).rejects.toThrow(Empty);
    const consumer = started(tasks.consume, [q, results]);
    for (let i = 1; i <= 5; i++) await q.put(i);
    await q.put(null);
    const got: number[] = [];
    for (let i = 0; i < 5; i++) got.push(await results.get());
    await consumer.join();
    expect(got).toEqual([1, 4, 9, 16, 25]);
  });

  it('nested proxies: a dict holding a list proxy; a child appends to the inner list', async () => {
    const m = await manager();
    const outer = await m.dict<string, ListProxy<string>>();
    const inner = await m.list<string>();
    await outer.set('items', inner);
    const child = started(tasks.appendToNested, [outer]);
    await child.join();
    expect(child.exitcode).toBe(0);
    const again = (await outer.get('items'))!;
    expect(await again.toArray()).toEqual(['from child']);
    expect(await inner.toArray()).toEqual(['from child']);
  });

  it('a client SIGKILLed holding a Lock releases it; a Barrier party killed while waiting breaks the barrier', async () => {
    const m = await manager();
    const lock = await m.Lock();
    const report = await m.Queue<string>();
    const holder = started(tasks.holdForever, [lock, report]);
    expect(await report.get()).toBe('held');
    expect(await lock.acquire({ blocking: false })).toBe(false);
    holder.kill();
    await holder.join();
    expect(await lock.acquire({ timeout: 10_000 })).toBe(true);

    const barrier = await m.Barrier(3);
    const party = started(tasks.waitAtBarrier, [barrier, report]);
    expect(await report.get()).toBe('waiting');
    const mine = barrier.wait().catch((error: unknown) => error);
    party.kill();
    await party.join();
    expect(await mine).toBeInstanceOf(BrokenBarrierError);
  });

  it('Pool: apply, map, starmap, applyAsync (a static method), imap in the server; a function is refused at the call', async () => {
    const m = await manager();
    const pool = await m.Pool(2);
    expect(await pool.apply(tasks.square, [7])).toBe(49);
    expect(await pool.map(tasks.square, [1, 2, 3])).toEqual([1, 4, 9]);
    expect(await pool.starmap(tasks.add, [[1, 2], [3, 4]])).toEqual([3, 7]);
    const result = await pool.applyAsync(tasks.Fib.fib, [20]);
    expect(await result.get()).toBe(6765);
    expect(await result.successful()).toBe(true);
    const squares: number[] = [];
    for await (const value of await pool.imap(tasks.square, [4, 5, 6])) squares.push(value);
    expect(squares).toEqual([16, 25, 36]);
    await expect(pool.apply(((x: number) => x) as unknown as typeof tasks.square, [1])).rejects.toThrow(TypeError);
    await pool.close();
    await pool.join();
  });

  it('the server dying fails every pending and later call with a clear error', async () => {
    const m = await Manager();
    const q = await m.Queue();
    const pending = q.get();
    // Nothing else can stop it this hard: find the server process by its name among the children.
    const server = (await import('../src/index.js')).activeChildren().find((p) => p.name.startsWith('SyncManager-'));
    expect(server).toBeDefined();
    server!.kill();
    await expect(pending).rejects.toThrow(BrokenPipeError);
    await expect(q.put(1)).rejects.toThrow(OSError);
    await m.shutdown();
  });

  it('await using shuts the server down; its proxies then fail', async () => {
    let d: Awaited<ReturnType<SyncManager['dict']>>;
    {
      await using m = await Manager();
      d = await m.dict();
      await d.set('a', 1);
    }
    await expect(d.get('a')).rejects.toThrow(OSError);
  });
});

describe('BaseManager', () => {
  it('serves this process\'s own objects (closures) over TCP; a wrong key is refused and the server serves on', async () => {
    class QueueManager extends BaseManager {}
    const jobs = new Queue<number>();
    QueueManager.register('getJobs', () => jobs);
    const master = new QueueManager({ address: ['127.0.0.1', 0], authkey: 'secret' });
    await master.start();
    const address = master.address as [string, number];
    expect(address[1]).toBeGreaterThan(0);

    class Client extends BaseManager {}
    Client.register('getJobs');
    const wrong = new Client({ address, authkey: 'wrong' });
    await expect(wrong.connect()).rejects.toThrow(AuthenticationError);
    const right = new Client({ address, authkey: 'secret' });
    await right.connect();
    const remote = (await (right as unknown as { getJobs(): Promise<QueueProxy<number>> }).getJobs());
    await remote.put(42);
    expect(await jobs.get()).toBe(42);
    await right.shutdown();
    await master.shutdown();
  });

  it('garbage, oversized lengths, truncated frames and replays before and after the handshake never crash it', async () => {
    class Fuzzed extends BaseManager {}
    Fuzzed.register('echo', () => ({ echo: (x: unknown) => x }));
    const m = new Fuzzed({ address: ['127.0.0.1', 0], authkey: 'k', maxMessageBytes: 4096 });
    await m.start();
    const [host, port] = m.address as [string, number];
    const send = (bytes: Buffer): Promise<Buffer> =>
      new Promise((resolve) => {
        const socket = connect(port, host);
        const got: Buffer[] = [];
        socket.on('data', (chunk: Buffer) => got.push(chunk));
        socket.on('error', () => undefined);
        socket.on('close', () => resolve(Buffer.concat(got)));
        socket.on('connect', () => socket.end(bytes));
        setTimeout(() => socket.destroy(), 300).unref();
      });
    const frame = (body: Buffer): Buffer => Buffer.concat([Buffer.from(new Uint32Array([body.length]).buffer), body]);
    const seed = 1234;
    let state = seed;
    const random = (): number => ((state = (state * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const first = await send(Buffer.alloc(0));
    for (let i = 0; i < 40; i++) {
      const length = Math.floor(random() * 600);
      const junk = Buffer.from(Array.from({ length }, () => Math.floor(random() * 256)));
      const choice = i % 4;
      if (choice === 0) await send(junk);
      else if (choice === 1) await send(frame(junk));
      else if (choice === 2) await send(Buffer.from([0xff, 0xff, 0xff, 0x7f, 1, 2, 3])); // 2 GiB announced
      else await send(frame(first.subarray(4))); // the server's own challenge sent back (a replay)
    }
    // After all that, a real client is served.
    class Client extends BaseManager {}
    Client.register('echo');
    const client = new Client({ address: m.address, authkey: 'k' });
    await client.connect();
    const echo = await (client as unknown as { echo(): Promise<{ echo(x: unknown): Promise<unknown> }> }).echo();
    expect(await echo.echo('still here')).toBe('still here');
    // An authenticated peer's oversized request closes only its own connection.
    await expect(echo.echo('x'.repeat(10_000))).rejects.toThrow(BrokenPipeError);
    await client.shutdown();
    await m.shutdown();
  });
});
