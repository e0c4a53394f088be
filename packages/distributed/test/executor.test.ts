/**
 * DistributedExecutor against a real redis-server (test/redis.ts), with workers in this
 * process (startWorker) and in other node processes (the concurrent-worker command).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, watch, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { asCompleted, CancelledError, type Future, moduleTasks, ThreadPoolExecutor, TimeoutError } from '@concurrent/futures';
import { Queue, QueueEvents } from 'bullmq';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type DistributedWorker, DistributedExecutor, RedisUnavailableError, startWorker } from '../src/index.js';
import type * as Tasks from './fixtures/tasks.mjs';
import { REDIS_BINARY, type RedisServer, startRedis } from './redis.js';

const ROOT = fileURLToPath(new URL('./fixtures/', import.meta.url));
const tasks = moduleTasks<typeof Tasks>(new URL('./fixtures/tasks.mjs', import.meta.url));
const CLI = fileURLToPath(new URL('../dist/cli.js', import.meta.url));

let queues = 0;
const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe.skipIf(REDIS_BINARY === undefined)('DistributedExecutor on a real Redis', () => {
  let redis: RedisServer;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    await redis?.dispose();
  });

  function executor(queue: string, options: Partial<ConstructorParameters<typeof DistributedExecutor>[0]> = {}): DistributedExecutor {
    const ex = new DistributedExecutor({ connection: redis.url, queue, root: ROOT, ...options });
    cleanups.push(() => ex.shutdown({ cancelFutures: true }));
    return ex;
  }
  async function worker(queue: string, options: Partial<Parameters<typeof startWorker>[0]> = {}): Promise<DistributedWorker> {
    const w = await startWorker({ connection: redis.url, queue, root: ROOT, executor: 'loop', concurrency: 2, ...options });
    cleanups.push(() => w.close({ force: true }));
    return w;
  }
  /** A BullMQ event reader of the queue, for latches on what happens to its jobs. */
  async function events(queue: string): Promise<QueueEvents> {
    const e = new QueueEvents(queue, { connection: { host: '127.0.0.1', port: redis.port, maxRetriesPerRequest: null } });
    cleanups.push(() => e.close());
    await e.waitUntilReady();
    return e;
  }
  const newQueue = (): string => `q${String(++queues)}-${String(process.pid)}`;
  /** A concurrent-worker process on `queue` (event loop, one job at a time), once it said it takes jobs; `exited` resolves with its exit code. */
  async function cliWorker(queue: string, extra: readonly string[] = []): Promise<{ cli: ChildProcess; exited: Promise<number | null> }> {
    const cli = spawn(process.execPath, [CLI, '--connection', redis.url, '--queue', queue, '--executor', 'loop', '--concurrency', '1', '--root', ROOT, ...extra], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const exited = new Promise<number | null>((resolve) => cli.once('exit', (code) => resolve(code)));
    cleanups.push(async () => {
      if (cli.exitCode === null && cli.signalCode === null) cli.kill('SIGKILL');
      await exited;
    });
    await new Promise<void>((resolve) => cli.stdout.once('data', () => resolve()));
    return { cli, exited };
  }
  /** A holdUntilGo job's directory, and a latch on the file its task leaves when it starts. */
  function holdDir(): { dir: string; started: Promise<void> } {
    const dir = mkdtempSync(join(tmpdir(), 'concurrent-dist-'));
    const started = new Promise<void>((resolve) => {
      const watcher = watch(dir, () => {
        watcher.close();
        resolve();
      });
    });
    return { dir, started };
  }

  it('runs moduleTasks refs and plain functions on process workers; its futures go with asCompleted beside local ones; values cross by structured clone', async () => {
    const queue = newQueue();
    await worker(queue, { executor: 'process' });
    const ex = executor(queue);
    const local = new ThreadPoolExecutor();
    cleanups.push(() => local.shutdown());
    const futures: Future<unknown>[] = [ex.submit(tasks.fib, 20), local.submit(() => 'local'), ex.submit((a: number, b: number) => a * b, 6, 7)];
    const seen: unknown[] = [];
    for await (const f of asCompleted(futures)) seen.push(await f);
    expect(seen.sort()).toEqual([42, 6765, 'local'].sort());
    const value = new Map<string, bigint>([['big', 2n ** 70n]]);
    expect(await ex.submit(tasks.echo, value)).toEqual(value);
    expect(await ex.map(tasks.fib, [1, 2, 3, 4, 5])).toEqual([1, 1, 2, 3, 5]);
  });

  it('map with chunksize sends one job per chunk; each item keeps its own value or error, in order', async () => {
    const queue = newQueue();
    await worker(queue);
    const ex = executor(queue);
    // Finished jobs stay in Redis (retainMs): their count is the number of jobs sent.
    const q = new Queue(queue, { connection: { host: '127.0.0.1', port: redis.port } });
    cleanups.push(() => q.close());
    expect(await ex.map(tasks.fib, [1, 2, 3, 4, 5, 6, 7], { chunksize: 3 })).toEqual([1, 1, 2, 3, 5, 8, 13]);
    expect(await q.getCompletedCount()).toBe(3);
    // In one chunk, the first call's value comes first, then the second's error ends the iteration.
    const divide = (a: number, b: number): Promise<number> => (b === 0 ? Promise.reject(new RangeError('b is 0')) : Promise.resolve(a / b));
    const seen: unknown[] = [];
    try {
      for await (const v of ex.starmap(divide, [[6, 3], [1, 0]], { chunksize: 2 })) seen.push(v);
    } catch (error) {
      seen.push(error);
    }
    expect(seen[0]).toBe(2);
    expect(seen[1]).toBeInstanceOf(RangeError);
    expect(await q.getCompletedCount()).toBe(4);
  });

  it.each(['loop', 'process'] as const)('progress a task reports on a %s worker reaches its future, in order, the last value before the result', async (kind) => {
    const queue = newQueue();
    await worker(queue, { executor: kind });
    const ex = executor(queue);
    const future = ex.submit(tasks.countTo, 5);
    const seen: unknown[] = [];
    future.addProgressCallback((value) => seen.push(value));
    expect(await future).toBe('counted');
    expect(seen.at(-1)).toBe(5);
    expect(seen).toEqual([...seen].sort((a, b) => (a as number) - (b as number)));
    expect(new Set(seen).size).toBe(seen.length);
  });

  it("a task's error arrives with its class, message, code, cause and stack", async () => {
    const queue = newQueue();
    await worker(queue, { executor: 'process' });
    const ex = executor(queue);
    const error = (await ex.submit(tasks.boom, 'bad input').catch((e: unknown) => e)) as RangeError & { code: string };
    expect(error).toBeInstanceOf(RangeError);
    expect(error.message).toBe('bad input');
    expect(error.code).toBe('E_BOOM');
    expect(error.cause).toBeInstanceOf(TypeError);
    expect((error.cause as Error).message).toBe('the inner cause');
    expect(error.stack).toContain('boom');
  });

  it('cancel() takes back a job no worker has started (true, and it is gone from Redis); a started one cannot be cancelled', async () => {
    const queue = newQueue();
    const watch = await events(queue);
    const ex = executor(queue);
    const waiting = new Promise<string>((resolve) => watch.once('waiting', ({ jobId }) => resolve(jobId)));
    const future = ex.submit(tasks.fib, 10);
    const jobId = await waiting;
    const removed = new Promise<string>((resolve) => watch.once('removed', ({ jobId: id }) => resolve(id)));
    expect(future.cancel()).toBe(true);
    expect(await removed).toBe(jobId);
    await expect(future).rejects.toThrow(CancelledError);
    const q = new Queue(queue, { connection: { host: '127.0.0.1', port: redis.port } });
    cleanups.push(() => q.close());
    expect(await q.getJob(jobId)).toBeUndefined();

    await worker(queue);
    const started = new Promise<void>((resolve) => ex.once('start', () => resolve()));
    const running = ex.submit(tasks.sleepPid, 300);
    await started;
    expect(running.cancel()).toBe(false);
    expect(await running).toBe(process.pid);
  });

  it('submitWith({ timeout }) fails the future with TimeoutError once the job has run that long; { signal } cancels a waiting one', async () => {
    const queue = newQueue();
    await worker(queue);
    const ex = executor(queue);
    await expect(ex.submitWith({ timeout: 100 }, tasks.sleepPid, 3_000)).rejects.toThrow(TimeoutError);
    const controller = new AbortController();
    controller.abort();
    await expect(ex.submitWith({ signal: controller.signal }, tasks.fib, 3)).rejects.toThrow(CancelledError);
  });

  it('attempts: a job that fails once is run again and its future gets the second result', async () => {
    const queue = newQueue();
    await worker(queue);
    const ex = executor(queue, { attempts: 2 });
    const marker = join(mkdtempSync(join(tmpdir(), 'concurrent-dist-')), 'marker');
    expect(await ex.submit(tasks.failOnce, marker)).toBe('second run');
    expect(existsSync(marker)).toBe(true);
    const once = executor(queue);
    const other = join(mkdtempSync(join(tmpdir(), 'concurrent-dist-')), 'marker');
    await expect(once.submit(tasks.failOnce, other)).rejects.toThrow('the first run fails');
  });

  it('a worker process SIGKILLed mid-job: the job runs again on another worker after the stall interval, and the future settles once', async () => {
    const queue = newQueue();
    const ex = executor(queue);
    const { cli, exited } = await cliWorker(queue, ['--lock-duration', '1000', '--stalled-interval', '500']);
    // The task leaves a file when it starts: the latch that it runs in the CLI worker now.
    const { dir, started } = holdDir();
    const future = ex.submit(tasks.holdUntilGo, dir);
    await started;
    expect(readdirSync(dir)).toEqual([`started-${String(cli.pid)}`]);
    cli.kill('SIGKILL');
    await exited;
    writeFileSync(join(dir, 'go'), '');
    await worker(queue, { lockDurationMs: 1_000, stalledIntervalMs: 500 });
    expect(await future).toBe(process.pid);
    expect(ex.pendingJobs).toBe(0);
  });

  it('concurrent-worker on SIGTERM finishes the job it runs (its result arrives), then exits 0', async () => {
    const queue = newQueue();
    const ex = executor(queue);
    const { cli, exited } = await cliWorker(queue);
    const { dir, started } = holdDir();
    const running = ex.submit(tasks.holdUntilGo, dir);
    await started;
    cli.kill('SIGTERM');
    writeFileSync(join(dir, 'go'), '');
    expect(await running).toBe(cli.pid);
    expect(await exited).toBe(0);
  });

  it("a worker's initializer runs in each of its local workers before their first job", async () => {
    const queue = newQueue();
    await worker(queue, { executor: 'process', initializer: tasks.init, initargs: ['ready'] });
    const ex = executor(queue);
    expect(await Promise.all([ex.submit(tasks.readInit), ex.submit(tasks.readInit)])).toEqual(['ready', 'ready']);
  });

  it('two executors on one queue each get their own results', async () => {
    const queue = newQueue();
    await worker(queue);
    const a = executor(queue);
    const b = executor(queue);
    const fa = Array.from({ length: 20 }, (_, i) => a.submit(tasks.echo, `a${String(i)}`));
    const fb = Array.from({ length: 20 }, (_, i) => b.submit(tasks.echo, `b${String(i)}`));
    expect(await Promise.all(fa)).toEqual(Array.from({ length: 20 }, (_, i) => `a${String(i)}`));
    expect(await Promise.all(fb)).toEqual(Array.from({ length: 20 }, (_, i) => `b${String(i)}`));
  });

  it('a job whose result vanished from Redis fails its future instead of leaving it pending', async () => {
    const queue = newQueue();
    const watch = await events(queue);
    const ex = executor(queue, { reconcileMs: 200 });
    const waiting = new Promise<string>((resolve) => watch.once('waiting', ({ jobId }) => resolve(jobId)));
    const future = ex.submit(tasks.fib, 5);
    const jobId = await waiting;
    const q = new Queue(queue, { connection: { host: '127.0.0.1', port: redis.port } });
    cleanups.push(() => q.close());
    await q.remove(jobId);
    await expect(future).rejects.toThrow(/gone from Redis/);
  });
});

