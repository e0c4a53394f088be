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
import { loadType, sharedType, type TypeState, typeState } from './structure.js';
import { c_char, type Coded, type CType, type ElementOf, type ElementType, type SharedType, type Storable, type Stored, type Typecode, type TypecodeOf, type TypedArrayOf } from './typecodes.js';
import { label } from './value.js';

/** What an array is on the wire; its length is the block's bytes over the element's. */
export interface ArrayState {
  readonly k: 'rawarray' | 'array';
  /** The element type: a scalar's code, or a structure's name and fields. */
  readonly t: TypeState;
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
let reviving: { readonly block: Block; readonly lock: SyncLock | undefined; readonly type: ElementType } | undefined;

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
let indexed: <A extends ArrayBase<SharedType>>(target: A) => A;

/** What RawArray and SharedArray share: the memory, the elements, the methods. */
abstract class ArrayBase<T extends SharedType> implements Reducible, Iterable<ElementOf<T>> {
  /** The element at `index`: a read of shared memory. @throws RangeError out of range. */
  [index: number]: ElementOf<T>;

  readonly #type: ElementType;
  readonly #block: Block;
  readonly #cells: Cells;
  readonly #length: number;
  /** Only for c_bool, c_char and structures (typecodes.ts, `coded`): their reads and writes. */
  readonly #coded: Coded | undefined;
  readonly #name: string;
  /** `SharedArray('i')`: how messages name it. */
  readonly #what: string;
  /** Methods bound to the instance, for the Proxy's callers (a private field needs the real `this`). */
  readonly #bound = new Map<PropertyKey, unknown>();

