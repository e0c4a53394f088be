import { describe, expectTypeOf, test } from 'vitest';
import {
  asCompleted,
  type DoneAndNotDoneFutures,
  type Executor,
  FIRST_COMPLETED,
  Future,
  type FutureState,
  type MapIterable,
  moduleTasks,
  type ProgressCallback,
  reportProgress,
  type ReturnWhen,
  type Task,
  type TaskRef,
  taskProgress,
  ThreadPoolExecutor,
  wait,
  WorkerExitError,
} from '../src/index.js';
import type * as mathModule from './fixtures/math.js';

declare const executor: Executor;

const add = (a: number, b: number): number => a + b;
const fetchLength = async (a: number, b: string): Promise<number> => a + b.length;

// api.md's idiom. The lint config's consistent-type-imports forbids `typeof import()` in type
// positions, so the same module is also typed through an `import type * as` namespace below.
const math = moduleTasks<typeof import('./fixtures/math.js')>(new URL('./fixtures/math.js', import.meta.url));
const mathViaNamespace = moduleTasks<typeof mathModule>(new URL('./fixtures/math.js', import.meta.url));

describe('Executor.submit()', () => {
  test('.submit() - infers Future<number> from an async function', () => {
    expectTypeOf(executor.submit(fetchLength, 1, 'x')).toEqualTypeOf<Future<number>>();
  });

  test('.submit() - infers Future<number> from a sync function', () => {
    expectTypeOf(executor.submit(add, 1, 2)).toEqualTypeOf<Future<number>>();
  });

  test('.submit() - unwraps nested promises and infers void', () => {
    expectTypeOf(executor.submit(async () => Promise.resolve('s'))).toEqualTypeOf<Future<string>>();
    expectTypeOf(executor.submit(() => {})).toEqualTypeOf<Future<void>>();
  });

  test('.submit() - rejects wrong argument types', () => {
    // @ts-expect-error the arguments are swapped
    executor.submit(fetchLength, 'x', 1);
    // @ts-expect-error a missing argument
    executor.submit(fetchLength, 1);
    // @ts-expect-error one argument too many
    executor.submit(fetchLength, 1, 'x', 2);
    // @ts-expect-error not a task
    executor.submit(42);
  });

  test('.submit() - is available on every concrete executor', () => {
    const pool = new ThreadPoolExecutor();
    expectTypeOf(pool.submit(add, 1, 2)).toEqualTypeOf<Future<number>>();
    expectTypeOf(pool).toExtend<Executor>();
  });

  test('.submitWith() - infers like submit', () => {
    expectTypeOf(executor.submitWith({ timeout: 10 }, fetchLength, 1, 'x')).toEqualTypeOf<Future<number>>();
    // @ts-expect-error the arguments are swapped
    executor.submitWith({}, fetchLength, 'x', 1);
  });
});

describe('moduleTasks()', () => {
  test('moduleTasks() - gives one TaskRef per exported function, typed from the module', () => {
    expectTypeOf(math.add).toEqualTypeOf<TaskRef<[a: number, b: number], number>>();
    expectTypeOf(math.greet).toEqualTypeOf<TaskRef<[name: string], Promise<string>>>();
  });

  test('moduleTasks() - types the same through an import type namespace', () => {
    expectTypeOf(mathViaNamespace).toEqualTypeOf(math);
    expectTypeOf(mathViaNamespace.add).toEqualTypeOf<TaskRef<[a: number, b: number], number>>();
  });

  test('moduleTasks() - leaves out exports that are not functions', () => {
    expectTypeOf(math).not.toHaveProperty('VERSION');
    expectTypeOf<'VERSION'>().not.toExtend<keyof typeof math>();
    expectTypeOf<'add' | 'greet'>().toExtend<keyof typeof math>();
    // @ts-expect-error VERSION is a string, not a task
    void math.VERSION;
  });

  test('moduleTasks() - TaskRefs type-check submit like functions do', () => {
    expectTypeOf(executor.submit(math.add, 1, 2)).toEqualTypeOf<Future<number>>();
    expectTypeOf(executor.submit(math.greet, 'ada')).toEqualTypeOf<Future<string>>();
    // @ts-expect-error add takes numbers
    executor.submit(math.add, '1', 2);
    // @ts-expect-error greet takes one argument
    executor.submit(math.greet);
  });

  test('moduleTasks() - the static methods of an exported class are typed TaskRefs; its other members are not', () => {
    expectTypeOf(math.Fib.fib).toEqualTypeOf<TaskRef<[n: number], number>>();
    expectTypeOf(executor.submit(math.Fib.fib, 30)).toEqualTypeOf<Future<number>>();
    // @ts-expect-error fib takes a number
    executor.submit(math.Fib.fib, '30');
    // @ts-expect-error LIMIT is a number, not a task
    void math.Fib.LIMIT;
    // @ts-expect-error an instance method is not a static member
    void math.Fib.memo;
    // @ts-expect-error the class itself is not a task
    executor.submit(math.Fib);
  });

  test('moduleTasks() - a TaskRef is a Task', () => {
    expectTypeOf(math.add).toExtend<Task<[number, number], number>>();
    expectTypeOf(add).toExtend<Task<[number, number], number>>();
    expectTypeOf(math.add.module).toEqualTypeOf<string>();
    expectTypeOf(math.add.name).toEqualTypeOf<string>();
  });
});

