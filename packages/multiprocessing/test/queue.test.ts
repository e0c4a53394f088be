/**
 * Queue, JoinableQueue and SimpleQueue: one contract run with the other side in child
 * processes and in worker threads, then the endings that need a process to kill, and the
 * cases that need neither.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterEach, describe, expect, it } from 'vitest';
import { type Connection, Empty, Full, JoinableQueue, OSError, Pipe, Queue, SimpleQueue, ValueError } from '../src/index.js';
import { type Runner, runnerNames, runners, stasks } from './fixtures/sharing-harness.js';

/** Takes `n` items from `q` (each within a generous bound). */
async function take<T>(q: Queue<T>, n: number): Promise<T[]> {
  const got: T[] = [];
  for (let i = 0; i < n; i++) got.push(await q.get({ timeout: 20_000 }));
  return got;
}

describe.each(runnerNames)('Queue $name', ({ make }) => {
  let runner: Runner = make();
  afterEach(async () => {
    await runner.dispose();
    runner = make();
  });

  it('.put() / .get() - a producer here, a consumer there, a sentinel to stop', async () => {
    const q = new Queue<number | null>();
    const report = new Queue<[string, number | null]>();
    const started = runner.start(stasks.consume, q, report, 'c');
    for (let i = 0; i < 1_000; i++) await q.put(i);
    await q.put(null);
    const got = await take(report, 1_001);
    expect(got).toEqual([...Array.from({ length: 1_000 }, (_, i) => ['c', i]), ['c', null]]);
    await started.done;
  });

  it('every item is taken exactly once, FIFO per producer, with 2 producers and 2 consumers elsewhere', async () => {
    const q = new Queue<[string, number] | null>();
    const report = new Queue<[string, [string, number] | null]>();
    const n = 2_000;
    const consumers = ['c1', 'c2'].map((tag) => runner.start(stasks.consume, q, report, tag));
    const producers = ['p1', 'p2'].map((tag) => runner.start(stasks.produce, q, tag, n));
    await Promise.all(producers.map((p) => p.done));
    await q.put(null);
    await q.put(null);
    const got = await take(report, 2 * n + 2);
    await Promise.all(consumers.map((c) => c.done));
    const items = got.filter(([, item]) => item !== null).map(([consumer, item]) => [consumer, ...item!] as [string, string, number]);
    expect(items).toHaveLength(2 * n);
    expect(new Set(items.map(([, producer, i]) => `${producer}:${i}`)).size).toBe(2 * n);
    // Each consumer saw each producer's items in the order they were put.
    for (const consumer of ['c1', 'c2']) {
      for (const producer of ['p1', 'p2']) {
        const seen = items.filter(([c, p]) => c === consumer && p === producer).map(([, , i]) => i);
        expect(seen).toEqual([...seen].sort((a, b) => a - b));
      }
    }
  });

  it('.put() - a producer elsewhere that outruns the owner (one long burst, its socket fills up) loses nothing and keeps its order', async () => {
    const q = new Queue<[string, number]>();
    const n = 200_000;
    const started = runner.start(stasks.produce, q, 'p', n);
    // Taken here, one by one, while the burst arrives: the producer's writes back up behind
    // the owner's reads, and it waits for the socket to drain while its batch keeps growing.
    for (let i = 0; i < n; i++) {
      const [tag, item] = await q.get({ timeout: 20_000 });
      if (tag !== 'p' || item !== i) expect([tag, item]).toEqual(['p', i]);
    }
    await started.done;
    await expect(q.getNowait()).rejects.toBeInstanceOf(Empty);
  });

  it('maxsize - a producer elsewhere waits for room instead of filling the queue', async () => {
    const q = new Queue<number>(2);
    const report = new Queue<number>();
    const started = runner.start(stasks.putReporting, q, 5, report);
    expect(await take(report, 2)).toEqual([0, 1]);
    // The third put waits for room: it is not reported while nothing is taken.
    await expect(report.get({ timeout: 200 })).rejects.toBeInstanceOf(Empty);
    expect(await q.qsize()).toBe(2);
    expect(await q.full()).toBe(true);
    expect(await q.get()).toBe(0);
    expect(await take(report, 1)).toEqual([2]);
    expect(await take(q, 4)).toEqual([1, 2, 3, 4]);
    expect(await take(report, 2)).toEqual([3, 4]);
    await started.done;
  });

  it('.put() - an item that cannot be cloned fails that put with TypeError; the queue keeps working', async () => {
    const q = new Queue<unknown>();
    const report = new Queue<string>();
    const started = runner.start(stasks.putUnclonable, q, report, 'after');
    expect(await report.get()).toBe('TypeError');
    expect(await q.get()).toBe('after');
    await expect(q.put({ fn: () => 1 })).rejects.toBeInstanceOf(TypeError);
    await q.put('still works');
    expect(await q.get()).toBe('still works');
    await started.done;
  });

  it('JoinableQueue - join() waits until every item is marked done by consumers elsewhere', async () => {
    const q = new JoinableQueue<number | null>();
    const report = new Queue<number>();
    const workers = [1, 2].map(() => runner.start(stasks.joinableWorker, q, report));
    for (let i = 0; i < 500; i++) await q.put(i);
    await q.join();
    expect((await take(report, 500)).sort((a, b) => a - b)).toEqual(Array.from({ length: 500 }, (_, i) => i));
    await q.put(null);
    await q.put(null);
    await q.join();
    await Promise.all(workers.map((w) => w.done));
  });

  it('JoinableQueue.taskDone() - called too many times elsewhere: ValueError', async () => {
    const q = new JoinableQueue<number>();
    const report = new Queue<string>();
    await q.put(1);
    const started = runner.start(stasks.taskDoneTooMany, q, report);
    expect(await report.get()).toBe('ValueError: task_done() called too many times');
    await q.join();
    await started.done;
  });

  it('SimpleQueue - put, get and empty across', async () => {
    const q = new SimpleQueue<number | null>();
    const report = new Queue<[string, number | null]>();
    // A SimpleQueue handle works wherever a Queue's does: the consumer uses get() only.
    const started = runner.start(stasks.consume, q as unknown as Queue<number | null>, report, 's');
    expect(await q.empty()).toBe(true);
    await q.put(1);
    await q.put(null);
    expect(await take(report, 2)).toEqual([
      ['s', 1],
      ['s', null],
    ]);
    await started.done;
    q.close();
  });
});

