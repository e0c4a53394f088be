/**
 * One chunk of map/imap input, run on an executor: the unit Python's Pool sends to a worker
 * (`map` and `imap` cut their input into chunks of `chunksize` items). A chunk settles once,
 * with all its values in order or with the first error among its items (as in CPython).
 *
 * A single item is a plain `submit`; several go through the executor's own `map` with
 * `chunksize` equal to the chunk's length, so a process pool sends them as one message, runs
 * them as one task and answers with one array, which `toArray()` copies out whole.
 *
 * @module
 */
import type { Executor, Task } from '@concurrent/futures';

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
  return settledRun(iterator.toArray(), () => void iterator.return());
}

function settledRun(promise: Promise<unknown[]>, cancel: () => unknown): ChunkRun {
  promise.catch(() => undefined);
  return { promise, cancel: () => void cancel() };
}
