/**
 * Thrown values that cross a thread or process boundary: Python's `_ExceptionWithTraceback` /
 * `_RemoteTraceback`, for Node's two IPC encodings.
 *
 * `serializeError` turns whatever a task threw into plain data (null, booleans, finite
 * numbers, strings, arrays and plain objects only), so the same message survives
 * structured clone (`worker_threads`, `serialization: 'advanced'`) and JSON
 * (`serialization: 'json'`) alike. Everything JSON would lose is tagged: `undefined`, NaN,
 * ±Infinity, -0, BigInt, Date, RegExp, Map, Set, typed arrays and (Array)Buffers, registered
 * symbols, and shared or cyclic references. `deserializeError` rebuilds the value on the
 * other side.
 *
 * Limits (the same as or narrower than structured clone's): symbol-keyed properties and array
 * holes are not carried (holes arrive as `undefined`); class instances arrive as plain
 * objects; functions, promises, weak collections and other uncloneable values arrive as a
 * string that describes them; a SharedArrayBuffer arrives as a copy; nesting deeper than
 * `MAX_DEPTH` is cut off the same way.
 *
 * @module
 */
import { Buffer } from 'node:buffer';
import { inspect, types } from 'node:util';
import * as ours from '../errors.js';

/** How deep values nest before the rest is cut off: keeps a hostile `cause` chain from overflowing the stack. */
const MAX_DEPTH = 100;

/** An Error as plain data. `ctor` names the class it is rebuilt with (see `FACTORIES`). */
export interface EncodedError {
  readonly $: 'error';
  readonly id: number;
  readonly ctor: string;
  readonly name: string;
  readonly message: string;
  /** The remote `stack` text, or null when the error had none. */
  readonly stack: string | null;
  /** Present only when the error had an own `cause` (which may be `undefined`). */
  readonly cause?: EncodedValue;
  /** `AggregateError.errors`. */
  readonly errors?: EncodedValue;
  /** Own enumerable properties (and `code`), in order. */
  readonly props: readonly (readonly [string, EncodedValue])[];
}

/** One value in the tagged encoding. Every object carries an `id` that a later `ref` can point to. */
export type EncodedValue =
  | string | number | boolean | null // finite numbers other than -0
  | { readonly $: 'undefined' }
  | { readonly $: 'number'; readonly value: 'NaN' | 'Infinity' | '-Infinity' | '-0' }
  | { readonly $: 'bigint'; readonly value: string }
  | { readonly $: 'symbol'; readonly key: string | null; readonly description: string | null }
  | { readonly $: 'ref'; readonly id: number }
  | { readonly $: 'array'; readonly id: number; readonly items: readonly EncodedValue[] }
  | { readonly $: 'object'; readonly id: number; readonly entries: readonly (readonly [string, EncodedValue])[] }
  | { readonly $: 'map'; readonly id: number; readonly entries: readonly (readonly [EncodedValue, EncodedValue])[] }
  | { readonly $: 'set'; readonly id: number; readonly values: readonly EncodedValue[] }
  | { readonly $: 'date'; readonly id: number; readonly time: EncodedValue }
  | { readonly $: 'regexp'; readonly id: number; readonly source: string; readonly flags: string }
  | { readonly $: 'bytes'; readonly id: number; readonly type: string; readonly base64: string }
  | { readonly $: 'lost'; readonly description: string }
  | EncodedError;

/** A thrown value as plain data: what `serializeError` makes and `deserializeError` reads. */
export interface SerializedThrown {
  /** Format marker and version, so a receiver can tell this message from others. */
  readonly $thrown: 1;
  readonly value: EncodedValue;
}

/** Options of {@link deserializeError}. */
export interface DeserializeOptions {
  /** Where the error was thrown, for the stack marker: `'worker thread 3'`, `'process 1234'`. Default `'worker'`. */
  readonly origin?: string;
}

type ErrorFactory = (message: string, name: string) => Error;
type ErrorClass = { new (message?: string): Error; readonly prototype: Error };

