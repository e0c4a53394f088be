/**
 * The synchronization objects a manager's server holds for its clients: `Lock`, `RLock`,
 * `Semaphore`, `BoundedSemaphore`, `Event`, `Condition`, `Barrier`, as Python's
 * `SyncManager` serves `threading`'s. They live on the server's event loop, so they need no
 * atomics; each waiting call is a promise. A client is a *caller* (its connection): the locks
 * it holds are released, and its waits are dropped, when its connection closes (it died), so
 * no other client waits forever for a process that is gone.
 *
 * @module
 */
import { BrokenBarrierError, RuntimeError, ValueError } from '../errors.js';
import { type AcquireOptions, acquireTimeout as checkAcquire } from '../sync/acquire.js';
import { checkTimeout } from '../validate.js';

const acquireTimeout = (args: AcquireOptions | boolean | undefined): number | undefined => checkAcquire(args, 'acquire()');

/** Marks a served object whose methods take the calling connection's id first. */
export const WITH_CALLER: unique symbol = Symbol('@concurrent/multiprocessing.manager.withCaller');
/** A served object's method called with a caller's id when that caller's connection closes. */
export const RELEASE_CALLER: unique symbol = Symbol('@concurrent/multiprocessing.manager.releaseCaller');

export type Caller = number;

type AcquireArgs = AcquireOptions;

interface Waiter {
  readonly caller: Caller;
  readonly wake: (value: boolean) => void;
}

/** Callers waiting in line, each woken once (with `true`), timed out (`false`) or dropped (`false`). */
export class Line {
  readonly #waiters = new Set<Waiter>();

  get size(): number {
    return this.#waiters.size;
  }

