/**
 * Handles travel everywhere: nested in the arguments and initargs of every pool and executor;
 * nothing of them keeps a finished program alive; no socket is left after SIGKILL of the tree.
 */
import { execFile, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { ProcessPoolExecutor, ThreadPoolExecutor, WorkerThreadPoolExecutor } from '@concurrent/futures';
import { describe, expect, it } from 'vitest';
import { type Connection, Pipe, Pool, Queue, ThreadPool } from '../src/index.js';
import { stasks } from './fixtures/sharing-harness.js';
import { pidExists, waitUntil } from './fixtures/harness.js';

const run = promisify(execFile);
type Box = { inner: { queue: Queue<number> }; list: [Connection] };

const executors = [
  { name: 'Pool', make: () => new Pool(1), submit: (pool: unknown, box: Box) => (pool as Pool).apply(stasks.nested, [box]), close: (pool: unknown) => (pool as Pool).terminate() },
  { name: 'ThreadPool', make: () => new ThreadPool(1), submit: (pool: unknown, box: Box) => (pool as ThreadPool).apply(stasks.nested, [box]), close: (pool: unknown) => (pool as ThreadPool).terminate() },
  ...[
    { name: 'ProcessPoolExecutor', make: () => new ProcessPoolExecutor({ maxWorkers: 1 }) },
    { name: 'WorkerThreadPoolExecutor', make: () => new WorkerThreadPoolExecutor({ maxWorkers: 1 }) },
    { name: 'ThreadPoolExecutor', make: () => new ThreadPoolExecutor({ maxWorkers: 1 }) },
  ].map(({ name, make }) => ({
    name,
    make,
    submit: (pool: unknown, box: Box) => (pool as ProcessPoolExecutor).submit(stasks.nested, box).result(),
    close: (pool: unknown) => (pool as ProcessPoolExecutor).shutdown({ cancelFutures: true }),
  })),
];

describe.each(executors)('$name', ({ make, submit, close }) => {
  it('task arguments - a queue and a pipe end nested in objects and arrays arrive as working handles', async () => {
    const pool = make();
    try {
      const queue = new Queue<number>();
      const [here, there] = Pipe();
      await queue.put(21);
      expect(await submit(pool, { inner: { queue }, list: [there] })).toBe(21);
      expect(await here.recv()).toBe(42);
      here.close();
    } finally {
      await close(pool);
    }
  });
});

describe('initargs', () => {
  it('Pool initargs - a queue given to the initializer is the queue the parent reads', async () => {
    const q = new Queue<number>();
    const pool = new Pool({ processes: 1, initializer: stasks.keepQueue, initargs: [q] });
    try {
      expect(await pool.map(stasks.useKept, [1, 2, 3])).toEqual([1, 2, 3]);
      expect([await q.get(), await q.get(), await q.get()].sort()).toEqual([10, 20, 30]);
    } finally {
      await pool.terminate();
    }
  });

  it('ThreadPool - the same object is shared on the event loop', async () => {
    const q = new Queue<number>();
    const pool = new ThreadPool({ processes: 1, initializer: stasks.keepQueue, initargs: [q] });
    try {
      expect(await pool.apply(stasks.useKept, [5])).toBe(5);
      expect(await q.get()).toBe(50);
    } finally {
      await pool.terminate();
    }
  });
});

describe('ending', () => {
  it('an idle queue or pipe never keeps a finished program alive', async () => {
    const file = fileURLToPath(new URL('./fixtures/sharing-idle.mjs', import.meta.url));
    const { stdout } = await run(process.execPath, [file], { timeout: 30_000 });
    expect(JSON.parse(stdout)).toEqual([
      ['idle', 1],
      ['idle', null],
    ]);
  });

  it('no socket is left after SIGKILL of the whole tree (Linux: abstract sockets in /proc/net/unix)', async () => {
    if (process.platform !== 'linux') return;
    const file = fileURLToPath(new URL('./fixtures/sharing-tree.mjs', import.meta.url));
    const tree = spawn(process.execPath, [file], { stdio: ['ignore', 'pipe', 'inherit'] });
    const line = await new Promise<string>((resolve, reject) => {
      tree.stdout.once('data', (chunk: Buffer) => resolve(chunk.toString()));
      tree.once('exit', () => reject(new Error('the tree exited early')));
    });
    const [parent, child] = line.trim().split(' ').map(Number) as [number, number];
    const ours = (): string[] => readFileSync('/proc/net/unix', 'utf8').split('\n').filter((row) => row.includes(`@concurrent-${parent}-`) || row.includes(`@concurrent-${child}-`));
    expect(ours().length).toBeGreaterThan(0);
    process.kill(child, 'SIGKILL');
    process.kill(parent, 'SIGKILL');
    await waitUntil(() => !pidExists(parent) && !pidExists(child), 'the tree is gone');
    await waitUntil(() => ours().length === 0, 'no abstract socket of the tree is listed');
  });
});
