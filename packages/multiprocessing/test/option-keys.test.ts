/**
 * What a Python user trips over first (issue 16), for `Pool` and `ThreadPool`: every options
 * object rejects a key it does not know, naming the camelCase spelling of a snake_case one;
 * `maxTasksPerChild` (the executors' spelling) is accepted beside Python's
 * `maxtasksperchild` (decision 0011); and errors name the method that was called.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { type BasePool, Pool, ThreadPool } from '../src/index.js';
import { loose, type PoolKind, PoolTracker, tasks } from './fixtures/harness.js';

const tracker = new PoolTracker();
afterEach(() => tracker.dispose());

describe.each<PoolKind>(['Pool', 'ThreadPool'])('%s', (kind) => {
  const make = (processes = 2): BasePool => tracker.make(kind, processes).pool;

  it('.applyAsync() - rejects error_callback, naming errorCallback; nothing is submitted', () => {
    const pool = make();
    expect(() => pool.applyAsync(tasks.square, [2], loose({ error_callback: () => undefined }))).toThrow(
      'applyAsync(): unknown option `error_callback` (did you mean `errorCallback`?); known options are callback, errorCallback',
    );
  });

  it('.map() / .starmap() - reject chunk_size, naming chunksize (and callbacks, which only the Async forms take)', async () => {
    const pool = make();
    await expect(pool.map(tasks.square, [1, 2], loose({ chunk_size: 1 }))).rejects.toThrow(
      'map(): unknown option `chunk_size` (did you mean `chunksize`?); known options are chunksize',
    );
    await expect(pool.starmap(tasks.add, [[1, 2]], loose({ callback: () => undefined }))).rejects.toThrow(
      'starmap(): unknown option `callback`; known options are chunksize',
    );
    expect(await pool.map(tasks.square, [1, 2, 3], { chunksize: 2 })).toEqual([1, 4, 9]);
  });

  it(".map() - a second iterable (Python's pool.map(f, xs, ys)) is refused, pointing to starmap", async () => {
    const pool = make();
    await expect(pool.map(tasks.square, [1, 2], loose([3, 4]))).rejects.toThrow(/map\(\) expects an options object, got the iterable .*starmap\(\)/);
  });

  it('.mapAsync() / .starmapAsync() - reject error_callback, naming errorCallback', () => {
    const pool = make();
    expect(() => pool.mapAsync(tasks.square, [1], loose({ error_callback: () => undefined }))).toThrow(
      'mapAsync(): unknown option `error_callback` (did you mean `errorCallback`?); known options are chunksize, callback, errorCallback',
    );
    expect(() => pool.starmapAsync(tasks.add, [[1, 2]], loose({ chunk_size: 1 }))).toThrow(
      'starmapAsync(): unknown option `chunk_size` (did you mean `chunksize`?)',
    );
  });

  it('.imap() / .imapUnordered() - reject buffer_size, naming buffersize', () => {
    const pool = make();
    expect(() => pool.imap(tasks.square, [1], loose({ buffer_size: 2 }))).toThrow(
      'imap(): unknown option `buffer_size` (did you mean `buffersize`?); known options are chunksize, buffersize',
    );
    expect(() => pool.imapUnordered(tasks.square, [1], loose({ chunksize: 1, timeout: 5 }))).toThrow(
      'imapUnordered(): unknown option `timeout`; known options are chunksize, buffersize',
    );
  });

  it('.apply() - a bare argument names apply(), the method called (not applyAsync)', async () => {
    const pool = make();
    await expect(pool.apply(tasks.square, loose(7))).rejects.toThrow(TypeError);
    await expect(pool.apply(tasks.square, loose(7))).rejects.toThrow(
      "apply() expects its arguments as an array (Python's args tuple), got `7` (number); for one argument, wrap it: [value]",
    );
    await expect(pool.apply(loose<typeof tasks.square>('square'), [7])).rejects.toThrow(/^apply\(\) expects a function/);
    expect(() => pool.applyAsync(tasks.square, loose(7))).toThrow(/^applyAsync\(\) expects its arguments as an array/);
  });

  it(".apply() - a third argument (Python's kwds) is refused, not ignored", async () => {
    const pool = make();
    const apply = pool.apply.bind(pool) as (...args: unknown[]) => Promise<unknown>;
    await expect(apply(tasks.square, [7], { x: 1 })).rejects.toThrow(
      /apply\(\) takes a task and its argument array, got a third argument .*there are no keyword arguments/,
    );
  });

  it('.map() / .starmap() - a bad task or input names map() / starmap(), not mapAsync()', async () => {
    const pool = make();
    await expect(pool.map(loose<typeof tasks.square>('square'), [1])).rejects.toThrow(/^map\(\) expects a function/);
    await expect(pool.starmap(tasks.add, loose(5))).rejects.toThrow(/^starmap\(\) expects an iterable/);
  });

  it("constructor - a snake_case option names its spelling here", () => {
    const P = kind === 'Pool' ? Pool : ThreadPool;
    expect(() => new P(loose({ process: 2 }))).toThrow(/unknown option `process` \(did you mean `processes`\?\)/);
    expect(() => new P(loose({ init_args: [] }))).toThrow(/unknown option `init_args` \(did you mean `initargs`\?\)/);
  });
});

describe("Pool - maxTasksPerChild, the executors' spelling (decision 0011)", () => {
  it('constructor - accepts maxTasksPerChild and recycles by it', async () => {
    const { pool } = tracker.track(new Pool({ processes: 1, maxTasksPerChild: 1 }));
    const first = await pool.apply(tasks.pid);
    const second = await pool.apply(tasks.pid);
    expect(second).not.toBe(first);
  });

  it('constructor - validates maxTasksPerChild under its own name', () => {
    expect(() => new Pool({ maxTasksPerChild: 0 })).toThrow(RangeError);
    expect(() => new Pool({ maxTasksPerChild: 0 })).toThrow(/`maxTasksPerChild` .*`0` \(number\)/);
  });

  it('constructor - both spellings at once is a TypeError naming both', () => {
    expect(() => new Pool({ maxtasksperchild: 2, maxTasksPerChild: 2 })).toThrow(
      'Pool: `maxtasksperchild` and `maxTasksPerChild` are two spellings of the same option; give one, got `2` (number) and `2` (number)',
    );
  });

  it('ThreadPool - takes neither spelling, as Python\'s ThreadPool takes none', () => {
    expect(() => new ThreadPool(loose({ maxTasksPerChild: 2 }))).toThrow(/unknown option `maxTasksPerChild`/);
  });
});
