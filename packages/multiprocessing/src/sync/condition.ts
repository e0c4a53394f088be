/**
 * `Condition` for every process and thread of a program: a {@link Lock} or {@link RLock}, and
 * slots of shared memory (shm/block.ts) through which `notify()` hands out wake-ups. Mirrors
 * `multiprocessing.Condition`.
 *
 * ```
 *  slot i (one per handle that has waiters): [pid, granted << 16 | pending]
 *
 *  wait()    holding the lock: pending += 1, queue a local waiter, free the lock, poll
 *  notify(n) holding the lock: over the slots, move up to n from pending to granted (one CAS)
 *  the poll  hands each new grant of its slot to the oldest local waiter, which takes the
 *            lock again and resolves true
 *  timeout   a waiter takes back its pending unit (CAS pending - 1), or, if every unit of its
 *            slot was granted, one of those grants is its own: it resolves true
 * ```
 *
 * Invariants: a slot's local queue holds `pending + granted - delivered` waiters, so a grant
 * always finds a waiter; `pending` rises only under the lock, which `notify()` holds too, so
 * `notify(n)` wakes at most `n` of the waiters that were waiting when it was called, the
 * oldest of each slot first. A slot is claimed by CAS on its pid word when a handle's first
 * waiter comes and given back when its last one has gone (a handle holds at most one).
 *
 * A process that dies while it waits leaves its slot: `notify()` skips (and frees) the slots
 * of processes that have exited (shm/liveness.ts), so their wake-ups go to the living. A
 * process that dies holding the lock is the lock's business ({@link Lock.ownerDied}).
 *
 * @module
 */
import { type Destination, enableReduction, REDUCE, type Reducible, type Reduction } from '@concurrent/futures/internal';
import { OSError, RuntimeError } from '../errors.js';
import { builtModule } from '../sharing/runtime.js';
import { allocate, type Block, type BlockState, blockState, handleFor, rememberHandle } from '../shm/block.js';
import { processAlive } from '../shm/liveness.js';
import { pollUntil } from '../shm/poll.js';
import { checkTimeout, describe } from '../validate.js';
import { type AcquireOptions, type Held, hold } from './acquire.js';
import { ACQUIRE_RESTORE, IS_OWNED, Lock, type LockState, RELEASE_SAVE, reviveLock, RLock } from './lock.js';

/** How many handles (threads, processes) may have waiters at once. */
const SLOTS = 128;
const PENDING_MASK = 0xffff;
/** Both halves of a slot's second word count modulo 2^16. */
const COUNT_MASK = 0xffff;
/** A slot's pid word while a dead process's slot is being freed (no pid is this large). */
const FREEING = 0xffffffff;

/** What a condition is on the wire: its slots and its lock. */
export interface ConditionState {
  readonly b: BlockState;
  readonly l: LockState;
}

/** A `wait()` of this handle, in the order they came. */
interface Waiter {
  notified: boolean;
}

/** Set while a reviver builds a handle over an existing block. */
let reviving: Block | undefined;

function pending(word: number): number {
  return word & PENDING_MASK;
}

function granted(word: number): number {
  return word >>> 16;
}

function slotWord(grantedCount: number, pendingCount: number): number {
  return (((grantedCount & COUNT_MASK) << 16) | pendingCount) >>> 0;
}

/**
 * A condition variable shared by every process and thread it reaches (as a `Process`
 * argument, a pool task argument or `initargs`, or inside a value sent through a Queue or
 * Pipe): `wait()` frees the lock until a `notify()`, then takes it again. Mirrors
 * `multiprocessing.Condition(lock=None)`.
 *
 * @example
 * ```ts
 * import { Condition } from '@concurrent/multiprocessing';
 * const ready = new Condition();
 * // consumer (any process or thread):
 * await using _ = await ready.hold();
 * await ready.waitFor(() => items.length > 0);
 * // producer:
 * await using _ = await ready.hold();
 * items.push(item);
 * ready.notify();
 * ```
 */
export class Condition implements Reducible {
  readonly #lock: Lock | RLock;
  readonly #block: Block;
  /** Per slot: `[pid, granted << 16 | pending]`. */
  readonly #words: Uint32Array;
  /** This handle's slot while it has waiters. */
  #slot = -1;
  /** Grants of the slot handed to waiters (modulo 2^16). */
  #delivered = 0;
  readonly #queue: Waiter[] = [];