describe('Executor.map() / .starmap()', () => {
  test('.map() - yields the awaited result type of the function', () => {
    expectTypeOf(executor.map((x: number) => String(x), [1, 2])).toEqualTypeOf<MapIterable<string>>();
    expectTypeOf(executor.map(async (x: number) => x > 1, [1, 2])).toEqualTypeOf<MapIterable<boolean>>();
    expectTypeOf(executor.map(math.greet, ['a', 'b'])).toEqualTypeOf<MapIterable<string>>();
  });

  test('.map() - accepts sync and async iterables of the item type', () => {
    const items = (async function* (): AsyncGenerator<number> {
      yield 1;
    })();
    expectTypeOf(executor.map((x: number) => x * 2, items)).toEqualTypeOf<MapIterable<number>>();
    expectTypeOf(executor.map((x: number) => x * 2, new Set([1]), { buffersize: 2 })).toEqualTypeOf<
      MapIterable<number>
    >();
  });

  test('.map().toArray() - resolves to an array of the result type', () => {
    expectTypeOf(executor.map((x: number) => String(x), [1, 2]).toArray()).toEqualTypeOf<Promise<string[]>>();
  });

  test('.map() - rejects items of the wrong type', () => {
    // @ts-expect-error the items are strings
    executor.map((x: number) => x * 2, ['a']);
  });

  test('.starmap() - takes argument tuples and yields the result type', () => {
    const pairs: [number, string][] = [[1, 'a']];
    expectTypeOf(executor.starmap(fetchLength, pairs)).toEqualTypeOf<MapIterable<number>>();
    expectTypeOf(executor.starmap(math.add, [[1, 2]])).toEqualTypeOf<MapIterable<number>>();
  });

  test('.starmap() - rejects tuples of the wrong type', () => {
    const swapped: [string, number][] = [['a', 1]];
    // @ts-expect-error the tuples are swapped
    executor.starmap(fetchLength, swapped);
  });
});

describe('Future<T>', () => {
  test('Future<T> - is assignable to Future<unknown>, not to an unrelated Future', () => {
    expectTypeOf<Future<number>>().toExtend<Future<unknown>>();
    expectTypeOf<Future<number>>().not.toExtend<Future<string>>();
    const fs: Future<unknown>[] = [new Future<number>(), new Future<string>()];
    expectTypeOf(fs).toEqualTypeOf<Future<unknown>[]>();
  });

  test('Future<T> - is a PromiseLike whose awaited type is T', () => {
    expectTypeOf<Future<number>>().toExtend<PromiseLike<number>>();
    expectTypeOf<Awaited<Future<number>>>().toEqualTypeOf<number>();
  });

  test('Future<T> - result() and exception() are typed', () => {
    const f = new Future<number>();
    expectTypeOf(f.result()).toEqualTypeOf<Promise<number>>();
    expectTypeOf(f.result(10)).toEqualTypeOf<Promise<number>>();
    expectTypeOf(f.exception()).toEqualTypeOf<Promise<unknown>>();
    expectTypeOf(f.state).toEqualTypeOf<FutureState>();
    expectTypeOf<FutureState>().toEqualTypeOf<'PENDING' | 'RUNNING' | 'CANCELLED' | 'FINISHED'>();
    expectTypeOf(f.cancel()).toEqualTypeOf<boolean>();
    expectTypeOf(f.setRunningOrNotifyCancel()).toEqualTypeOf<boolean>();
  });

  test('Future<T> - setResult() takes T, setException() takes anything', () => {
    const f = new Future<number>();
    f.setResult(1);
    f.setException(undefined);
    f.setException('any value');
    // @ts-expect-error a string is not a number
    f.setResult('1');
  });

  test('Future<T> - done callbacks receive the typed future', () => {
    const f = new Future<number>();
    f.addDoneCallback((future) => {
      expectTypeOf(future).toEqualTypeOf<Future<number>>();
    });
  });

  test('Future<T> - then() maps the value type', () => {
    const f = new Future<number>();
    expectTypeOf(f.then((v) => String(v))).toEqualTypeOf<Promise<string>>();
    expectTypeOf(f.catch(() => 'fallback')).toEqualTypeOf<Promise<number | string>>();
    expectTypeOf(f.finally(() => {})).toEqualTypeOf<Promise<number>>();
  });
});

