/**
 * `currentProcess()` and `cpuCount()`. Mirrors `multiprocessing.current_process` and
 * `multiprocessing.cpu_count`.
 *
 * @module
 */
import { availableParallelism, cpus } from 'node:os';

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
}

type Global = typeof globalThis & { [SLOT]?: CurrentProcess | undefined };

/** Internal (the child's entry): who this process is. */
export function setCurrentProcess(info: { name: string; daemon: boolean }): void {
  (globalThis as Global)[SLOT] = Object.freeze({ name: info.name, daemon: info.daemon, pid: process.pid, ident: process.pid });
}

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
  return (globalThis as Global)[SLOT] ?? { name: 'MainProcess', pid: process.pid, ident: process.pid, daemon: false };
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