describe.skipIf(REDIS_BINARY === undefined)('DistributedExecutor across a Redis restart', () => {
  it('Redis restarted (persistence on) while jobs wait and run: the executor and the worker reconnect and every future settles', async () => {
    const redis = await startRedis({ persistent: true });
    cleanups.push(() => redis.dispose());
    const queue = `restart-${String(process.pid)}`;
    const ex = new DistributedExecutor({ connection: redis.url, queue, root: ROOT, reconcileMs: 500 });
    cleanups.push(() => ex.shutdown({ cancelFutures: true }));
    const w = await startWorker({ connection: redis.url, queue, root: ROOT, executor: 'loop', concurrency: 1 });
    cleanups.push(() => w.close({ force: true }));
    const started = new Promise<void>((resolve) => ex.once('start', () => resolve()));
    const futures = [ex.submit(tasks.sleepPid, 500), ...Array.from({ length: 5 }, (_, i) => ex.submit(tasks.echo, i))];
    await started;
    await redis.stop();
    await redis.start();
    const values = await Promise.all(futures);
    expect(values).toEqual([process.pid, 0, 1, 2, 3, 4]);
    expect(ex.pendingJobs).toBe(0);
  });
});

describe('DistributedExecutor without Redis', () => {
  it('a submit while Redis cannot be reached fails its future with a clear error, within connectTimeoutMs', async () => {
    const ex = new DistributedExecutor({ connection: 'redis://127.0.0.1:1', queue: 'nowhere', connectTimeoutMs: 300 });
    const started = performance.now();
    const error = (await ex.submit(tasks.fib, 3).catch((e: unknown) => e)) as Error;
    expect(error).toBeInstanceOf(RedisUnavailableError);
    expect(error.message).toContain('127.0.0.1:1');
    expect(performance.now() - started).toBeLessThan(10_000);
    await ex.shutdown();
  });

  it('rejects bad options, naming them', () => {
    expect(() => new DistributedExecutor({ connection: 'http://x', queue: 'q' })).toThrow(TypeError);
    expect(() => new DistributedExecutor({ connection: 'redis://x', queue: '' })).toThrow('queue');
    expect(() => new DistributedExecutor({ connection: 'redis://x', queue: 'q', attemps: 2 } as never)).toThrow('attemps');
  });
});
