/**
 * Reduction (reduction.ts): objects that must stay one object travel to workers as handles,
 * revived where they land, anywhere inside the arguments, the map items and the initargs.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { moduleTasks, ProcessPoolExecutor, WorkerThreadPoolExecutor } from '../src/index.js';
import { enableReduction, REDUCE, reduceValue } from '../src/internal-api.js';
import type * as ReducibleModule from './fixtures/reducible.mjs';
import { Token } from './fixtures/reducible.mjs';

const rtasks = moduleTasks<typeof ReducibleModule>(new URL('./fixtures/reducible.mjs', import.meta.url));
// The fixture switched the walk on for the built copy of the package; this is the source copy.
enableReduction();

type Pool = ProcessPoolExecutor | WorkerThreadPoolExecutor;
const kinds: { name: string; destination: 'process' | 'thread'; make: (options?: object) => Pool }[] = [
  { name: 'ProcessPoolExecutor', destination: 'process', make: (options) => new ProcessPoolExecutor({ maxWorkers: 1, ...options }) },
  { name: 'WorkerThreadPoolExecutor', destination: 'thread', make: (options) => new WorkerThreadPoolExecutor({ maxWorkers: 1, ...options }) },
];

describe('reduceValue()', () => {
  it('reduceValue() - leaves values without reducibles alone (undefined: nothing to revive)', () => {
    const value = [1, 'a', { b: [2, { c: null }] }, new Map([[1, 2]]), new Uint8Array(2)];
    expect(reduceValue(value, 'process')).toBeUndefined();
  });

  it('reduceValue() - copies the containers around reducibles, keeping cycles and shared references within the copy', () => {
    const shared = { deep: [1, 2] };
    const cyclic: Record<string, unknown> = { token: new Token(1), shared };
    cyclic.self = cyclic;
    const reduced = reduceValue([shared, cyclic], 'thread');
    const [first, copy] = reduced?.value as [unknown, Record<string, unknown>];
    expect(copy).not.toBe(cyclic);
    expect(copy.self).toBe(copy);
    expect(copy.shared).toBe(first);
    expect(copy.token).toEqual({
      '@concurrent/reduced': {
        module: expect.stringMatching(/reducible\.mjs$/) as unknown,
        reviver: 'reviveToken',
        state: { id: 1, destination: 'thread' },
        key: reduced?.key,
      },
    });
    // The caller's value is left as it was.
    expect(cyclic.token).toBeInstanceOf(Token);
    expect(cyclic.self).toBe(cyclic);
  });

  it('reduceValue() - a reducer that throws fails the call with its error', () => {
    expect(() => reduceValue({ t: new Token(2, { refuse: true }) }, 'process')).toThrow(/refuses to travel/);
  });

  it('REDUCE - is the registered symbol every copy of the package shares', () => {
    expect(REDUCE).toBe(Symbol.for('@concurrent/futures.reduce'));
  });
});

describe.each(kinds)('$name', ({ destination, make }) => {
  const made: Pool[] = [];
  function pool(options?: object): Pool {
    const executor = make(options);
    made.push(executor);
    return executor;
  }
  afterEach(async () => {
    await Promise.all(made.splice(0).map((executor) => executor.shutdown({ cancelFutures: true })));
  });

  it('.submit() - a reducible argument arrives revived, anywhere inside the arguments, once per object', async () => {
    const executor = pool();
    const token = new Token(7);
    const [first, nested] = (await executor.submit(rtasks.inspect, token, { list: [1, token], other: 'x' })) as [
      ReducibleModule.RevivedToken,
      { list: [number, ReducibleModule.RevivedToken]; other: string },
    ];
    expect(first).toMatchObject({ revived: true, id: 7, destination });
    // One object on the wire, revived once: both places hold the same handle.
    expect(nested.list[1]).toEqual(first);
    expect(nested.other).toBe('x');
  });

  it('.map() - reducible items in a chunk arrive revived', async () => {
    const executor = pool();
    const results = await executor.map(rtasks.inspect, [new Token(1), new Token(2), 3], { chunksize: 3 }).toArray();
    expect(results.map((args) => (args)[0])).toEqual([
      expect.objectContaining({ revived: true, id: 1, destination }),
      expect.objectContaining({ revived: true, id: 2, destination }),
      3,
    ]);
  });

  it('initargs - a reducible initarg arrives revived in the initializer', async () => {
    const executor = pool({ initializer: rtasks.keepInit, initargs: [new Token(9)] });
    expect(await executor.submit(rtasks.initialized)).toEqual([expect.objectContaining({ revived: true, id: 9, destination })]);
  });

  it('.submit() - data shaped like a reduced object is never revived: only the wire forms made for this task are', async () => {
    const executor = pool();
    const forged = { '@concurrent/reduced': { module: new URL('./fixtures/reducible.mjs', import.meta.url).href, reviver: 'reviveToken', state: { id: 99 } } };
    const [token, data] = (await executor.submit(rtasks.inspect, new Token(5), forged)) as [ReducibleModule.RevivedToken, unknown];
    expect(token).toMatchObject({ revived: true, id: 5 });
    expect(data).toEqual(forged);
  });

  it('.submit() - a reducible that refuses to travel fails only that future, with a TypeError saying why', async () => {
    const executor = pool();
    const error = await executor.submit(rtasks.inspect, new Token(3, { refuse: true })).exception();
    expect(error).toBeInstanceOf(TypeError);
    expect((error as Error).message).toMatch(/could not be sent .*refuses to travel/);
    expect(await executor.submit(rtasks.inspect, 1)).toEqual([1]);
    expect(executor.stats).toMatchObject({ failed: 1 });
  });
});
