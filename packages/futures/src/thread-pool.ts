import { availableParallelism } from 'node:os';
import pLimit, { type LimitFunction } from 'p-limit';
import { BrokenThreadPool } from './errors.js';
import { BASE_OPTION_KEYS, checkOptionKeys, Executor, type ExecutorOptions } from './executor.js';
import { type Future, setProgress } from './future.js';
import { describe } from './internal/validate.js';
import { checkProgressValue, currentTask, enterEventLoopTask, NEVER_ABORTED, type RunningTask, setCurrentTask } from './task-context.js';
import { loadTaskRef, type Task } from './tasks.js';

/** Options of {@link ThreadPoolExecutor}. */
export type ThreadPoolExecutorOptions<I extends unknown[] = unknown[]> = ExecutorOptions<I>;

let poolCounter = 0;

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    (typeof value === 'object' || typeof value === 'function') &&
    value !== null &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}

/**
 * The running task of a ThreadPoolExecutor, as reportProgress() sees it. Many tasks share
 * this event loop, so it names a task only while that task's synchronous part runs: after an
 * await another task's part may be running. Following a task across its awaits would take
 * AsyncLocalStorage, whose promise hooks (Node 20 and 22) slow every await of every task,
 * reporting or not; an async task takes its reporter first, with taskProgress() (decision
 * 0018). One object per pool, whose future changes with each task: no allocation per task.
 */
class EventLoopTask implements RunningTask {
  future: Future<unknown> | undefined = undefined;

  get signal(): AbortSignal {
    return NEVER_ABORTED;
  }

  report(value: unknown): void {
    checkProgressValue(value);
    if (this.future !== undefined) setProgress(this.future, value);
  }

  reporter(): (value: unknown) => void {
    const future = this.future;
    return (value) => {
      checkProgressValue(value);
      // A done future drops the value: a report after the task ended goes nowhere.
      if (future !== undefined) setProgress(future, value);
    };
  }
}

/**
 * Runs tasks on this thread's event loop, at most `maxWorkers` at once (on p-limit): the
 * executor for async and IO-bound work. Mirrors `concurrent.futures.ThreadPoolExecutor`
 * (JavaScript has one thread per event loop, so "threads" here are concurrency slots).
 *
 * Sync functions, async functions and `TaskRef`s (imported in this thread) all work, so code
 * written against it can move to a process pool without changing its call sites.
 *
 * @example
 * ```ts
 * await using executor = new ThreadPoolExecutor({ maxWorkers: 8 });
 * const pages = executor.map(async (url: string) => (await fetch(url)).text(), urls);
 * for await (const page of pages) console.log(page.length);
 * ```
 */
export class ThreadPoolExecutor extends Executor {
  readonly #limit: LimitFunction;
  /** undefined: not started; a promise while it runs; null once it has run. */
  #initializing: Promise<void> | null | undefined;
  /** Task bodies still executing, including ones whose future already failed (aborted). */
  #active = 0;
  #onIdle: (() => void) | undefined;
  /** What taskSignal() and reportProgress() see while a task's synchronous part runs. */
  readonly #task = new EventLoopTask();

  /**
   * @param options - `maxWorkers` (default `min(32, availableParallelism() + 4)`),
   *   `initializer` and `initargs` (run once, before the first task; if it throws, the
   *   executor breaks with `BrokenThreadPool`), `name`.
   * @throws TypeError / RangeError for bad options, echoing the value.
   */
  constructor(options: ThreadPoolExecutorOptions = {}) {
    if (typeof options !== 'object' || options === null) {
      throw new TypeError(`ThreadPoolExecutor expects an options object, got ${describe(options)}`);
    }
    checkOptionKeys(options, BASE_OPTION_KEYS, 'ThreadPoolExecutor');
    super(options, Math.min(32, availableParallelism() + 4), `ThreadPoolExecutor-${poolCounter++}`);
    this.#limit = pLimit(this.maxWorkers);
    this.#initializing = this.initializer === undefined ? null : undefined;
  }

  protected override schedule(future: Future<unknown>, fn: Task<unknown[], unknown>, args: unknown[]): void {
    if (this.#initializing === undefined) this.#initializing = this.#initialize();
    // p-limit forwards the arguments, so no closure is made per task.
    void this.#limit(this.#run, future, fn, args);
  }

  protected override async closeWorkers(): Promise<void> {
    if (this.#active === 0) return;
    await new Promise<void>((resolve) => (this.#onIdle = resolve));
  }

  readonly #run = async (future: Future<unknown>, fn: Task<unknown[], unknown>, args: unknown[]): Promise<void> => {
    if (this.#initializing !== null) await this.#initializing;
    // Cancelled while queued, or failed when the executor broke: nothing to run.
    if (future.state !== 'PENDING') {
      if (future.cancelled()) future.setRunningOrNotifyCancel();
      return;
    }
    future.setRunningOrNotifyCancel();
    this.#active++;
    enterEventLoopTask(true);
    try {
      const task = typeof fn === 'function' ? fn : loadTaskRef(fn);
      const call = isThenable(task) ? await task : task;
      // Put back what was there: a task may submit (and p-limit may start) another one
      // synchronously, or this pool may run inside a worker pool's task.
      const outer = currentTask();
      const outerFuture = this.#task.future;
      this.#task.future = future;
      setCurrentTask(this.#task);
      let value: unknown;
      try {
        value = call(...args);
      } finally {
        this.#task.future = outerFuture;
        setCurrentTask(outer);
      }
      if (isThenable(value)) value = await value;
      // Still RUNNING unless an abort or timeout already failed it (submitWith).
      if (future.running()) future.setResult(value);
    } catch (error) {
      if (future.running()) future.setException(error);
    } finally {
      enterEventLoopTask(false);
      if (--this.#active === 0 && this.#onIdle !== undefined) {
        this.#onIdle();
        this.#onIdle = undefined;
      }
    }
  };

  async #initialize(): Promise<void> {
    const initializer = this.initializer as Task<unknown[], unknown>;
    try {
      // Run it after the submit() that started it has returned, as tasks run: a sync throw
      // must fail the queued futures and emit 'broken' later, not inside that submit() call.
      await Promise.resolve();
      const fn = typeof initializer === 'function' ? initializer : await loadTaskRef(initializer);
      await fn(...this.initargs);
    } catch (error) {
      this.break(
        new BrokenThreadPool('A thread initializer failed, the thread pool is not usable anymore', { cause: error }),
      );
    } finally {
      this.#initializing = null;
    }
  }
}
