/**
 * What only the process Pool does: workers are real children that can die, be recycled and
 * be initialized one by one; and imap over a huge input in bounded memory.
 */
import { WorkerExitError } from '@concurrent/futures';
import { afterEach, describe, expect, it } from 'vitest';
import { pidExists, PoolTracker, tasks } from './fixtures/harness.js';

const tracker = new PoolTracker();
afterEach(() => tracker.dispose());

describe('Pool', () => {
  it('.applyAsync() - a worker killed mid-task fails that result with a clear error, and the pool goes on', async () => {
    const { pool, pids } = tracker.make('Pool', 1);
    const errors: unknown[] = [];
    const result = pool.applyAsync(tasks.killSelf, [], { errorCallback: (e) => errors.push(e) });
    const error = await result.get().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WorkerExitError);
    expect((error as WorkerExitError).signal).toBe('SIGKILL');
    expect((error as Error).message).toMatch(/exited with signal SIGKILL/);
    expect(errors).toEqual([error]);
    // A new worker took its place.
    expect(await pool.apply(tasks.square, [4])).toBe(16);
    expect(pids()).toHaveLength(2);
  });

  it('.map() - a worker killed by another process mid-chunk fails the map, no hang', async () => {
    const { pool } = tracker.make('Pool', 2);
    const scratch = await tracker.scratch();
    const mark = scratch.path('mark');
    const result = pool.mapAsync(tasks.gated, [{ mark, gate: scratch.gate().path, value: 'never' }]);
    await scratch.waitFor(mark);
    const pid = Number(await scratch.read(mark));
    process.kill(pid, 'SIGKILL');
    await expect(result.get()).rejects.toBeInstanceOf(WorkerExitError);
    expect(await pool.map(tasks.square, [1, 2, 3], { chunksize: 2 })).toEqual([1, 4, 9]);
  });

  it('.imap() - a worker killed mid-chunk throws at that chunk', async () => {
    const { pool } = tracker.make('Pool', 2);
    const iterator = pool.imap((x: number) => (x === 5 ? process.kill(process.pid, 'SIGKILL') : x), [1, 2, 5, 6], { chunksize: 2 });
    expect(await iterator.next()).toEqual({ done: false, value: 1 });
    expect(await iterator.next()).toEqual({ done: false, value: 2 });
    await expect(iterator.next()).rejects.toBeInstanceOf(WorkerExitError);
  });

  it('maxtasksperchild - a worker is replaced after N tasks; a map chunk counts as one', async () => {
    const { pool } = tracker.make('Pool', { processes: 1, maxtasksperchild: 2 });
    const pids: number[] = [];
    for (let i = 0; i < 6; i++) pids.push(await pool.apply(tasks.pid));
    expect(pids[0]).toBe(pids[1]);
    expect(pids[2]).toBe(pids[3]);
    expect(pids[4]).toBe(pids[5]);
    expect(new Set(pids).size).toBe(3);
    const chunked = await pool.map((_: number) => process.pid, [0, 1, 2, 3, 4, 5], { chunksize: 3 });
    expect(new Set(chunked).size).toBeLessThanOrEqual(2);
    expect(new Set(chunked.slice(0, 3)).size).toBe(1);
  });

  it('initializer - runs once in each worker', async () => {
    const { pool } = tracker.make('Pool', { processes: 2, initializer: tasks.init, initargs: ['init'] });
    const reads = await Promise.all(Array.from({ length: 8 }, () => pool.apply(tasks.readInit)));
    for (const read of reads) {
      expect(read.value).toBe('init');
      expect(read.initCount).toBe(1);
    }
  });

  it('.join() - every worker has exited when join resolves', async () => {
    const { pool, pids } = tracker.make('Pool', 2);
    await pool.map(tasks.square, Array.from({ length: 100 }, (_, i) => i), { chunksize: 1 });
    pool.close();
    await pool.join();
    expect(pids().length).toBeGreaterThan(0);
    expect(pids().filter(pidExists)).toEqual([]);
  });

  it('.terminate() - every worker is gone when it resolves', async () => {
    const { pool, pids } = tracker.make('Pool', 2);
    const scratch = await tracker.scratch();
    const mark = scratch.path('mark');
    const result = pool.applyAsync(tasks.gated, [{ mark, gate: scratch.gate().path, value: 'x' }]);
    await scratch.waitFor(mark);
    await pool.terminate();
    expect(pids().filter(pidExists)).toEqual([]);
    expect(result.ready()).toBe(true);
  });

  it('.imapUnordered() - 1,000,000 items in bounded memory: items read and not yet handed out never exceed buffersize × chunksize', async () => {
    const { pool } = tracker.make('Pool', 2);
    const TOTAL = 1_000_000;
    const chunksize = 1_000;
    const buffersize = 8;
    const bound = chunksize * buffersize;
    let pulled = 0;
    let consumed = 0;
    let maxAhead = 0;
    function* input(): Generator<number> {
      for (let i = 0; i < TOTAL; i++) {
        pulled++;
        maxAhead = Math.max(maxAhead, pulled - consumed);
        yield i;
      }
    }
    const heapBefore = process.memoryUsage().heapUsed;
    let heapMax = heapBefore;
    let sum = 0;
    for await (const value of pool.imapUnordered(tasks.identity, input(), { chunksize, buffersize })) {
      consumed++;
      sum += value as number;
      if (consumed % 50_000 === 0) heapMax = Math.max(heapMax, process.memoryUsage().heapUsed);
    }
    expect(consumed).toBe(TOTAL);
    expect(sum).toBe((TOTAL * (TOTAL - 1)) / 2);
    expect(maxAhead).toBeLessThanOrEqual(bound);
    expect(maxAhead).toBeGreaterThan(0);
    // For the record (not asserted: GC timing is not ours): the heap growth over the run.
    console.log(`imapUnordered 1M: at most ${maxAhead} items ahead (bound ${bound}); heap grew at most ${((heapMax - heapBefore) / 2 ** 20).toFixed(1)} MiB`);
  }, 120_000);

  it('.imap() - an infinite input works, and only a bounded prefix of it is read', async () => {
    const { pool } = tracker.make('Pool', 2);
    let pulled = 0;
    function* naturals(): Generator<number> {
      for (let i = 0; ; i++) {
        pulled++;
        yield i;
      }
    }
    const out: number[] = [];
    for await (const value of pool.imap(tasks.square, naturals(), { chunksize: 10, buffersize: 4 })) {
      out.push(value);
      expect(pulled - out.length).toBeLessThanOrEqual(40);
      if (out.length === 100) break;
    }
    expect(out).toEqual(Array.from({ length: 100 }, (_, i) => i * i));
  });
});
