/**
 * `Semaphore` and `BoundedSemaphore` for every process and thread of a program: one word of
 * shared memory (shm/block.ts), the count, taken by compare-and-swap. Mirrors
 * `multiprocessing.Semaphore` and `BoundedSemaphore`.
 *
 * Words: `[value]`. A bounded semaphore's bound travels in its reduced state: it never changes.
 *
 * A semaphore has no owner (any process or thread may release it, as in Python), so a process
 * that dies after an `acquire()` does not give its unit back, as with Python's POSIX semaphores;
 * a {@link Lock} is the primitive that recovers from a holder's death.
 *
 * @module
 */
import { type Destination, enableReduction, REDUCE, type Reducible, type Reduction } from '@concurrent/futures/internal';
import { ValueError } from '../errors.js';
import { builtModule } from '../sharing/runtime.js';
import { allocate, type Block, type BlockState, blockState, handleFor, rememberHandle } from '../shm/block.js';
import { pollUntil } from '../shm/poll.js';
import { describe } from '../validate.js';
import { type AcquireOptions, acquireTimeout, type Held, hold } from './acquire.js';

const VALUE = 0;
const ACQUIRED = Promise.resolve(true);
/** The largest count a word holds. */
const MAX_VALUE = 2 ** 31 - 1;

/** What a semaphore is on the wire. */
export interface SemaphoreState {
  readonly k: 'semaphore' | 'bounded';
  readonly b: BlockState;
  /** The bound of a BoundedSemaphore (its initial value). */
  readonly max: number;
}

/** Set while a reviver builds a handle over an existing block. */
let reviving: Block | undefined;

/** Python's check of the initial value, with the value echoed. */
function checkValue(value: unknown, what: string): number {
  if (typeof value !== 'number') throw new TypeError(`Expected \`value\` of ${what} to be a number from 0 up, got ${describe(value)}`);
  if (!Number.isInteger(value) || value < 0 || value > MAX_VALUE) {
    throw new ValueError(`semaphore initial value must be >= 0: expected \`value\` of ${what} to be a whole number from 0 to ${String(MAX_VALUE)}, got ${describe(value)}`);
  }
  return value;
}

/**
 * A counting semaphore shared by every process and thread it reaches (as a `Process` argument,
 * a pool task argument or `initargs`, or inside a value sent through a Queue or Pipe):
 * `acquire()` takes one unit, waiting while there is none; `release()` gives one back. Mirrors
 * `multiprocessing.Semaphore(value=1)`.
 *
 * A process that dies holding units does not give them back (as in Python).
 *
 * @example
 * ```ts
 * import { Semaphore } from '@concurrent/multiprocessing';
 * const slots = new Semaphore(2); // at most two downloads at once, across every process
 * // in each task:
 * await using _ = await slots.hold();
 * await download(url);
 * ```
 */
export class Semaphore implements Reducible {
  readonly #words: Int32Array;
  readonly #block: Block;
  readonly #kind: 'semaphore' | 'bounded';
  readonly #max: number;

