/**
 * `SharedArray` and `RawArray`: a fixed-length array of numbers in shared memory, indexed
 * synchronously by every process and thread that holds it. Mirrors `multiprocessing.Array`
 * (exported as SharedArray: `Array` would shadow JavaScript's own) and `RawArray`.
 *
 * Index access: the object a constructor returns is a Proxy over the instance, whose traps turn
 * an index key ('0', '1'...) into a read or a checked write of the typed array over the block,
 * and throw a RangeError out of range, where a typed array would silently read `undefined` or
 * drop the write. It costs about 0.1 µs per access (V8 hands a trap the index as a string);
 * methods go to the instance, bound once. (A Proxy in the prototype chain instead would leave
 * methods untouched, but V8 reaches it only after missing on the instance and its prototype:
 * 0.18 µs per index access. A typed-array subclass cannot refuse an index out of range.) For hot
 * loops, `asTypedArray()` is the same memory as a typed array, without checks (about 1 ns per
 * access), Python's `memoryview(arr.get_obj())`.
 *
 * As for Value: accesses do not take the lock (value.ts says why); one handle per object per
 * thread; the lock travels inside the array's wire form.
 *
 * @module
 */
import { type InspectOptions, inspect } from 'node:util';
import { type Destination, enableReduction, REDUCE, type Reducible, type Reduction } from '@concurrent/futures/internal';
import { ValueError } from '../errors.js';
import { builtModule } from '../sharing/runtime.js';
import { allocate, type Block, type BlockState, blockState, handleFor, rememberHandle } from '../shm/block.js';
import type { Lock, RLock } from '../sync/lock.js';
import { describe } from '../validate.js';
import { lockOption, reduceLock, reviveLockFrom, type SyncLock, type SynchronizedOptions } from './synchronized.js';
import { type ElementOf, type ElementType, elementType, type Storable, type Typecode, type TypedArrayOf } from './typecodes.js';

/** What an array is on the wire; its length is the block's bytes over the element's. */
export interface ArrayState {
  readonly k: 'rawarray' | 'array';
  readonly t: Typecode;
  readonly b: BlockState;
  /** The lock's wire form; `null`: a SharedArray made with `{ lock: false }`. */
  readonly l: Reduction | null;
}

/** The typed array over the block, as the element code reads and writes it. */
interface Cells {
  [index: number]: number | bigint;
  readonly length: number;
  subarray(start?: number, end?: number): Cells;
  set(items: ArrayLike<number | bigint>): void;
}

/** Set while a reviver (or getObj) builds a handle over an existing block. */
let reviving: { readonly block: Block; readonly lock: SyncLock | undefined } | undefined;

/**
 * The index an own-property key names: a number for a canonical numeric string ('3', '-1',
 * '1.5'; only whole numbers from 0 can be in range), `undefined` for any other key. Digits
 * are parsed by hand: that is the common key, and `Number()` plus a round trip costs more.
 */
function numericKey(key: string): number | undefined {
  const first = key.charCodeAt(0);
  if (first >= 48 && first <= 57) {
    let n = 0;
    let i = 0;
    for (; i < key.length; i++) {
      const digit = key.charCodeAt(i) - 48;
      if (digit < 0 || digit > 9) break;
      n = n * 10 + digit;
    }
    if (i === key.length && i < 16 && (i === 1 || first !== 48)) return n;
  } else if (first !== 45) {
    return undefined;
  }
  const n = Number(key);
  return String(n) === key ? n : undefined;
}

/** Turns a constructed instance into the object its constructor returns (set in the static block). */
let indexed: <A extends ArrayBase<Typecode>>(target: A) => A;

/** What RawArray and SharedArray share: the memory, the elements, the methods. */
abstract class ArrayBase<T extends Typecode> implements Reducible, Iterable<ElementOf<T>> {
  /** The element at `index`: a read of shared memory. @throws RangeError out of range. */
  [index: number]: ElementOf<T>;

  readonly #type: ElementType;
  readonly #block: Block;
  readonly #cells: Cells;
  readonly #name: string;
  /** `SharedArray('i')`: how messages name it. */
  readonly #what: string;
  /** Methods bound to the instance, for the Proxy's callers (a private field needs the real `this`). */
  readonly #bound = new Map<PropertyKey, unknown>();

