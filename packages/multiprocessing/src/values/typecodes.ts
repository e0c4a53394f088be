/**
 * The element types of Value and SharedArray: Python's `array` module typecodes with the sizes
 * CPython has on Linux x64 (`l` and `L` are 8 bytes there, as `q` and `Q`), and the ctypes
 * types they stand for (`sharedctypes.typecode_to_type`): each type is one object, so `'i'`
 * and `c_int` are the same {@link ElementType}, with its typed array and the check that a
 * value fits before it is stored. Structures (structure.ts) are more ElementTypes.
 *
 * Numeric types read their elements straight from the typed array. The few whose elements are
 * not the numbers in memory (`c_bool`: a boolean, `c_char`: a one-character string, a
 * structure: a view) say so with `coded`; value.ts and array.ts give those their own accessors
 * when they are made, so that the numeric types' reads stay one typed-array access and pay
 * nothing for them.
 *
 * @module
 */
import { describe } from '../validate.js';
import type { StructureClass, StructureElement, StructureInit } from './structure.js';

/** Typecodes whose values are JavaScript numbers. */
export type NumberTypecode = 'b' | 'B' | 'h' | 'H' | 'i' | 'I' | 'f' | 'd';
/** Typecodes of 64-bit integers, read as `bigint` (a number holds integers exactly only to 2^53). */
export type BigIntTypecode = 'l' | 'L' | 'q' | 'Q';
/**
 * Python's `sharedctypes` typecodes: `b B h H i I l L q Q f d` (signed and unsigned 8, 16, 32
 * and 64-bit integers, float and double) and `c` (`c_char`: one byte, read as a one-character
 * string).
 */
export type Typecode = NumberTypecode | BigIntTypecode | 'c';

/** A typed array over shared memory. */
export type View = Int8Array | Uint8Array | Int16Array | Uint16Array | Int32Array | Uint32Array | Float32Array | Float64Array | BigInt64Array | BigUint64Array;

/** What a value of a structure type is before it is written: field values in order (see structure.ts). */
export type StoredStructure = readonly Stored[];
/** A value as `check` returns it, ready to be written. */
export type Stored = number | bigint | StoredStructure;

/**
 * How a structure, or one element of an array of coded elements, reads and writes its memory:
 * see {@link ElementType.coded}.
 */
export interface Coded {
  /** The element at `index` as the program sees it (a boolean, a string, a structure's view). */
  get(index: number): unknown;
  /** Writes at `index` a value that `check` returned. */
  put(index: number, stored: Stored): void;
}

/** One element type: its size and alignment, its typed array, and its check. */
export interface ElementType {
  /** The typecode (`'i'`), `'?'` for `c_bool`, and a structure's PEP 3118 format (`'T{<d:x:<d:y:}'`). */
  readonly code: string;
  /** The ctypes name: `'c_int'`, or a structure's class name. */
  readonly name: string;
  /** Python's C name, for messages: `'int'`, `'unsigned long'`. */
  readonly cName: string;
  readonly bytes: number;
  /** Its C alignment: its size for the scalar types, its largest field's for a structure. */
  readonly align: number;
  /** A typed array of `length` elements at `offset` of `memory` (a structure's: its bytes). */
  view(memory: ArrayBuffer | SharedArrayBuffer, offset: number, length: number): View;
  /**
   * `value` as it is stored, or a TypeError (not the right kind of value) or RangeError (out of
   * this type's range: we throw where ctypes would silently wrap, see the README) naming `what`
   * (and `[index]` after it: the message is only built when it is thrown, never per write).
   * Scalar types return a number or bigint, structures their fields' stored values.
   */
  check(value: unknown, what: string, index?: number): Stored;
  /** The element that zeroed memory holds (as stored). */
  readonly zero: Stored;
  /**
   * Only for the types whose elements are not single stored numbers (`c_bool`, `c_char`,
   * structures): the reads and writes of `length` elements at `offset` of `memory`.
   */
  readonly coded?: (memory: ArrayBuffer | SharedArrayBuffer, offset: number, length: number) => Coded;
  /** As a field of a structure: its value at `offset` of `data`. */
  getField(data: DataView, offset: number): unknown;
  /** As a field of a structure: writes a value that `check` returned at `offset` of `data`. */
  setField(data: DataView, offset: number, stored: Stored): void;
}

