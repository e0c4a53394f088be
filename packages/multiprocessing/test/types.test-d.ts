// The public types: argument checking and result inference, as the executors of futures do.
import { moduleTasks } from '@concurrent/futures';
import { describe, expectTypeOf, it } from 'vitest';
import { type AsyncResult, type IMapIterator, type Pool, Process } from '../src/index.js';
import type * as TaskModule from './fixtures/tasks.mjs';

const tasks = moduleTasks<typeof TaskModule>(new URL('./fixtures/tasks.mjs', import.meta.url));
declare const pool: Pool;

describe('types', () => {
  it('apply / applyAsync infer results and check arguments', () => {
    expectTypeOf(pool.apply(tasks.square, [2])).toEqualTypeOf<Promise<number>>();
    expectTypeOf(pool.apply(tasks.pid)).toEqualTypeOf<Promise<number>>();
    expectTypeOf(pool.applyAsync(tasks.markThenWait, ['a', 'b'])).toEqualTypeOf<AsyncResult<string>>();
    // @ts-expect-error -- square takes a number
    void pool.apply(tasks.square, ['2']);
    // @ts-expect-error -- square needs its argument
    void pool.apply(tasks.square);
    pool.applyAsync(tasks.square, [2], { callback: (value) => expectTypeOf(value).toEqualTypeOf<number>() });
  });

  it('map / starmap / imap infer item results', () => {
    expectTypeOf(pool.map(tasks.square, [1, 2])).toEqualTypeOf<Promise<number[]>>();
    expectTypeOf(pool.starmap(tasks.add, [[1, 2]])).toEqualTypeOf<Promise<number[]>>();
    expectTypeOf(pool.imapUnordered(tasks.square, [1])).toEqualTypeOf<IMapIterator<number>>();
    expectTypeOf(pool.mapAsync((x: string) => x.length, ['a'])).toEqualTypeOf<AsyncResult<number[]>>();
    // @ts-expect-error -- items must match the task's argument
    void pool.map(tasks.square, ['a']);
  });

  it('Process checks its target arguments', () => {
    expectTypeOf(new Process({ target: tasks.add, args: [1, 2] })).toEqualTypeOf<Process<[a: number, b: number]>>();
    // @ts-expect-error -- add takes numbers
    void new Process({ target: tasks.add, args: ['1', 2] });
  });
});
