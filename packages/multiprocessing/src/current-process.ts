/**
 * `currentProcess()` and `cpuCount()`. Mirrors `multiprocessing.current_process` and
 * `multiprocessing.cpu_count`.
 *
 * @module
 */
import { randomBytes } from 'node:crypto';
import { availableParallelism, cpus } from 'node:os';
import { getEnvironmentData, isMainThread, setEnvironmentData } from 'node:worker_threads';

// On globalThis under a registered symbol: the child's entry (this package's dist) and a
// target module that imports another copy of the package see the same slot.
const SLOT = Symbol.for('@concurrent/multiprocessing.currentProcess');

/** What {@link currentProcess} tells about the process it runs in. */
export interface CurrentProcess {
  /** `'MainProcess'`, or the `name` of the {@link Process} that started this child. */
  readonly name: string;
  readonly pid: number;
  /** Same as `pid`. Mirrors `Process.ident`. */
  readonly ident: number;
  /** Whether this process is a daemon child. */
  readonly daemon: boolean;
  /**
   * The key a manager of this process uses when given none (a copy): random in the main
   * process, inherited by every child that {@link Process} starts. Mirrors `Process.authkey`.
   */
  readonly authkey: Buffer;
}

interface Slot {
  readonly name: string;
  readonly daemon: boolean;
  /** Hex. */
  readonly authkey: string;
}

type Global = typeof globalThis & { [SLOT]?: Slot | undefined };

/** Where a thread's authkey is published for the worker threads it starts (Node clones it into each). */
const THREAD_KEY = '@concurrent/multiprocessing.authkey';

/** Internal (the child's entry): who this process is. */
export function setCurrentProcess(info: Slot): void {
  (globalThis as Global)[SLOT] = Object.freeze({ ...info });
  setEnvironmentData(THREAD_KEY, info.authkey);
}

/** This process's authkey, hex (what a child inherits). */
export function processAuthkey(): string {
  const global = globalThis as Global;
  if (global[SLOT] === undefined) {
    // A worker thread has its process's key (published below); the main process makes one,
    // Python's os.urandom(32), in the slot that every copy of this module shares.
    const inherited = isMainThread ? undefined : getEnvironmentData(THREAD_KEY);
    const authkey = typeof inherited === 'string' ? inherited : randomBytes(32).toString('hex');
    global[SLOT] = Object.freeze({ name: 'MainProcess', daemon: false, authkey });
    setEnvironmentData(THREAD_KEY, authkey);
  }
  return global[SLOT].authkey;
}

// Made (or read) as the package loads, before this thread can start a worker thread: each
// worker gets the environment data as it was when it started.
processAuthkey();

/**
 * The process this code runs in: `'MainProcess'` in the program you started, the
 * `Process`'s `name` inside a child started by {@link Process}. Mirrors
 * `multiprocessing.current_process()`. (Inside `Pool` workers it says `'MainProcess'`:
 * they are started by `@concurrent/futures`, which does not name them.)
 *
 * @returns `{ name, pid, ident, daemon }`.
 * @example
 * ```ts
 * // tasks.ts, the target of a Process({ target: tasks.work, name: 'worker-1' })
 * export function work() { console.log(`${currentProcess().name} (pid ${currentProcess().pid})`); }
 * ```
 */
export function currentProcess(): CurrentProcess {
  const authkey = Buffer.from(processAuthkey(), 'hex');
  const slot = (globalThis as Global)[SLOT]!;
  return Object.freeze({ name: slot.name, pid: process.pid, ident: process.pid, daemon: slot.daemon, authkey });
}

/**
 * The number of logical CPUs of the machine. Mirrors `multiprocessing.cpu_count()` (for the
 * CPUs this process may use, Python 3.13's `process_cpu_count()`, use
 * `os.availableParallelism()`, the default size of a Pool).
 *
 * @example
 * ```ts
 * const pool = new Pool(Math.max(1, cpuCount() - 1));
 * ```
 */
export function cpuCount(): number {
  const n = cpus().length;
  return n > 0 ? n : availableParallelism();
}