// The classes an error can be rebuilt as. Built-ins keep `instanceof` working; this library's
// own classes keep theirs (a BrokenProcessPool from a nested pool is still one). Anything else
// becomes its nearest ancestor here, with its own `name`. Keys are `prototype.name`, which
// this library sets by hand, so a minifier that renames classes changes nothing.
const FACTORIES = new Map<string, readonly [prototype: object, factory: ErrorFactory]>([
  ...[Error, TypeError, RangeError, SyntaxError, ReferenceError, EvalError, URIError].map(simple),
  ...[ours.FuturesError, ours.CancelledError, ours.TimeoutError, ours.InvalidStateError, ours.ExecutorShutdownError].map(simple),
  ...[ours.BrokenExecutor, ours.BrokenThreadPool, ours.BrokenWorkerPool, ours.BrokenProcessPool].map(simple),
  ['AggregateError', [AggregateError.prototype, (m) => new AggregateError([], m)]],
  // Node's structured clone turns a DOMException into `{}`; AbortSignal reasons are DOMExceptions.
  ['DOMException', [DOMException.prototype, (m, name) => new DOMException(m, name)]],
  // exitCode, signal, pid and threadId are own enumerable fields: the props restore them.
  ['WorkerExitError', [ours.WorkerExitError.prototype, (m) => new ours.WorkerExitError(m, { exitCode: null, signal: null })]],
]);
function simple(Class: ErrorClass): [string, readonly [object, ErrorFactory]] {
  return [Class.prototype.name, [Class.prototype, (m) => new Class(m)]];
}
const CTOR_BY_PROTOTYPE = new Map<object, string>([...FACTORIES].map(([ctor, [prototype]]) => [prototype, ctor]));
const BUILTIN_NAMES = new Set(['Error', 'TypeError', 'RangeError', 'SyntaxError', 'ReferenceError', 'EvalError', 'URIError', 'AggregateError']);

const BYTE_TYPES: Readonly<Record<string, new (buffer: ArrayBuffer) => ArrayBufferView>> = {
  Int8Array, Uint8Array, Uint8ClampedArray, Int16Array, Uint16Array, Int32Array, Uint32Array,
  Float32Array, Float64Array, BigInt64Array, BigUint64Array, DataView,
};

/** A marker object: `encode` turns it into a `lost` node carrying the description. */
class Lost {
  constructor(readonly description: string) {}
}

/** Reads a property without letting a throwing getter or proxy trap escape. */
function read(target: object, key: PropertyKey): unknown {
  try {
    return (target as Record<PropertyKey, unknown>)[key];
  } catch (error) {
    return new Lost(`[property ${String(key)} threw ${describe(error)}]`);
  }
}

function describe(value: unknown): string {
  try {
    return inspect(value, { depth: 1, breakLength: Infinity, maxArrayLength: 10, maxStringLength: 200 });
  } catch {
    return `[${typeof value}]`;
  }
}

/** The class an error is rebuilt as: the nearest prototype in `FACTORIES`, else a built-in of another realm by name. */
function findBase(error: Error): { ctor: string; prototype: object | null } {
  for (let proto = Object.getPrototypeOf(error) as object | null; proto !== null; proto = Object.getPrototypeOf(proto) as object | null) {
    const ctor = CTOR_BY_PROTOTYPE.get(proto);
    if (ctor !== undefined) return { ctor, prototype: proto };
    // An error from a vm context has that realm's prototypes: match built-ins by constructor name.
    const own = Object.getOwnPropertyDescriptor(proto, 'constructor')?.value as unknown;
    if (typeof own === 'function' && BUILTIN_NAMES.has(own.name) && /\{\s*\[native code\]\s*\}$/.test(Function.prototype.toString.call(own))) {
      return { ctor: own.name, prototype: proto };
    }
  }
  return { ctor: 'Error', prototype: null };
}

/** A `name` or `message` as a string, whatever the error holds there. */
function text(raw: unknown, fallback: string): string {
  if (raw === undefined) return fallback;
  if (typeof raw === 'string') return raw;
  return raw instanceof Lost ? raw.description : describe(raw);
}

// Why the constructor name: `class MyErr extends Error {}` never sets `name`, so `name` is the
// inherited 'Error', yet the class is the only thing that says what went wrong (Node's own
// inspect prints `MyErr [Error]` for it). A receiver that cannot have the class gets its name.
function errorName(error: Error, base: object | null): string {
  let name = text(read(error, 'name'), 'Error');
  let holder: object | null = error;
  while (holder !== null && !Object.hasOwn(holder, 'name')) holder = Object.getPrototypeOf(holder) as object | null;
  if (base !== null && holder === base) {
    const ctor = read(error, 'constructor');
    const ctorName = typeof ctor === 'function' ? ctor.name : undefined;
    if (typeof ctorName === 'string' && ctorName !== '' && ctor !== read(base, 'constructor')) name = ctorName;
  }
  return name;
}

