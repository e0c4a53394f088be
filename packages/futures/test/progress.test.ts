/**
 * Progress reported from inside a task (decision 0018): `reportProgress()` / `taskProgress()`
 * on the task's side, `addProgressCallback()`, `progress()` and the `'progress'` event on the
 * caller's, over every executor with real threads and processes; then the pieces an executor
 * or runner outside this package builds on (`setProgress`, `TaskContext`).
 *
 * Ordering is by the tasks' own awaits (a gap longer than the runner's coalescing interval
 * between two reports) and by the futures' completion, never by racing timers against a
 * deadline; where a late report must not arrive, the test waits well past it.
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  type Executor,
  Future,
  moduleTasks,
  ProcessPoolExecutor,
  reportProgress,
  taskProgress,
  taskSignal,
  ThreadPoolExecutor,
} from '../src/index.js';
import { setProgress, setCurrentTask, TaskContext } from '../src/internal-api.js';
import { PROGRESS_INTERVAL_MS } from '../src/worker-entry/runner.js';
import { executorKinds } from './executors.js';
import type * as ProgressTasks from './fixtures/progress-tasks.mjs';

const tasks = moduleTasks<typeof ProgressTasks>(new URL('./fixtures/progress-tasks.mjs', import.meta.url));
/** The built package, as a shipped function imports it where it runs. */
const DIST_URL = new URL('../dist/index.js', import.meta.url).href;
/** Longer than the runner's interval: two reports this far apart travel in two messages. */
const GAP_MS = PROGRESS_INTERVAL_MS * 2;

/** Every progress value of `future`, and where its completion fell among them. */
function record(future: Future<unknown>): unknown[] {
  const log: unknown[] = [];
  future.addProgressCallback((value) => log.push(value));
  future.addDoneCallback(() => log.push('<done>'));
  return log;
}

async function collect(iterator: AsyncIterable<unknown>): Promise<unknown[]> {
  const values: unknown[] = [];
  for await (const value of iterator) values.push(value);
  return values;
}

function isIncreasing(values: readonly unknown[]): boolean {
  return values.every((value, i) => i === 0 || (value as number) > (values[i - 1] as number));
}

