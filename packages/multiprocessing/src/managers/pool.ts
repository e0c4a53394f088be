/**
 * `manager.Pool()`: a process pool that lives in the manager's server, driven through a proxy
 * (Python's `SyncManager.Pool`). Its workers are children of the server process. Tasks are
 * `moduleTasks` references: a function cannot cross to the server, and a reference arrives
 * as its `{ module, name }` (structured clone drops what marks it), made a reference again here.
 *
 * The pool runs the tasks its clients name, as Python's manager pool runs the functions its
 * clients pickle: give the manager's `authkey` only to whom you would let run code.
 *
 * @module
 */
import { moduleTasks, type TaskRef } from '@concurrent/futures';
import type { AsyncResult } from '../async-result.js';
import type { IMapIterator } from '../imap.js';
import { Pool, type PoolOptions } from '../pool.js';

/** A reference again, from what structured clone left of one. */
function toRef(value: unknown): TaskRef {
  const { module, name } = (value ?? {}) as { module?: unknown; name?: unknown };
  if (typeof module !== 'string' || typeof name !== 'string') {
    throw new TypeError('a manager Pool runs moduleTasks references only (a function cannot be sent to the server)');
  }
  let ref: unknown = moduleTasks<Record<string, TaskRef>>(module);
  // A static method (`Fib.fib`) is a member of its class's reference.
  for (const part of name.split('.')) ref = (ref as Record<string, unknown>)[part];
  return ref as TaskRef;
}

type Args = readonly unknown[];
/** Options that can cross (callbacks cannot). */
type Crossing = Readonly<Record<string, unknown>> | undefined;

function crossing(options: Crossing): Record<string, unknown> | undefined {
  if (options === undefined || options === null) return undefined;
  const { callback: _c, errorCallback: _e, ...rest } = options as Record<string, unknown>;
  return rest;
}

/** The server side of `manager.Pool()`. */
export class ServedPool {
  readonly #pool: Pool;

  constructor(options?: number | PoolOptions) {
    const settings = typeof options === 'object' && options !== null && options.initializer !== undefined ? { ...options, initializer: toRef(options.initializer) } : options;
    this.#pool = new Pool(settings);
  }

  apply(task: unknown, args: Args = []): Promise<unknown> {
    return this.#pool.apply(toRef(task), args as unknown[]);
  }

  applyAsync(task: unknown, args: Args = [], options?: Crossing): AsyncResult<unknown> {
    return this.#pool.applyAsync(toRef(task), args as unknown[], crossing(options));
  }

  map(task: unknown, items: Iterable<unknown>, options?: Crossing): Promise<unknown[]> {
    return this.#pool.map(toRef(task), items, crossing(options));
  }

  mapAsync(task: unknown, items: Iterable<unknown>, options?: Crossing): AsyncResult<unknown[]> {
    return this.#pool.mapAsync(toRef(task), items, crossing(options));
  }

  starmap(task: unknown, items: Iterable<unknown[]>, options?: Crossing): Promise<unknown[]> {
    return this.#pool.starmap(toRef(task), items, crossing(options));
  }

  starmapAsync(task: unknown, items: Iterable<unknown[]>, options?: Crossing): AsyncResult<unknown[]> {
    return this.#pool.starmapAsync(toRef(task), items, crossing(options));
  }

  imap(task: unknown, items: Iterable<unknown>, options?: Crossing): IMapIterator<unknown> {
    return this.#pool.imap(toRef(task), items, crossing(options));
  }

  imapUnordered(task: unknown, items: Iterable<unknown>, options?: Crossing): IMapIterator<unknown> {
    return this.#pool.imapUnordered(toRef(task), items, crossing(options));
  }

  close(): void {
    this.#pool.close();
  }

  join(): Promise<void> {
    return this.#pool.join();
  }

  terminate(): Promise<void> {
    return this.#pool.terminate();
  }
}
