/**
 * The element types of Value and SharedArray: Python's `array` module typecodes with the sizes
 * CPython has on Linux x64 (`l` and `L` are 8 bytes there, as `q` and `Q`), each with the
 * typed array that reads it and the check that a value fits before it is stored.
 *
 * A typecode is the only way to name a type today. Python's ctypes types (`c_int`, `c_double`,
 * `Structure`, issue 14) will be more {@link ElementType}s: everything else here reads through
 * this interface and never switches on the letter.
 *
 * @module
 */
import { describe } from '../validate.js';

/** Typecodes whose values are JavaScript numbers. */
export type NumberTypecode = 'b' | 'B' | 'h' | 'H' | 'i' | 'I' | 'f' | 'd';
/** Typecodes of 64-bit integers, read as `bigint` (a number holds integers exactly only to 2^53). */
export type BigIntTypecode = 'l' | 'L' | 'q' | 'Q';
/**
 * Python's `array` typecodes: `b B h H i I l L q Q f d` (signed and unsigned 8, 16, 32 and
 * 64-bit integers, float and double). `c` and `u` come with ctypes types.
 */
export type Typecode = NumberTypecode | BigIntTypecode;

/** What reading an element of typecode `T` gives: `bigint` for 64-bit integers, else `number`. */
export type ElementOf<T extends Typecode> = T extends BigIntTypecode ? bigint : number;
/** What may be stored: a 64-bit element also takes a safe integer number. */
export type Storable<T extends Typecode> = T extends BigIntTypecode ? bigint | number : number;

type View = Int8Array | Uint8Array | Int16Array | Uint16Array | Int32Array | Uint32Array | Float32Array | Float64Array | BigInt64Array | BigUint64Array;

/** A typed array over shared memory of an element type: `Int32Array` for `'i'`, and so on. */
export type TypedArrayOf<T extends Typecode> = {
  b: Int8Array;
  B: Uint8Array;
  h: Int16Array;
  H: Uint16Array;
  i: Int32Array;
  I: Uint32Array;
  l: BigInt64Array;
  L: BigUint64Array;
  q: BigInt64Array;
  Q: BigUint64Array;
  f: Float32Array;
  d: Float64Array;
}[T];

/** One element type: its size, its typed array, and its check. */
export interface ElementType {
  readonly code: Typecode;
  /** Python's C name, for messages: `'int'`, `'unsigned long'`. */
  readonly cName: string;
  readonly bytes: number;
  /** A typed array of `length` elements at `offset` of `memory`. */
  view(memory: ArrayBuffer | SharedArrayBuffer, offset: number, length: number): View;
  /**
   * `value` as it is stored, or a TypeError (not the right kind of value) or RangeError (out of
   * this type's range: we throw where ctypes would silently wrap, see the README) naming `what`
   * (and `[index]` after it: the message is only built when it is thrown, never per write).
   */
  check(value: unknown, what: string, index?: number): number | bigint;
  /** The element that zeroed memory holds. */
  readonly zero: number | bigint;
}

/** `what`, or `what[index]` for an element. */
function where(what: string, index: number | undefined): string {
  return index === undefined ? what : `${what}[${String(index)}]`;
}

type ViewConstructor = new (memory: ArrayBuffer | SharedArrayBuffer, offset: number, length: number) => View;

function integer(code: Typecode, cName: string, bytes: number, View: ViewConstructor, min: number, max: number): ElementType {
  return {
    code,
    cName,
    bytes,
    view: (memory, offset, length) => new View(memory, offset, length),
    check(value, what, index) {
      if (typeof value === 'number' && value >= min && value <= max && Number.isInteger(value)) return value;
      what = where(what, index);
      if (typeof value !== 'number' || !Number.isInteger(value)) {
        throw new TypeError(`${what}: expected an integer for typecode '${code}' (${cName}), got ${describe(value)}`);
      }
      throw new RangeError(`${what}: ${String(value)} is out of range for typecode '${code}' (${cName}, ${String(min)} to ${String(max)})`);
    },
    zero: 0,
  };
}

function bigInteger(code: Typecode, cName: string, View: ViewConstructor, min: bigint, max: bigint): ElementType {
  return {
    code,
    cName,
    bytes: 8,
    view: (memory, offset, length) => new View(memory, offset, length),
    check(value, what, index) {
      let big: bigint;
      if (typeof value === 'bigint') big = value;
      else if (typeof value === 'number' && Number.isSafeInteger(value)) big = BigInt(value);
      else {
        throw new TypeError(`${where(what, index)}: expected a bigint (or a safe integer number) for typecode '${code}' (${cName}), got ${describe(value)}`);
      }
      if (big >= min && big <= max) return big;
      throw new RangeError(`${where(what, index)}: ${String(big)} is out of range for typecode '${code}' (${cName}, ${String(min)} to ${String(max)})`);
    },
    zero: 0n,
  };
}

function float(code: Typecode, cName: string, bytes: number, View: ViewConstructor): ElementType {
  return {
    code,
    cName,
    bytes,
    view: (memory, offset, length) => new View(memory, offset, length),
    check(value, what, index) {
      if (typeof value === 'number') return value;
      what = where(what, index);
      throw new TypeError(`${what}: expected a number for typecode '${code}' (${cName}), got ${describe(value)}`);
    },
    zero: 0,
  };
}

const TYPES: Readonly<Record<Typecode, ElementType>> = {
  b: integer('b', 'signed char', 1, Int8Array, -(2 ** 7), 2 ** 7 - 1),
  B: integer('B', 'unsigned char', 1, Uint8Array, 0, 2 ** 8 - 1),
  h: integer('h', 'short', 2, Int16Array, -(2 ** 15), 2 ** 15 - 1),
  H: integer('H', 'unsigned short', 2, Uint16Array, 0, 2 ** 16 - 1),
  i: integer('i', 'int', 4, Int32Array, -(2 ** 31), 2 ** 31 - 1),
  I: integer('I', 'unsigned int', 4, Uint32Array, 0, 2 ** 32 - 1),
  l: bigInteger('l', 'long', BigInt64Array, -(2n ** 63n), 2n ** 63n - 1n),
  L: bigInteger('L', 'unsigned long', BigUint64Array, 0n, 2n ** 64n - 1n),
  q: bigInteger('q', 'long long', BigInt64Array, -(2n ** 63n), 2n ** 63n - 1n),
  Q: bigInteger('Q', 'unsigned long long', BigUint64Array, 0n, 2n ** 64n - 1n),
  f: float('f', 'float', 4, Float32Array),
  d: float('d', 'double', 8, Float64Array),
};

const CODES = Object.keys(TYPES).map((code) => `'${code}'`).join(', ');

/**
 * The element type of `typecode`.
 *
 * @throws TypeError naming the known typecodes, for anything else.
 */
export function elementType(typecode: unknown, what: string): ElementType {
  if (typeof typecode === 'string' && Object.hasOwn(TYPES, typecode)) return TYPES[typecode as Typecode];
  const later = typecode === 'c' || typecode === 'u' ? ` ('${typecode}' comes with the ctypes types)` : '';
  throw new TypeError(`${what}: expected \`typecode\` to be one of ${CODES}${later}, got ${describe(typecode)}`);
}
