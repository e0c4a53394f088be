/**
 * `Barrier` for every process and thread of a program: Python's `threading.Barrier` state
 * machine, in words of shared memory (shm/block.ts) changed under a tiny spin lock of its
 * own. Mirrors `multiprocessing.Barrier`.
 *
 * Words: `[mutex, state, count, pid of slot 0, …, pid of slot parties-1]`.
 *
 * ```
 *  FILLING ──(the last party arrives)──▶ ACTING ──(its action returned)──▶ DRAINING
 *     ▲  wait() enters only here: index = count++          waiters see DRAINING, resolve their index
 *     └───────────────(the last party out, count == 0)──────────────────────┘
 *  abort(), an action that throws, a timeout, a party that dies waiting ──▶ BROKEN
 *  reset() while parties are inside ──▶ RESETTING ──(the last one out)──▶ FILLING
 * ```
 *
 * Invariants: the mutex is held only for a few loads and stores, never across an `await`
 * (the action runs outside it, in state ACTING, which no one enters). The state leaves
 * DRAINING and RESETTING only when the last party of the generation has left, so each waiter
 * reads its own generation's outcome however slowly it polls (Python's draining). Every party
 * inside (`count` of them) has one slot holding its pid.
 *
 * Beyond Python, the slots are how a waiter learns that a party died (SIGKILL): every
 * {@link DEAD_CHECK_MS} a waiter checks the pids (shm/liveness.ts). A party that died while it
 * waited (or ran the action) breaks the barrier: it can never come back for the next
 * generation, so the others get `BrokenBarrierError` now instead of hanging then. One that
 * died after its release leaves quietly (in Python it would hang the next generation). A
 * process that dies before it reaches `wait()` is not known to the barrier: the others wait
 * for it as in Python, until their timeout (which breaks the barrier) or an `abort()`.
 *
 * @module
 */
import { isTaskRef, type TaskRef } from '@concurrent/futures';
import { type Destination, enableReduction, REDUCE, type Reducible, type Reduction, resolveTask, type TaskSpec, toTaskSpec } from '@concurrent/futures/internal';
import { BrokenBarrierError, ValueError } from '../errors.js';
import { builtModule } from '../sharing/runtime.js';
import { allocate, type Block, type BlockState, blockState, handleFor, rememberHandle } from '../shm/block.js';
import { processAlive } from '../shm/liveness.js';
import { pollUntil } from '../shm/poll.js';
import { checkCallback, checkOptions, checkTimeout, describe } from '../validate.js';

const MUTEX = 0;
const STATE = 1;
const COUNT = 2;
const SLOTS = 3;

const FILLING = 0;
const DRAINING = 1;
const RESETTING = 2;
const BROKEN = 3;
const ACTING = 4;

/** How often a waiter checks that the parties inside are alive. */
const DEAD_CHECK_MS = 100;
/** Spins on the mutex between checks that its holder lives. */
/** A spin on the barrier's mutex longer than this finds a holder that will never let go. */
const MUTEX_LIMIT_MS = 1_000;
const SPINS_PER_CHECK = 1024;
const MAX_PARTIES = 1 << 20;

/** What the action may be: a function, or a module's export (from `moduleTasks()`). */
export type BarrierAction = (() => unknown) | TaskRef<[], unknown>;

/** Options of `new Barrier(parties, options)`. */
export interface BarrierOptions {
  /**
   * Run by one of the parties (the last to arrive) before any is released. If it throws (or
   * rejects), the barrier breaks: that party's `wait()` rejects with its error, the others'
   * with `BrokenBarrierError`. Where the barrier travels, a function goes as its source (it
   * must be self-contained, as a task must), a `TaskRef` by reference.
   */
  action?: BarrierAction | undefined;
  /** The default `timeout` of `wait()`, in ms. Default: no limit. */
  timeout?: number | undefined;
}

/** What a barrier is on the wire. */
export interface BarrierState {
  readonly b: BlockState;
  readonly p: number;
  readonly t: number | undefined;
  readonly a: TaskSpec | undefined;
}

/** Set while a reviver builds a handle over an existing block, with its action's wire form. */
let reviving: Block | undefined;
let revivingSpec: TaskSpec | undefined;

