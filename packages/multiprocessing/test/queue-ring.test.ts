/**
 * A queue between worker threads of its owner's process: their links carry frames through a
 * shared-memory ring pair (sharing/ring.ts), the socket only tells of a death. What must hold
 * there beyond the Queue contract (queue.test.ts runs it between threads too): a thread
 * terminated mid-get or mid-put loses no acknowledged item and hangs no one, a queue used by
 * threads and processes at once keeps its bound and its order, items larger than a ring
 * cross, and nothing keeps a finished thread or program alive.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Worker } from 'node:worker_threads';
import { WorkerThreadPoolExecutor } from '@concurrent/futures';
import { reduceValue } from '@concurrent/futures/internal';
import { afterEach, describe, expect, it } from 'vitest';
import { Empty, JoinableQueue, Lock, Pipe, Queue, Value } from '../src/index.js';
import { runtime } from '../src/sharing/runtime.js';
import { type Runner, runners, stasks } from './fixtures/sharing-harness.js';

const run = promisify(execFile);

async function take<T>(q: Queue<T>, n: number): Promise<T[]> {
  const got: T[] = [];
  for (let i = 0; i < n; i++) got.push(await q.get({ timeout: 20_000 }));
  return got;
}

/** Takes what is in `q` now, until Empty. */
async function drain<T>(q: Queue<T>): Promise<T[]> {
  const got: T[] = [];
  for (;;) {
    try {
      got.push(await q.getNowait());
    } catch (error) {
      if (error instanceof Empty) return got;
      throw error;
    }
  }
}

