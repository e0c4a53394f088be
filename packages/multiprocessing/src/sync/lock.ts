/**
 * `Lock` and `RLock` for every process and thread of a program: a word in shared memory
 * (shm/block.ts) taken by compare-and-swap. Mirrors `multiprocessing.Lock` and `RLock`.
 *
 * Words: `[holder pid, holder thread id + 1, depth]`; 0 is free. The holder's pid is what
 * lets a waiter find that the holder died (shm/liveness.ts) and take the lock over, instead of
 * waiting forever as Python's would; {@link Lock.ownerDied} then says so.
 *
 * @module
 */
import { threadId } from 'node:worker_threads';
import { type Destination, enableReduction, REDUCE, type Reducible, type Reduction } from '@concurrent/futures/internal';
import { RuntimeError, ValueError } from '../errors.js';
import { builtModule } from '../sharing/runtime.js';
import { allocate, type Block, type BlockState, blockState, handleFor, rememberHandle } from '../shm/block.js';
import { processAlive } from '../shm/liveness.js';
import { pollUntil } from '../shm/poll.js';
import { type AcquireOptions, acquireTimeout, type Held, hold } from './acquire.js';

const FREE = 0;
/** The thread's id as stored: the main thread's id is 0, which means none. */
const SELF = threadId + 1;
const PID = 0;
const TID = 1;
const DEPTH = 2;
/** This process's pid, read once: `process.pid` is a property lookup on a hot path. */
const ME = process.pid;
/** What an acquire that got the lock at once returns: one settled promise, not one per call. */
const ACQUIRED = Promise.resolve(true);

/** What a lock is on the wire. */
export interface LockState {
  readonly k: 'lock' | 'rlock';
  readonly b: BlockState;
}

/**
 * What a Condition needs of its lock (Python's `_is_owned`, `_release_save`,
 * `_acquire_restore`): internal, for sync/condition.ts only.
 */
export const IS_OWNED: unique symbol = Symbol('isOwned');
export const RELEASE_SAVE: unique symbol = Symbol('releaseSave');
export const ACQUIRE_RESTORE: unique symbol = Symbol('acquireRestore');

/** Set while a reviver builds a handle over an existing block. */
let reviving: Block | undefined;

/** The words of a lock and the moves on them that Lock and RLock share. */
abstract class SharedLock implements Reducible {
  protected readonly words: Int32Array;
  readonly #block: Block;
  readonly #kind: 'lock' | 'rlock';
  #ownerDied = false;