  protected constructor(name: string, typecode: T, sizeOrInitializer: number | Iterable<Storable<T>>) {
    const what = `new ${name}()`;
    this.#type = elementType(typecode, what);
    this.#name = name;
    this.#what = `${name}('${typecode}')`;
    let items: (number | bigint)[] | undefined;
    let length: number;
    if (reviving !== undefined) {
      length = reviving.block.bytes / this.#type.bytes;
    } else if (typeof sizeOrInitializer === 'number') {
      if (!Number.isInteger(sizeOrInitializer)) throw new TypeError(`${what}: expected a whole number of elements or an iterable of initial values, got ${describe(sizeOrInitializer)}`);
      if (sizeOrInitializer < 0) throw new RangeError(`${what}: the size cannot be negative, got ${describe(sizeOrInitializer)}`);
      length = sizeOrInitializer;
    } else {
      if (typeof sizeOrInitializer !== 'object' || sizeOrInitializer === null || typeof (sizeOrInitializer as Partial<Iterable<unknown>>)[Symbol.iterator] !== 'function') {
        throw new TypeError(`${what}: expected a whole number of elements or an iterable of initial values, got ${describe(sizeOrInitializer)}`);
      }
      items = Array.from(sizeOrInitializer, (item, i) => this.#type.check(item, `${what} initializer`, i));
      length = items.length;
    }
    this.#block = reviving?.block ?? allocate(length * this.#type.bytes);
    this.#cells = this.#type.view(this.#block.memory, this.#block.offset, length);
    if (items !== undefined) this.#cells.set(items);
    enableReduction();
  }

  /** The number of elements: Python's `len(arr)`. */
  get length(): number {
    return this.#cells.length;
  }

  /** The typecode it was made with: `'i'`, `'d'`... */
  get typecode(): T {
    return this.#type.code as T;
  }

  /**
   * The element at `index`, counting from the end when negative (Python's `arr[-1]`);
   * `undefined` out of range, as `Array.prototype.at`.
   */
  at(index: number): ElementOf<T> | undefined {
    const i = Math.trunc(index);
    const cells = this.#cells;
    return cells[i < 0 ? cells.length + i : i] as ElementOf<T> | undefined;
  }

  /**
   * A copy of the elements from `start` to `end` (not included) as a plain array: Python's
   * `arr[start:end]`, with the same negative and out-of-range indices.
   *
   * @example
   * ```ts
   * const a = new SharedArray('i', [0, 1, 2, 3, 4]);
   * a.slice(1, -1); // [1, 2, 3]
   * ```
   */
  slice(start?: number, end?: number): ElementOf<T>[] {
    return Array.from(this.#cells.subarray(start, end) as unknown as ArrayLike<ElementOf<T>>);
  }

  /**
   * Assigns `values` to the elements from `start` to `end` (not included): Python's
   * `arr[start:end] = values`. Every value is checked before any is written.
   *
   * @throws ValueError('Can only assign sequence of same size') unless `values` has as many
   *   items as the slice; TypeError or RangeError for a value that does not fit.
   * @example
   * ```ts
   * const a = new SharedArray('i', 5);
   * a.setSlice(1, 3, [7, 8]); // a.toArray(): [0, 7, 8, 0, 0]
   * a.setSlice(undefined, undefined, [1, 2, 3, 4, 5]); // arr[:] = ...
   * ```
   */
  setSlice(start: number | undefined, end: number | undefined, values: Iterable<Storable<T>>): void {
    const items = Array.from(values, (item, i) => this.#type.check(item, `${this.#what}.setSlice() values`, i));
    const cells = this.#cells.subarray(start, end);
    if (items.length !== cells.length) throw new ValueError('Can only assign sequence of same size');
    cells.set(items);
  }

  /** A copy of every element as a plain array (`Array.from(arr)` and `[...arr]` also work). */
  toArray(): ElementOf<T>[] {
    return this.slice();
  }

  /** `JSON.stringify` writes the elements (a 64-bit typecode's bigints throw, as JSON has none). */
  toJSON(): ElementOf<T>[] {
    return this.toArray();
  }

  /**
   * The same shared memory as a typed array (`Int32Array` for `'i'`...), for hot loops: no
   * checks, about 1 ns per access. Out-of-range reads give `undefined` and writes are dropped,
   * and values wrap to the type, as typed arrays do. Python's `memoryview(arr.get_obj())`.
   *
   * @example
   * ```ts
   * const cells = arr.asTypedArray();
   * for (let i = 0; i < cells.length; i++) cells[i] *= 2;
   * ```
   */
  asTypedArray(): TypedArrayOf<T> {
    return this.#type.view(this.#block.memory, this.#block.offset, this.#cells.length) as TypedArrayOf<T>;
  }

  /** The elements, read as the iteration reaches them. */
  *[Symbol.iterator](): IterableIterator<ElementOf<T>> {
    const cells = this.#cells;
    for (let i = 0; i < cells.length; i++) yield cells[i] as ElementOf<T>;
  }

  /** @internal The lock's wire form, `null` for none, `undefined` for a raw array. */
  protected abstract lockReduction(destination: Destination): Reduction | null | undefined;

  /** @internal How it travels: the same memory (and the same lock), wherever it goes. */
  [REDUCE](destination: Destination): Reduction {
    const lock = this.lockReduction(destination);
    const state: ArrayState = { k: lock === undefined ? 'rawarray' : 'array', t: this.#type.code, b: blockState(this.#block, destination), l: lock ?? null };
    return { module: builtModule('values/array.js'), reviver: 'reviveSharedArray', state };
  }

  /** @internal The object the constructor returns: the indexed Proxy, remembered as this thread's handle. */
  protected publish(kind: ArrayState['k']): this {
    const handle = indexed(this);
    rememberHandle(kind, this.#block, handle);
    return handle;
  }

  /** @internal A RawArray over the same memory: this thread's one handle of it. */
  protected raw(): RawArray<T> {
    return handleFor('rawarray', blockState(this.#block, 'thread'), (block) => {
      reviving = { block, lock: undefined };
      try {
        return new RawArray(this.#type.code as T, 0);
      } finally {
        reviving = undefined;
      }
    });
  }

  // `this` is the Proxy here (util.inspect calls it so): public members only.
  [inspect.custom](_depth: number, options: InspectOptions): string {
    return `${this.constructor.name}('${this.typecode}', ${inspect(this.toArray(), options)})`;
  }

  static {
    const check = (target: ArrayBase<Typecode>, index: number): number => {
      const length = target.#cells.length;
      if (index >= 0 && index < length && Number.isInteger(index)) return index;
      const hint = index < 0 ? '; .at() counts from the end' : '';
      throw new RangeError(`${target.#name} index out of range: ${String(index)} (length ${String(length)})${hint}`);
    };
    const handler: ProxyHandler<ArrayBase<Typecode>> = {
      get(target, key) {
        if (typeof key === 'string') {
          const index = numericKey(key);
          if (index !== undefined) return target.#cells[check(target, index)];
        }
        const value: unknown = Reflect.get(target, key, target);
        if (typeof value !== 'function' || key === 'constructor') return value;
        let bound = target.#bound.get(key);
        if (bound === undefined) {
          bound = (value as (...args: unknown[]) => unknown).bind(target);
          target.#bound.set(key, bound);
        }
        return bound;
      },
      set(target, key, value) {
        if (typeof key === 'string') {
          const index = numericKey(key);
          if (index !== undefined) {
            const i = check(target, index);
            target.#cells[i] = target.#type.check(value, target.#what, i);
            return true;
          }
        }
        throw new TypeError(`Cannot set \`${String(key)}\` of a ${target.#name}: only its elements can be assigned`);
      },
      has(target, key) {
        const index = typeof key === 'string' ? numericKey(key) : undefined;
        if (index !== undefined) return index >= 0 && index < target.#cells.length && Number.isInteger(index);
        return Reflect.has(target, key);
      },
      defineProperty(target, key) {
        throw new TypeError(`Cannot define \`${String(key)}\` on a ${target.#name}`);
      },
      deleteProperty(target, key) {
        throw new TypeError(`Cannot delete \`${String(key)}\` of a ${target.#name}`);
      },
    };
    indexed = <A extends ArrayBase<Typecode>>(target: A): A => new Proxy<A>(target, handler);
  }
}

/**
 * An array of numbers in shared memory without a lock: Python's `multiprocessing.RawArray`
 * (and `Array(..., lock=False)`). It travels like {@link SharedArray}.
 *
 * @example
 * ```ts
 * import { RawArray } from '@concurrent/multiprocessing';
 * const a = new RawArray('d', [0.5, 1.5]);
 * a[1] += 1; // 2.5, seen by every process and thread that holds it
 * ```
 */
export class RawArray<T extends Typecode = Typecode> extends ArrayBase<T> {
  /**
   * @param typecode - Python's `array` typecode: `b B h H i I l L q Q f d`.
   * @param sizeOrInitializer - The number of elements (zeroed), or their initial values.
   * @throws TypeError for an unknown typecode, a size that is not a whole number, or a value of
   *   the wrong kind; RangeError for a negative size or an integer out of the typecode's range.
   */
  constructor(typecode: T, sizeOrInitializer: number | Iterable<Storable<T>>) {
    super('RawArray', typecode, sizeOrInitializer);
    return this.publish('rawarray');
  }

  protected lockReduction(): undefined {
    return undefined;
  }
}

/**
 * An array of numbers in shared memory with a lock, for every process and thread it reaches
 * (as a `Process` argument, a pool task argument or `initargs`, or inside a value sent through
 * a Queue or Pipe). Mirrors `multiprocessing.Array`, under another name so that the global
 * `Array` stays JavaScript's.
 *
 * `arr[i]` reads and writes shared memory at once (a RangeError out of range, a TypeError or
 * RangeError for a value that does not fit), `length`, iteration, `slice()` (Python's
 * `arr[a:b]`) and `setSlice()` (`arr[a:b] = ...`), `getLock()`, `getObj()`.
 *
 * @example
 * ```ts
 * import { Process, SharedArray } from '@concurrent/multiprocessing';
 * const squares = new SharedArray('i', 10);
 * const p = new Process({ target: tasks.fillSquares, args: [squares] });
 * p.start();
 * await p.join();
 * console.log(squares.toArray()); // [0, 1, 4, 9, ...]
 * // tasks.ts: export function fillSquares(a: SharedArray<'i'>) {
 * //   for (let i = 0; i < a.length; i++) a[i] = i * i;
 * // }
 * ```
 */
export class SharedArray<T extends Typecode = Typecode, L extends SyncLock = Lock | RLock> extends ArrayBase<T> {
  readonly #lock: L | undefined;
  #obj: RawArray<T> | undefined;

  /**
   * @param typecode - Python's `array` typecode: `b B h H i I l L q Q f d`.
   * @param sizeOrInitializer - The number of elements (zeroed), or their initial values.
   * @param options - `lock`: `true` (default) for a new RLock, `false` for none, or a Lock or
   *   RLock to use.
   * @throws TypeError for an unknown typecode, a size that is not a whole number, a value of
   *   the wrong kind or a bad option; RangeError for a negative size or an integer out of the
   *   typecode's range.
   */
  constructor(typecode: T, sizeOrInitializer: number | Iterable<Storable<T>>, options?: { lock?: boolean | undefined });
  constructor(typecode: T, sizeOrInitializer: number | Iterable<Storable<T>>, options: { lock: L });
  constructor(typecode: T, sizeOrInitializer: number | Iterable<Storable<T>>, options?: SynchronizedOptions<L>) {
    super('SharedArray', typecode, sizeOrInitializer);
    this.#lock = reviving === undefined ? lockOption(options, 'new SharedArray()') : (reviving.lock as L | undefined);
    return this.publish('array');
  }

  /**
   * The lock that guards it: Python's `get_lock()`.
   *
   * @throws TypeError if it was made with `{ lock: false }` (Python returns a raw array then).
   * @example
   * ```ts
   * await using _ = await arr.getLock().hold();
   * arr[0] += arr[1];
   * ```
   */
  getLock(): L {
    if (this.#lock === undefined) {
      throw new TypeError(`SharedArray('${this.typecode}') was made with { lock: false } and has no lock (Python's Array(lock=False) returns a raw array); make it with a lock, or use RawArray`);
    }
    return this.#lock;
  }

  /** The array without its lock, over the same memory: Python's `get_obj()`. */
  getObj(): RawArray<T> {
    this.#obj ??= this.raw();
    return this.#obj;
  }

  protected lockReduction(destination: Destination): Reduction | null {
    return this.#lock === undefined ? null : reduceLock(this.#lock, destination, `SharedArray('${this.typecode}')`);
  }
}

/** The reviver (see `[REDUCE]`): this thread's handle to the array the state names. */
export function reviveSharedArray(state: ArrayState): RawArray | SharedArray | Promise<SharedArray> {
  enableReduction();
  const lock = state.l === null ? undefined : reviveLockFrom(state.l);
  if (lock instanceof Promise) return lock.then((revived) => make(state, revived) as SharedArray);
  return make(state, lock);
}

function make(state: ArrayState, lock: SyncLock | undefined): RawArray | SharedArray {
  return handleFor(state.k, state.b, (block) => {
    reviving = { block, lock };
    try {
      return state.k === 'rawarray' ? new RawArray(state.t, 0) : new SharedArray(state.t, 0);
    } finally {
      reviving = undefined;
    }
  });
}
