/**
 * `Thread`: Python's `threading.Thread`, as a task on this event loop. Python's threads share
 * the program's objects and interleave where they wait for IO; so do async functions on one
 * event loop, which is the faithful twin (and what `ThreadPool` runs). For CPU-bound work, which
 * Python threads do not speed up either, use `Pool` or the worker-thread and process pools.
 *
 * Who is running is tracked with an AsyncLocalStorage, so `currentThread()` inside a thread's
 * `run()` (and everything it awaits) is that thread.
 *
 * @module
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { RuntimeError } from './errors.js';
import { checkArgs, checkOptions, checkTimeout, describe, waitAtMost } from './validate.js';

/** Options of {@link Thread}. Mirrors the parameters of `threading.Thread`. */
export interface ThreadOptions<A extends unknown[] = unknown[]> {
  /** What `run()` calls, with `args`; any function (it runs here, sharing this program's objects). */
  target?: ((...args: A) => unknown) | undefined;
  args?: A | undefined;
  /** Default `Thread-N`. */
  name?: string | undefined;
  /** Recorded, as in Python; see {@link Thread.daemon}. Default `false`. */
  daemon?: boolean | undefined;
}

const THREAD_KEYS = ['target', 'args', 'name', 'daemon'];

/** The Thread whose run() is running (typed loosely: a Thread is invariant in its arguments). */
const running = new AsyncLocalStorage<object>();
/** Started threads that have not finished. */
const alive = new Set<object>();
let counter = 0;
let idents = 0;

/**
 * A thread of execution on this event loop: `start()` runs `run()` (by default the `target`
 * with `args`) as its own async task, from the next turn; `join()` waits for it. An error thrown
 * by `run()` is printed as `Exception in thread <name>:` and ends the thread, as in Python;
 * `join()` does not throw it.
 *
 * Subclasses may override `run()`, as in Python.
 *
 * @example
 * ```ts
 * import { Lock, Thread } from '@concurrent/multiprocessing';
 * const ret: Record<string, number> = {};
 * const lock = new Lock();
 * async function work(name: string) {
 *   await using _ = await lock.hold();
 *   ret[name] = (await fetch(`https://example.com/${name}`)).status;
 * }
 * const threads = ['a', 'b'].map((name) => new Thread({ target: work, args: [name] }));
 * for (const t of threads) t.start();
 * for (const t of threads) await t.join();
 * ```
 */
export class Thread<A extends unknown[] = unknown[]> {
  /** The thread's name. Mirrors `Thread.name`. */
  name: string;
  readonly #target: ((...args: A) => unknown) | undefined;
  readonly #args: A;
  #daemon: boolean;
  #ident: number | null = null;
  #started = false;
  #finished = false;
  readonly #done: Promise<void>;
  #onDone: () => void = () => {};

  /** @throws TypeError for a target that is not a function, or a wrong option. */
  constructor(options: ThreadOptions<A> = {}) {
    const opts = checkOptions(options, 'Thread', THREAD_KEYS);
    if (opts.target !== undefined && opts.target !== null && typeof opts.target !== 'function') {
      throw new TypeError(`Expected \`target\` to be a function, got ${describe(opts.target)}`);
    }
    if (opts.name !== undefined && typeof opts.name !== 'string') throw new TypeError(`Expected \`name\` to be a string, got ${describe(opts.name)}`);
    if (opts.daemon !== undefined && typeof opts.daemon !== 'boolean') throw new TypeError(`Expected \`daemon\` to be a boolean, got ${describe(opts.daemon)}`);
    this.#target = opts.target ?? undefined;
    this.#args = checkArgs(opts.args, 'Thread') as A;
    // Python's names: a number only for unnamed threads, and the target's name after it.
    const target = opts.target?.name ? ` (${opts.target.name})` : '';
    this.name = opts.name ?? `Thread-${String(++counter)}${target}`;
    this.#daemon = opts.daemon ?? false;
    this.#done = new Promise((resolve) => (this.#onDone = resolve));
  }

