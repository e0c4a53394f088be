import { inspect } from 'node:util';

/**
 * Echoes a bad value for an error message the way p-limit does: `` `'4'` (string) ``.
 */
export function describe(value: unknown): string {
  const type = value === null ? 'null' : typeof value;
  const shown = inspect(value, { depth: 0, breakLength: Infinity, maxArrayLength: 5, maxStringLength: 60 });
  return `\`${shown}\` (${type})`;
}

/**
 * Checks a worker count or similar option: a whole number from `min` up.
 *
 * @throws TypeError when `value` is not a number; RangeError when it is not an integer >= min.
 */
export function checkPositiveInteger(value: unknown, name: string, min = 1): number {
  if (typeof value !== 'number') {
    throw new TypeError(`Expected \`${name}\` to be a number from ${min} and up, got ${describe(value)}`);
  }
  if (!Number.isInteger(value) || value < min) {
    throw new RangeError(`Expected \`${name}\` to be a whole number from ${min} and up, got ${describe(value)}`);
  }
  return value;
}

/**
 * Normalises a timeout in milliseconds. `undefined`, `null` and `Infinity` mean "no
 * timeout"; a negative timeout behaves as 0, as in CPython.
 *
 * @throws TypeError for anything that is not a number, and for NaN.
 */
export function normalizeTimeout(value: unknown, name = 'timeout'): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || Number.isNaN(value)) {
    throw new TypeError(`Expected \`${name}\` to be a number of milliseconds, got ${describe(value)}`);
  }
  if (value === Infinity) return undefined;
  return value < 0 ? 0 : value;
}