  /** Waits to be woken; `false` after `timeoutMs` (undefined: no limit). */
  wait(caller: Caller, timeoutMs: number | undefined): Promise<boolean> {
    if (timeoutMs === 0) return Promise.resolve(false);
    return new Promise((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const waiter: Waiter = {
        caller,
        wake: (value) => {
          if (!this.#waiters.delete(waiter)) return;
          clearTimeout(timer);
          resolve(value);
        },
      };
      this.#waiters.add(waiter);
      if (timeoutMs !== undefined) timer = setTimeout(() => waiter.wake(false), timeoutMs);
    });
  }

  /** Wakes the first `n` in line; how many were woken. */
  wake(n = 1): number {
    let woken = 0;
    for (const waiter of [...this.#waiters]) {
      if (woken >= n) break;
      waiter.wake(true);
      woken++;
    }
    return woken;
  }

  drop(caller: Caller): void {
    for (const waiter of [...this.#waiters]) if (waiter.caller === caller) waiter.wake(false);
  }
}

/**
 * Takes a unit of something for `caller` once `available()` allows, in FIFO order with the
 * other waiters; `false` on timeout.
 */
export async function take(line: Line, caller: Caller, timeoutMs: number | undefined, available: () => boolean, claim: () => void): Promise<boolean> {
  const deadline = timeoutMs === undefined ? Infinity : performance.now() + timeoutMs;
  // The line is fair: a newcomer does not overtake callers already waiting.
  if (line.size === 0 && available()) {
    claim();
    return true;
  }
  for (;;) {
    const left = deadline - performance.now();
    if (!(await line.wait(caller, deadline === Infinity ? undefined : Math.max(0, left)))) return false;
    if (available()) {
      claim();
      return true;
    }
  }
}

/** `threading.Lock` in the server. Any caller may release it, as in Python. */
export class ServedLock {
  readonly [WITH_CALLER] = true;
  #holder: Caller | undefined;
  readonly #line = new Line();

  acquire(caller: Caller, args?: AcquireArgs | boolean): Promise<boolean> {
    return take(this.#line, caller, acquireTimeout(args), () => this.#holder === undefined, () => (this.#holder = caller));
  }

  release(_caller: Caller): void {
    if (this.#holder === undefined) throw new RuntimeError('release unlocked lock');
    this.#holder = undefined;
    this.#line.wake();
  }

  locked(_caller: Caller): boolean {
    return this.#holder !== undefined;
  }

  [RELEASE_CALLER](caller: Caller): void {
    this.#line.drop(caller);
    if (this.#holder === caller) this.release(caller);
  }
}

/** `threading.RLock` in the server: owned by one caller (one process or worker thread), re-entrant. */
export class ServedRLock {
  readonly [WITH_CALLER] = true;
  #owner: Caller | undefined;
  #count = 0;
  readonly #line = new Line();

  acquire(caller: Caller, args?: AcquireArgs | boolean): Promise<boolean> {
    const timeout = acquireTimeout(args);
    if (this.#owner === caller) {
      this.#count++;
      return Promise.resolve(true);
    }
    return take(this.#line, caller, timeout, () => this.#owner === undefined, () => {
      this.#owner = caller;
      this.#count = 1;
    });
  }

  release(caller: Caller): void {
    if (this.#owner !== caller) throw new RuntimeError('cannot release un-acquired lock');
    if (--this.#count === 0) {
      this.#owner = undefined;
      this.#line.wake();
    }
  }

  /** For Condition: let go entirely, and the count to restore. */
  releaseAll(caller: Caller): number {
    if (this.#owner !== caller) throw new RuntimeError('cannot wait on un-acquired lock');
    const count = this.#count;
    this.#count = 1;
    this.release(caller);
    return count;
  }

  async restore(caller: Caller, count: number): Promise<void> {
    await this.acquire(caller);
    this.#count = count;
  }

  isOwned(caller: Caller): boolean {
    return this.#owner === caller;
  }

  [RELEASE_CALLER](caller: Caller): void {
    this.#line.drop(caller);
    if (this.#owner === caller) {
      this.#count = 1;
      this.release(caller);
    }
  }
}

/**
 * `threading.Semaphore` in the server. A caller that goes keeps what it took, as in Python: a
 * semaphore often counts items (a consumer takes one for good), and it has no owner to give
 * units back for. Only the caller's waits are dropped.
 */
export class ServedSemaphore {
  readonly [WITH_CALLER] = true;
  #value: number;
  readonly #line = new Line();

  constructor(value = 1) {
    if (!Number.isInteger(value) || value < 0) throw new ValueError('semaphore initial value must be >= 0');
    this.#value = value;
  }

  acquire(caller: Caller, args?: AcquireArgs | boolean): Promise<boolean> {
    return take(this.#line, caller, acquireTimeout(args), () => this.#value > 0, () => this.#value--);
  }

  release(_caller: Caller, n = 1): void {
    if (!Number.isInteger(n) || n < 1) throw new ValueError('n must be one or more');
    this.check(n);
    this.#value += n;
    this.#line.wake(n);
  }

  getValue(_caller: Caller): number {
    return this.#value;
  }

  /** BoundedSemaphore refuses a release beyond its start. */
  protected check(_n: number): void {}

  protected get value(): number {
    return this.#value;
  }

  [RELEASE_CALLER](caller: Caller): void {
    this.#line.drop(caller);
  }
}

export class ServedBoundedSemaphore extends ServedSemaphore {
  readonly #limit: number;

  constructor(value = 1) {
    super(value);
    this.#limit = value;
  }

  protected override check(n: number): void {
    if (this.value + n > this.#limit) throw new ValueError('Semaphore released too many times');
  }
}

/** `threading.Event` in the server. */
export class ServedEvent {
  readonly [WITH_CALLER] = true;
  #flag = false;
  readonly #line = new Line();

  set(_caller: Caller): void {
    this.#flag = true;
    this.#line.wake(Infinity);
  }

  clear(_caller: Caller): void {
    this.#flag = false;
  }

  isSet(_caller: Caller): boolean {
    return this.#flag;
  }

  async wait(caller: Caller, timeout?: number | null): Promise<boolean> {
    if (this.#flag) return true;
    // Woken by set(): true, as in Python, even if a clear() came before this ran.
    return (await this.#line.wait(caller, checkTimeout(timeout))) || this.#flag;
  }

  [RELEASE_CALLER](caller: Caller): void {
    this.#line.drop(caller);
  }
}

/** `threading.Condition` in the server, over its own RLock or a served lock given to it. */
export class ServedCondition {
  readonly [WITH_CALLER] = true;
  readonly #lock: ServedRLock | ServedLock;
  readonly #line = new Line();
  /** Callers whose connection closed: a wait of theirs that ends must not take the lock back. */
  readonly #gone = new Set<Caller>();

  constructor(lock?: unknown) {
    if (lock !== undefined && lock !== null && !(lock instanceof ServedRLock) && !(lock instanceof ServedLock)) {
      throw new TypeError('Condition(lock): the lock must be a Lock or RLock of the same manager');
    }
    this.#lock = lock ?? new ServedRLock();
  }

  acquire(caller: Caller, args?: AcquireArgs | boolean): Promise<boolean> {
    return this.#lock.acquire(caller, args);
  }

  release(caller: Caller): void {
    this.#lock.release(caller);
  }

  async wait(caller: Caller, timeout?: number | null): Promise<boolean> {
    const ms = checkTimeout(timeout);
    const lock = this.#lock;
    let count = 1;
    if (lock instanceof ServedRLock) count = lock.releaseAll(caller);
    else if (!lock.locked(caller)) throw new RuntimeError('cannot wait on un-acquired lock');
    else lock.release(caller);
    const woken = await this.#line.wait(caller, ms);
    if (this.#gone.has(caller)) return false;
    if (lock instanceof ServedRLock) await lock.restore(caller, count);
    else await lock.acquire(caller);
    return woken;
  }

  notify(caller: Caller, n = 1): void {
    this.#checkOwned(caller, 'notify');
    this.#line.wake(n);
  }

  notifyAll(caller: Caller): void {
    this.#checkOwned(caller, 'notify');
    this.#line.wake(Infinity);
  }

  #checkOwned(caller: Caller, what: string): void {
    const lock = this.#lock;
    const owned = lock instanceof ServedRLock ? lock.isOwned(caller) : lock.locked(caller);
    if (!owned) throw new RuntimeError(`cannot ${what} on un-acquired lock`);
  }

  [RELEASE_CALLER](caller: Caller): void {
    this.#gone.add(caller);
    this.#line.drop(caller);
    this.#lock[RELEASE_CALLER](caller);
  }
}

/** `threading.Barrier` in the server (without an action: a function cannot be sent to it). */
export class ServedBarrier {
  readonly [WITH_CALLER] = true;
  readonly #parties: number;
  readonly #timeout: number | undefined;
  #waiting: { caller: Caller; index: number; done: (error?: Error) => void }[] = [];
  #broken = false;

  constructor(parties: number, timeout?: number | null) {
    if (!Number.isInteger(parties) || parties < 1) throw new ValueError('parties must be >= 1');
    this.#parties = parties;
    this.#timeout = checkTimeout(timeout);
  }

  wait(caller: Caller, timeout?: number | null): Promise<number> {
    if (this.#broken) return Promise.reject(new BrokenBarrierError());
    // Python's numbering: the first to arrive gets 0, the one that completes the round parties - 1.
    const index = this.#waiting.length;
    if (index === this.#parties - 1) {
      for (const party of this.#waiting.splice(0)) party.done();
      return Promise.resolve(index);
    }
    const ms = timeout === undefined ? this.#timeout : checkTimeout(timeout);
    return new Promise((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const party = {
        caller,
        index,
        done: (error?: Error) => {
          clearTimeout(timer);
          if (error === undefined) resolve(index);
          else reject(error);
        },
      };
      this.#waiting.push(party);
      if (ms !== undefined) timer = setTimeout(() => this.#break(), ms);
    });
  }

  abort(_caller: Caller): void {
    this.#break();
  }

  reset(_caller: Caller): void {
    const waiting = this.#waiting.splice(0);
    this.#broken = false;
    for (const party of waiting) party.done(new BrokenBarrierError());
  }

  parties(_caller: Caller): number {
    return this.#parties;
  }

  nWaiting(_caller: Caller): number {
    return this.#waiting.length;
  }

  broken(_caller: Caller): boolean {
    return this.#broken;
  }

  #break(): void {
    this.#broken = true;
    for (const party of this.#waiting.splice(0)) party.done(new BrokenBarrierError());
  }

  /** A party that dies while the others wait breaks the barrier, instead of leaving them hanging. */
  [RELEASE_CALLER](caller: Caller): void {
    if (this.#waiting.some((party) => party.caller === caller)) this.#break();
  }
}