/** Type-level only: what a ctypes type reads as, what it takes, and its typed array. */
declare const ctypeInfo: unique symbol;

/**
 * A ctypes type (`c_int`, `c_double`, `c_bool`, `c_char`…): an element type of Value and
 * SharedArray, and of a {@link Structure}'s fields. `Read` is what an element reads as, `Write`
 * what it takes, `Cells` its typed array (`asTypedArray()`).
 */
export interface CType<Code extends string = string, Read = unknown, Write = Read, Cells extends View = View> extends ElementType {
  readonly code: Code;
  /** @internal Type-level only: never set. */
  readonly [ctypeInfo]?: { readonly read: Read; readonly write: Write; readonly cells: Cells };
}

/** The ctypes type of each typecode: Python's `sharedctypes.typecode_to_type`. */
export interface TypecodeTypes {
  b: CType<'b', number, number, Int8Array>;
  B: CType<'B', number, number, Uint8Array>;
  h: CType<'h', number, number, Int16Array>;
  H: CType<'H', number, number, Uint16Array>;
  i: CType<'i', number, number, Int32Array>;
  I: CType<'I', number, number, Uint32Array>;
  l: CType<'l', bigint, bigint | number, BigInt64Array>;
  L: CType<'L', bigint, bigint | number, BigUint64Array>;
  q: CType<'q', bigint, bigint | number, BigInt64Array>;
  Q: CType<'Q', bigint, bigint | number, BigUint64Array>;
  f: CType<'f', number, number, Float32Array>;
  d: CType<'d', number, number, Float64Array>;
  c: CType<'c', string, string, Uint8Array>;
}

/** What Value and SharedArray hold: a typecode, a ctypes type, or a {@link Structure} subclass. */
export type SharedType = Typecode | CType | StructureClass;

/**
 * What reading an element of `T` gives: `bigint` for 64-bit integers, `boolean` for `c_bool`, a
 * one-character string for `'c'` / `c_char`, a view for a structure, else `number`.
 */
export type ElementOf<T extends SharedType> = T extends Typecode
  ? ReadOf<TypecodeTypes[T]>
  : T extends StructureClass
    ? StructureElement<T>
    : ReadOf<T>;
/** What may be stored: a 64-bit element also takes a safe integer number; a structure its field values. */
export type Storable<T extends SharedType> = T extends Typecode
  ? WriteOf<TypecodeTypes[T]>
  : T extends StructureClass
    ? StructureInit<T>
    : WriteOf<T>;
/** A typed array over shared memory of an element type: `Int32Array` for `'i'`, a structure's bytes as a `Uint8Array`. */
export type TypedArrayOf<T extends SharedType> = T extends Typecode
  ? CellsOf<TypecodeTypes[T]>
  : T extends StructureClass
    ? Uint8Array
    : CellsOf<T>;
/** The typecode of `T`: `'i'` for `'i'` and `c_int`, `'?'` for `c_bool`, a structure's format string. */
export type TypecodeOf<T extends SharedType> = T extends string ? T : T extends CType<infer C> ? C : string;

type ReadOf<T> = T extends CType<string, infer R, unknown, View> ? R : never;
type WriteOf<T> = T extends CType<string, unknown, infer W, View> ? W : never;
type CellsOf<T> = T extends CType<string, unknown, unknown, infer A> ? A : never;

/** `what`, or `what[index]` for an element. */
function where(what: string, index: number | undefined): string {
  return index === undefined ? what : `${what}[${String(index)}]`;
}

type ViewConstructor = new (memory: ArrayBuffer | SharedArrayBuffer, offset: number, length: number) => View;

