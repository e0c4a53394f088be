/**
 * `@concurrent/multiprocessing/dummy` (issue 14): one program, written once against the
 * package's API, runs with processes or with threads on this event loop by the import alone.
 */
import { moduleTasks, type TaskRef } from '@concurrent/futures';
import { describe, expect, it } from 'vitest';
import * as real from '../src/index.js';
import * as dummy from '../src/dummy.js';
import type * as SharingTasks from './fixtures/sharing-tasks.mjs';
import type * as Tasks from './fixtures/tasks.mjs';

const stasks = moduleTasks<typeof SharingTasks>(new URL('./fixtures/sharing-tasks.mjs', import.meta.url));
const tasks = moduleTasks<typeof Tasks>(new URL('./fixtures/tasks.mjs', import.meta.url));

/** What the program uses of either import. */
interface Api {
  readonly Pool: new (processes: number) => real.BasePool;
  readonly Queue: typeof real.Queue;
  readonly Process: new <A extends unknown[]>(options: { target: TaskRef<A, unknown>; args: A }) => { start(): void; join(): Promise<void>; readonly exitcode: number | null };
}

/** Producer/consumer with a Process and a Queue, then a Pool map: what each side printed. */
async function program(mp: Api): Promise<{ consumed: unknown[]; squares: number[]; exitcode: number | null; pids: Set<number> }> {
  const q = new mp.Queue<number | null>();
  const report = new mp.Queue<[string, number | null]>();
  const consumer = new mp.Process({ target: stasks.consume, args: [q, report, 'c'] });
  consumer.start();
  for (let i = 0; i < 5; i++) await q.put(i);
  await q.put(null);
  const consumed: unknown[] = [];
  for (let i = 0; i < 6; i++) consumed.push(await report.get());
  await consumer.join();
  const pool = new mp.Pool(2);
  const squares = await pool.map(tasks.square, [1, 2, 3]);
  const pids = new Set(await pool.map(tasks.pid, [1, 2, 3, 4]));
  pool.close();
  await pool.join();
  return { consumed, squares, exitcode: consumer.exitcode, pids };
}

describe('multiprocessing.dummy', () => {
  it.each([
    ['processes', real, false],
    ['this event loop', dummy, true],
  ] as const)('the same program runs with %s', async (_, mp, inProcess) => {
    const { consumed, squares, exitcode, pids } = await program(mp);
    expect(consumed).toEqual([...[0, 1, 2, 3, 4].map((i) => ['c', i]), ['c', null]]);
    expect(squares).toEqual([1, 4, 9]);
    expect(exitcode).toBe(0);
    expect(pids.has(process.pid)).toBe(inProcess);
  });

  it('Process is a Thread: currentProcess() inside it is itself; it has no pid', async () => {
    let inside: unknown;
    const p = new dummy.Process({ target: () => (inside = dummy.currentProcess()), name: 'd' });
    expect(p.exitcode).toBeNull();
    p.start();
    expect(dummy.activeChildren()).toEqual([p]);
    await p.join();
    expect(inside).toBe(p);
    expect(p).toBeInstanceOf(dummy.Thread);
    expect(p.pid).toBeNull();
    expect(dummy.activeChildren()).toEqual([]);
    expect(() => new dummy.Process({ target: 3 as never })).toThrow(TypeError);
  });
});