/** One encoding pass: remembers every object it has seen, for shared and cyclic references. */
class Encoder {
  readonly #ids = new Map<object, number>();
  #nextId = 0;

  encode(value: unknown, depth: number): EncodedValue {
    switch (typeof value) {
      case 'string':
      case 'boolean':
        return value;
      case 'number':
        if (Object.is(value, -0)) return { $: 'number', value: '-0' };
        return Number.isFinite(value) ? value : { $: 'number', value: String(value) as 'NaN' | 'Infinity' | '-Infinity' };
      case 'undefined':
        return { $: 'undefined' };
      case 'bigint':
        return { $: 'bigint', value: value.toString() };
      case 'symbol':
        // Only a registered symbol (Symbol.for) can be the same value on the other side.
        return { $: 'symbol', key: Symbol.keyFor(value) ?? null, description: value.description ?? null };
      case 'function':
        return { $: 'lost', description: describe(value) };
    }
    if (value === null) return null;
    if (value instanceof Lost) return { $: 'lost', description: value.description };
    const seen = this.#ids.get(value as object);
    if (seen !== undefined) return { $: 'ref', id: seen };
    if (depth > MAX_DEPTH) return { $: 'lost', description: '[nested too deep]' };
    const id = this.#nextId++;
    this.#ids.set(value as object, id);
    let encoded: EncodedValue;
    try {
      encoded = this.#object(value as object, id, depth + 1);
    } catch (error) {
      // A revoked proxy or a hostile object: describe it rather than fail the whole message.
      encoded = { $: 'lost', description: `${describe(value)} (${describe(error)})` };
    }
    // Nothing is rebuilt for a lost value, so a second sight must describe it again, not refer to it.
    if (typeof encoded === 'object' && encoded?.$ === 'lost') this.#ids.delete(value as object);
    return encoded;
  }

  #object(value: object, id: number, depth: number): EncodedValue {
    if (value instanceof Error || types.isNativeError(value)) return this.#error(value, id, depth);
    if (Array.isArray(value)) {
      const items: EncodedValue[] = [];
      for (let i = 0; i < value.length; i++) items.push(this.encode(read(value, i), depth));
      return { $: 'array', id, items };
    }
    if (types.isDate(value)) return { $: 'date', id, time: this.encode(value.getTime(), depth) };
    if (types.isRegExp(value)) return { $: 'regexp', id, source: value.source, flags: value.flags };
    if (types.isMap(value)) {
      const entries: (readonly [EncodedValue, EncodedValue])[] = [];
      for (const [k, v] of value) entries.push([this.encode(k, depth), this.encode(v, depth)]);
      return { $: 'map', id, entries };
    }
    if (types.isSet(value)) return { $: 'set', id, values: Array.from(value, (v) => this.encode(v, depth)) };
    if (types.isAnyArrayBuffer(value) || ArrayBuffer.isView(value)) {
      const bytes = ArrayBuffer.isView(value) ? Buffer.from(value.buffer, value.byteOffset, value.byteLength) : Buffer.from(value);
      const type = Buffer.isBuffer(value) ? 'Buffer' : ArrayBuffer.isView(value) ? Object.prototype.toString.call(value).slice(8, -1) : 'ArrayBuffer';
      return { $: 'bytes', id, type, base64: bytes.toString('base64') };
    }
    if (types.isPromise(value) || types.isWeakMap(value) || types.isWeakSet(value) || types.isBoxedPrimitive(value)) {
      return { $: 'lost', description: describe(value) };
    }
    // Any other object (a class instance too) arrives as a plain object, as with structured clone.
    return { $: 'object', id, entries: Object.keys(value).map((key) => [key, this.encode(read(value, key), depth)] as const) };
  }

  #error(error: Error, id: number, depth: number): EncodedError {
    const { ctor, prototype } = findBase(error);
    const name = errorName(error, prototype);
    const rawStack = read(error, 'stack');
    let stack = typeof rawStack === 'string' && rawStack !== '' ? rawStack : null;
    // V8 heads the stack with the inherited name ('Error: ...'); when the constructor's name
    // replaces it, the first line says so too, as `name: message` by convention.
    const inherited = text(read(error, 'name'), 'Error');
    if (stack !== null && name !== inherited && stack.startsWith(inherited) && [':', '\n', ''].includes(stack.charAt(inherited.length))) {
      stack = name + stack.slice(inherited.length);
    }
    // Encoding order (cause, errors, props) is the order the decoder follows, so refs resolve.
    const cause = Object.hasOwn(error, 'cause') ? this.encode(read(error, 'cause'), depth) : undefined;
    const errors = ctor === 'AggregateError' && Object.hasOwn(error, 'errors') ? this.encode(read(error, 'errors'), depth) : undefined;
    const keys = Object.keys(error).filter((key) => !SPECIAL_KEYS.has(key) && !(key === 'errors' && errors !== undefined));
    // `code` is part of the contract even where a library made it non-enumerable.
    if (Object.hasOwn(error, 'code') && !keys.includes('code')) keys.push('code');
    return {
      $: 'error',
      id,
      ctor,
      name,
      message: text(read(error, 'message'), ''),
      stack,
      ...(cause !== undefined && { cause }),
      ...(errors !== undefined && { errors }),
      props: keys.map((key) => [key, this.encode(read(error, key), depth)] as const),
    };
  }
}