/** How a scalar reads and writes itself as a structure's field (little-endian, as x64 and arm64). */
interface FieldAccess {
  getField(data: DataView, offset: number): unknown;
  setField(data: DataView, offset: number, stored: Stored): void;
}

const FIELD: Readonly<Record<string, FieldAccess>> = {
  b: { getField: (d, o) => d.getInt8(o), setField: (d, o, v) => d.setInt8(o, v as number) },
  B: { getField: (d, o) => d.getUint8(o), setField: (d, o, v) => d.setUint8(o, v as number) },
  h: { getField: (d, o) => d.getInt16(o, true), setField: (d, o, v) => d.setInt16(o, v as number, true) },
  H: { getField: (d, o) => d.getUint16(o, true), setField: (d, o, v) => d.setUint16(o, v as number, true) },
  i: { getField: (d, o) => d.getInt32(o, true), setField: (d, o, v) => d.setInt32(o, v as number, true) },
  I: { getField: (d, o) => d.getUint32(o, true), setField: (d, o, v) => d.setUint32(o, v as number, true) },
  l: { getField: (d, o) => d.getBigInt64(o, true), setField: (d, o, v) => d.setBigInt64(o, v as bigint, true) },
  L: { getField: (d, o) => d.getBigUint64(o, true), setField: (d, o, v) => d.setBigUint64(o, v as bigint, true) },
  f: { getField: (d, o) => d.getFloat32(o, true), setField: (d, o, v) => d.setFloat32(o, v as number, true) },
  d: { getField: (d, o) => d.getFloat64(o, true), setField: (d, o, v) => d.setFloat64(o, v as number, true) },
};

function integer<C extends string>(code: C, name: string, cName: string, bytes: number, View: ViewConstructor, min: number, max: number, field: FieldAccess): CType<C> {
  return {
    code,
    name,
    cName,
    bytes,
    align: bytes,
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
    ...field,
  };
}

function bigInteger<C extends string>(code: C, name: string, cName: string, View: ViewConstructor, min: bigint, max: bigint, field: FieldAccess): CType<C> {
  return {
    code,
    name,
    cName,
    bytes: 8,
    align: 8,
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
    ...field,
  };
}

function float<C extends string>(code: C, name: string, cName: string, bytes: number, View: ViewConstructor, field: FieldAccess): CType<C> {
  return {
    code,
    name,
    cName,
    bytes,
    align: bytes,
    view: (memory, offset, length) => new View(memory, offset, length),
    check(value, what, index) {
      if (typeof value === 'number') return value;
      what = where(what, index);
      throw new TypeError(`${what}: expected a number for typecode '${code}' (${cName}), got ${describe(value)}`);
    },
    zero: 0,
    ...field,
  };
}

/** Bytes read as something else than their number (c_bool, c_char): `decode`, and `coded` for arrays. */
function byteCoded<C extends string>(code: C, name: string, cName: string, check: ElementType['check'], decode: (stored: number) => unknown): CType<C> {
  return {
    code,
    name,
    cName,
    bytes: 1,
    align: 1,
    view: (memory, offset, length) => new Uint8Array(memory, offset, length),
    check,
    zero: 0,
    coded(memory, offset, length) {
      const bytes = new Uint8Array(memory, offset, length);
      return {
        get: (index) => decode(bytes[index]!),
        put: (index, stored) => {
          bytes[index] = stored as number;
        },
      };
    },
    getField: (data, offset) => decode(data.getUint8(offset)),
    setField: (data, offset, stored) => data.setUint8(offset, stored as number),
  };
}

/** `c_bool`: a byte read as `false` (0) or `true` (anything else); it takes booleans only. */
const bool = byteCoded(
  '?',
  'c_bool',
  '_Bool',
  (value, what, index) => {
    if (typeof value === 'boolean') return value ? 1 : 0;
    throw new TypeError(`${where(what, index)}: expected a boolean for c_bool, got ${describe(value)}`);
  },
  (stored) => stored !== 0,
);

/** Latin-1: one character per byte, as Python's `bytes` are bytes. */
const CHARS = Array.from({ length: 256 }, (_, code) => String.fromCharCode(code));