  protected constructor(name: string, typecode: T, sizeOrInitializer: number | Iterable<Storable<T>>) {
    const what = `new ${name}()`;
    const type = reviving?.type ?? sharedType(typecode, what);
    this.#type = type;
    this.#name = name;
    this.#what = `${name}(${label(type)})`;
    let items: Stored[] | undefined;
    let length: number;
    if (reviving !== undefined) {
      length = reviving.block.bytes / type.bytes;
    } else if (typeof sizeOrInitializer === 'number') {
      if (!Number.isInteger(sizeOrInitializer)) throw new TypeError(`${what}: expected a whole number of elements or an iterable of initial values, got ${describe(sizeOrInitializer)}`);
      if (sizeOrInitializer < 0) throw new RangeError(`${what}: the size cannot be negative, got ${describe(sizeOrInitializer)}`);
      length = sizeOrInitializer;
    } else {
      if (typeof sizeOrInitializer === 'string' ? type !== c_char : typeof sizeOrInitializer !== 'object' || sizeOrInitializer === null || typeof (sizeOrInitializer as Partial<Iterable<unknown>>)[Symbol.iterator] !== 'function') {
        throw new TypeError(`${what}: expected a whole number of elements or an iterable of initial values, got ${describe(sizeOrInitializer)}`);
      }
      // A string is iterable: `new SharedArray('c', 'hello world')` takes its characters, as
      // Python's Array('c', b'hello world') takes its bytes.
      items = Array.from(sizeOrInitializer as Iterable<unknown>, (item, i) => type.check(item, `${what} initializer`, i));
      length = items.length;
    }
    this.#block = reviving?.block ?? allocate(length * type.bytes);
    this.#length = length;
    this.#cells = type.view(this.#block.memory, this.#block.offset, length);
    this.#coded = type.coded?.(this.#block.memory, this.#block.offset, length);
    if (items !== undefined) {
      if (this.#coded === undefined) this.#cells.set(items as (number | bigint)[]);
      else for (let i = 0; i < items.length; i++) this.#coded.put(i, items[i]!);
    }
    enableReduction();
  }

  /** The number of elements: Python's `len(arr)`. */
  get length(): number {
    return this.#length;
  }

  /**
   * The typecode it was made with: `'i'`, `'d'`..., `'i'` for `c_int` too, `'?'` for `c_bool`,
   * a structure's format (`'T{<d:x:<d:y:}'`).
   */
  get typecode(): TypecodeOf<T> {
    return this.#type.code as TypecodeOf<T>;
  }

  /**
   * A `'c'` (c_char) array's bytes up to the first NUL, as a string: ctypes' `arr.value`.
   * Setting it writes the string's characters (Latin-1, one byte each) and a NUL after them when
   * the string is shorter than the array.
   *
   * @throws TypeError on an array of another type; ValueError('byte string too long') for a
   *   string longer than the array, as ctypes; RangeError for a character that is not Latin-1.
   * @example
   * ```ts
   * const s = new SharedArray('c', 'hello world');
   * s.value = s.value.toUpperCase(); // 'HELLO WORLD', in every process that holds `s`
   * s.value = 'hi'; // s.raw: 'hi\0lo world'
   * ```
   */
  get value(): CharsOf<T> {
    const bytes = this.#chars('value');
    const end = bytes.indexOf(0);
    return latin1(end === -1 ? bytes : bytes.subarray(0, end)) as CharsOf<T>;
  }

  set value(value: CharsOf<T>) {
    this.#writeChars('value', value, true);
  }

  /**
   * All of a `'c'` (c_char) array's bytes as a string, NULs included: ctypes' `arr.raw`.
   * Setting it writes the string's characters from the start, without a NUL after them.
   *
   * @throws as {@link value}.
   */
  get raw(): CharsOf<T> {
    return latin1(this.#chars('raw')) as CharsOf<T>;
  }

  set raw(value: CharsOf<T>) {
    this.#writeChars('raw', value, false);
  }

  #chars(what: string): Uint8Array {
    if (this.#type !== c_char) throw new TypeError(`${this.#what} has no .${what}: only an array of 'c' (c_char) has`);
    return this.#cells as unknown as Uint8Array;
  }

  #writeChars(what: string, value: unknown, terminate: boolean): void {
    const bytes = this.#chars(what);
    if (typeof value !== 'string') throw new TypeError(`${this.#what}.${what}: expected a string, got ${describe(value)}`);
    if (value.length > bytes.length) throw new ValueError(`byte string too long (${String(value.length)} characters for ${this.#what} of length ${String(bytes.length)})`);
    const codes = Array.from(value, (char, i) => c_char.check(char, `${this.#what}.${what}`, i) as number);
    bytes.set(codes);
    if (terminate && codes.length < bytes.length) bytes[codes.length] = 0;
  }

  /**
   * The element at `index`, counting from the end when negative (Python's `arr[-1]`);
   * `undefined` out of range, as `Array.prototype.at`.
   */
  at(index: number): ElementOf<T> | undefined {
    const i = Math.trunc(index);
    const cells = this.#cells;
    if (this.#coded === undefined) return cells[i < 0 ? cells.length + i : i] as ElementOf<T> | undefined;
    const j = i < 0 ? this.#length + i : i;
    return j >= 0 && j < this.#length ? (this.#coded.get(j) as ElementOf<T>) : undefined;
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
    const coded = this.#coded;
    if (coded === undefined) return Array.from(this.#cells.subarray(start, end) as unknown as ArrayLike<ElementOf<T>>);
    const [from, to] = bounds(this.#length, start, end);
    return Array.from({ length: to - from }, (_, i) => coded.get(from + i) as ElementOf<T>);
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
    const items = Array.from(values as Iterable<unknown>, (item, i) => this.#type.check(item, `${this.#what}.setSlice() values`, i));
    const coded = this.#coded;
    if (coded === undefined) {
      const cells = this.#cells.subarray(start, end);
      if (items.length !== cells.length) throw new ValueError('Can only assign sequence of same size');
      cells.set(items as (number | bigint)[]);
      return;
    }
    const [from, to] = bounds(this.#length, start, end);
    if (items.length !== to - from) throw new ValueError('Can only assign sequence of same size');
    for (let i = 0; i < items.length; i++) coded.put(from + i, items[i]!);
  }

  /**
   * A copy of every element as a plain array (`Array.from(arr)` and `[...arr]` also work); for
   * a structure, its views (not copies).
   */
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
    return this.#type.view(this.#block.memory, this.#block.offset, this.#length) as TypedArrayOf<T>;
  }

  /** The elements, read as the iteration reaches them. */
  *[Symbol.iterator](): IterableIterator<ElementOf<T>> {
    const cells = this.#cells;
    const coded = this.#coded;
    if (coded === undefined) for (let i = 0; i < cells.length; i++) yield cells[i] as ElementOf<T>;
    else for (let i = 0; i < this.#length; i++) yield coded.get(i) as ElementOf<T>;
  }

  /** @internal How messages name its type: `'i'`, `Point`. */
  protected get typeLabel(): string {
    return label(this.#type);
  }

  /** @internal The lock's wire form, `null` for none, `undefined` for a raw array. */
  protected abstract lockReduction(destination: Destination): Reduction | null | undefined;

  /** @internal How it travels: the same memory (and the same lock), wherever it goes. */
  [REDUCE](destination: Destination): Reduction {
    const lock = this.lockReduction(destination);
    const state: ArrayState = { k: lock === undefined ? 'rawarray' : 'array', t: typeState(this.#type), b: blockState(this.#block, destination), l: lock ?? null };
    return { module: builtModule('values/array.js'), reviver: 'reviveSharedArray', state };
  }

  /** @internal The object the constructor returns: the indexed Proxy, remembered as this thread's handle. */
  protected publish(kind: ArrayState['k']): this {
    const handle = indexed(this);
    rememberHandle(kind, this.#block, handle);
    return handle;
  }

  /** @internal A RawArray over the same memory: this thread's one handle of it. */
  protected rawHandle(): RawArray<T> {
    return handleFor('rawarray', blockState(this.#block, 'thread'), (block) => {
      reviving = { block, lock: undefined, type: this.#type };
      try {
        return new RawArray(this.#type.code as T, 0);
      } finally {
        reviving = undefined;
      }
    });
  }

  // `this` is the Proxy here (util.inspect calls it so): public members only.
  [inspect.custom](_depth: number, options: InspectOptions): string {
    const items: unknown = this.typecode === 'c' ? this.raw : this.toArray();
    return `${this.constructor.name}(${this.typeLabel}, ${inspect(items, options)})`;
  }

  static {
    const check = (target: ArrayBase<SharedType>, index: number): number => {
      const length = target.#length;
      if (index >= 0 && index < length && Number.isInteger(index)) return index;
      const hint = index < 0 ? '; .at() counts from the end' : '';
      throw new RangeError(`${target.#name} index out of range: ${String(index)} (length ${String(length)})${hint}`);
    };
    const handler: ProxyHandler<ArrayBase<SharedType>> = {
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
            target.#cells[i] = target.#type.check(value, target.#what, i) as number | bigint;
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
    // c_bool, c_char and structures: the same, their elements read and written through `coded`
    // (a handler of their own, so that the numeric one above never looks for it); and a 'c'
    // array's `.value` and `.raw` can be set.
    const codedHandler: ProxyHandler<ArrayBase<SharedType>> = {
      ...handler,
      get(target, key) {
        if (typeof key === 'string') {
          const index = numericKey(key);
          if (index !== undefined) return target.#coded!.get(check(target, index));
        }
        return handler.get!(target, key, target) as unknown;
      },
      set(target, key, value) {
        if (typeof key === 'string') {
          const index = numericKey(key);
          if (index !== undefined) {
            const i = check(target, index);
            target.#coded!.put(i, target.#type.check(value, target.#what, i));
            return true;
          }
          if (key === 'value' || key === 'raw') return Reflect.set(target, key, value, target);
        }
        return handler.set!(target, key, value, target);
      },
    };
    indexed = <A extends ArrayBase<SharedType>>(target: A): A => new Proxy<A>(target, target.#coded === undefined ? handler : codedHandler);
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
export class RawArray<T extends SharedType = Typecode> extends ArrayBase<T> {
  /**
   * @param typecode - A typecode (`b B h H i I l L q Q f d c`), a ctypes type (`c_int`,
   *   `c_bool`…) or a {@link Structure} subclass.
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
export class SharedArray<T extends SharedType = Typecode, L extends SyncLock = Lock | RLock> extends ArrayBase<T> {
  readonly #lock: L | undefined;
  #obj: RawArray<T> | undefined;

  /**
   * @param typecode - A typecode (`b B h H i I l L q Q f d c`), a ctypes type (`c_int`,
   *   `c_bool`…) or a {@link Structure} subclass.
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
      throw new TypeError(`SharedArray(${this.typeLabel}) was made with { lock: false } and has no lock (Python's Array(lock=False) returns a raw array); make it with a lock, or use RawArray`);
    }
    return this.#lock;
  }

  /** The array without its lock, over the same memory: Python's `get_obj()`. */
  getObj(): RawArray<T> {
    this.#obj ??= this.rawHandle();
    return this.#obj;
  }

  protected lockReduction(destination: Destination): Reduction | null {
    return this.#lock === undefined ? null : reduceLock(this.#lock, destination, `SharedArray(${this.typeLabel})`);
  }
}

/** The reviver (see `[REDUCE]`): this thread's handle to the array the state names. */
export function reviveSharedArray(state: ArrayState): RawArray | SharedArray | Promise<RawArray | SharedArray> {
  enableReduction();
  const lock = state.l === null ? undefined : reviveLockFrom(state.l);
  // A structure whose class named its module is imported first (structure.ts, loadType).
  const type = loadType(state.t);
  if (lock instanceof Promise || type instanceof Promise) return Promise.all([lock, type]).then(([revived, loaded]) => make(state, revived, loaded));
  return make(state, lock, type);
}

/** The indices `start` to `end` of an array of `length`, as `subarray` reads them (Python's slice). */
function bounds(length: number, start: number | undefined, end: number | undefined): [number, number] {
  const at = (index: number | undefined, otherwise: number): number => {
    if (index === undefined) return otherwise;
    const i = Math.trunc(index) || 0;
    return i < 0 ? Math.max(length + i, 0) : Math.min(i, length);
  };
  const from = at(start, 0);
  return [from, Math.max(at(end, length), from)];
}

/** Latin-1 bytes as a string: one character per byte. */
function latin1(bytes: Uint8Array): string {
  let text = '';
  for (let i = 0; i < bytes.length; i += 8192) text += String.fromCharCode(...bytes.subarray(i, i + 8192));
  return text;
}

/** What a `'c'` array's `.value` and `.raw` are: a string; `never` for other types. */
export type CharsOf<T extends SharedType> = T extends 'c' ? string : T extends CType<'c'> ? string : never;

function make(state: ArrayState, lock: SyncLock | undefined, type: ElementType): RawArray | SharedArray {
  return handleFor(state.k, state.b, (block) => {
    reviving = { block, lock, type };
    try {
      return state.k === 'rawarray' ? new RawArray(type.code as Typecode, 0) : new SharedArray(type.code as Typecode, 0);
    } finally {
      reviving = undefined;
    }
  });
}
