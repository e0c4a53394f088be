/**
 * The proxies a `SyncManager` hands out, typed: every method returns a promise of the
 * server's result. Python's spellings: `d[k]` is `getItem(k)`, `d[k] = v` is `set(k, v)`,
 * `del d[k]` is `delete(k)`, `k in d` is `has(k)`, `len(x)` is `len()`, `l[i]` is `get(i)`,
 * `ns.x` is `get('x')`, `v.value` is `get()` / `set(v)`.
 *
 * @module
 */
import type { GetOptions, PutOptions } from '../sharing/queues.js';
import type { AcquireOptions } from '../sync/acquire.js';
import type { TaskRef } from '@concurrent/futures';
import type { BaseProxy } from './proxy.js';

export interface DictProxy<K, V> extends BaseProxy {
  get(key: K): Promise<V | null>;
  get<D>(key: K, fallback: D): Promise<V | D>;
  getItem(key: K): Promise<V>;
  set(key: K, value: V): Promise<void>;
  delete(key: K): Promise<void>;
  has(key: K): Promise<boolean>;
  len(): Promise<number>;
  keys(): Promise<K[]>;
  values(): Promise<V[]>;
  items(): Promise<[K, V][]>;
  update(other: Iterable<readonly [K, V]> | Record<string, V>): Promise<void>;
  pop(key: K): Promise<V>;
  pop<D>(key: K, fallback: D): Promise<V | D>;
  popitem(): Promise<[K, V]>;
  setdefault(key: K, fallback: V): Promise<V>;
  clear(): Promise<void>;
  copy(): Promise<Map<K, V>>;
  toObject(): Promise<Record<string, V>>;
}

export interface ListProxy<T> extends BaseProxy {
  get(index: number): Promise<T>;
  set(index: number, value: T): Promise<void>;
  delete(index: number): Promise<void>;
  len(): Promise<number>;
  append(value: T): Promise<void>;
  extend(values: Iterable<T>): Promise<void>;
  insert(index: number, value: T): Promise<void>;
  pop(index?: number): Promise<T>;
  index(value: T, start?: number, end?: number): Promise<number>;
  count(value: T): Promise<number>;
  remove(value: T): Promise<void>;
  reverse(): Promise<void>;
  sort(options?: { reverse?: boolean }): Promise<void>;
  clear(): Promise<void>;
  slice(start?: number, end?: number): Promise<T[]>;
  toArray(): Promise<T[]>;
}

export interface NamespaceProxy extends BaseProxy {
  get(name: string): Promise<unknown>;
  set(name: string, value: unknown): Promise<void>;
  delete(name: string): Promise<void>;
  has(name: string): Promise<boolean>;
  toObject(): Promise<Record<string, unknown>>;
}

export interface ValueProxy<T> extends BaseProxy {
  get(): Promise<T>;
  set(value: T): Promise<void>;
  typecode(): Promise<string>;
}

export interface ArrayProxy<T> extends BaseProxy {
  get(index: number): Promise<T>;
  set(index: number, value: T): Promise<void>;
  len(): Promise<number>;
  slice(start?: number, end?: number): Promise<T[]>;
  toArray(): Promise<T[]>;
  typecode(): Promise<string>;
}

export interface QueueProxy<T> extends BaseProxy {
  put(item: T, options?: PutOptions): Promise<void>;
  get(options?: GetOptions): Promise<T>;
  putNowait(item: T): Promise<void>;
  getNowait(): Promise<T>;
  qsize(): Promise<number>;
  empty(): Promise<boolean>;
  full(): Promise<boolean>;
}

export interface JoinableQueueProxy<T> extends QueueProxy<T> {
  taskDone(): Promise<void>;
  join(): Promise<void>;
}

/** Lock and RLock (RLock: owned by the process or worker thread that acquired it). */
export interface LockProxy extends BaseProxy {
  acquire(options?: AcquireOptions | boolean): Promise<boolean>;
  release(): Promise<void>;
  /** Acquires; the result releases at the end of an `await using` block. */
  hold(options?: { timeout?: number }): Promise<AsyncDisposable & { release(): Promise<void> }>;
}

export interface SemaphoreProxy extends LockProxy {
  getValue(): Promise<number>;
}

export interface EventProxy extends BaseProxy {
  set(): Promise<void>;
  clear(): Promise<void>;
  isSet(): Promise<boolean>;
  wait(timeout?: number | null): Promise<boolean>;
}

export interface ConditionProxy extends LockProxy {
  wait(timeout?: number | null): Promise<boolean>;
  waitFor(predicate: () => unknown, timeout?: number | null): Promise<unknown>;
  notify(n?: number): Promise<void>;
  notifyAll(): Promise<void>;
}

export interface BarrierProxy extends BaseProxy {
  wait(timeout?: number | null): Promise<number>;
  abort(): Promise<void>;
  reset(): Promise<void>;
  parties(): Promise<number>;
  nWaiting(): Promise<number>;
  broken(): Promise<boolean>;
}

/** A manager Pool's `applyAsync` / `mapAsync` result, in the server. */
export interface AsyncResultProxy<T> extends BaseProxy {
  get(timeout?: number): Promise<T>;
  wait(timeout?: number): Promise<void>;
  ready(): Promise<boolean>;
  successful(): Promise<boolean>;
}

/** A manager Pool's `imap` iterator, in the server: `for await` over it here. */
export interface IteratorProxy<T> extends BaseProxy, AsyncIterable<T> {
  next(timeout?: number): Promise<IteratorResult<T, undefined>>;
}

/** `manager.Pool()`: a process pool in the manager's server. Tasks are `moduleTasks` references. */
export interface PoolProxy extends BaseProxy {
  apply<A extends unknown[], R>(task: TaskRef<A, R>, args?: A): Promise<Awaited<R>>;
  applyAsync<A extends unknown[], R>(task: TaskRef<A, R>, args?: A): Promise<AsyncResultProxy<Awaited<R>>>;
  map<T, R>(task: TaskRef<[T], R>, items: Iterable<T>, options?: { chunksize?: number }): Promise<Awaited<R>[]>;
  mapAsync<T, R>(task: TaskRef<[T], R>, items: Iterable<T>, options?: { chunksize?: number }): Promise<AsyncResultProxy<Awaited<R>[]>>;
  starmap<A extends unknown[], R>(task: TaskRef<A, R>, items: Iterable<A>, options?: { chunksize?: number }): Promise<Awaited<R>[]>;
  starmapAsync<A extends unknown[], R>(task: TaskRef<A, R>, items: Iterable<A>, options?: { chunksize?: number }): Promise<AsyncResultProxy<Awaited<R>[]>>;
  imap<T, R>(task: TaskRef<[T], R>, items: Iterable<T>, options?: { chunksize?: number }): Promise<IteratorProxy<Awaited<R>>>;
  imapUnordered<T, R>(task: TaskRef<[T], R>, items: Iterable<T>, options?: { chunksize?: number }): Promise<IteratorProxy<Awaited<R>>>;
  close(): Promise<void>;
  join(): Promise<void>;
  terminate(): Promise<void>;
}