/** `c_char` (`'c'`): one byte, read as a one-character (Latin-1) string; it takes one such character. */
const char = byteCoded(
  'c',
  'c_char',
  'char',
  (value, what, index) => {
    if (typeof value === 'string' && value.length === 1) {
      const code = value.charCodeAt(0);
      if (code <= 0xff) return code;
      throw new RangeError(`${where(what, index)}: ${describe(value)} is not a Latin-1 character (c_char is one byte; encode text to bytes and use 'B')`);
    }
    throw new TypeError(`${where(what, index)}: expected a one-character string for typecode 'c' (char), got ${describe(value)}`);
  },
  (stored) => CHARS[stored],
);

/** `c_bool`: a byte read as a boolean (Python's `ctypes.c_bool`, format `'?'`). */
export const c_bool = bool as CType<'?', boolean, boolean, Uint8Array>;
/** `c_char`, typecode `'c'`: one byte, read as a one-character Latin-1 string (Python: `bytes` of length 1). */
export const c_char = char as TypecodeTypes['c'];
/** `c_byte`, typecode `'b'`: a signed 8-bit integer. */
export const c_byte = integer('b', 'c_byte', 'signed char', 1, Int8Array, -(2 ** 7), 2 ** 7 - 1, FIELD.b!) as TypecodeTypes['b'];
/** `c_ubyte`, typecode `'B'`: an unsigned 8-bit integer. */
export const c_ubyte = integer('B', 'c_ubyte', 'unsigned char', 1, Uint8Array, 0, 2 ** 8 - 1, FIELD.B!) as TypecodeTypes['B'];
/** `c_short`, typecode `'h'`: a signed 16-bit integer. */
export const c_short = integer('h', 'c_short', 'short', 2, Int16Array, -(2 ** 15), 2 ** 15 - 1, FIELD.h!) as TypecodeTypes['h'];
/** `c_ushort`, typecode `'H'`: an unsigned 16-bit integer. */
export const c_ushort = integer('H', 'c_ushort', 'unsigned short', 2, Uint16Array, 0, 2 ** 16 - 1, FIELD.H!) as TypecodeTypes['H'];
/** `c_int`, typecode `'i'`: a signed 32-bit integer. */
export const c_int = integer('i', 'c_int', 'int', 4, Int32Array, -(2 ** 31), 2 ** 31 - 1, FIELD.i!) as TypecodeTypes['i'];
/** `c_uint`, typecode `'I'`: an unsigned 32-bit integer. */
export const c_uint = integer('I', 'c_uint', 'unsigned int', 4, Uint32Array, 0, 2 ** 32 - 1, FIELD.I!) as TypecodeTypes['I'];
/** `c_long`, typecode `'l'`: a signed 64-bit integer (Linux x64), read as a bigint. */
export const c_long = bigInteger('l', 'c_long', 'long', BigInt64Array, -(2n ** 63n), 2n ** 63n - 1n, FIELD.l!) as TypecodeTypes['l'];
/** `c_ulong`, typecode `'L'`: an unsigned 64-bit integer (Linux x64), read as a bigint. */
export const c_ulong = bigInteger('L', 'c_ulong', 'unsigned long', BigUint64Array, 0n, 2n ** 64n - 1n, FIELD.L!) as TypecodeTypes['L'];
/** `c_longlong`, typecode `'q'`: a signed 64-bit integer, read as a bigint. */
export const c_longlong = bigInteger('q', 'c_longlong', 'long long', BigInt64Array, -(2n ** 63n), 2n ** 63n - 1n, FIELD.l!) as TypecodeTypes['q'];
/** `c_ulonglong`, typecode `'Q'`: an unsigned 64-bit integer, read as a bigint. */
export const c_ulonglong = bigInteger('Q', 'c_ulonglong', 'unsigned long long', BigUint64Array, 0n, 2n ** 64n - 1n, FIELD.L!) as TypecodeTypes['Q'];
/** `c_float`, typecode `'f'`: a 32-bit float (`0.1` reads back as `0.10000000149011612`). */
export const c_float = float('f', 'c_float', 'float', 4, Float32Array, FIELD.f!) as TypecodeTypes['f'];
/** `c_double`, typecode `'d'`: a 64-bit float, a JavaScript number. */
export const c_double = float('d', 'c_double', 'double', 8, Float64Array, FIELD.d!) as TypecodeTypes['d'];

