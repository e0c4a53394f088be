/**
 * Every options object of the public API rejects a key it does not know, as the constructors
 * always did (issue 16): the TypeError names the key, suggests the known key it most likely
 * meant (a Python snake_case spelling gets its camelCase one), and lists the known keys.
 * Also the two spellings of `maxTasksPerChild` (decision 0011).
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  asCompleted,
  type Executor,
  FIRST_EXCEPTION,
  Future,
  ProcessPoolExecutor,
  ThreadPoolExecutor,
  wait,
  WorkerThreadPoolExecutor,
} from '../src/index.js';
import { checkOptionKeys } from '../src/internal/validate.js';
import { loose } from './fixtures/harness.js';

const executors: Executor[] = [];
afterEach(async () => {
  await Promise.all(executors.splice(0).map((executor) => executor.shutdown({ cancelFutures: true })));
});

function threadPool(): ThreadPoolExecutor {
  const executor = new ThreadPoolExecutor({ maxWorkers: 2 });
  executors.push(executor);
  return executor;
}

const double = (x: number): number => x * 2;

describe('checkOptionKeys', () => {
  it('checkOptionKeys - a snake_case key is named with its camelCase spelling', () => {
    expect(() => checkOptionKeys({ cancel_futures: true }, ['wait', 'cancelFutures'], 'shutdown()')).toThrow(
      'shutdown(): unknown option `cancel_futures` (did you mean `cancelFutures`?); known options are wait, cancelFutures',
    );
  });

  it('checkOptionKeys - a snake_case key that is not an option under either spelling says so', () => {
    expect(() => checkOptionKeys({ max_size: 1 }, ['wait', 'cancelFutures'], 'shutdown()')).toThrow(
      'shutdown(): unknown option `max_size` (in camelCase `maxSize`, which is not an option here either); known options are wait, cancelFutures',
    );
  });

  it('checkOptionKeys - a one- or two-letter typo gets the nearest key; a far-off key only the list', () => {
    expect(() => checkOptionKeys({ timout: 1 }, ['timeout'], 'asCompleted()')).toThrow('(did you mean `timeout`?)');
    expect(() => checkOptionKeys({ bufersize: 1 }, ['timeout', 'chunksize', 'buffersize'], 'map()')).toThrow(
      '(did you mean `buffersize`?)',
    );
    expect(() => checkOptionKeys({ color: 'red' }, ['timeout'], 'asCompleted()')).toThrow(
      'asCompleted(): unknown option `color`; known options are timeout',
    );
  });

  it('checkOptionKeys - a key in the wrong case (Pool spelling on an executor) gets the right one', () => {
    expect(() => checkOptionKeys({ maxworkers: 2 }, ['maxWorkers'], 'ThreadPoolExecutor')).toThrow('(did you mean `maxWorkers`?)');
  });
});

describe('method options reject unknown keys', () => {
  it('.shutdown() - rejects cancel_futures, naming cancelFutures, and shuts nothing down', async () => {
    const executor = threadPool();
    await expect(executor.shutdown(loose({ cancel_futures: true }))).rejects.toThrow(TypeError);
    await expect(executor.shutdown(loose({ cancel_futures: true }))).rejects.toThrow(
      /unknown option `cancel_futures` \(did you mean `cancelFutures`\?\); known options are wait, cancelFutures/,
    );
    expect(executor.isShutdown).toBe(false);
  });

  it('wait() - rejects return_when, naming returnWhen, synchronously', () => {
    const future = new Future<number>();
    expect(() => wait([future], loose({ return_when: FIRST_EXCEPTION }))).toThrow(
      'wait(): unknown option `return_when` (did you mean `returnWhen`?); known options are timeout, returnWhen',
    );
    expect(() => wait([future], loose(null))).toThrow('wait() expects an options object, got `null` (null)');
  });

  it('asCompleted() - rejects timout, naming timeout, synchronously', () => {
    expect(() => asCompleted([new Future()], loose({ timout: 1 }))).toThrow(
      'asCompleted(): unknown option `timout` (did you mean `timeout`?); known options are timeout',
    );
  });

  it('.map() - rejects chunk_size, naming chunksize, at the call and before submitting anything', () => {
    const executor = threadPool();
    let submitted = 0;
    executor.on('submit', () => submitted++);
    expect(() => executor.map(double, [1, 2, 3], loose({ chunk_size: 2 }))).toThrow(
      'map(): unknown option `chunk_size` (did you mean `chunksize`?); known options are timeout, chunksize, buffersize',
    );
    expect(() => executor.starmap(Math.pow, [[2, 3]], loose({ buffer_size: 2 }))).toThrow(
      'starmap(): unknown option `buffer_size` (did you mean `buffersize`?)',
    );
    expect(submitted).toBe(0);
  });

  it(".map() - a second iterable (Python's ex.map(fn, xs, ys)) is refused, pointing to starmap", () => {
    const executor = threadPool();
    expect(() => executor.map(double, [1, 2], loose([3, 4]))).toThrow(TypeError);
    expect(() => executor.map(double, [1, 2], loose([3, 4]))).toThrow(/pass argument arrays to starmap\(\)/);
  });

  it('.map() - known keys still work', async () => {
    const executor = threadPool();
    expect(await executor.map(double, [1, 2, 3], { chunksize: 2, buffersize: 1, timeout: 5_000 }).toArray()).toEqual([2, 4, 6]);
  });

  it('.submitWith() - rejects timout, naming timeout, and creates no future', () => {
    const executor = threadPool();
    let submitted = 0;
    executor.on('submit', () => submitted++);
    expect(() => executor.submitWith(loose({ timout: 5 }), double, 1)).toThrow(
      'submitWith(): unknown option `timout` (did you mean `timeout`?); known options are signal, timeout, transfer',
    );
    expect(submitted).toBe(0);
  });

  it('WorkerThreadPoolExecutor - resourceLimits rejects a key that Node would silently ignore', () => {
    const make = (): WorkerThreadPoolExecutor =>
      new WorkerThreadPoolExecutor({ maxWorkers: 1, resourceLimits: loose({ maxOldSpaceSizeMb: 64 }) });
    expect(make).toThrow(TypeError);
    expect(make).toThrow(/resourceLimits`: unknown option `maxOldSpaceSizeMb`; known options are maxOldGenerationSizeMb/);
  });
});

describe("ProcessPoolExecutor - maxtasksperchild, multiprocessing.Pool's spelling (decision 0011)", () => {
  function pool(options: ConstructorParameters<typeof ProcessPoolExecutor>[0]): ProcessPoolExecutor {
    const executor = new ProcessPoolExecutor(options);
    executors.push(executor);
    return executor;
  }

  it('constructor - accepts maxtasksperchild and recycles by it', async () => {
    const executor = pool({ maxWorkers: 1, maxtasksperchild: 1, prefetch: 0 });
    const pid = (): number => process.pid;
    const first = await executor.submit(pid);
    const second = await executor.submit(pid);
    expect(second).not.toBe(first);
  });

  it('constructor - validates maxtasksperchild under its own name', () => {
    expect(() => pool({ maxtasksperchild: 0 })).toThrow(RangeError);
    expect(() => pool({ maxtasksperchild: 0 })).toThrow(/`maxtasksperchild`/);
  });

  it('constructor - both spellings at once is a TypeError naming both', () => {
    expect(() => pool({ maxTasksPerChild: 2, maxtasksperchild: 3 })).toThrow(TypeError);
    expect(() => pool({ maxTasksPerChild: 2, maxtasksperchild: 3 })).toThrow(
      'ProcessPoolExecutor: `maxTasksPerChild` and `maxtasksperchild` are two spellings of the same option; give one, got `2` (number) and `3` (number)',
    );
  });
});