  protected constructor(kind: 'lock' | 'rlock') {
    this.#kind = kind;
    this.#block = reviving ?? allocate(12);
    reviving = undefined;
    this.words = new Int32Array(this.#block.memory, this.#block.offset, 3);
    enableReduction();
    rememberHandle(kind, this.#block, this);
  }

  /**
   * Acquires the lock: resolves `true` once it is held, or `false` if `blocking` is false or
   * `timeout` (ms) passed first. Never blocks the event loop. If the process that held it died
   * holding it, the lock is taken over and {@link ownerDied} is true.
   *
   * @example
   * ```ts
   * if (await lock.acquire({ timeout: 1_000 })) {
   *   try { counter.value += 1; } finally { lock.release(); }
   * }
   * ```
   */
  acquire(options?: AcquireOptions | boolean): Promise<boolean> {
    // `await lock.acquire()` around a counter is the hot path (0.17 µs in Python): no options
    // to check, no message to build, no promise to make when the lock is free.
    const timeout = options === undefined ? undefined : acquireTimeout(options, `${this.constructor.name}.acquire()`);
    if (this.tryAcquire()) return ACQUIRED;
    return pollUntil(() => this.tryAcquire(), timeout, { slow: () => this.#takeFromDead() });
  }

  /** Releases the lock. */
  abstract release(): void;

  /**
   * Acquires the lock for a block: `await using held = await lock.hold();` releases it when
   * the block ends, however it ends (Python's `with lock:`). Rejects with `TimeoutError` if
   * `timeout` passes first.
   *
   * @example
   * ```ts
   * {
   *   await using _ = await lock.hold();
   *   counter.value += 1;
   * }
   * ```
   */
  hold(options?: { timeout?: number | undefined }): Promise<Held> {
    return hold(this, options, `${this.constructor.name}.hold()`);
  }

  /** Whether the last acquire through this handle took the lock from a process that had died holding it. */
  get ownerDied(): boolean {
    return this.#ownerDied;
  }

  /** One try, without waiting. */
  protected abstract tryAcquire(): boolean;

  /** Takes a free lock for this thread. */
  protected take(): boolean {
    // Test, then test-and-set: a waiter's failing compare-and-swap would take the cache line
    // from the holder every try; a load only shares it. The test is a plain read (an
    // Atomics.load costs a call here, 5 ns against 1): it is only a hint, the CAS decides.
    if (this.words[PID] !== FREE || Atomics.compareExchange(this.words, PID, FREE, ME) !== FREE) return false;
    this.#held();
    return true;
  }

  /**
   * Frees the lock (after the holder's checks). The thread and depth words are written by the
   * holder only and read under the pid word (#mine): plain stores, ordered before the atomic
   * store that frees the pid (a seq-cst store is a full fence, and V8 moves no memory access
   * across an Atomics call). Three fenced stores cost about as much as the rest of a release.
   */
  protected free(): void {
    this.words[TID] = 0;
    this.words[DEPTH] = 0;
    Atomics.store(this.words, PID, FREE);
  }

  /** After the pid's compare-and-swap (a full fence): plain stores, as in free(). */
  #held(): void {
    this.words[TID] = SELF;
    this.words[DEPTH] = 1;
    this.#ownerDied = false;
  }

  /** Takes the lock over if its holder is a process that has exited. */
  #takeFromDead(): boolean {
    const holder = Atomics.load(this.words, PID);
    if (holder === FREE || processAlive(holder)) return false;
    if (Atomics.compareExchange(this.words, PID, holder, ME) !== holder) return false;
    this.#held();
    this.#ownerDied = true;
    return true;
  }

  /** @internal Whether this thread holds the lock: a Lock's taker records its thread as an RLock's does. */
  [IS_OWNED](): boolean {
    return Atomics.load(this.words, PID) === process.pid && Atomics.load(this.words, TID) === SELF;
  }

  /** @internal Frees the lock however deep this thread holds it, and says how deep. */
  [RELEASE_SAVE](): number {
    const depth = Atomics.load(this.words, DEPTH);
    this.free();
    return depth;
  }

  /**
   * @internal Takes the lock again, as deep as {@link RELEASE_SAVE} said. Only a free lock
   * will do, not a recursive take: another async task of this thread that took the RLock
   * meanwhile holds it until it releases (its depth must not be overwritten).
   */
  async [ACQUIRE_RESTORE](depth: number): Promise<void> {
    if (!this.take()) await pollUntil(() => this.take(), undefined, { slow: () => this.#takeFromDead() });
    Atomics.store(this.words, DEPTH, depth);
  }

  /** @internal How it travels: the same words, wherever it goes. */
  [REDUCE](destination: Destination): Reduction {
    const state: LockState = { k: this.#kind, b: blockState(this.#block, destination) };
    return { module: builtModule('sync/lock.js'), reviver: 'reviveLock', state };
  }
}

/**
 * A non-recursive lock shared by every process and thread it reaches (as a `Process` argument,
 * a pool task argument or `initargs`, or inside a value sent through a Queue or Pipe). Any
 * process or thread may release it, as in Python.
 *
 * Beyond Python: a process that dies holding it (even by SIGKILL) does not leave it locked
 * forever: the next `acquire()` takes it over and sees {@link Lock.ownerDied}. A worker thread
 * that ends holding it, in a process that lives on, does leave it locked, as in Python.
 *
 * @example
 * ```ts
 * import { Lock, Process } from '@concurrent/multiprocessing';
 * const lock = new Lock();
 * const ps = [1, 2].map((i) => new Process({ target: tasks.printUnder, args: [lock, i] }));
 * for (const p of ps) p.start();
 * // tasks.ts: export async function printUnder(lock: Lock, i: number) {
 * //   await using _ = await lock.hold();
 * //   console.log('hello', i);
 * // }
 * ```
 */
export class Lock extends SharedLock {
  constructor() {
    super('lock');
  }

  /**
   * Releases the lock, whoever holds it.
   *
   * @throws ValueError('semaphore or lock released too many times') if it is not held.
   */
  release(): void {
    // The holder as a plain read is a hint (see take()): the CAS checks it, and says who holds
    // it if the hint was wrong; "free" is only believed from an atomic read.
    let holder = this.words[PID]!;
    for (;;) {
      if (holder === FREE && (holder = Atomics.load(this.words, PID)) === FREE) throw new ValueError('semaphore or lock released too many times');
      this.words[TID] = 0;
      const seen = Atomics.compareExchange(this.words, PID, holder, FREE);
      if (seen === holder) return;
      holder = seen;
    }
  }

  protected tryAcquire(): boolean {
    return this.take();
  }
}

/**
 * A recursive lock: the thread that holds it may acquire it again, and must release it as many
 * times. Ownership is by process and thread; on one event loop every async task is the same
 * thread, so to keep the tasks of one event loop apart across an `await`, use {@link Lock}.
 *
 * @example
 * ```ts
 * const lock = new RLock();
 * await lock.acquire();
 * await lock.acquire(); // the same thread: at once
 * lock.release();
 * lock.release();
 * ```
 */
export class RLock extends SharedLock {
  constructor() {
    super('rlock');
  }

  /**
   * Releases one level of this thread's hold.
   *
   * @throws RuntimeError('cannot release un-acquired lock') if this thread does not hold it.
   */
  release(): void {
    if (!this.#mine()) throw new RuntimeError('cannot release un-acquired lock');
    // Only the holding thread touches the depth while it holds: a plain read and write.
    const depth = this.words[DEPTH]! - 1;
    if (depth > 0) this.words[DEPTH] = depth;
    else this.free();
  }

  protected tryAcquire(): boolean {
    if (this.#mine()) {
      this.words[DEPTH]! += 1;
      return true;
    }
    return this.take();
  }

  /**
   * Whether this thread holds it. Only the holder writes the thread id, and clears it before
   * it frees the pid: a thread reads its own id there only while it holds the lock. Plain
   * reads suffice: a thread always sees its own last writes, and (ME, SELF) is only ever
   * written by this thread, so a stale read can never make another holder's lock look mine.
   */
  #mine(): boolean {
    return this.words[PID] === ME && this.words[TID] === SELF;
  }
}

/** The reviver (see `[REDUCE]`): this thread's handle to the lock the state names. */
export function reviveLock(state: LockState): Lock | RLock {
  enableReduction();
  return handleFor(state.k, state.b, (block) => {
    reviving = block;
    return state.k === 'lock' ? new Lock() : new RLock();
  });
}