describe('wait() / asCompleted()', () => {
  test('wait() - resolves to typed sets', () => {
    const fs = [new Future<number>(), new Future<number>()];
    expectTypeOf(wait(fs)).toEqualTypeOf<Promise<DoneAndNotDoneFutures<number>>>();
    expectTypeOf<DoneAndNotDoneFutures<number>['done']>().toEqualTypeOf<Set<Future<number>>>();
    expectTypeOf<DoneAndNotDoneFutures<number>['notDone']>().toEqualTypeOf<Set<Future<number>>>();
  });

  test('wait() - takes the returnWhen constants and rejects other strings', () => {
    expectTypeOf<typeof FIRST_COMPLETED>().toEqualTypeOf<'FIRST_COMPLETED'>();
    expectTypeOf<ReturnWhen>().toEqualTypeOf<'FIRST_COMPLETED' | 'FIRST_EXCEPTION' | 'ALL_COMPLETED'>();
    void wait([new Future<number>()], { returnWhen: FIRST_COMPLETED, timeout: 10 });
    // @ts-expect-error not a return condition
    void wait([new Future<number>()], { returnWhen: 'FIRST' });
  });

  test('wait() - accepts futures of mixed types as Future<unknown>', () => {
    const mixed: Future<unknown>[] = [new Future<number>(), new Future<string>()];
    expectTypeOf(wait(mixed)).toEqualTypeOf<Promise<DoneAndNotDoneFutures<unknown>>>();
  });

  test('asCompleted() - yields Future<T>', () => {
    const fs = new Set([new Future<string>()]);
    expectTypeOf(asCompleted(fs)).toEqualTypeOf<AsyncIterableIterator<Future<string>>>();
    expectTypeOf(asCompleted(fs, { timeout: 10 })).toEqualTypeOf<AsyncIterableIterator<Future<string>>>();
  });

  test('asCompleted() - next() resolves to IteratorResult<Future<T>>', async () => {
    const iterator = asCompleted([new Future<number>()]);
    const result = await iterator.next();
    if (result.done !== true) expectTypeOf(result.value).toEqualTypeOf<Future<number>>();
  });

  test('asCompleted() - a for await variable is typed T although it holds the Future (TypeScript limitation)', async () => {
    // TypeScript types a for-await variable as the awaited element type, even for an async
    // iterator whose values are thenables (microsoft/TypeScript#21115). At runtime the variable
    // is the Future (as-completed.test.ts checks that). Pinned so that a change in either
    // TypeScript or our declarations is noticed; see the report on api.md's example.
    for await (const future of asCompleted([new Future<number>()])) {
      expectTypeOf(future).toEqualTypeOf<number>();
    }
  });
});

describe('errors', () => {
  test('WorkerExitError - carries typed exit info', () => {
    const error = new WorkerExitError('died', { exitCode: null, signal: 'SIGKILL', pid: 1 });
    expectTypeOf(error.exitCode).toEqualTypeOf<number | null>();
    expectTypeOf(error.signal).toEqualTypeOf<NodeJS.Signals | null>();
    expectTypeOf(error.pid).toEqualTypeOf<number | undefined>();
    expectTypeOf(error.threadId).toEqualTypeOf<number | undefined>();
  });
});

describe('progress', () => {
  test('the task side takes any value and returns nothing; taskProgress() returns a reporter', () => {
    expectTypeOf(reportProgress).parameters.toEqualTypeOf<[value: unknown]>();
    expectTypeOf(reportProgress).returns.toBeVoid();
    expectTypeOf(taskProgress()).toEqualTypeOf<(value: unknown) => void>();
  });

  test('the future side: values are unknown, the callback gets the typed future, the iterator is async', () => {
    const future = executor.submit(add, 1, 2);
    future.addProgressCallback((value, f) => {
      expectTypeOf(value).toBeUnknown();
      expectTypeOf(f).toEqualTypeOf<Future<number>>();
    });
    expectTypeOf(future.progress()).toEqualTypeOf<AsyncIterableIterator<unknown>>();
    expectTypeOf<ProgressCallback<number>>().toEqualTypeOf<(value: unknown, future: Future<number>) => void>();
    executor.on('progress', (f, value) => {
      expectTypeOf(f).toEqualTypeOf<Future<unknown>>();
      expectTypeOf(value).toBeUnknown();
    });
  });
});
