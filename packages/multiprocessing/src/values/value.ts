/**
 * `Value` and `RawValue`: one number in shared memory (shm/block.ts), read and written
 * synchronously by every process and thread that holds it. Mirrors `multiprocessing.Value` and
 * `RawValue` (`multiprocessing.sharedctypes`).
 *
 * ```
 *  creator                                        a child process or worker thread
 *  new Value('i', 0) ─ block (4 bytes) ─────────▶ reviveSharedValue({ t: 'i', b, l })
 *                    └ RLock (its own 12 bytes) ─▶   reviveLock(l.state): that thread's lock
 * ```
 *
 * Invariants:
 * - A handle is a typed array of one element over the block: `.value` is a plain memory read
 *   or write. An aligned element is read and written whole on every CPU Node runs on, so a
 *   read never sees half a write; anything longer than one access (`+= 1`) needs the lock.
 * - `.value` does not take the lock (Python's does, on every access): an access cannot wait
 *   synchronously for a lock another process holds without blocking the event loop, and taking
 *   it per access makes neither `+=` atomic nor reads fresher. See the README.
 * - The lock is an ordinary Lock or RLock; it travels inside the value's wire form
 *   (synchronized.ts). One handle per object per thread, as for locks.
 *
 * @module
 */
import { inspect } from 'node:util';
import { type Destination, enableReduction, REDUCE, type Reducible, type Reduction } from '@concurrent/futures/internal';
import { builtModule } from '../sharing/runtime.js';
import { allocate, type Block, type BlockState, blockState, handleFor, rememberHandle } from '../shm/block.js';
import type { Lock, RLock } from '../sync/lock.js';
import { lockOption, reduceLock, reviveLockFrom, type SyncLock, type SynchronizedOptions } from './synchronized.js';
import { loadType, sharedType, type TypeState, typeState } from './structure.js';
import { type ElementOf, type ElementType, type SharedType, type Storable, type Typecode, type TypecodeOf } from './typecodes.js';

/** What a value is on the wire. */
export interface ValueState {
  readonly k: 'rawvalue' | 'value';
  /** The element type: a scalar's code, or a structure's name and fields. */
  readonly t: TypeState;
  readonly b: BlockState;
  /** The lock's wire form; `null`: a Value made with `{ lock: false }`. */
  readonly l: Reduction | null;
}

/** Set while a reviver (or getObj) builds a handle over an existing block. */
let reviving: { readonly block: Block; readonly lock: SyncLock | undefined; readonly type: ElementType } | undefined;

/** One element of shared memory and its typed-array cell: what RawValue and Value share. */
abstract class SharedValue<T extends SharedType> implements Reducible {
  readonly #type: ElementType;
  readonly #block: Block;
  readonly #cell: { [index: number]: number | bigint };
  readonly #what: string;