describe('Queue between worker threads (shared-memory rings)', () => {
  const [makeProcesses, makeThreads] = runners;
  let threads: Runner = makeThreads!();
  let processes: Runner = makeProcesses!();
  /** Executors of one worker each, whose worker a test terminates. */
  const victims: WorkerThreadPoolExecutor[] = [];
  const victim = (): WorkerThreadPoolExecutor => {
    const executor = new WorkerThreadPoolExecutor({ maxWorkers: 1, prefetch: 0 });
    victims.push(executor);
    return executor;
  };
  afterEach(async () => {
    for (const executor of victims.splice(0)) {
      await executor.terminateWorkers();
      await executor.shutdown({ cancelFutures: true });
    }
    await threads.dispose();
    await processes.dispose();
    threads = makeThreads!();
    processes = makeProcesses!();
  });

  it('a worker thread that gets a queue from its owner links to it through a ring; offers stay few however many tasks carry the queue', async () => {
    const q = new Queue<[string, number]>();
    const executor = victim();
    await Promise.all(Array.from({ length: 100 }, (_, i) => executor.submit(stasks.produce, q, String(i), 1)));
    expect((await take(q, 100)).map(([tag]) => Number(tag)).sort((a, b) => a - b)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    expect(await executor.submit(stasks.linkKinds)).toEqual(['ring']);
    // Every task above carried an offer; the worker claimed one and declined the rest, which
    // the owner offered again instead of making new ones.
    expect(runtime().offers.size).toBeLessThanOrEqual(16);
  });

  it('a put that is a job\'s last act arrives, though the pool shuts down (terminating the thread) as soon as the job is done', async () => {
    // The put waits in the thread's link for the end of its turn; the job's outcome could
    // leave first (a job that waited leaves at once), and the shutdown it allowed terminated
    // the thread with the item still in the batch: the get below waited for ever (the launch
    // test's program hung so). Rounds, because the outcome only sometimes came first.
    for (let round = 0; round < 10; round++) {
      const jobs = new Queue<number | null>();
      const results = new Queue<number>();
      const [here, there] = Pipe();
      const lock = new Lock();
      const value = new Value('i', 0);
      const executor = new WorkerThreadPoolExecutor({ maxWorkers: 1 });
      const ran = (async () => {
        try {
          await executor.submit(stasks.consumeThenPut, jobs, results, there, lock, value, 100);
        } finally {
          await executor.shutdown();
        }
      })();
      for (const item of [1, 2, round, null]) await jobs.put(item);
      here.send('ping');
      expect(await results.get({ timeout: 10_000 })).toBe(3 + round);
      await ran;
      expect(await here.recv()).toBe('ping!');
      here.close();
    }
  });

  it('a consumer thread terminated with items pushed to it and not taken loses none of them', async () => {
    const q = new Queue<number>();
    const ready = new Queue<string>();
    const report = new Queue<number>();
    const executor = victim();
    const hanging = executor.submit(stasks.takeOneThenHang, q, ready, report);
    hanging.catch(() => {});
    expect(await ready.get()).toBe('ready');
    for (let i = 0; i < 20; i++) await q.put(i);
    const taken = await report.get();
    await executor.terminateWorkers();
    const rest = await take(q, 19);
    expect([taken, ...rest].sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    await expect(q.getNowait()).rejects.toBeInstanceOf(Empty);
  });

  it('a consumer thread terminated while blocked in get() leaves no other consumer hanging', async () => {
    const q = new Queue<number | null>();
    const ready = new Queue<string>();
    const executor = victim();
    const blocked = executor.submit(stasks.blockInGet, q, ready);
    blocked.catch(() => {});
    expect(await ready.get()).toBe('ready');
    await executor.terminateWorkers();
    const report = new Queue<[string, number | null]>();
    const other = threads.start(stasks.consume, q, report, 'other');
    await q.put(7);
    expect(await report.get({ timeout: 20_000 })).toEqual(['other', 7]);
    await q.put(null);
    await other.done;
  });

  it('a producer thread terminated mid-put loses no put it saw succeed; the items stay in order and the bound frees up', async () => {
    const q = new Queue<number | [string, number]>(4);
    const report = new Queue<number>();
    const executor = victim();
    const producing = executor.submit(stasks.putReporting, q as Queue<number>, 1_000_000, report);
    producing.catch(() => {});
    // The producer always finds the queue full soon: it is mid-put (parked at the owner, or
    // its frame in the ring) most of the time when it is terminated.
    const before = await take(q, 300);
    await executor.terminateWorkers();
    const after = await drain(q);
    const reported = await drain(report);
    const got = [...before, ...after];
    expect(got).toEqual(Array.from({ length: got.length }, (_, i) => i));
    // A put that returned was in the queue: every reported item was taken.
    expect(Math.max(...reported)).toBeLessThan(got.length);
    // The dead producer's waiting put does not hold the bound: others fill it again. Its one
    // put in flight (never answered) may still get in once its thread's close is handled,
    // after all the others it put.
    const next = threads.start(stasks.produce, q as Queue<[string, number]>, 'next', 6);
    const late: unknown[] = [];
    const fresh: unknown[] = [];
    while (fresh.length < 6) {
      const item = await q.get({ timeout: 20_000 });
      (typeof item === 'number' ? late : fresh).push(item);
    }
    expect(fresh).toEqual(Array.from({ length: 6 }, (_, i) => ['next', i]));
    late.push(...(await drain(q)));
    expect([[], [got.length]]).toContainEqual(late);
    await next.done;
  });

  it('maxsize bounds items put by threads and processes at once', async () => {
    const maxsize = 3;
    const q = new Queue<number>(maxsize);
    const report = new Queue<number>();
    const producers = [threads.start(stasks.putReporting, q, 10, report), processes.start(stasks.putReporting, q, 10, report)];
    let reported = 0;
    let taken = 0;
    while (reported < 20) {
      await report.get({ timeout: 20_000 });
      reported++;
      // A put is reported after it returned, so it found room then: no more than maxsize
      // items were waiting beyond those taken by that time, and fewer have been taken since.
      expect(reported).toBeLessThanOrEqual(taken + maxsize);
      expect(await q.qsize()).toBeLessThanOrEqual(maxsize);
      if (reported === taken + maxsize) {
        await q.get({ timeout: 20_000 });
        taken++;
      }
    }
    await take(q, 20 - taken);
    await Promise.all(producers.map((p) => p.done));
  });

  it('every item is taken once, with producers and consumers in threads and processes at once', async () => {
    const q = new Queue<[string, number] | null>(16);
    const report = new Queue<[string, [string, number] | null]>();
    const n = 1_000;
    const consumers = [threads.start(stasks.consume, q, report, 'ct'), processes.start(stasks.consume, q, report, 'cp')];
    const producers = [threads.start(stasks.produce, q, 'pt', n), processes.start(stasks.produce, q, 'pp', n)];
    await Promise.all(producers.map((p) => p.done));
    await q.put(null);
    await q.put(null);
    const got = await take(report, 2 * n + 2);
    await Promise.all(consumers.map((c) => c.done));
    const items = got.filter(([, item]) => item !== null).map(([, item]) => `${item![0]}:${item![1]}`);
    expect(items).toHaveLength(2 * n);
    expect(new Set(items).size).toBe(2 * n);
  });

  it('FIFO per producer: a consumer thread sees the items of producers in a thread, a process and the owner each in order', async () => {
    const q = new Queue<[string, number] | null>(16);
    const report = new Queue<[string, [string, number] | null]>();
    const n = 1_000;
    const consumer = threads.start(stasks.consume, q, report, 'ct');
    const producers = [threads.start(stasks.produce, q, 'pt', n), processes.start(stasks.produce, q, 'pp', n)];
    for (let i = 0; i < n; i++) await q.put(['po', i]);
    await Promise.all(producers.map((p) => p.done));
    await q.put(null);
    const got = await take(report, 3 * n + 1);
    await consumer.done;
    for (const producer of ['pt', 'pp', 'po']) {
      expect(got.filter(([, item]) => item?.[0] === producer).map(([, item]) => item![1])).toEqual(Array.from({ length: n }, (_, i) => i));
    }
  });

  it('JoinableQueue - join() counts the taskDone() of consumer threads on rings', async () => {
    const q = new JoinableQueue<number | null>();
    const report = new Queue<number>();
    const workers = [1, 2].map(() => threads.start(stasks.joinableWorker, q, report));
    for (let i = 0; i < 2_000; i++) await q.put(i);
    await q.join();
    expect(await q.qsize()).toBe(0);
    expect((await take(report, 2_000)).sort((a, b) => a - b)).toEqual(Array.from({ length: 2_000 }, (_, i) => i));
    await q.put(null);
    await q.put(null);
    await q.join();
    await Promise.all(workers.map((w) => w.done));
  });

  it('items larger than a ring cross both ways (the writer waits for room), bytes intact', async () => {
    const size = 1024 * 1024 + 3;
    const down = new Queue<Buffer>();
    const report = new Queue<[number, number]>();
    const summing = threads.start(stasks.sumBuffers, down, 6, report);
    for (let i = 0; i < 6; i++) await down.put(Buffer.alloc(size, i));
    expect(await take(report, 6)).toEqual(Array.from({ length: 6 }, (_, i) => [size, size * i]));
    await summing.done;
    const up = new Queue<Buffer>();
    const putting = threads.start(stasks.putBuffers, up, 6, size);
    const got = await take(up, 6);
    expect(got.map((b) => [b.length, b[0], b[size - 1]])).toEqual(Array.from({ length: 6 }, (_, i) => [size, i, i]));
    await putting.done;
  });

  it('Empty and Full after their timeouts in a worker thread on a ring', async () => {
    const q = new Queue<number>(1);
    await q.put(1);
    expect(await threads.start(stasks.timeouts, q).done.then(() => 'ok')).toBe('ok');
  });

  it('a bare worker thread whose link waits on a ring exits by itself once its work is done', async () => {
    const inbox = new Queue<number>();
    const outbox = new Queue<number>();
    const reduced = reduceValue({ inbox, outbox }, 'thread')!;
    await inbox.put(21);
    const worker = new Worker(new URL('./fixtures/ring-worker.mjs', import.meta.url), { workerData: reduced });
    const exited = new Promise<number>((resolve) => worker.once('exit', resolve));
    expect(await outbox.get({ timeout: 20_000 })).toBe(42);
    const timer = setTimeout(() => void worker.terminate(), 20_000);
    // Exit code 0: it ended by itself, not by the terminate() above (which gives 1).
    expect(await exited).toBe(0);
    clearTimeout(timer);
  });

  it('an idle queue shared with worker threads never keeps a finished program alive', async () => {
    const file = fileURLToPath(new URL('./fixtures/sharing-idle-threads.mjs', import.meta.url));
    const { stdout } = await run(process.execPath, [file], { timeout: 30_000 });
    expect(JSON.parse(stdout)).toEqual([['idle', 1], ['idle', null], ['ring']]);
  });
});