/** Carried in their own fields, never in `props`. */
const SPECIAL_KEYS = new Set(['name', 'message', 'stack', 'cause']);

/**
 * Turns a thrown value into plain data that survives structured clone and JSON. Never
 * throws: a value that cannot be carried at all becomes an Error that describes it.
 *
 * @param value - whatever was thrown (an Error, `undefined`, `0`, a string, an object...).
 * @returns the value as {@link SerializedThrown}, to post to the other side.
 * @example
 * ```ts
 * try { await task(...args); } catch (error) { port.postMessage({ id, error: serializeError(error) }); }
 * ```
 */
export function serializeError(value: unknown): SerializedThrown {
  try {
    const encoded = new Encoder().encode(value, 0);
    if (typeof encoded !== 'object' || encoded === null || encoded.$ !== 'lost') return { $thrown: 1, value: encoded };
    return { $thrown: 1, value: fallbackError(encoded.description) };
  } catch (error) {
    return { $thrown: 1, value: fallbackError(`${describe(value)} (${describe(error)})`) };
  }
}

function fallbackError(description: string): EncodedError {
  const message = `the thrown value cannot be sent across a thread or process boundary: ${description}`;
  return { $: 'error', id: 0, ctor: 'Error', name: 'Error', message, stack: null, props: [] };
}

/** `true` if `value` is what {@link serializeError} makes. @example `if (isSerializedThrown(message.error)) ...` */
export function isSerializedThrown(value: unknown): value is SerializedThrown {
  return typeof value === 'object' && value !== null && (value as { $thrown?: unknown }).$thrown === 1 && 'value' in value;
}

function define(target: object, key: string, value: unknown, enumerable: boolean): void {
  try {
    Object.defineProperty(target, key, { value, writable: true, enumerable, configurable: true });
  } catch {
    // A non-configurable property of the rebuilt class: keep what the constructor set.
  }
}

/** One decoding pass: `objects` maps ids to what was rebuilt, so refs get the same object. */
class Decoder {
  readonly #objects = new Map<number, unknown>();
  readonly #marker: string;

  constructor(origin: string) {
    this.#marker = `\n    [in ${origin}]`;
  }