// The sized aliases, the same objects as in CPython on Linux x64 (`c_int64 is c_long`).
/** `c_int8`: {@link c_byte}. */
export const c_int8 = c_byte;
/** `c_uint8`: {@link c_ubyte}. */
export const c_uint8 = c_ubyte;
/** `c_int16`: {@link c_short}. */
export const c_int16 = c_short;
/** `c_uint16`: {@link c_ushort}. */
export const c_uint16 = c_ushort;
/** `c_int32`: {@link c_int}. */
export const c_int32 = c_int;
/** `c_uint32`: {@link c_uint}. */
export const c_uint32 = c_uint;
/** `c_int64`: {@link c_long}. */
export const c_int64 = c_long;
/** `c_uint64`: {@link c_ulong}. */
export const c_uint64 = c_ulong;

const TYPES: Readonly<Record<Typecode, ElementType>> = {
  b: c_byte,
  B: c_ubyte,
  h: c_short,
  H: c_ushort,
  i: c_int,
  I: c_uint,
  l: c_long,
  L: c_ulong,
  q: c_longlong,
  Q: c_ulonglong,
  f: c_float,
  d: c_double,
  c: c_char,
};

/** Every scalar type by its code, as the wire names them (`'?'`: c_bool, which has no typecode). */
const BY_CODE: ReadonlyMap<string, ElementType> = new Map<string, ElementType>([...Object.values(TYPES), c_bool].map((type) => [type.code, type]));
const SCALARS: ReadonlySet<unknown> = new Set(BY_CODE.values());

/**
 * The ctypes type of a typecode: Python's `multiprocessing.sharedctypes.typecode_to_type`
 * (`'c'` → `c_char`, `'b'` → `c_byte`, … `'d'` → `c_double`).
 *
 * @throws TypeError for anything but a typecode.
 * @example
 * ```ts
 * import { c_double, typecodeToType } from '@concurrent/multiprocessing';
 * typecodeToType('d') === c_double; // true
 * new Value(typecodeToType('i'), 7); // the same as new Value('i', 7)
 * ```
 */
export function typecodeToType<T extends Typecode>(typecode: T): TypecodeTypes[T] {
  return scalarType(typecode, 'typecodeToType()') as TypecodeTypes[T];
}

const CODES = Object.keys(TYPES).map((code) => `'${code}'`).join(', ');

/**
 * The scalar type `type` names: a typecode, or one of the ctypes type objects, else `undefined`
 * (structure.ts handles structures).
 */
export function scalarTypeOrUndefined(type: unknown): ElementType | undefined {
  if (typeof type === 'string') return Object.hasOwn(TYPES, type) ? TYPES[type as Typecode] : undefined;
  return SCALARS.has(type) ? (type as ElementType) : undefined;
}

/** The scalar type of a wire code (`'i'`, `'?'`…). */
export function scalarTypeOfCode(code: string): ElementType | undefined {
  return BY_CODE.get(code);
}

/**
 * The scalar type of `typecode`.
 *
 * @throws TypeError naming the known typecodes, for anything else.
 */
export function scalarType(typecode: unknown, what: string): ElementType {
  const type = scalarTypeOrUndefined(typecode);
  if (type !== undefined) return type;
  const later = typecode === 'u' ? " ('u', c_wchar, is not supported: use 'c' for bytes, or a string in a Queue)" : '';
  throw new TypeError(`${what}: expected \`typecode\` to be one of ${CODES}, a ctypes type (c_int, c_double…) or a Structure subclass${later}, got ${describe(typecode)}`);
}