describe.each(executorKinds)('$name', (kind) => {
  const made: Executor[] = [];
  /** Worker and process pools coalesce reports; the event loop hands each one over at once. */
  const coalesces = kind.parallel;

  function make(): Executor {
    const executor = kind.make({ maxWorkers: 2 });
    made.push(executor);
    return executor;
  }

  afterEach(async () => {
    await Promise.all(made.splice(0).map((executor) => executor.shutdown({ cancelFutures: true })));
  });

  it('.addProgressCallback() - values arrive in order, each one, and the last before the result', async () => {
    const future = make().submit(tasks.steps, 4, GAP_MS);
    const log = record(future);
    expect(await future).toBe('done');
    expect(log).toEqual([1, 2, 3, 4, '<done>']);
  });

  it('.addProgressCallback() - a tight loop is coalesced and keeps the last value, in order', async () => {
    const n = 200_000;
    const executor = make();
    const future = executor.submit(tasks.tight, n);
    const log = record(future);
    expect(await future).toBe(n);
    const values = log.slice(0, -1);
    expect(log.at(-1)).toBe('<done>');
    expect(values.at(-1)).toBe(n);
    expect(isIncreasing(values)).toBe(true);
    // Coalesced: a message per interval at most, not one per report.
    if (coalesces) expect(values.length).toBeLessThan(1_000);
    else expect(values.length).toBe(n);
  });

  it('.addProgressCallback() - a value reported after the task returned is dropped', async () => {
    const future = make().submit(tasks.leavesTimer, 20);
    const log = record(future);
    expect(await future).toBe('returned');
    // Well past the timer the task left behind (20 ms), whose report must not arrive.
    await sleep(250);
    expect(log).toEqual(['before', '<done>']);
  });

  it('.addProgressCallback() - a callback added late gets the latest value at once; on a done future, never', async () => {
    const executor = make();
    const future = executor.submit(tasks.steps, 3, GAP_MS * 3);
    const first = await collectUntil(future, 1);
    expect(first).toEqual([1]);
    const late: unknown[] = [];
    future.addProgressCallback((value) => late.push(value));
    expect(late).toEqual([1]);
    await future;
    expect(late).toEqual([1, 2, 3]);
    const afterDone = vi.fn();
    future.addProgressCallback(afterDone);
    expect(afterDone).not.toHaveBeenCalled();
  });

  it('.addProgressCallback() - a callback that throws is reported as callbackError; the others and the task go on', async () => {
    const executor = make();
    const reported: [unknown, Future<unknown>][] = [];
    executor.on('callbackError', (error, future) => reported.push([error, future]));
    const future = executor.submit(tasks.steps, 2, GAP_MS);
    const boom = new Error('callback failed');
    future.addProgressCallback(() => {
      throw boom;
    });
    const log = record(future);
    expect(await future).toBe('done');
    expect(log).toEqual([1, 2, '<done>']);
    expect(reported).toEqual([
      [boom, future],
      [boom, future],
    ]);
  });

  it('.addProgressCallback() - without a callbackError listener, a throwing callback goes to console.error', async () => {
    const errors = vi.spyOn(console, 'error').mockImplementation(() => {});
    try {
      const future = make().submit(tasks.steps, 1, 1);
      future.addProgressCallback(() => {
        throw new Error('unheard');
      });
      expect(await future).toBe('done');
      expect(errors).toHaveBeenCalledWith(expect.stringMatching(/exception calling callback for <Future/), expect.objectContaining({ message: 'unheard' }));
    } finally {
      errors.mockRestore();
    }
  });

  it('.addProgressCallback() - a task that fails after reporting: the progress, then the failure', async () => {
    const future = make().submit(tasks.reportsThenThrows);
    const log = record(future);
    await expect(future.result()).rejects.toThrow(RangeError);
    expect(log).toEqual(['half', '<done>']);
  });

  it('.addProgressCallback() - values cross by structured clone: objects and Maps', async () => {
    const future = make().submit(tasks.structured);
    const log = record(future);
    expect(await future).toBe('ok');
    // The two reports may share a message (then only the latest travels).
    const last = log.at(-2);
    expect(last).toBeInstanceOf(Map);
    expect([...(last as Map<string, number>)]).toEqual([['done', 2]]);
    if (!coalesces) expect(log[0]).toEqual({ done: 1, total: 2 });
  });

  it('.progress() - the iterator yields the values in order and ends with the future', async () => {
    const future = make().submit(tasks.steps, 3, GAP_MS);
    const values = await collect(future.progress());
    expect(future.done()).toBe(true);
    expect(values).toEqual([1, 2, 3]);
  });

  it('.progress() - a slow consumer skips to the latest value and still sees the last one', async () => {
    const future = make().submit(tasks.tight, 50_000);
    const values: unknown[] = [];
    for await (const value of future.progress()) {
      values.push(value);
      await sleep(5);
    }
    expect(values.at(-1)).toBe(50_000);
    expect(isIncreasing(values)).toBe(true);
    expect(await future).toBe(50_000);
  });

  it('.progress() - ends at once on a done future, and when the future is cancelled or fails', async () => {
    const executor = make();
    const done = executor.submit(tasks.tight, 1);
    await done;
    expect(await collect(done.progress())).toEqual([]);
    const failing = executor.submit(tasks.reportsThenThrows);
    const values = await collect(failing.progress());
    expect(values).toEqual(['half']);
    await expect(failing.result()).rejects.toThrow('failed after progress');
    // A future cancelled before it ran ends its iterator without a value.
    const bare = new Future<number>();
    const iterating = collect(bare.progress());
    bare.cancel();
    expect(await iterating).toEqual([]);
  });

  it('.progress() - break stops watching; the future runs on', async () => {
    const future = make().submit(tasks.steps, 3, GAP_MS);
    for await (const value of future.progress()) {
      expect(value).toBe(1);
      break;
    }
    const log = record(future);
    expect(await future).toBe('done');
    expect(log.at(-2)).toBe(3);
  });

  it("'progress' event - the executor emits each value with its future, map chunks included", async () => {
    const executor = make();
    const events: [Future<unknown>, unknown][] = [];
    executor.on('progress', (future, value) => events.push([future, value]));
    const future = executor.submit(tasks.steps, 2, GAP_MS);
    await future;
    expect(events).toEqual([
      [future, 1],
      [future, 2],
    ]);
    events.length = 0;
    const results = await executor.map(tasks.tight, [3, 4, 5], { chunksize: 3 });
    expect(results).toEqual([3, 4, 5]);
    // Each item's last value; a chunk is one task, so values of one chunk share its future.
    expect(events.map(([, value]) => value).at(-1)).toBe(5);
  });

  it('plain function - reports too: shipped, it imports reportProgress where it runs; on the event loop, it may capture it', async () => {
    const executor = make();
    const future = kind.parallel
      ? executor.submit(
          async (url: string, n: number) => {
            const { reportProgress: report } = (await import(url)) as { reportProgress: (value: unknown) => void };
            report(n);
            return n * 2;
          },
          DIST_URL,
          21,
        )
      : // Not shipped, so it may capture; and it reports before any await (see taskProgress()).
        executor.submit((n: number) => {
          reportProgress(n);
          return n * 2;
        }, 21);
    const log = record(future);
    expect(await future).toBe(42);
    expect(log).toEqual([21, '<done>']);
  });

  it('taskProgress() - reports after an await; the task runs the same on every executor', async () => {
    // steps() takes its reporter before its first await; that is what the event loop needs.
    const future = make().submit(tasks.steps, 2, 1);
    expect(await collect(future.progress())).toContain(2);
  });
});