  /**
   * @param value - The initial count, a whole number from 0 up. Default 1.
   * @throws ValueError('semaphore initial value must be >= 0: …') for a negative or fractional value.
   */
  constructor(value = 1) {
    // A subclass of BoundedSemaphore is bounded too.
    this.#kind = new.target === BoundedSemaphore || new.target.prototype instanceof BoundedSemaphore ? 'bounded' : 'semaphore';
    const block = reviving;
    reviving = undefined;
    this.#max = checkValue(value, this.#kind === 'bounded' ? 'BoundedSemaphore' : 'Semaphore');
    this.#block = block ?? allocate(4);
    this.#words = new Int32Array(this.#block.memory, this.#block.offset, 1);
    if (block === undefined) Atomics.store(this.#words, VALUE, this.#max);
    enableReduction();
    rememberHandle('semaphore', this.#block, this);
  }

  /**
   * Takes one unit: resolves `true` once taken, or `false` if `blocking` is false or `timeout`
   * (ms) passed first while the count was 0. Never blocks the event loop. A bare boolean is
   * Python's positional `acquire(False)`.
   *
   * @example
   * ```ts
   * if (await sem.acquire({ timeout: 1_000 })) {
   *   try { await work(); } finally { sem.release(); }
   * }
   * ```
   */
  acquire(options?: AcquireOptions | boolean): Promise<boolean> {
    // As Lock's: a free acquire() without options checks nothing and makes no promise.
    const timeout = options === undefined ? undefined : acquireTimeout(options, `${this.constructor.name}.acquire()`);
    if (this.#tryAcquire()) return ACQUIRED;
    return pollUntil(() => this.#tryAcquire(), timeout);
  }

  /**
   * Gives `n` units back (default 1; Python's `threading.Semaphore.release(n)`), from any
   * process or thread.
   *
   * @throws ValueError('semaphore or lock released too many times') from a BoundedSemaphore
   *   whose count would go above its initial value.
   * @example
   * ```ts
   * sem.release();
   * ```
   */
  release(n = 1): void {
    if (typeof n !== 'number' || !Number.isInteger(n) || n < 1) throw new ValueError(`n must be one or more: expected \`n\` to be a whole number from 1 up, got ${describe(n)}`);
    const bound = this.#kind === 'bounded' ? this.#max : MAX_VALUE;
    for (;;) {
      const value = Atomics.load(this.#words, VALUE);
      if (value + n > bound) {
        if (this.#kind === 'bounded') throw new ValueError('semaphore or lock released too many times');
        throw new ValueError(`semaphore count would exceed ${String(MAX_VALUE)}`);
      }
      if (Atomics.compareExchange(this.#words, VALUE, value, value + n) === value) return;
    }
  }

  /**
   * The count now (Python's `get_value()`): a snapshot, which other processes may change at once.
   *
   * @example
   * ```ts
   * new Semaphore(3).getValue(); // 3
   * ```
   */
  getValue(): number {
    return Atomics.load(this.#words, VALUE);
  }

  /**
   * Takes a unit for a block: `await using _ = await sem.hold();` gives it back when the block
   * ends, however it ends (Python's `with sem:`). Rejects with `TimeoutError` if `timeout`
   * passes first.
   *
   * @example
   * ```ts
   * {
   *   await using _ = await sem.hold({ timeout: 5_000 });
   *   await work();
   * }
   * ```
   */
  hold(options?: { timeout?: number | undefined }): Promise<Held> {
    return hold(this, options, `${this.constructor.name}.hold()`);
  }

  #tryAcquire(): boolean {
    for (;;) {
      const value = Atomics.load(this.#words, VALUE);
      if (value === 0) return false;
      if (Atomics.compareExchange(this.#words, VALUE, value, value - 1) === value) return true;
    }
  }

  /** @internal How it travels: the same word, wherever it goes. */
  [REDUCE](destination: Destination): Reduction {
    const state: SemaphoreState = { k: this.#kind, b: blockState(this.#block, destination), max: this.#max };
    return { module: builtModule('sync/semaphore.js'), reviver: 'reviveSemaphore', state };
  }
}

/**
 * A semaphore that refuses to be released above its initial value: a release without a
 * matching acquire is a bug it reports. Mirrors `multiprocessing.BoundedSemaphore(value=1)`.
 *
 * @example
 * ```ts
 * const sem = new BoundedSemaphore(1);
 * await sem.acquire();
 * sem.release();
 * sem.release(); // throws ValueError('semaphore or lock released too many times')
 * ```
 */
export class BoundedSemaphore extends Semaphore {}

/** The reviver (see `[REDUCE]`): this thread's handle to the semaphore the state names. */
export function reviveSemaphore(state: SemaphoreState): Semaphore {
  enableReduction();
  return handleFor('semaphore', state.b, (block) => {
    reviving = block;
    return state.k === 'bounded' ? new BoundedSemaphore(state.max) : new Semaphore(state.max);
  });
}
