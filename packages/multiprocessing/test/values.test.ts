/**
 * Value, RawValue, SharedArray and RawArray: the contract in one thread, then with the other
 * side in child processes and in worker threads (the counter first), then the ways
 * they travel (nested in a pool task's arguments, inside a Queue item), then the README's
 * example.
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { inspect, promisify } from 'node:util';
import { moduleTasks, ProcessPoolExecutor, WorkerThreadPoolExecutor } from '@concurrent/futures';
import { afterEach, describe, expect, it } from 'vitest';
import { Lock, Pool, Process, Queue, RawArray, RawValue, RLock, SharedArray, type Storable, type Typecode, Value, ValueError } from '../src/index.js';
import { type Runner, runnerNames } from './fixtures/sharing-harness.js';
import type * as ValueTasks from './fixtures/value-tasks.mjs';

const vtasks = moduleTasks<typeof ValueTasks>(new URL('./fixtures/value-tasks.mjs', import.meta.url));

/** Each typecode with values at the edges of its range, and what the other side writes back. */
const EDGES: [Typecode, Storable<Typecode>, Storable<Typecode>][] = [
  ['b', -128, 127],
  ['B', 255, 0],
  ['h', -32768, 32767],
  ['H', 65535, 1],
  ['i', -(2 ** 31), 2 ** 31 - 1],
  ['I', 2 ** 32 - 1, 7],
  ['l', -(2n ** 63n), 2n ** 63n - 1n],
  ['L', 2n ** 64n - 1n, 3n],
  ['q', 2n ** 63n - 1n, -(2n ** 63n)],
  ['Q', 2n ** 64n - 1n, 12345678901234567890n],
  ['f', 0.1, -2.5],
  ['d', 0.1, Number.MAX_VALUE],
];

describe('Value in one thread', () => {
  it.each(EDGES)("new Value('%s') - holds the edges of its range", (code, low, high) => {
    const v = new Value(code, low);
    expect(v.typecode).toBe(code);
    v.value = high;
    expect(v.value).toBe(code === 'f' ? Math.fround(high as number) : high);
  });

  it('.value - 0 by default; bigint for l L q Q, which also take a safe integer number', () => {
    expect(new Value('i').value).toBe(0);
    expect(new Value('q').value).toBe(0n);
    const q = new Value('q', 5);
    expect(q.value).toBe(5n);
    q.value = -9;
    expect(q.value).toBe(-9n);
  });

  it(".value - 'f' is a float32: 0.1 reads back as the nearest float32", () => {
    const f = new Value('f', 0.1);
    expect(f.value).toBe(Math.fround(0.1));
    expect(f.value).not.toBe(0.1);
    expect(new Value('d', 0.1).value).toBe(0.1);
  });

  it('new Value() - a wrong typecode, a value of the wrong kind, out of range, and bad options throw clearly', () => {
    expect(() => new Value('x' as Typecode)).toThrow(/expected `typecode` to be one of 'b', 'B'.*got `'x'` \(string\)/);
    expect(() => new Value('u' as Typecode)).toThrow(/'u', c_wchar, is not supported/);
    expect(() => new Value('i', 1.5)).toThrow(new TypeError("new Value('i', …): expected an integer for typecode 'i' (int), got `1.5` (number)"));
    expect(() => new Value('b', 128)).toThrow(new RangeError("new Value('b', …): 128 is out of range for typecode 'b' (signed char, -128 to 127)"));
    expect(() => new Value('Q', -1n)).toThrow(RangeError);
    expect(() => new Value('q', 2 ** 60)).toThrow(/safe integer/);
    expect(() => new Value('d', '1' as never)).toThrow(TypeError);
    expect(() => new Value('i', 0, { lock: 'yes' as never })).toThrow(/expected `lock` to be a boolean, or a Lock or RLock/);
    expect(() => new Value('i', 0, { lokc: true } as never)).toThrow(/lokc.*did you mean `lock`/);
    const v = new Value('H', 1);
    expect(() => (v.value = 65536)).toThrow(new RangeError("Value('H').value: 65536 is out of range for typecode 'H' (unsigned short, 0 to 65535)"));
    expect(() => (v.value = Number.NaN)).toThrow(TypeError);
    expect(v.value).toBe(1);
  });

  it('.getLock() - a new RLock by default, the given Lock, none with { lock: false }', async () => {
    expect(new Value('i').getLock()).toBeInstanceOf(RLock);
    const lock = new Lock();
    const a = new Value('i', 0, { lock });
    const b = new Value('d', 0, { lock });
    expect(a.getLock()).toBe(lock);
    expect(b.getLock()).toBe(lock);
    await a.getLock().acquire();
    expect(await b.getLock().acquire({ blocking: false })).toBe(false);
    lock.release();
    expect(() => new Value('i', 0, { lock: false }).getLock()).toThrow(/made with \{ lock: false \} and has no lock/);
  });

  it('new Value() - any lock with acquire() and release() guards it here; only ours can travel', () => {
    const v = new Value('i', 0, { lock: { acquire: () => Promise.resolve(true), release: () => {} } });
    expect(() => new Process({ target: vtasks.noLockThere, args: [v, new Queue()] }).start()).toThrow(
      /Value\('i'\) cannot be sent: its lock .* is not a Lock or RLock of @concurrent\/multiprocessing, and cannot travel/,
    );
  });

  it('.getObj() - a RawValue over the same memory, the same object each time', () => {
    const v = new Value('i', 3);
    const raw = v.getObj();
    expect(raw).toBeInstanceOf(RawValue);
    expect(v.getObj()).toBe(raw);
    raw.value = 42;
    expect(v.value).toBe(42);
    expect(inspect(v)).toBe("Value('i', 42)");
    expect(inspect(new RawValue('q', 1n))).toBe("RawValue('q', 1n)");
  });
});