function broken(why: string): BrokenBarrierError {
  return new BrokenBarrierError(why);
}

/**
 * A meeting point for a fixed number of parties, in any processes and threads: each `wait()`
 * resolves once `parties` of them have called it, and the barrier is ready for the next round.
 * Shared by every process and thread it reaches (as a `Process` argument, a pool task argument
 * or `initargs`, or inside a value sent through a Queue or Pipe). Mirrors
 * `multiprocessing.Barrier(parties, action=None, timeout=None)`.
 *
 * Beyond Python: a party whose process dies (even by SIGKILL) while it waits breaks the
 * barrier for the others (`BrokenBarrierError`) instead of leaving them waiting forever.
 *
 * @example
 * ```ts
 * import { Barrier, Process } from '@concurrent/multiprocessing';
 * const start = new Barrier(3);
 * for (let i = 0; i < 2; i++) new Process({ target: tasks.runner, args: [start] }).start();
 * await start.wait(); // all three go at once
 * // tasks.ts: export async function runner(start: Barrier) {
 * //   await start.wait();
 * //   race();
 * // }
 * ```
 */
export class Barrier implements Reducible {
  readonly #words: Int32Array;
  readonly #block: Block;
  readonly #parties: number;
  readonly #timeout: number | undefined;
  readonly #action: BarrierAction | undefined;
  /** The action as it travels (made on the first trip). */
  #spec: TaskSpec | undefined;
  #lastDeadCheck = 0;