  decode(node: EncodedValue): unknown {
    if (typeof node !== 'object' || node === null) return node;
    switch (node.$) {
      case 'undefined':
        return undefined;
      case 'number':
        return node.value === '-0' ? -0 : Number(node.value);
      case 'bigint':
        return BigInt(node.value);
      case 'symbol':
        return node.key !== null ? Symbol.for(node.key) : Symbol(node.description ?? undefined);
      case 'ref':
        return this.#objects.get(node.id);
      case 'lost':
        return node.description;
      case 'array': {
        const array: unknown[] = this.#register(node.id, []);
        for (const item of node.items) array.push(this.decode(item));
        return array;
      }
      case 'object': {
        const object = this.#register(node.id, {});
        // defineProperty, not assignment: a key named `__proto__` must stay a plain property.
        for (const [key, value] of node.entries) define(object, key, this.decode(value), true);
        return object;
      }
      case 'map': {
        const map = this.#register(node.id, new Map<unknown, unknown>());
        for (const [key, value] of node.entries) map.set(this.decode(key), this.decode(value));
        return map;
      }
      case 'set': {
        const set = this.#register(node.id, new Set<unknown>());
        for (const value of node.values) set.add(this.decode(value));
        return set;
      }
      case 'date':
        return this.#register(node.id, new Date(Number(this.decode(node.time))));
      case 'regexp':
        return this.#register(node.id, new RegExp(node.source, node.flags));
      case 'bytes':
        return this.#register(node.id, decodeBytes(node.type, node.base64));
      case 'error':
        return this.#error(node);
    }
  }

  #register<T>(id: number, value: T): T {
    this.#objects.set(id, value);
    return value;
  }

  #error(node: EncodedError): Error {
    const factory = FACTORIES.get(node.ctor)?.[1] ?? ((m: string) => new Error(m));
    const error = this.#register(node.id, factory(node.message, node.name));
    if (error.name !== node.name) define(error, 'name', node.name, false);
    // The remote frames, marked, stand in for the useless local ones of this decoder.
    const header = node.message === '' ? node.name : `${node.name}: ${node.message}`;
    define(error, 'stack', `${node.stack ?? header}${this.#marker}`, false);
    if (node.cause !== undefined) define(error, 'cause', this.decode(node.cause), false);
    if (node.errors !== undefined) define(error, 'errors', this.decode(node.errors), false);
    for (const [key, value] of node.props) define(error, key, this.decode(value), true);
    return error;
  }
}

function decodeBytes(type: string, base64: string): ArrayBufferLike | ArrayBufferView {
  const bytes = Buffer.from(base64, 'base64');
  if (type === 'Buffer') return bytes;
  // A fresh, exactly sized ArrayBuffer: Buffer's may be a slice of a shared pool.
  const buffer = new ArrayBuffer(bytes.length);
  new Uint8Array(buffer).set(bytes);
  const View = BYTE_TYPES[type];
  return View === undefined ? buffer : new View(buffer);
}

/**
 * Rebuilds a thrown value from {@link serializeError}'s data.
 *
 * - A value that was not an Error arrives as the same value (`undefined`, `0`, `'text'`, a
 *   plain object...).
 * - An Error arrives as an instance of its nearest built-in class (`TypeError`,
 *   `AggregateError`, ...), of this library's own class (`CancelledError`, `BrokenProcessPool`,
 *   `WorkerExitError`, ...) or as a `DOMException`; a user's class arrives as that ancestor
 *   with the original `name`. When the class never set a `name` (`class MyErr extends Error {}`,
 *   whose `name` is the inherited `'Error'`), the constructor's name arrives instead (`'MyErr'`).
 * - `message`, `code`, own enumerable properties, `cause` (recursively, cycles kept) and
 *   `AggregateError.errors` are restored.
 * - `stack` is the remote stack text, followed by a marker line `    [in <origin>]`: the
 *   frames above the marker ran on the other side (Python's `_RemoteTraceback`). The marker
 *   does not start with `at`, so stack parsers skip it.
 *
 * Never throws: data that is not a {@link SerializedThrown} (an IPC message is `unknown`
 * until checked) or is malformed arrives as an Error that says so.
 *
 * @param data - what `serializeError` made, after the trip.
 * @param options - `origin` names the other side for the stack marker (default `'worker'`).
 * @returns the thrown value, to reject the task's future with.
 * @example
 * ```ts
 * future.setException(deserializeError(message.error, { origin: `process ${child.pid}` }));
 * ```
 */
export function deserializeError(data: unknown, options: DeserializeOptions = {}): unknown {
  const origin = options.origin ?? 'worker';
  if (!isSerializedThrown(data)) return new TypeError(`a thrown value from the ${origin} arrived malformed: ${describe(data)}`);
  try {
    return new Decoder(origin).decode(data.value);
  } catch (error) {
    return new TypeError(`a thrown value from the ${origin} could not be decoded: ${describe(error)}`, { cause: error });
  }
}