describe('SharedArray in one thread', () => {
  it('new SharedArray() - a size gives zeros, an iterable gives its items', () => {
    expect(new SharedArray('i', 3).toArray()).toEqual([0, 0, 0]);
    expect(new SharedArray('d', new Set([0.5, 1.5])).toArray()).toEqual([0.5, 1.5]);
    expect(new SharedArray('Q', [1n, 2]).toArray()).toEqual([1n, 2n]);
    expect(new RawArray('b', 0).length).toBe(0);
  });

  it('arr[i] - reads and writes; length, iteration, Array.from, JSON, in', () => {
    const a = new SharedArray('i', [1, 2, 3]);
    a[1] = 20;
    a[2]! += 1;
    expect(a[0]).toBe(1);
    expect(a.length).toBe(3);
    expect([...a]).toEqual([1, 20, 4]);
    expect(Array.from(a)).toEqual([1, 20, 4]);
    expect(JSON.stringify({ a })).toBe('{"a":[1,20,4]}');
    expect(1 in a).toBe(true);
    expect(3 in a).toBe(false);
    expect(a.at(-1)).toBe(4);
    expect(a).toBeInstanceOf(SharedArray);
    expect(inspect(a)).toBe("SharedArray('i', [ 1, 20, 4 ])");
  });

  it('.slice() and .setSlice() - Python slices: negative and clamped indices, same size required', () => {
    const a = new SharedArray('h', [0, 1, 2, 3, 4]);
    expect(a.slice(1, 3)).toEqual([1, 2]);
    expect(a.slice(-2)).toEqual([3, 4]);
    expect(a.slice(3, 100)).toEqual([3, 4]);
    a.setSlice(1, 3, [7, 8]);
    a.setSlice(-1, undefined, [9]);
    expect(a.toArray()).toEqual([0, 7, 8, 3, 9]);
    expect(() => a.setSlice(0, 2, [1, 2, 3])).toThrow(new ValueError('Can only assign sequence of same size'));
    // Checked before any is written.
    expect(() => a.setSlice(0, 2, [5, 1e9])).toThrow(RangeError);
    expect(a.toArray()).toEqual([0, 7, 8, 3, 9]);
  });

  it('arr[i] - out of range, a value of the wrong kind or out of range, and other properties throw clearly', () => {
    const a = new SharedArray('B', 2);
    expect(() => a[2]).toThrow(new RangeError('SharedArray index out of range: 2 (length 2)'));
    expect(() => a[-1]).toThrow(/out of range: -1 \(length 2\); \.at\(\) counts from the end/);
    expect(() => (a[5] = 1)).toThrow(RangeError);
    expect(() => (a[0] = 256)).toThrow(new RangeError("SharedArray('B')[0]: 256 is out of range for typecode 'B' (unsigned char, 0 to 255)"));
    expect(() => (a[0] = 0.5)).toThrow(TypeError);
    expect(() => ((a as unknown as { length: number }).length = 5)).toThrow(/only its elements can be assigned/);
    expect(() => new SharedArray('i', 1.5)).toThrow(/whole number of elements or an iterable/);
    expect(() => new SharedArray('i', -1)).toThrow(RangeError);
    expect(() => new SharedArray('i', [1, 'two'] as never)).toThrow(/initializer\[1\]: expected an integer/);
    expect(a.toArray()).toEqual([0, 0]);
  });

  it('.asTypedArray() - the same memory as a typed array', () => {
    const a = new SharedArray('d', 2);
    const cells = a.asTypedArray();
    expect(cells).toBeInstanceOf(Float64Array);
    cells[1] = 2.5;
    expect(a[1]).toBe(2.5);
  });

  it('.getLock() and .getObj() - as for Value', () => {
    const lock = new RLock();
    const a = new SharedArray('i', [5], { lock });
    expect(a.getLock()).toBe(lock);
    const raw = a.getObj();
    expect(raw).toBeInstanceOf(RawArray);
    raw[0] = 6;
    expect(a[0]).toBe(6);
    expect(() => new SharedArray('i', 1, { lock: false }).getLock()).toThrow(/no lock/);
  });
});