  /**
   * Whether it is a daemon thread; settable until `start()`. Python does not wait for daemon
   * threads at exit; here no thread holds the program open by itself: it stays alive as long
   * as what a thread awaits (a socket, a timer) does, daemon or not.
   */
  get daemon(): boolean {
    return this.#daemon;
  }

  set daemon(value: boolean) {
    if (this.#started) throw new RuntimeError('cannot set daemon status of active thread');
    if (typeof value !== 'boolean') throw new TypeError(`Expected \`daemon\` to be a boolean, got ${describe(value)}`);
    this.#daemon = value;
  }

  /** A number unique among this program's threads once started, else `null`. Mirrors `Thread.ident`. */
  get ident(): number | null {
    return this.#ident;
  }

  /**
   * Starts the thread: `run()` begins on the next turn of the event loop.
   *
   * @throws RuntimeError('threads can only be started once').
   */
  start(): void {
    if (this.#started) throw new RuntimeError('threads can only be started once');
    this.#started = true;
    this.#ident = ++idents;
    alive.add(this);
    setImmediate(() => {
      void running.run(this, async () => {
        try {
          await this.run();
        } catch (error) {
          console.error(`Exception in thread ${this.name}:`);
          console.error(error);
        } finally {
          this.#finished = true;
          alive.delete(this);
          this.#onDone();
        }
      });
    });
  }

  /** What the thread does: calls `target(...args)`. Override it in a subclass, as in Python. */
  run(): unknown {
    return this.#target?.(...this.#args);
  }

  /**
   * Waits until the thread has finished, or `timeout` ms have passed (then it resolves anyway:
   * check `isAlive()`, as in Python).
   *
   * @throws (rejects) RuntimeError('cannot join thread before it is started'), and
   *   RuntimeError('cannot join current thread') from inside the thread (it would never end).
   */
  async join(timeout?: number): Promise<void> {
    if (!this.#started) throw new RuntimeError('cannot join thread before it is started');
    if (running.getStore() === this) throw new RuntimeError('cannot join current thread');
    const ms = checkTimeout(timeout);
    await waitAtMost(this.#done, ms);
  }

  /** Whether it has started and not finished. Mirrors `Thread.is_alive()`. */
  isAlive(): boolean {
    return this.#started && !this.#finished;
  }

  toString(): string {
    const state = !this.#started ? 'initial' : this.#finished ? 'stopped' : 'started';
    return `<${this.constructor.name}(${this.name}, ${state}${this.#daemon ? ' daemon' : ''}${this.#ident === null ? '' : ` ${String(this.#ident)}`})>`;
  }
}

/** The program's own thread, as `currentThread()` sees it outside every Thread. */
class MainThread extends Thread {
  constructor() {
    super({ name: 'MainThread' });
  }

  override isAlive(): boolean {
    return true;
  }
}

let main: Thread | undefined;

/** The thread of the program itself (`'MainThread'`). Mirrors `threading.main_thread()`. */
export function mainThread(): Thread {
  main ??= new MainThread();
  return main;
}

/**
 * The thread whose code is running: the {@link Thread} whose `run()` this is (or awaits for),
 * else {@link mainThread}. Mirrors `threading.current_thread()`.
 *
 * @example
 * ```ts
 * new Thread({ target: () => console.log(currentThread().name), name: 'worker' }).start(); // 'worker'
 * ```
 */
export function currentThread(): Thread {
  return (running.getStore() as Thread | undefined) ?? mainThread();
}

/** The threads that are alive, the main thread first. Mirrors `threading.enumerate()`. */
export function enumerate(): Thread[] {
  return [mainThread(), ...(alive as Set<Thread>)];
}

/** How many threads are alive, the main thread included. Mirrors `threading.active_count()`. */
export function activeCount(): number {
  return alive.size + 1;
}
