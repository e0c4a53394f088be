/**
 * `@concurrent/multiprocessing/dummy`: Python's `multiprocessing.dummy`, the same API with
 * threads instead of processes — here, tasks on this event loop. Change one import to move code
 * between the two:
 *
 * ```ts
 * import { Pool, Process, Queue } from '@concurrent/multiprocessing';        // processes
 * import { Pool, Process, Queue } from '@concurrent/multiprocessing/dummy';  // this event loop
 * ```
 *
 * `Process` is a {@link Thread} that also takes `moduleTasks` refs as targets and has an
 * `exitcode`; `Pool` is `ThreadPool`; `currentProcess()` is `currentThread()`. Queues, pipes,
 * locks and the other shared objects are the package's own, which work in one thread too.
 *
 * @module
 */
import { isTaskRef, type Task } from '@concurrent/futures';
import { resolveTask, toTaskSpec } from '@concurrent/futures/internal';
import { currentThread, enumerate, mainThread, Thread } from './thread.js';
import { checkOptions, describe } from './validate.js';

/** Options of the dummy {@link Process}: those of `Process`, any function or TaskRef as target. */
export interface DummyProcessOptions<A extends unknown[] = unknown[]> {
  target?: Task<A, unknown> | undefined;
  args?: A | undefined;
  name?: string | undefined;
  daemon?: boolean | undefined;
}

/**
 * `multiprocessing.dummy.Process`: a {@link Thread} with `Process`'s face — a TaskRef target is
 * imported in this thread, and `exitcode` is `0` once it has run (`null` before).
 *
 * @example
 * ```ts
 * import { Process } from '@concurrent/multiprocessing/dummy';
 * const p = new Process({ target: tasks.work, args: [1] });
 * p.start();
 * await p.join();
 * ```
 */
export class Process<A extends unknown[] = unknown[]> extends Thread<A> {
  readonly #target: Task<A, unknown> | undefined;
  readonly #args: A;

  /** @throws TypeError for a target that is neither a function nor a TaskRef, or a wrong option. */
  constructor(options: DummyProcessOptions<A> = {}) {
    const opts = checkOptions(options, 'Process', ['target', 'args', 'name', 'daemon']);
    const { target } = opts;
    if (target !== undefined && target !== null && typeof target !== 'function' && !isTaskRef(target)) {
      throw new TypeError(`Expected \`target\` to be a function or a TaskRef from moduleTasks(), got ${describe(target)}`);
    }
    super({ args: opts.args, name: opts.name, daemon: opts.daemon });
    this.#target = target ?? undefined;
    this.#args = (opts.args ?? []) as A;
  }

  override async run(): Promise<void> {
    const target = this.#target;
    if (target === undefined) return;
    const fn = typeof target === 'function' ? target : await resolveTask(toTaskSpec(target as Task<unknown[], unknown>));
    await fn(...this.#args);
  }

  /** `0` once it has finished, `null` before (a thread has no exit code of its own). */
  get exitcode(): number | null {
    return this.ident !== null && !this.isAlive() ? 0 : null;
  }

  /** `null`: a thread has no pid of its own. */
  get pid(): null {
    return null;
  }
}

/** The thread whose code runs (`threading.current_thread()`, as `multiprocessing.dummy` has it). */
export const currentProcess = currentThread;

/** The threads that are alive, other than the main one. */
export function activeChildren(): Thread[] {
  return enumerate().filter((thread) => thread !== mainThread());
}

export { ThreadPool as Pool, type ThreadPoolOptions as PoolOptions } from './thread-pool.js';
export { Connection, Pipe } from './sharing/connection.js';
export { JoinableQueue, Queue, SimpleQueue } from './sharing/queues.js';
export { Barrier } from './sync/barrier.js';
export { Condition } from './sync/condition.js';
export { Event } from './sync/event.js';
export { Lock, RLock } from './sync/lock.js';
export { BoundedSemaphore, Semaphore } from './sync/semaphore.js';
export { currentThread, Thread } from './thread.js';
export { RawArray, SharedArray } from './values/array.js';
export { RawValue, Value } from './values/value.js';
export { BrokenBarrierError, Empty, Full, RuntimeError, ValueError } from './errors.js';
