/**
 * `Event` for every process and thread of a program: a flag in shared memory (shm/block.ts).
 * Mirrors `multiprocessing.Event`.
 *
 * Words: `[flag, sets]`. `sets` counts the calls of `set()` that raised the flag: a waiter
 * notes it before it looks at the flag, so that a `set()` followed at once by a `clear()`,
 * between two of its polls, still wakes it (Python's waiters are woken by the set, and then
 * return `true`, whatever happened to the flag after).
 *
 * An event has no owner: a process that dies leaves the flag as it was.
 *
 * @module
 */
import { type Destination, enableReduction, REDUCE, type Reducible, type Reduction } from '@concurrent/futures/internal';
import { builtModule } from '../sharing/runtime.js';
import { allocate, type Block, type BlockState, blockState, handleFor, rememberHandle } from '../shm/block.js';
import { pollUntil } from '../shm/poll.js';
import { register, unregister, wakeable, wakeAll } from '../shm/wake.js';
import { checkTimeout } from '../validate.js';

/**
 * One word: the flag in bit 0, the number of set() calls above it. One word, so that a waiter
 * never sees the count of a set() without its flag (or the flag of one it has already seen
 * counted): with two words, a waiter woken by the count could clear the flag before the
 * set()'s own store raised it again, and the next wait() returned at once.
 */
const WORD = 0;
const FLAG = 1;
/** Wake slots (shm/wake.ts): the pids of processes whose main thread waits. Word 1 is unused. */
const SLOTS = 2;
const SLOT_COUNT = 16;

/** What an event is on the wire. */
export interface EventState {
  readonly b: BlockState;
}

/** Set while a reviver builds a handle over an existing block. */
let reviving: Block | undefined;

/**
 * A flag that processes and threads wait for: `set()` wakes every `wait()`, `clear()` lowers
 * it again. Shared by every process and thread it reaches (as a `Process` argument, a pool
 * task argument or `initargs`, or inside a value sent through a Queue or Pipe). Mirrors
 * `multiprocessing.Event`.
 *
 * @example
 * ```ts
 * import { Event, Process } from '@concurrent/multiprocessing';
 * const stop = new Event();
 * const worker = new Process({ target: tasks.workUntil, args: [stop] });
 * worker.start();
 * stop.set();
 * await worker.join();
 * // tasks.ts: export async function workUntil(stop: Event) {
 * //   while (!stop.isSet()) await step();
 * // }
 * ```
 */
export class Event implements Reducible {
  readonly #words: Int32Array;
  readonly #slots: Int32Array;
  readonly #block: Block;

  constructor() {
    this.#block = reviving ?? allocate((SLOTS + SLOT_COUNT) * 4);
    reviving = undefined;
    this.#words = new Int32Array(this.#block.memory, this.#block.offset, SLOTS + SLOT_COUNT);
    this.#slots = this.#words.subarray(SLOTS);
    enableReduction();
    rememberHandle('event', this.#block, this);
  }

  /**
   * Whether the flag is up (Python's `is_set()`).
   *
   * @example
   * ```ts
   * if (stop.isSet()) return;
   * ```
   */
  isSet(): boolean {
    return (Atomics.load(this.#words, WORD) & FLAG) === FLAG;
  }

  /**
   * Raises the flag: every `wait()`, in every process and thread, resolves `true`, and later
   * ones resolve at once until `clear()`.
   *
   * @example
   * ```ts
   * ready.set();
   * ```
   */
  set(): void {
    for (;;) {
      const word = Atomics.load(this.#words, WORD);
      if ((word & FLAG) === FLAG) return;
      // The count goes up (by 2: it sits above the flag bit) as the flag rises, in one store.
      if (Atomics.compareExchange(this.#words, WORD, word, (word + 2) | FLAG) === word) break;
    }
    wakeAll(this.#slots);
  }

  /**
   * Lowers the flag: later `wait()` calls wait for the next `set()`.
   *
   * @example
   * ```ts
   * ready.clear();
   * ```
   */
  clear(): void {
    Atomics.and(this.#words, WORD, ~FLAG);
  }

  /**
   * Waits until the flag is up: resolves `true` at once if it is, `true` when a `set()` comes,
   * or `false` once `timeout` (ms; `undefined`/`null`: no limit) passed first. Never blocks the
   * event loop. A waiting main thread of another process is woken at once (a SIGURG sent by
   * `set()`, see shm/wake.ts); a waiting worker thread within a few ms (it polls).
   *
   * @example
   * ```ts
   * if (!(await ready.wait(5_000))) throw new Error('not ready after 5 s');
   * ```
   */
  wait(timeout?: number | null): Promise<boolean> {
    const ms = checkTimeout(timeout);
    const seen = Atomics.load(this.#words, WORD);
    // Up now, or set (and maybe cleared again) since: the count above the flag bit moved.
    const raised = (): boolean => {
      const word = Atomics.load(this.#words, WORD);
      return (word & FLAG) === FLAG || ((word ^ seen) & ~FLAG) !== 0;
    };
    if (raised()) return Promise.resolve(true);
    if (!wakeable || ms === 0) return pollUntil(raised, ms);
    // Registered before the polls' first look: a set() after it signals this process, and
    // one before it is seen by that look.
    const slot = register(this.#slots);
    return pollUntil(raised, ms, { wakeable: slot >= 0 }).finally(() => unregister(this.#slots, slot));
  }

  /** @internal How it travels: the same words, wherever it goes. */
  [REDUCE](destination: Destination): Reduction {
    const state: EventState = { b: blockState(this.#block, destination) };
    return { module: builtModule('sync/event.js'), reviver: 'reviveEvent', state };
  }
}

/** The reviver (see `[REDUCE]`): this thread's handle to the event the state names. */
export function reviveEvent(state: EventState): Event {
  enableReduction();
  return handleFor('event', state.b, (block) => {
    reviving = block;
    return new Event();
  });
}