describe('Queue endings in another process', () => {
  const [makeProcesses] = runners;
  let runner = makeProcesses!();
  afterEach(async () => {
    await runner.dispose();
    runner = makeProcesses!();
  });

  it('a consumer killed (SIGKILL) with items pushed to it and not taken loses none of them', async () => {
    const q = new Queue<number>();
    const ready = new Queue<string>();
    const report = new Queue<number>();
    const consumer = runner.start(stasks.takeOneThenHang, q, ready, report);
    expect(await ready.get()).toBe('ready');
    for (let i = 0; i < 20; i++) await q.put(i);
    const taken = await report.get();
    await consumer.kill();
    const rest = await take(q, 19);
    expect([taken, ...rest].sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    await expect(q.getNowait()).rejects.toBeInstanceOf(Empty);
  });

  it('a consumer killed while blocked in get() loses nothing: the next item goes to another consumer', async () => {
    const q = new Queue<number>();
    const ready = new Queue<string>();
    const blocked = runner.start(stasks.blockInGet, q, ready);
    expect(await ready.get()).toBe('ready');
    await blocked.kill();
    const report = new Queue<[string, number | null]>();
    const other = runner.start(stasks.consume, q, report, 'other');
    await q.put(7);
    expect(await report.get({ timeout: 20_000 })).toEqual(['other', 7]);
    await q.put(null as unknown as number);
    await other.done;
  });

  it("the owner of a queue exiting fails every waiting get and put elsewhere with BrokenPipeError; the owner's pipe ends read EOF", async () => {
    const [here, there] = Pipe();
    const owner = runner.start(stasks.ownObjects, there, true);
    // Revived here by the built package (the reviver is built JS): compare errors by name.
    const { q, end } = (await here.recv()) as { q: Queue<string>; end: Connection };
    expect(await q.qsize()).toBe(1);
    const settle = (promise: Promise<unknown>) => promise.then((value) => ({ value }), (error: unknown) => ({ error }));
    const waitingPut = settle(q.put('no room'));
    const waitingRecv = settle(end.recv());
    await owner.kill();
    const named = (name: string): unknown => expect.objectContaining({ name }) as unknown;
    expect(await waitingPut).toEqual({ error: named('BrokenPipeError') });
    expect(((await waitingPut) as { error: Error }).error.message).toMatch(/has exited/);
    expect(await waitingRecv).toEqual({ error: named('EOFError') });
    expect(await settle(q.get())).toEqual({ error: named('BrokenPipeError') });
    expect(await settle(q.put('late'))).toEqual({ error: named('BrokenPipeError') });
    expect(() => end.send('late')).toThrow(/has exited/);
    here.close();
  });
});

describe('Queue', () => {
  it('.get() - Empty at once without block or with getNowait, and after about the timeout', async () => {
    const q = new Queue<number>();
    await expect(q.getNowait()).rejects.toBeInstanceOf(Empty);
    await expect(q.get({ block: false })).rejects.toBeInstanceOf(Empty);
    const started = Date.now();
    await expect(q.get({ timeout: 50 })).rejects.toBeInstanceOf(Empty);
    expect(Date.now() - started).toBeGreaterThanOrEqual(40);
  });

  it('.put() - Full at once on a full queue without block, and after the timeout', async () => {
    const q = new Queue<number>(1);
    await q.putNowait(1);
    await expect(q.putNowait(2)).rejects.toBeInstanceOf(Full);
    await expect(q.put(2, { timeout: 20 })).rejects.toBeInstanceOf(Full);
    expect(await q.get()).toBe(1);
    await q.putNowait(3);
    expect(await q.qsize()).toBe(1);
  });

  it('.put() - a waiting put gets in once an item is taken', async () => {
    const q = new Queue<number>(1);
    await q.put(1);
    const second = q.put(2);
    expect(await q.get()).toBe(1);
    await second;
    expect(await q.get()).toBe(2);
  });

  it('.close() - a closed handle refuses put (ValueError) and get (OSError)', async () => {
    const q = new Queue<number>();
    q.close();
    await expect(q.put(1)).rejects.toBeInstanceOf(ValueError);
    await expect(q.get()).rejects.toBeInstanceOf(OSError);
    await q.joinThread();
    q.cancelJoinThread();
  });

  it('JoinableQueue.taskDone() - ValueError when called more often than items were put', async () => {
    const q = new JoinableQueue<number>();
    expect(() => q.taskDone()).toThrow(new ValueError('task_done() called too many times'));
    await q.put(1);
    await q.get();
    const joined = q.join();
    q.taskDone();
    await joined;
  });

  it('options - unknown keys and bad values are refused with TypeError', async () => {
    const q = new Queue<number>();
    await expect(q.put(1, { blok: false } as object)).rejects.toThrow(TypeError);
    await expect(q.get({ timeout: -1 })).rejects.toThrow();
    expect(() => new Queue(1.5)).toThrow(TypeError);
  });

  it('memory - 1,000,000 items put and taken leave the heap flat', async () => {
    const q = new Queue<{ i: number }>();
    const round = async (): Promise<void> => {
      for (let i = 0; i < 100_000; i++) await q.put({ i });
      for (let i = 0; i < 100_000; i++) await q.get();
    };
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    await round();
    gc();
    const before = process.memoryUsage().heapUsed;
    for (let r = 0; r < 9; r++) await round();
    await sleep(0);
    gc();
    const after = process.memoryUsage().heapUsed;
    expect(await q.qsize()).toBe(0);
    // A million items held would be ~100 MB; the bound leaves room for the runner's own noise.
    expect(after - before).toBeLessThan(8 * 1024 * 1024);
  });
});
