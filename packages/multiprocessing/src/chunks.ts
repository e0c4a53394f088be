/**
 * One chunk of map/imap input, run on an executor: the unit Python's Pool sends to a worker
 * (`map` and `imap` cut their input into chunks of `chunksize` items). A chunk settles once,
 * with all its values in order or with the first error among its items (as in CPython).
 *
 * Two ways to run one:
 * - {@link runChunk}, for any executor and task: a single item is a plain `submit`; several
 *   go through the executor's own `map` with `chunksize` equal to the chunk's length, so a
 *   process pool sends them as one message and runs them as one task.
 * - {@link runChunkTask}, for a process pool and a TaskRef: one `submit` of `chunk-task.js`,
 *   which runs the whole chunk in the worker and sends back one array. Why: the executor's
 *   map hands results out one by one through its async iterator (a promise and a few calls
 *   per item), which made `Pool.map` of a trivial function about 3× slower per item than
 *   Python's; one array per chunk brings it under Python's (see bench/pool-map.mjs).
 *
 * @module
 */
import { fileURLToPath, pathToFileURL } from 'node:url';
import { type Executor, moduleTasks, type Task, type TaskRef } from '@concurrent/futures';

/** A chunk on its way: its outcome, and a way to stop what has not started. */
export interface ChunkRun {
  /** The chunk's values in item order, or the first item error. Never unhandled. */
  readonly promise: Promise<unknown[]>;
  /** Cancels the chunk's work if it has not started; its promise then rejects. */
  cancel(): void;
}

/**
 * Submits one chunk. Throws synchronously what the executor's submit throws (a shut-down or
 * broken executor, a function that cannot be shipped).
 *
 * @param star - each item is an argument array (starmap) rather than the single argument.
 */
export function runChunk(executor: Executor, fn: Task<unknown[], unknown>, items: readonly unknown[], star: boolean): ChunkRun {
  if (items.length === 1) {
    const args = star ? (items[0] as unknown[]) : [items[0]];
    const future = executor.submit(fn, ...args);
    return settledRun(future.result().then((value) => [value]), () => future.cancel());
  }
  const options = { chunksize: items.length };
  const iterator = star ? executor.starmap(fn, items as unknown[][], options) : executor.map(fn, items, options);
  return settledRun(collect(iterator, items.length), () => void iterator.return?.());
}

/** The chunk task's module, in `dist` also when this module runs from `src` (tests). */
function chunkTaskUrl(): URL {
  const here = new URL('.', import.meta.url);
  const dist = here.pathname.endsWith('/src/') ? new URL('../dist/', here) : here;
  return pathToFileURL(fileURLToPath(new URL('chunk-task.js', dist)));
}

type ChunkTask = TaskRef<[module: string, name: string, items: readonly unknown[], star: boolean], unknown[] | Promise<unknown[]>>;
let chunkTask: ChunkTask | undefined;

/** Submits one chunk of a TaskRef as a single task that runs it whole in the worker. */
export function runChunkTask(executor: Executor, fn: TaskRef, items: readonly unknown[], star: boolean): ChunkRun {
  const task = (chunkTask ??= moduleTasks<typeof import('./chunk-task.js')>(chunkTaskUrl()).runChunk);
  const future = executor.submit(task, fn.module, fn.name, items, star);
  return settledRun(future.result(), () => future.cancel());
}

function settledRun(promise: Promise<unknown[]>, cancel: () => unknown): ChunkRun {
  promise.catch(() => undefined);
  return { promise, cancel: () => void cancel() };
}

async function collect(iterator: AsyncIterator<unknown>, size: number): Promise<unknown[]> {
  const values = new Array<unknown>(size);
  for (let i = 0; ; i++) {
    const next = await iterator.next();
    if (next.done === true) return values;
    values[i] = next.value;
  }
}