  /**
   * @param lock - A {@link Lock} or {@link RLock} of this package; default a new RLock, as in Python.
   * @throws TypeError for anything else.
   */
  constructor(lock?: Lock | RLock) {
    const block = reviving;
    reviving = undefined;
    if (lock !== undefined && !(lock instanceof Lock) && !(lock instanceof RLock)) {
      throw new TypeError(`Expected \`lock\` to be a Lock or RLock of @concurrent/multiprocessing, got ${describe(lock)}`);
    }
    this.#lock = lock ?? new RLock();
    this.#block = block ?? allocate(SLOTS * 8);
    this.#words = new Uint32Array(this.#block.memory, this.#block.offset, SLOTS * 2);
    enableReduction();
    rememberHandle('condition', this.#block, this);
  }

  /**
   * Acquires the underlying lock (see {@link Lock.acquire}).
   *
   * @example
   * ```ts
   * await cond.acquire();
   * try { cond.notify(); } finally { cond.release(); }
   * ```
   */
  acquire(options?: AcquireOptions | boolean): Promise<boolean> {
    return this.#lock.acquire(options);
  }

  /**
   * Releases the underlying lock (see {@link Lock.release}, {@link RLock.release}).
   *
   * @example
   * ```ts
   * cond.release();
   * ```
   */
  release(): void {
    this.#lock.release();
  }

  /**
   * Acquires the lock for a block: `await using _ = await cond.hold();` (Python's `with cond:`).
   * Rejects with `TimeoutError` if `timeout` passes first.
   *
   * @example
   * ```ts
   * {
   *   await using _ = await cond.hold();
   *   cond.notifyAll();
   * }
   * ```
   */
  hold(options?: { timeout?: number | undefined }): Promise<Held> {
    return hold(this, options, 'Condition.hold()');
  }

  /**
   * Frees the lock (an RLock however deep this thread holds it), waits for a `notify()` from
   * any process or thread, and takes the lock again as deep as before. Resolves `true` if it
   * was notified, `false` once `timeout` (ms; `undefined`/`null`: no limit) passed first; either
   * way the lock is held again when it resolves. Never blocks the event loop.
   *
   * @throws RuntimeError('cannot wait on un-acquired lock') if this thread does not hold the lock.
   * @throws OSError when more than 128 processes and threads wait on it at once.
   * @example
   * ```ts
   * await using _ = await cond.hold();
   * while (items.length === 0) await cond.wait();
   * ```
   */
  async wait(timeout?: number | null): Promise<boolean> {
    const ms = checkTimeout(timeout);
    if (!this.#lock[IS_OWNED]()) throw new RuntimeError('cannot wait on un-acquired lock');
    const slot = this.#claim();
    const word = slot * 2 + 1;
    if (pending(Atomics.load(this.#words, word)) === PENDING_MASK) throw new OSError('too many waits on one Condition in one thread (65535)');
    // Under the lock: a notify() that runs after we free it sees us.
    Atomics.add(this.#words, word, 1);
    const waiter: Waiter = { notified: false };
    this.#queue.push(waiter);
    const depth = this.#lock[RELEASE_SAVE]();
    let notified = false;
    try {
      notified = await pollUntil(() => {
        this.#deliver();
        return waiter.notified;
      }, ms);
    } finally {
      if (!notified) notified = this.#withdraw(waiter);
      await this.#lock[ACQUIRE_RESTORE](depth);
      this.#unclaim();
    }
    return notified;
  }

  /**
   * Waits until `predicate()` returns something truthy, re-checking it after each wake-up, and
   * resolves with its last result: falsy if `timeout` (ms, for the whole call) passed first.
   * The predicate runs with the lock held. Mirrors `Condition.wait_for`.
   *
   * @throws RuntimeError('cannot wait on un-acquired lock') if this thread does not hold the lock.
   * @example
   * ```ts
   * await using _ = await cond.hold();
   * const got = await cond.waitFor(() => queue.length > 0, 1_000);
   * ```
   */
  async waitFor<T>(predicate: () => T | PromiseLike<T>, timeout?: number | null): Promise<T> {
    const ms = checkTimeout(timeout);
    const deadline = ms === undefined ? undefined : performance.now() + ms;
    let result = await predicate();
    while (!result) {
      let left: number | undefined;
      if (deadline !== undefined) {
        left = deadline - performance.now();
        if (left <= 0) break;
      }
      await this.wait(left);
      result = await predicate();
    }
    return result;
  }

  /**
   * Wakes at most `n` (default 1) of the `wait()`s, in any process or thread, that were waiting
   * when it was called; each resolves once it holds the lock again, after this holder releases it.
   *
   * @throws RuntimeError('cannot notify on un-acquired lock') if this thread does not hold the lock.
   * @example
   * ```ts
   * await using _ = await cond.hold();
   * items.push(item);
   * cond.notify();
   * ```
   */
  notify(n = 1): void {
    if (n !== Infinity && (typeof n !== 'number' || !Number.isInteger(n) || n < 0)) {
      throw new TypeError(`Expected \`n\` to be a whole number from 0 up, got ${describe(n)}`);
    }
    if (!this.#lock[IS_OWNED]()) throw new RuntimeError('cannot notify on un-acquired lock');
    let left = n;
    for (let slot = 0; slot < SLOTS && left > 0; slot++) {
      const pid = Atomics.load(this.#words, slot * 2);
      if (pid === 0 || pid === FREEING) continue;
      const word = slot * 2 + 1;
      for (;;) {
        const seen = Atomics.load(this.#words, word);
        const waiting = pending(seen);
        if (waiting === 0) break;
        if (pid !== process.pid && !processAlive(pid)) {
          this.#free(slot, pid);
          break;
        }
        const wake = Math.min(left, waiting);
        if (Atomics.compareExchange(this.#words, word, seen, slotWord(granted(seen) + wake, waiting - wake)) === seen) {
          left -= wake;
          break;
        }
        // A waiter of that slot timed out meanwhile: look again.
      }
    }
    // Our own waiters need not wait for their next poll.
    this.#deliver();
  }

  /**
   * Wakes every `wait()` waiting now, in every process and thread (Python's `notify_all()`).
   *
   * @throws RuntimeError('cannot notify on un-acquired lock') if this thread does not hold the lock.
   * @example
   * ```ts
   * await using _ = await cond.hold();
   * done = true;
   * cond.notifyAll();
   * ```
   */
  notifyAll(): void {
    this.notify(Infinity);
  }

  /** This handle's slot, claimed if it has none. */
  #claim(): number {
    if (this.#slot >= 0) return this.#slot;
    for (let pass = 0; pass < 2; pass++) {
      for (let slot = 0; slot < SLOTS; slot++) {
        const pid = Atomics.load(this.#words, slot * 2);
        // The second pass frees the slots of processes that died waiting.
        if (pid !== 0 && (pass === 0 || pid === FREEING || pid === process.pid || processAlive(pid) || !this.#free(slot, pid))) continue;
        if (Atomics.compareExchange(this.#words, slot * 2, 0, process.pid) !== 0) continue;
        this.#slot = slot;
        this.#delivered = granted(Atomics.load(this.#words, slot * 2 + 1));
        return slot;
      }
    }
    throw new OSError(`more than ${String(SLOTS)} processes and threads wait on this Condition at once`);
  }

  /** Gives the slot back once no waiter of this handle is left. */
  #unclaim(): void {
    if (this.#slot < 0 || this.#queue.length > 0) return;
    const slot = this.#slot;
    this.#slot = -1;
    // Nothing pending, nothing granted undelivered (the queue is empty): no notify() will
    // write here until the next claim.
    Atomics.store(this.#words, slot * 2 + 1, 0);
    Atomics.store(this.#words, slot * 2, 0);
  }

  /** Frees the slot of `pid`, a process that died waiting; false if someone else took it. */
  #free(slot: number, pid: number): boolean {
    // Marked first, so that only one freer clears the counts, and never a new claimer's.
    if (Atomics.compareExchange(this.#words, slot * 2, pid, FREEING) !== pid) return false;
    Atomics.store(this.#words, slot * 2 + 1, 0);
    Atomics.store(this.#words, slot * 2, 0);
    return true;
  }

  /** Hands the slot's new grants to the oldest waiters of this handle. */
  #deliver(): void {
    if (this.#slot < 0) return;
    const total = granted(Atomics.load(this.#words, this.#slot * 2 + 1));
    let fresh = (total - this.#delivered) & COUNT_MASK;
    while (fresh > 0 && this.#queue.length > 0) {
      this.#queue.shift()!.notified = true;
      this.#delivered = (this.#delivered + 1) & COUNT_MASK;
      fresh -= 1;
    }
  }

  /**
   * A waiter gives up (timeout): it takes its pending unit back, unless a grant for it came
   * first. Returns whether it was notified after all.
   */
  #withdraw(waiter: Waiter): boolean {
    const word = this.#slot * 2 + 1;
    for (let tries = 0; ; tries++) {
      // Grants that came first go to the oldest waiters, this one perhaps.
      this.#deliver();
      if (waiter.notified) return true;
      const seen = Atomics.load(this.#words, word);
      // Every grant is delivered and this waiter is queued: a unit is pending (the invariant).
      if (pending(seen) > 0 && Atomics.compareExchange(this.#words, word, seen, seen - 1) === seen) {
        this.#queue.splice(this.#queue.indexOf(waiter), 1);
        return false;
      }
      // Only a broken invariant (memory written by something else) could keep us here.
      if (tries > 1_000_000) {
        this.#queue.splice(this.#queue.indexOf(waiter), 1);
        return false;
      }
    }
  }

  /** @internal How it travels: the same slots and the same lock, wherever it goes. */
  [REDUCE](destination: Destination): Reduction {
    const lock = this.#lock[REDUCE](destination).state as LockState;
    const state: ConditionState = { b: blockState(this.#block, destination), l: lock };
    return { module: builtModule('sync/condition.js'), reviver: 'reviveCondition', state };
  }
}

/** The reviver (see `[REDUCE]`): this thread's handle to the condition the state names. */
export function reviveCondition(state: ConditionState): Condition {
  enableReduction();
  const lock = reviveLock(state.l);
  return handleFor('condition', state.b, (block) => {
    reviving = block;
    return new Condition(lock);
  });
}
