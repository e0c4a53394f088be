/**
 * The arguments a fuzz program passes to its tasks, good and bad, and how a result that came
 * back is compared with what went in.
 *
 * "Good" means structured clone can carry it (so a worker or child gets an equal copy);
 * "bad" means it cannot: `postMessage` and the child's `'advanced'` channel both refuse it
 * synchronously, and the pool must fail only that future, with a `TypeError`. Which kind is
 * which was measured against `structuredClone`, `MessagePort.postMessage`, `v8.serialize`
 * and `ChildProcess.send` on Node 20, not assumed.
 *
 * @module
 */
import { isDeepStrictEqual } from 'node:util';

export const GOOD_ARGS = ['number', 'string', 'nested', 'structured', 'cyclic', 'typed', 'huge', 'undefined'] as const;
export const BAD_ARGS = ['symbol', 'function', 'nestedSymbol', 'getter', 'proxy', 'promise'] as const;

export type GoodArg = (typeof GOOD_ARGS)[number];
export type BadArg = (typeof BAD_ARGS)[number];
export type ArgKind = GoodArg | BadArg;

/** About 1 MiB: large enough to take several IPC writes, small enough for a 2-core machine. */
const HUGE_LENGTH = 1 << 20;

export function isSendable(kind: ArgKind): kind is GoodArg {
  return (GOOD_ARGS as readonly string[]).includes(kind);
}

/** A fresh value of `kind` (fresh, so that no two tasks share an object). */
export function makeArg(kind: ArgKind): unknown {
  switch (kind) {
    case 'number':
      return 42;
    case 'string':
      return 'fuzz ✓ text';
    case 'nested':
      return { a: [1, { b: 'c' }], d: null, e: true };
    case 'structured':
      return { map: new Map([[1, 'a']]), set: new Set([2]), date: new Date(0), big: 10n, bytes: new Uint8Array([1, 2]) };
    case 'cyclic': {
      const value: { name: string; self?: unknown; list: unknown[] } = { name: 'cycle', list: [] };
      value.self = value;
      value.list.push(value);
      return value;
    }
    case 'typed':
      return new Float64Array([0.5, -1, Number.MAX_VALUE]);
    case 'huge':
      return 'x'.repeat(HUGE_LENGTH);
    case 'undefined':
      return undefined;
    case 'symbol':
      return Symbol('fuzz argument');
    case 'function':
      return (x: number) => x + 1;
    case 'nestedSymbol':
      return { ok: 1, deep: [{ bad: Symbol('deep') }] };
    case 'getter':
      return Object.defineProperty({ ok: 1 }, 'boom', {
        enumerable: true,
        get() {
          throw new Error('fuzz: a getter that throws while the argument is cloned');
        },
      });
    case 'proxy':
      return new Proxy({ a: 1 }, {});
    case 'promise':
      return Promise.resolve(1); // outcomes.ts PROMISED
  }
}

/** A copy of a good argument as a worker would receive it (taken before a transfer detaches it). */
export function snapshot(value: unknown): unknown {
  return structuredClone(value);
}

/** Whether `actual` is what structured clone makes of `expected` (cycles, Maps, typed arrays...). */
export function sameClone(actual: unknown, expected: unknown): boolean {
  return isDeepStrictEqual(actual, expected);
}

/**
 * Whether a thrown value that crossed a boundary is the one the task threw: an Error of the
 * same class, message and `code`; any other value deep-equal.
 */
export function sameThrown(actual: unknown, expected: unknown): boolean {
  if (expected instanceof Error) {
    return (
      actual instanceof Error &&
      Object.getPrototypeOf(actual) === Object.getPrototypeOf(expected) &&
      actual.message === expected.message &&
      (actual as { code?: unknown }).code === (expected as { code?: unknown }).code
    );
  }
  return isDeepStrictEqual(actual, expected);
}

/** A short, safe description of a value for failure messages (never runs a getter or a trap). */
export function show(value: unknown): string {
  if (typeof value === 'string') return value.length > 60 ? `'${value.slice(0, 40)}…' (${value.length} chars)` : `'${value}'`;
  if (typeof value === 'symbol' || typeof value === 'bigint' || typeof value !== 'object' || value === null) {
    return typeof value === 'function' ? 'function' : String(value);
  }
  if (value instanceof Error) return `${value.constructor.name}(${JSON.stringify(value.message.slice(0, 160))})`;
  return `[${Object.prototype.toString.call(value).slice(8, -1)}]`;
}