  protected constructor(name: string, typecode: T, initial: Storable<T> | undefined) {
    const type = reviving?.type ?? sharedType(typecode, `new ${name}()`);
    this.#type = type;
    this.#what = `${name}(${label(type)}).value`;
    const stored = initial === undefined || reviving !== undefined ? undefined : type.check(initial, `new ${name}(${label(type)}, …)`);
    this.#block = reviving?.block ?? allocate(type.bytes);
    this.#cell = type.view(this.#block.memory, this.#block.offset, 1);
    if (type.coded === undefined) {
      if (stored !== undefined) this.#cell[0] = stored as number | bigint;
    } else {
      // c_bool, c_char, a structure: `.value` of this object alone decodes (an own accessor), so
      // that the prototype's getter, which every numeric value uses, stays one memory read.
      const coded = type.coded(this.#block.memory, this.#block.offset, 1);
      const what = this.#what;
      if (stored !== undefined) coded.put(0, stored);
      Object.defineProperty(this, 'value', {
        get: () => coded.get(0),
        set: (value: unknown) => coded.put(0, type.check(value, what)),
        enumerable: false,
        configurable: false,
      });
    }
    enableReduction();
  }

  /**
   * The typecode it was made with: `'i'`, `'d'`..., `'i'` for `c_int` too, `'?'` for `c_bool`,
   * a structure's format (`'T{<d:x:<d:y:}'`).
   */
  get typecode(): TypecodeOf<T> {
    return this.#type.code as TypecodeOf<T>;
  }

  /**
   * The value, read from shared memory: what any process or thread last wrote. `bigint` for
   * the 64-bit typecodes (`l L q Q`), else a number.
   *
   * Setting it checks the type and range first: a `TypeError` for the wrong kind of value (a
   * fraction for an integer typecode, say), a `RangeError` for an integer that does not fit
   * (Python's ctypes would wrap it silently). A 64-bit typecode also takes a safe integer number.
   *
   * @example
   * ```ts
   * const v = new Value('d', 0.5);
   * v.value *= 3; // 1.5 (a read then a write: hold getLock() if others write too)
   * ```
   */
  get value(): ElementOf<T> {
    return this.#cell[0] as ElementOf<T>;
  }

  set value(value: Storable<T>) {
    this.#cell[0] = this.#type.check(value, this.#what) as number | bigint;
  }

  /** @internal How messages name its type: `'i'`, `Point`. */
  protected get typeLabel(): string {
    return label(this.#type);
  }

  /** @internal The lock's wire form, `null` for none, `undefined` for a raw value. */
  protected abstract lockReduction(destination: Destination): Reduction | null | undefined;

  /** @internal How it travels: the same memory (and the same lock), wherever it goes. */
  [REDUCE](destination: Destination): Reduction {
    const lock = this.lockReduction(destination);
    const state: ValueState = { k: lock === undefined ? 'rawvalue' : 'value', t: typeState(this.#type), b: blockState(this.#block, destination), l: lock ?? null };
    return { module: builtModule('values/value.js'), reviver: 'reviveSharedValue', state };
  }

  /** @internal */
  protected remember(kind: ValueState['k']): void {
    rememberHandle(kind, this.#block, this);
  }

  /** @internal A RawValue over the same memory: this thread's one handle of it. */
  protected raw(): RawValue<T> {
    return handleFor('rawvalue', blockState(this.#block, 'thread'), (block) => {
      reviving = { block, lock: undefined, type: this.#type };
      try {
        return new RawValue(this.#type.code as T);
      } finally {
        reviving = undefined;
      }
    });
  }

  [inspect.custom](): string {
    return `${this.constructor.name}(${label(this.#type)}, ${inspect(this.value)})`;
  }
}

/** How messages name a type: `'i'` (c_int too), `'?'` (c_bool), a structure's class name. */
export function label(type: ElementType): string {
  return type.code.startsWith('T{') ? type.name : `'${type.code}'`;
}

/**
 * A number in shared memory without a lock: Python's `multiprocessing.RawValue` (and
 * `Value(..., lock=False)`). It travels like {@link Value}.
 *
 * @example
 * ```ts
 * import { RawValue } from '@concurrent/multiprocessing';
 * const flag = new RawValue('B', 0);
 * flag.value = 1; // seen at once by every process and thread that holds it
 * ```
 */
export class RawValue<T extends SharedType = Typecode> extends SharedValue<T> {
  /**
   * @param typecode - A typecode (`b B h H i I l L q Q f d c`), a ctypes type (`c_int`,
   *   `c_bool`…) or a {@link Structure} subclass.
   * @param initial - The first value; default 0.
   * @throws TypeError for an unknown typecode or a value of the wrong kind; RangeError for an
   *   integer out of the typecode's range.
   */
  constructor(typecode: T, initial?: Storable<T>) {
    super('RawValue', typecode, initial);
    this.remember('rawvalue');
  }

  protected lockReduction(): undefined {
    return undefined;
  }
}

/**
 * A number in shared memory with a lock, for every process and thread it reaches (as a
 * `Process` argument, a pool task argument or `initargs`, or inside a value sent through a
 * Queue or Pipe). Mirrors `multiprocessing.Value`: typecodes as Python's `array` module,
 * `getLock()`, `getObj()`.
 *
 * `.value` reads and writes the memory at once, in any process or thread; `+= 1` is a read and
 * a write, so hold the lock around it when others write too.
 *
 * @example
 * ```ts
 * import { Process, Value } from '@concurrent/multiprocessing';
 * const counter = new Value('i', 0);
 * const ps = Array.from({ length: 10 }, () => new Process({ target: tasks.addMany, args: [counter, 1_000] }));
 * for (const p of ps) p.start();
 * for (const p of ps) await p.join();
 * console.log(counter.value); // 10000
 * // tasks.ts: export async function addMany(counter: Value<'i'>, n: number) {
 * //   for (let i = 0; i < n; i++) {
 * //     await counter.getLock().acquire();
 * //     try { counter.value += 1; } finally { counter.getLock().release(); }
 * //   }
 * // }
 * ```
 */
export class Value<T extends SharedType = Typecode, L extends SyncLock = Lock | RLock> extends SharedValue<T> {
  readonly #lock: L | undefined;
  #obj: RawValue<T> | undefined;

  /**
   * @param typecode - A typecode (`b B h H i I l L q Q f d c`), a ctypes type (`c_int`,
   *   `c_bool`…) or a {@link Structure} subclass.
   * @param initial - The first value; default 0.
   * @param options - `lock`: `true` (default) for a new RLock, `false` for none, or a Lock or
   *   RLock to use.
   * @throws TypeError for an unknown typecode, a value of the wrong kind or a bad option;
   *   RangeError for an integer out of the typecode's range.
   */
  constructor(typecode: T, initial?: Storable<T>, options?: { lock?: boolean | undefined });
  constructor(typecode: T, initial: Storable<T> | undefined, options: { lock: L });
  constructor(typecode: T, initial?: Storable<T>, options?: SynchronizedOptions<L>) {
    super('Value', typecode, initial);
    this.#lock = reviving === undefined ? lockOption(options, 'new Value()') : (reviving.lock as L | undefined);
    this.remember('value');
  }

  /**
   * The lock that guards it: Python's `get_lock()`. Hold it around a read and a write that
   * must not interleave with others'.
   *
   * @throws TypeError if it was made with `{ lock: false }` (Python returns a raw value then).
   * @example
   * ```ts
   * await using _ = await counter.getLock().hold();
   * counter.value += 1;
   * ```
   */
  getLock(): L {
    if (this.#lock === undefined) {
      throw new TypeError(`Value(${this.typeLabel}) was made with { lock: false } and has no lock (Python's Value(lock=False) returns a raw value); make it with a lock, or use RawValue`);
    }
    return this.#lock;
  }

  /**
   * The value without its lock, over the same memory: Python's `get_obj()`.
   *
   * @example
   * ```ts
   * const raw = counter.getObj();
   * raw.value = 5; // counter.value is 5
   * ```
   */
  getObj(): RawValue<T> {
    this.#obj ??= this.raw();
    return this.#obj;
  }

  protected lockReduction(destination: Destination): Reduction | null {
    return this.#lock === undefined ? null : reduceLock(this.#lock, destination, `Value(${this.typeLabel})`);
  }
}

/** The reviver (see `[REDUCE]`): this thread's handle to the value the state names. */
export function reviveSharedValue(state: ValueState): RawValue | Value | Promise<RawValue | Value> {
  enableReduction();
  const lock = state.l === null ? undefined : reviveLockFrom(state.l);
  // A structure whose class named its module is imported first (structure.ts, loadType).
  const type = loadType(state.t);
  if (lock instanceof Promise || type instanceof Promise) return Promise.all([lock, type]).then(([revived, loaded]) => make(state, revived, loaded));
  return make(state, lock, type);
}

function make(state: ValueState, lock: SyncLock | undefined, type: ElementType): RawValue | Value {
  return handleFor(state.k, state.b, (block) => {
    reviving = { block, lock, type };
    try {
      return state.k === 'rawvalue' ? new RawValue(type.code as Typecode) : new Value(type.code as Typecode);
    } finally {
      reviving = undefined;
    }
  });
}