describe.each(runnerNames)('Value and SharedArray $name', ({ make }) => {
  let runner: Runner = make();
  afterEach(async () => {
    await runner.dispose();
    runner = make();
  });

  it("the issue's counter: 10 × 1,000 increments under the value's own lock make 10000", async () => {
    const counter = new Value('i', 0);
    const started = Array.from({ length: 10 }, () => runner.start(vtasks.addMany, counter, 1_000));
    await Promise.all(started.map((s) => s.done));
    expect(counter.value).toBe(10_000);
  });

  it('every typecode round-trips: read there, written there, read here', async () => {
    const values = EDGES.map(([code, low], i) => (i % 2 === 0 ? new Value(code, low) : new RawValue(code, low)));
    const report = new Queue<[string, unknown][]>();
    await runner.start(
      vtasks.readThenWrite,
      values,
      EDGES.map(([, , high]) => high),
      report,
    ).done;
    expect(await report.get()).toEqual(EDGES.map(([code, low]) => [code, code === 'f' ? Math.fround(low as number) : low]));
    expect(values.map((v) => v.value)).toEqual(EDGES.map(([code, , high]) => (code === 'f' ? Math.fround(high as number) : high)));
  });

  it.each([
    ['SharedArray', () => new SharedArray('i', [3, 1, 4, 1, 5])],
    ['RawArray', () => new RawArray('i', [3, 1, 4, 1, 5])],
  ] as const)('%s - index, slice and iteration there; writes there seen here', async (_, makeArray) => {
    const arr = makeArray();
    const report = new Queue();
    await runner.start(vtasks.arrayThere, arr, report).done;
    expect(await report.get()).toEqual({ length: 5, items: [3, 1, 4, 1, 5], first: 3, slice: [1, 4, 1], sum: 14, from: [3, 1, 4, 1, 5] });
    expect(arr.toArray()).toEqual([0, 7, 8, 9, 16]);
  });

  it('SharedArray - the errors there are the errors here', async () => {
    const report = new Queue<string[]>();
    await runner.start(vtasks.arrayErrors, new SharedArray('i', 2), report).done;
    expect(await report.get()).toEqual([
      'RangeError: SharedArray index out of range: 2 (length 2)',
      "TypeError: SharedArray('i')[0]: expected an integer for typecode 'i' (int), got `1.5` (number)",
      "RangeError: SharedArray('i')[0]: 1099511627776 is out of range for typecode 'i' (int, -2147483648 to 2147483647)",
      'ValueError: Can only assign sequence of same size',
    ]);
  });

  it.each([
    ['Value', (lock: Lock | RLock) => new Value('i', 0, { lock })],
    ['SharedArray', (lock: Lock | RLock) => new SharedArray('i', 1, { lock })],
  ] as const)('%s - its lock travels with it: the same lock there as the one sent beside it', async (_, makeValue) => {
    const lock = new Lock();
    const value = makeValue(lock);
    const report = new Queue<{ same: boolean; free: boolean }>();
    await lock.acquire();
    await runner.start(vtasks.lockThere, value, lock, report).done;
    expect(await report.get()).toEqual({ same: true, free: false });
    lock.release();
  });

  it('Value - made with { lock: false }, it has no lock there either', async () => {
    const report = new Queue<string>();
    await runner.start(vtasks.noLockThere, new Value('i', 0, { lock: false }), report).done;
    expect(await report.get()).toMatch(/^TypeError: Value\('i'\) was made with \{ lock: false \}/);
  });
});

