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

/** The known key that `key` most likely meant, if one is close enough to suggest. */
function closestKey(key: string, known: readonly string[]): string | undefined {
  // snake_case, kebab-case or a slip of case (`cancel_futures`, `chunk_size`, `maxworkers`):
  // the same letters without separators, ignoring case.
  const folded = key.replace(/[_-]/g, '').toLowerCase();
  const sameLetters = known.find((name) => name.toLowerCase() === folded);
  if (sameLetters !== undefined) return sameLetters;
  // A typo (`timout`, `bufersize`): at most two edits away, and nearer than any other key.
  if (key.length < 4) return undefined;
  let best: string | undefined;
  let bestDistance = 3;
  let tie = false;
  for (const name of known) {
    const distance = editDistance(folded, name.toLowerCase());
    if (distance < bestDistance) {
      best = name;
      bestDistance = distance;
      tie = false;
    } else if (distance === bestDistance) {
      tie = true;
    }
  }
  return tie ? undefined : best;
}

/** Levenshtein distance (small strings only: option names). */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}

/** `cancel_futures` → `cancelFutures`. */
function camelCase(key: string): string {
  return key.replace(/[_-]+([^_-])/g, (_, letter: string) => letter.toUpperCase());
}

/**
 * Rejects unknown option keys, so that a typo (`timout`) or a Python spelling
 * (`cancel_futures`) is never silently ignored. The error names the key, suggests the known
 * key it most likely meant (a snake_case key gets its camelCase spelling), and lists the
 * known keys.
 *
 * @param options - an options object (already known to be one).
 * @param known - the keys the call takes.
 * @param owner - who takes them, for the message (`'shutdown()'`, `'ProcessPoolExecutor'`).
 * @throws TypeError: `` shutdown(): unknown option `cancel_futures` (did you mean `cancelFutures`?); known options are wait, cancelFutures ``.
 */
export function checkOptionKeys(options: object, known: readonly string[], owner: string): void {
  for (const key of Object.keys(options)) {
    if (known.includes(key)) continue;
    const suggestion = closestKey(key, known);
    const camel = camelCase(key);
    const hint =
      suggestion !== undefined
        ? ` (did you mean \`${suggestion}\`?)`
        : camel !== key
          ? ` (in camelCase \`${camel}\`, which is not an option here either)`
          : '';
    const list = known.length === 0 ? 'it takes none' : `known options are ${known.join(', ')}`;
    throw new TypeError(`${owner}: unknown option \`${key}\`${hint}; ${list}`);
  }
}

/**
 * Reads an option that has two accepted spellings (`maxTasksPerChild`, and Python's Pool's
 * `maxtasksperchild`): the value under either, `undefined` under neither.
 *
 * @throws TypeError when both are given.
 */
export function aliasedOption(options: object, name: string, alias: string, owner: string): unknown {
  const record = options as Record<string, unknown>;
  const value = record[name];
  const aliased = record[alias];
  if (value !== undefined && aliased !== undefined) {
    throw new TypeError(
      `${owner}: \`${name}\` and \`${alias}\` are two spellings of the same option; give one, got ${describe(value)} and ${describe(aliased)}`,
    );
  }
  return value ?? aliased;
}

/**
 * An options argument: `undefined` (none) or an object. Arrays and other iterables are
 * refused with `iterableHint`, so that Python's `ex.map(fn, xs, ys)` is not read as options.
 *
 * @throws TypeError for anything else, echoing it.
 */
export function checkOptionsObject(value: unknown, owner: string, iterableHint?: string): object | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'object' || value === null) {
    throw new TypeError(`${owner} expects an options object, got ${describe(value)}`);
  }
  if (iterableHint !== undefined && typeof (value as Partial<Iterable<unknown>>)[Symbol.iterator] === 'function') {
    throw new TypeError(`${owner} expects an options object, got the iterable ${describe(value)}: ${iterableHint}`);
  }
  return value;
}