  /**
   * @param parties - How many `wait()` calls release each other: a whole number from 1 up.
   * @throws ValueError('parties must be > 0: …') for a bad `parties`; TypeError for a bad option.
   */
  constructor(parties: number, options?: BarrierOptions) {
    const block = reviving;
    this.#spec = revivingSpec;
    reviving = revivingSpec = undefined;
    if (typeof parties !== 'number') throw new TypeError(`Expected \`parties\` to be a number from 1 up, got ${describe(parties)}`);
    if (!Number.isInteger(parties) || parties < 1 || parties > MAX_PARTIES) {
      throw new ValueError(`parties must be > 0: expected \`parties\` to be a whole number from 1 to ${String(MAX_PARTIES)}, got ${describe(parties)}`);
    }
    const { action, timeout } = checkOptions(options, 'Barrier', ['action', 'timeout']);
    if (action !== undefined && !isTaskRef(action)) checkCallback(action, 'action');
    this.#parties = parties;
    this.#action = action;
    this.#timeout = checkTimeout(timeout);
    this.#block = block ?? allocate((SLOTS + parties) * 4);
    this.#words = new Int32Array(this.#block.memory, this.#block.offset, SLOTS + parties);
    enableReduction();
    rememberHandle('barrier', this.#block, this);
  }

  /** How many `wait()` calls release each other (Python's `parties`). */
  get parties(): number {
    return this.#parties;
  }

  /** How many parties wait now, in every process and thread (Python's `n_waiting`). */
  get nWaiting(): number {
    return Atomics.load(this.#words, STATE) === FILLING ? Atomics.load(this.#words, COUNT) : 0;
  }

  /** Whether the barrier is broken (Python's `broken`): `wait()` rejects until `reset()`. */
  get broken(): boolean {
    return Atomics.load(this.#words, STATE) === BROKEN;
  }

  /**
   * Waits until `parties` parties, in any processes and threads, have called `wait()`, and
   * resolves with this one's arrival index (0 to parties − 1, each once per round). The last
   * to arrive runs the `action` first. Never blocks the event loop.
   *
   * @param timeout - ms; default the barrier's `timeout`. When it passes, the barrier breaks.
   * @throws BrokenBarrierError (rejects) if the barrier is or becomes broken while waiting: by
   *   `abort()`, `reset()`, a timeout, an action that threw, or a party that died waiting.
   * @example
   * ```ts
   * const index = await barrier.wait();
   * if (index === 0) console.log('everyone is here');
   * ```
   */
  async wait(timeout?: number | null): Promise<number> {
    const ms = timeout === undefined || timeout === null ? this.#timeout : checkTimeout(timeout);
    const index = await this.#enter();
    try {
      if (index + 1 === this.#parties) await this.#release();
      else await this.#waitForRelease(ms);
      return index;
    } finally {
      this.#exit();
    }
  }

  /**
   * Breaks the barrier: every waiting and later `wait()` rejects with `BrokenBarrierError`
   * until `reset()`. Mirrors `Barrier.abort()`.
   *
   * @example
   * ```ts
   * process.on('SIGINT', () => barrier.abort());
   * ```
   */
  abort(): void {
    this.#critical(() => Atomics.store(this.#words, STATE, BROKEN));
  }

  /**
   * Returns the barrier to its empty state: parties waiting now reject with
   * `BrokenBarrierError`; later `wait()` calls start a new round. Mirrors `Barrier.reset()`.
   *
   * @example
   * ```ts
   * if (barrier.broken) barrier.reset();
   * ```
   */
  reset(): void {
    this.#critical(() => {
      const state = Atomics.load(this.#words, STATE);
      if (Atomics.load(this.#words, COUNT) === 0) Atomics.store(this.#words, STATE, FILLING);
      // Those inside find out and leave; the last one out empties it (Python's resetting). A
      // round whose parties all arrived completes first: in Python, reset() waits for the
      // action, which holds the lock, and finds the round draining.
      else if (state === FILLING || state === BROKEN) Atomics.store(this.#words, STATE, RESETTING);
    });
  }

  /** Waits until the barrier takes arrivals, and arrives: this party's index. */
  async #enter(): Promise<number> {
    for (;;) {
      // The last to arrive first looks for dead parties: a round never counts one as arrived.
      if (Atomics.load(this.#words, COUNT) + 1 >= this.#parties) this.#reapDead(true);
      const index = this.#critical(() => {
        const state = Atomics.load(this.#words, STATE);
        if (state === BROKEN) throw broken('the barrier is broken');
        if (state !== FILLING) return -1;
        const count = Atomics.load(this.#words, COUNT);
        this.#takeSlot();
        Atomics.store(this.#words, COUNT, count + 1);
        if (count + 1 === this.#parties) Atomics.store(this.#words, STATE, ACTING);
        return count;
      });
      if (index >= 0) return index;
      // The last round is still leaving (or being reset): Python's _enter.
      await pollUntil(
        () => {
          const state = Atomics.load(this.#words, STATE);
          return state === FILLING || state === BROKEN;
        },
        undefined,
        { slow: () => this.#reapDead() },
      );
    }
  }

  /** The last party: runs the action, then releases the round. */
  async #release(): Promise<void> {
    try {
      if (this.#action !== undefined) {
        const action = isTaskRef(this.#action) ? await resolveTask(toTaskSpec(this.#action)) : this.#action;
        await action();
      }
    } catch (error) {
      this.abort();
      throw error;
    }
    const released = this.#critical(() => {
      if (Atomics.load(this.#words, STATE) !== ACTING) return false;
      Atomics.store(this.#words, STATE, DRAINING);
      return true;
    });
    if (!released) throw broken('the barrier was broken or reset while its action ran');
  }

  /** A party that is not the last: waits for the round's outcome. */
  async #waitForRelease(ms: number | undefined): Promise<void> {
    const decided = (): boolean => {
      const state = Atomics.load(this.#words, STATE);
      return state !== FILLING && state !== ACTING;
    };
    const slow = { slow: () => this.#reapDead() };
    if (!(await pollUntil(decided, ms, slow))) {
      // Timed out: the round breaks, unless its action runs already (in Python the action
      // holds the lock that the timed-out waiter needs to see it).
      const seen = this.#critical(() => {
        const state = Atomics.load(this.#words, STATE);
        if (state === FILLING) Atomics.store(this.#words, STATE, BROKEN);
        return state;
      });
      if (seen === FILLING) throw broken(`timed out after ${String(ms)} ms waiting at the barrier`);
      if (seen === ACTING) await pollUntil(decided, undefined, slow);
    }
    const state = Atomics.load(this.#words, STATE);
    if (state === BROKEN) throw broken('the barrier is broken');
    if (state === RESETTING) throw broken('the barrier was reset');
  }

  /** Leaves: the last party out of a released or reset round opens the next one. */
  #exit(): void {
    this.#critical(() => {
      for (let i = 0; i < this.#parties; i++) {
        if (Atomics.load(this.#words, SLOTS + i) === process.pid) {
          Atomics.store(this.#words, SLOTS + i, 0);
          break;
        }
      }
      this.#left();
    });
  }

  /** Under the mutex: one party fewer inside. */
  #left(): void {
    const count = Atomics.load(this.#words, COUNT) - 1;
    Atomics.store(this.#words, COUNT, count);
    const state = Atomics.load(this.#words, STATE);
    if (count === 0 && (state === DRAINING || state === RESETTING)) Atomics.store(this.#words, STATE, FILLING);
  }

  /** Under the mutex: a free slot gets this process's pid. */
  #takeSlot(): void {
    for (let i = 0; i < this.#parties; i++) {
      if (Atomics.load(this.#words, SLOTS + i) === 0) {
        Atomics.store(this.#words, SLOTS + i, process.pid);
        return;
      }
    }
    // count < parties, and every party inside holds one slot.
    throw new Error('Barrier: no free slot (its shared memory was overwritten)');
  }

  /**
   * The slow part of a wait (at most every DEAD_CHECK_MS unless `now`): parties inside whose
   * process has died leave, and break the round they were waiting in. Never ends the wait
   * itself (the state tells).
   */
  #reapDead(now = false): boolean {
    const time = performance.now();
    if (!now && time - this.#lastDeadCheck < DEAD_CHECK_MS) return false;
    this.#lastDeadCheck = time;
    for (let i = 0; i < this.#parties; i++) {
      const pid = Atomics.load(this.#words, SLOTS + i);
      if (pid === 0 || pid === process.pid || processAlive(pid)) continue;
      this.#critical(() => {
        if (Atomics.load(this.#words, SLOTS + i) !== pid) return;
        Atomics.store(this.#words, SLOTS + i, 0);
        const state = Atomics.load(this.#words, STATE);
        if (state === FILLING || state === ACTING) Atomics.store(this.#words, STATE, BROKEN);
        this.#left();
      });
    }
    return false;
  }

  /**
   * Runs `fn` under the barrier's mutex. It is held for a few loads and stores, so a
   * contender spins; a holder whose process died is replaced.
   */
  #critical<T>(fn: () => T): T {
    const started = performance.now();
    for (let spins = 1; Atomics.compareExchange(this.#words, MUTEX, 0, process.pid) !== 0; spins++) {
      if (spins % SPINS_PER_CHECK !== 0) continue;
      const holder = Atomics.load(this.#words, MUTEX);
      if (holder !== 0 && holder !== process.pid && !processAlive(holder)) Atomics.compareExchange(this.#words, MUTEX, holder, 0);
      // Held for a few stores, so held this long means held forever: a worker thread was
      // terminated inside it (its process lives on). Fail rather than block the event loop.
      else if (performance.now() - started > MUTEX_LIMIT_MS) {
        throw new BrokenBarrierError('the barrier is unusable: a worker thread was stopped while it updated the barrier');
      }
    }
    try {
      return fn();
    } finally {
      Atomics.store(this.#words, MUTEX, 0);
    }
  }

  /** @internal How it travels: the same words, its parties, timeout and action. */
  [REDUCE](destination: Destination): Reduction {
    if (this.#action !== undefined) this.#spec ??= toTaskSpec(this.#action);
    const state: BarrierState = { b: blockState(this.#block, destination), p: this.#parties, t: this.#timeout, a: this.#spec };
    return { module: builtModule('sync/barrier.js'), reviver: 'reviveBarrier', state };
  }
}

/** The reviver (see `[REDUCE]`): this thread's handle to the barrier the state names. */
export async function reviveBarrier(state: BarrierState): Promise<Barrier> {
  enableReduction();
  const action = state.a === undefined ? undefined : await resolveTask(state.a);
  return handleFor('barrier', state.b, (block) => {
    reviving = block;
    revivingSpec = state.a;
    return new Barrier(state.p, { action: action === undefined ? undefined : () => action(), timeout: state.t });
  });
}