describe('travel', () => {
  it('a Value nested in a pool task argument is the same value there', async () => {
    const counter = new Value('i', 1);
    const pool = new ProcessPoolExecutor({ maxWorkers: 2 });
    try {
      const results = await Promise.all([pool.submit(vtasks.addNested, { nested: { counter } }, 10), pool.submit(vtasks.addNested, { nested: { counter } }, 100)]);
      expect(counter.value).toBe(111);
      expect(results).toContain(111);
    } finally {
      await pool.shutdown();
    }
  });

  it("a Value in a Pool's initargs is the same value in every worker", async () => {
    const counter = new Value('i', 0);
    const pool = new Pool({ processes: 2, initializer: vtasks.keepCounter, initargs: [counter] });
    try {
      await pool.map(vtasks.addToKept, [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
      expect(counter.value).toBe(55);
    } finally {
      pool.close();
      await pool.join();
    }
  });

  it('a Value and a SharedArray inside Queue items reach a process and a worker thread', async () => {
    const counter = new Value('i', 0);
    const arr = new SharedArray('i', 1, { lock: false });
    const items = new Queue<{ counter: Value<'i'>; arr: SharedArray<'i'> } | null>();
    const child = new Process({ target: vtasks.fromQueue, args: [items] });
    child.start();
    const threads = new WorkerThreadPoolExecutor({ maxWorkers: 1 });
    try {
      const thread = threads.submit(vtasks.fromQueue, items);
      for (let i = 0; i < 50; i++) await items.put({ counter, arr });
      await items.put(null);
      await items.put(null);
      await Promise.all([child.join(), thread]);
      expect(child.exitcode).toBe(0);
      expect(counter.value).toBe(50);
      expect(arr[0]).toBe(50);
    } finally {
      await threads.shutdown();
    }
  });
});

describe('examples/value-counter.mjs', () => {
  it('runs, and the README shows its code and what it prints', async () => {
    const file = fileURLToPath(new URL('../examples/value-counter.mjs', import.meta.url));
    const [{ stdout }, source, readme] = await Promise.all([
      promisify(execFile)(process.execPath, [file], { timeout: 60_000 }),
      readFile(file, 'utf8'),
      readFile(fileURLToPath(new URL('../README.md', import.meta.url)), 'utf8'),
    ]);
    expect(readme).toContain(`\`\`\`js\n${source.trimEnd()}\n\`\`\`\n\nprints\n\n\`\`\`\n${stdout.trimEnd()}\n\`\`\``);
  });
});
