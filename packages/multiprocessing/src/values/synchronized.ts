/**
 * The lock of a synchronized Value or SharedArray: Python's `lock=` argument, and how the lock
 * travels inside the value's state.
 *
 * The lock is an ordinary Lock or RLock (or any lock that travels: a Semaphore, say) with its
 * own block; the value's wire form carries the lock's own wire form, and the value's reviver
 * revives it first, so that `getLock()` there is that thread's one handle of the lock, the same
 * object a task gets when the lock travels on its own.
 *
 * @module
 */
import { type Destination, REDUCE, type Reducible, type Reduction } from '@concurrent/futures/internal';
import { builtModule } from '../sharing/runtime.js';
import type { Acquirable } from '../sync/acquire.js';
import { type LockState, reviveLock, RLock } from '../sync/lock.js';
import { checkOptions, describe } from '../validate.js';

/** What can synchronize a Value or SharedArray: `acquire()` and `release()` (a Lock, RLock...). */
export type SyncLock = Acquirable;

/** Options of `new Value(...)` and `new SharedArray(...)`. */
export interface SynchronizedOptions<L extends SyncLock> {
  /**
   * `true` (the default): a new {@link RLock}, as Python; `false`: no lock (`getLock()` throws);
   * or the Lock or RLock to use, which may be shared with other values.
   */
  lock?: boolean | L | undefined;
}

/** The lock `options` asks for, `undefined` for none. @throws TypeError for a bad option. */
export function lockOption<L extends SyncLock>(options: SynchronizedOptions<L> | undefined, what: string): L | undefined {
  const { lock } = checkOptions(options, what, ['lock']);
  if (lock === undefined || lock === true) return new RLock() as unknown as L;
  if (lock === false) return undefined;
  const candidate = lock as Partial<SyncLock> | null;
  if (typeof candidate !== 'object' || candidate === null || typeof candidate.acquire !== 'function' || typeof candidate.release !== 'function') {
    // Python: AttributeError("%r has no method 'acquire'").
    throw new TypeError(`${what}: expected \`lock\` to be a boolean, or a Lock or RLock (an object with acquire() and release()), got ${describe(lock)}`);
  }
  return lock;
}

/** The lock's wire form, to travel inside the value's. @throws TypeError if it cannot travel. */
export function reduceLock(lock: SyncLock, destination: Destination, what: string): Reduction {
  const reducible = lock as Partial<Reducible>;
  if (typeof reducible[REDUCE] !== 'function') {
    throw new TypeError(`${what} cannot be sent: its lock (${describe(lock)}) is not a Lock or RLock of @concurrent/multiprocessing, and cannot travel`);
  }
  return reducible[REDUCE](destination);
}

const LOCK_MODULE = builtModule('sync/lock.js');

/**
 * This thread's handle of the lock a wire form names: at once for our Lock and RLock (the
 * usual case, and the cheapest: no import), through the reviver's module otherwise.
 */
export function reviveLockFrom(reduction: Reduction): SyncLock | Promise<SyncLock> {
  if (reduction.module === LOCK_MODULE && reduction.reviver === 'reviveLock') return reviveLock(reduction.state as LockState);
  return (import(reduction.module) as Promise<Record<string, unknown>>).then((module) => {
    const reviver = module[reduction.reviver];
    if (typeof reviver !== 'function') throw new TypeError(`@concurrent/multiprocessing: ${reduction.module} has no reviver "${reduction.reviver}"`);
    return (reviver as (state: unknown) => SyncLock | Promise<SyncLock>)(reduction.state);
  });
}
