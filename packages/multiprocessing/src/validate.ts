/**
 * Argument checks shared by Pool, ThreadPool and Process. Errors echo the bad value the way
 * p-limit does (`` `0` (number) ``), and keep Python's wording where Python has one.
 *
 * @module
 */
import { inspect } from 'node:util';
import { isTaskRef, type Task } from '@concurrent/futures';
import { checkOptionKeys, checkOptionsObject } from '@concurrent/futures/internal';

/** The largest delay `setTimeout` honours; longer waits are chained (see {@link sleepFor}). */
const MAX_TIMER_DELAY_MS = 2 ** 31 - 1;

/** Echoes a bad value for an error message: `` `'4'` (string) ``. */
export function describe(value: unknown): string {
  const type = value === null ? 'null' : typeof value;
  const shown = inspect(value, { depth: 0, breakLength: Infinity, maxArrayLength: 5, maxStringLength: 60 });
  return `\`${shown}\` (${type})`;
}

/**
 * A whole number from 1 up.
 *
 * @param python - Python's message for the same mistake, which the error starts with.
 * @throws TypeError when `value` is not a number; RangeError when it is not an integer >= 1.
 */
export function checkPositive(value: unknown, name: string, python: string): number {
  if (typeof value !== 'number') {
    throw new TypeError(`Expected \`${name}\` to be a number from 1 and up, got ${describe(value)}`);
  }
  if (!Number.isInteger(value) || value < 1) {
    throw new RangeError(`${python}: expected \`${name}\` to be a whole number from 1 and up, got ${describe(value)}`);
  }
  return value;
}

/** `chunksize`: `undefined` (the default) or a whole number from 1 up. */
export function checkChunksize(value: unknown): number | undefined {
  if (value === undefined) return undefined;
  return checkPositive(value, 'chunksize', 'Chunksize must be 1+');
}

/**
 * A timeout in milliseconds: `undefined`, `null` and `Infinity` mean none; a negative one
 * behaves as 0, as in CPython.
 *
 * @throws TypeError for anything else that is not a number, and for NaN.
 */
export function checkTimeout(value: unknown): number | undefined {
  if (value === undefined || value === null || value === Infinity) return undefined;
  if (typeof value !== 'number' || Number.isNaN(value)) {
    throw new TypeError(`Expected \`timeout\` to be a number of milliseconds, got ${describe(value)}`);
  }
  return Math.max(0, value);
}

/**
 * An options object with only the `known` keys, or `undefined` (then `{}`). An array or other
 * iterable is refused with `iterableHint` when one is given (Python's `map(f, xs, ys)`).
 *
 * @throws TypeError for a non-object, and for an unknown key (naming it, suggesting the known
 *   key it most likely meant, listing the known ones; `@concurrent/futures`' own check).
 */
export function checkOptions<T extends object>(value: T | undefined, what: string, known: readonly string[], iterableHint?: string): Partial<T> {
  if (value === undefined) return {};
  checkOptionsObject(value, what, iterableHint);
  checkOptionKeys(value, known, what);
  return value;
}

/** Rejects unknown option keys, so that a typo (`maxtaskperchild`) is never silently ignored. */
export const checkKeys: (options: object, allowed: readonly string[], owner: string) => void = checkOptionKeys;

/** A task: a function or a TaskRef from `moduleTasks()`. */
export function checkTask(fn: unknown, what: string): asserts fn is Task<unknown[], unknown> {
  if (typeof fn !== 'function' && !isTaskRef(fn)) {
    throw new TypeError(`${what} expects a function or a TaskRef from moduleTasks(), got ${describe(fn)}`);
  }
}

/** An optional callback. */
export function checkCallback(value: unknown, name: string): void {
  if (value !== undefined && typeof value !== 'function') {
    throw new TypeError(`Expected \`${name}\` to be a function, got ${describe(value)}`);
  }
}

/** An argument list (Python's `args` tuple): `undefined` means none. */
export function checkArgs(value: unknown, what: string): unknown[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) {
    throw new TypeError(`${what} expects its arguments as an array (Python's args tuple), got ${describe(value)}; for one argument, wrap it: [value]`);
  }
  return value as unknown[];
}

/** The name a function or TaskRef goes by in messages. */
export function taskName(fn: Task<unknown[], unknown>): string {
  if (typeof fn === 'function') return fn.name === '' ? '<anonymous>' : fn.name;
  return fn.name;
}

/**
 * Resolves after `ms` milliseconds; `cancel()` settles it at once. Unlike `setTimeout`, a
 * delay over 2^31-1 ms is honoured instead of silently becoming 1 ms.
 */
export function sleepFor(ms: number): { readonly promise: Promise<void>; cancel(): void } {
  let handle: NodeJS.Timeout | undefined;
  let wake: () => void = () => {};
  const promise = new Promise<void>((resolve) => {
    wake = resolve;
    const arm = (remaining: number): void => {
      handle = setTimeout(remaining > MAX_TIMER_DELAY_MS ? () => arm(remaining - MAX_TIMER_DELAY_MS) : resolve, Math.min(remaining, MAX_TIMER_DELAY_MS));
    };
    arm(ms);
  });
  return {
    promise,
    cancel: () => {
      clearTimeout(handle);
      wake();
    },
  };
}

/** Resolves when `done` does, or once `ms` passed (`undefined`: no limit): a `join(timeout)`. */
export async function waitAtMost(done: Promise<unknown>, ms: number | undefined): Promise<void> {
  if (ms === undefined) {
    await done;
    return;
  }
  const timer = sleepFor(ms);
  try {
    await Promise.race([done, timer.promise]);
  } finally {
    timer.cancel();
  }
}