describe('ThreadPoolExecutor', () => {
  it('reportProgress() - after an await it cannot name its task: nothing is reported, and one warning says to use taskProgress()', async () => {
    await using executor = new ThreadPoolExecutor({ maxWorkers: 1 });
    const warnings: Error[] = [];
    const onWarning = (warning: Error): void => void warnings.push(warning);
    process.on('warning', onWarning);
    try {
      const future = executor.submit(tasks.reportsAfterAwait);
      const log = record(future);
      expect(await future).toBe('ok');
      expect(log).toEqual(['<done>']);
      await sleep(10); // warnings are emitted on the next tick
      // One warning per process (each test file runs in its own), not one per report.
      expect(warnings.filter((warning) => /taskProgress\(\)/.test(warning.message)).length).toBe(1);
    } finally {
      process.off('warning', onWarning);
    }
  });

  it('reportProgress() - in the synchronous part of a plain function; a late report of the task is dropped', async () => {
    await using executor = new ThreadPoolExecutor({ maxWorkers: 2 });
    let report: ((value: unknown) => void) | undefined;
    const future = executor.submit((n: number) => {
      reportProgress(n);
      report = taskProgress();
      return n;
    }, 5);
    const log = record(future);
    expect(await future).toBe(5);
    report?.(6);
    expect(log).toEqual([5, '<done>']);
  });
});

describe('ProcessPoolExecutor', () => {
  it('reportProgress() - an object that cannot be cloned is dropped with a warning; the task and later values go on', async () => {
    await using executor = new ProcessPoolExecutor({ maxWorkers: 1 });
    const future = executor.submit(tasks.unsendable);
    const log = record(future);
    expect(await future).toBe('ok');
    expect(log).toEqual(['after', '<done>']);
  });

  it("reportProgress() - with serialization: 'json', values cross as JSON", async () => {
    await using executor = new ProcessPoolExecutor({ maxWorkers: 1, serialization: 'json' });
    const future = executor.submit(tasks.steps, 2, GAP_MS);
    const log = record(future);
    expect(await future).toBe('done');
    expect(log).toEqual([1, 2, '<done>']);
  });
});

describe('outside a task', () => {
  it('reportProgress() - does nothing, as taskSignal() never aborts there; taskProgress() returns a reporter that does nothing', () => {
    expect(() => reportProgress(1)).not.toThrow();
    expect(() => taskProgress()({ done: 1 })).not.toThrow();
    expect(taskSignal().aborted).toBe(false);
  });

  it('reportProgress() - a function or a symbol is a TypeError everywhere, since it can never be cloned', () => {
    expect(() => reportProgress(() => 1)).toThrow(TypeError);
    expect(() => reportProgress(Symbol('s'))).toThrow(/structured clone/);
  });
});

describe('for executors and runners outside this package (@concurrent/futures/internal)', () => {
  it('setProgress() - feeds a bare future: callbacks and iterators see it; after done it is dropped', async () => {
    const future = new Future<string>();
    const log = record(future as Future<unknown>);
    const iterating = collect(future.progress());
    expect(setProgress(future as Future<unknown>, 0.5)).toBe(true);
    expect(setProgress(future as Future<unknown>, 1)).toBe(true);
    future.setRunningOrNotifyCancel();
    future.setResult('ok');
    expect(setProgress(future as Future<unknown>, 2)).toBe(false);
    expect(log).toEqual([0.5, 1, '<done>']);
    // The loop was waiting for 0.5; 1 came before it asked again, and is held until it does.
    expect(await iterating).toEqual([0.5, 1]);
  });

  it('TaskContext - a runner that publishes a context gives its task reportProgress() and taskSignal()', () => {
    const seen: unknown[] = [];
    const context = new TaskContext((value) => seen.push(value));
    setCurrentTask(context);
    try {
      reportProgress('a');
      taskProgress()('b');
      context.abort('stop');
      expect(taskSignal().aborted).toBe(true);
    } finally {
      setCurrentTask(undefined);
    }
    context.close();
    const late = (): void => context.report('late');
    late();
    expect(seen).toEqual(['a', 'b']);
  });

  it('.addProgressCallback() - rejects a non-function, echoing it', () => {
    expect(() => new Future().addProgressCallback(42 as never)).toThrow(/addProgressCallback\(\) expects a function, got 42/);
  });
});

/** Progress values of `future` until `count` have arrived. */
async function collectUntil(future: Future<unknown>, count: number): Promise<unknown[]> {
  const values: unknown[] = [];
  const iterator = future.progress();
  for await (const value of iterator) {
    values.push(value);
    if (values.length === count) break;
  }
  return values;
}

describe('examples/progress.mjs', () => {
  it('prints what the README shows', async () => {
    const example = fileURLToPath(new URL('../examples/progress.mjs', import.meta.url));
    const { stdout } = await promisify(execFile)(process.execPath, [example], { timeout: 20_000 });
    const readme = await readFile(fileURLToPath(new URL('../README.md', import.meta.url)), 'utf8');
    const shown = /The example prints[^\n]*\n\n```\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(shown).toBeDefined();
    expect(stdout).toBe(shown);
  });
});
