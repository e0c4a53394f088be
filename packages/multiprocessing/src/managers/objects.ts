/**
 * The data objects a `SyncManager`'s server holds: `dict`, `list`, `Namespace`, `Value` and
 * `Array`, with Python's methods under camelCase names (`d[k] = v` is `set(k, v)`, `d[k]` is
 * `getItem(k)`, `len(d)` is `len()`, `k in d` is `has(k)`). Keys are compared as a `Map`
 * compares them: strings, numbers, booleans and bigints by value.
 *
 * @module
 */
import { AttributeError, IndexError, KeyError, ValueError } from '../errors.js';

function describe(key: unknown): string {
  return typeof key === 'string' ? `'${key}'` : String(key);
}

/** Python's `dict` in the server. */
export class ServedDict {
  readonly #map: Map<unknown, unknown>;

  constructor(init?: Iterable<readonly [unknown, unknown]> | Record<string, unknown> | null) {
    this.#map = new Map(entriesOf(init));
  }

  /** `d.get(k, default)`. */
  get(key: unknown, fallback: unknown = null): unknown {
    return this.#map.has(key) ? this.#map.get(key) : fallback;
  }

  /** `d[k]`: KeyError when missing. */
  getItem(key: unknown): unknown {
    if (!this.#map.has(key)) throw new KeyError(describe(key));
    return this.#map.get(key);
  }

  /** `d[k] = v`. */
  set(key: unknown, value: unknown): void {
    this.#map.set(key, value);
  }

  /** `del d[k]`: KeyError when missing. */
  delete(key: unknown): void {
    if (!this.#map.delete(key)) throw new KeyError(describe(key));
  }

  /** `k in d`. */
  has(key: unknown): boolean {
    return this.#map.has(key);
  }

  len(): number {
    return this.#map.size;
  }

  keys(): unknown[] {
    return [...this.#map.keys()];
  }

  values(): unknown[] {
    return [...this.#map.values()];
  }

  items(): [unknown, unknown][] {
    return [...this.#map.entries()];
  }

  update(other?: Iterable<readonly [unknown, unknown]> | Record<string, unknown> | null): void {
    for (const [key, value] of entriesOf(other)) this.#map.set(key, value);
  }

  /** `d.pop(k[, default])`: KeyError when missing and no default was given. */
  pop(key: unknown, ...fallback: [unknown?]): unknown {
    if (this.#map.has(key)) {
      const value = this.#map.get(key);
      this.#map.delete(key);
      return value;
    }
    if (fallback.length > 0) return fallback[0];
    throw new KeyError(describe(key));
  }

  /** The last pair inserted, removed: KeyError when empty. */
  popitem(): [unknown, unknown] {
    const last = [...this.#map.entries()].at(-1);
    if (last === undefined) throw new KeyError('popitem(): dictionary is empty');
    this.#map.delete(last[0]);
    return last;
  }

  setdefault(key: unknown, fallback: unknown = null): unknown {
    if (!this.#map.has(key)) this.#map.set(key, fallback);
    return this.#map.get(key);
  }

  clear(): void {
    this.#map.clear();
  }

  /** A copy as a `Map` (Python's `d.copy()` gives a plain dict). */
  copy(): Map<unknown, unknown> {
    return new Map(this.#map);
  }

  /** The entries as a plain object (keys as strings). */
  toObject(): Record<string, unknown> {
    return Object.fromEntries([...this.#map].map(([key, value]) => [String(key), value]));
  }
}

function entriesOf(init: Iterable<readonly [unknown, unknown]> | Record<string, unknown> | null | undefined): Iterable<readonly [unknown, unknown]> {
  if (init === undefined || init === null) return [];
  if (typeof (init as Partial<Iterable<unknown>>)[Symbol.iterator] === 'function') return init as Iterable<readonly [unknown, unknown]>;
  if (typeof init !== 'object') throw new TypeError(`cannot make a dict of ${typeof init}`);
  return Object.entries(init);
}

function indexIn(length: number, index: unknown, what: string): number {
  if (typeof index !== 'number' || !Number.isInteger(index)) throw new TypeError(`${what} indices must be integers, not ${typeof index}`);
  const at = index < 0 ? length + index : index;
  if (at < 0 || at >= length) throw new IndexError(`${what} index out of range`);
  return at;
}

function clampSlice(length: number, start = 0, end = length): [number, number] {
  const clamp = (i: number): number => Math.min(length, Math.max(0, i < 0 ? length + i : i));
  return [clamp(start), clamp(end)];
}

/** Python's `list` in the server. */
export class ServedList {
  readonly #items: unknown[];

  constructor(init?: Iterable<unknown> | null) {
    this.#items = init === undefined || init === null ? [] : [...init];
  }

  /** `l[i]` (negative from the end): IndexError outside. */
  get(index: number): unknown {
    return this.#items[indexIn(this.#items.length, index, 'list')];
  }

  /** `l[i] = v`. */
  set(index: number, value: unknown): void {
    this.#items[indexIn(this.#items.length, index, 'list assignment')] = value;
  }

  /** `del l[i]`. */
  delete(index: number): void {
    this.#items.splice(indexIn(this.#items.length, index, 'list assignment'), 1);
  }

  len(): number {
    return this.#items.length;
  }

  append(value: unknown): void {
    this.#items.push(value);
  }

  extend(values: Iterable<unknown>): void {
    this.#items.push(...values);
  }

  insert(index: number, value: unknown): void {
    const [at] = clampSlice(this.#items.length, index);
    this.#items.splice(at, 0, value);
  }

  /** `l.pop([i])`: the last item by default; IndexError when empty or out of range. */
  pop(index = -1): unknown {
    if (this.#items.length === 0) throw new IndexError('pop from empty list');
    return this.#items.splice(indexIn(this.#items.length, index, 'pop'), 1)[0];
  }

  /** The first index of `value` (by `===`, NaN matching NaN): ValueError when absent. */
  index(value: unknown, start?: number, end?: number): number {
    const [from, to] = clampSlice(this.#items.length, start, end);
    for (let i = from; i < to; i++) if (Object.is(this.#items[i], value) || this.#items[i] === value) return i;
    throw new ValueError(`${describe(value)} is not in list`);
  }

  count(value: unknown): number {
    return this.#items.filter((item) => Object.is(item, value) || item === value).length;
  }

  remove(value: unknown): void {
    this.#items.splice(this.index(value), 1);
  }

  reverse(): void {
    this.#items.reverse();
  }

  /** Sorts in place, numbers by value and everything else as strings (Python compares within one type). */
  sort(options: { reverse?: boolean } = {}): void {
    this.#items.sort((a, b) => (typeof a === 'number' && typeof b === 'number' ? a - b : String(a) < String(b) ? -1 : String(a) > String(b) ? 1 : 0));
    if (options.reverse === true) this.#items.reverse();
  }

  clear(): void {
    this.#items.length = 0;
  }

  /** `l[start:end]`. */
  slice(start?: number, end?: number): unknown[] {
    const [from, to] = clampSlice(this.#items.length, start, end);
    return this.#items.slice(from, to);
  }

  toArray(): unknown[] {
    return [...this.#items];
  }
}

/** Python's `Namespace` in the server: named attributes. */
export class ServedNamespace {
  readonly #fields = new Map<string, unknown>();

  constructor(init?: Record<string, unknown> | null) {
    for (const [name, value] of Object.entries(init ?? {})) this.#fields.set(name, value);
  }

  /** `ns.name`: AttributeError when it was never set (`undefined` would hide a typo). */
  get(name: string): unknown {
    if (!this.#fields.has(name)) throw new AttributeError(`'Namespace' object has no attribute '${name}'`);
    return this.#fields.get(name);
  }

  set(name: string, value: unknown): void {
    if (typeof name !== 'string') throw new TypeError('attribute name must be string');
    this.#fields.set(name, value);
  }

  delete(name: string): void {
    if (!this.#fields.delete(name)) throw new AttributeError(`'Namespace' object has no attribute '${name}'`);
  }

  has(name: string): boolean {
    return this.#fields.has(name);
  }

  toObject(): Record<string, unknown> {
    return Object.fromEntries(this.#fields);
  }
}

/** Python's manager `Value(typecode, value)`: a holder; the typecode is kept, not enforced (as Python's). */
export class ServedValue {
  readonly #typecode: string;
  #value: unknown;

  constructor(typecode: string, value: unknown) {
    this.#typecode = typecode;
    this.#value = value;
  }

  get(): unknown {
    return this.#value;
  }

  set(value: unknown): void {
    this.#value = value;
  }

  typecode(): string {
    return this.#typecode;
  }
}

/** Python's manager `Array(typecode, sequence)`: a list of fixed length. */
export class ServedArray {
  readonly #typecode: string;
  readonly #items: unknown[];

  constructor(typecode: string, init: number | Iterable<unknown>) {
    this.#typecode = typecode;
    this.#items = typeof init === 'number' ? new Array<unknown>(init).fill(0) : [...init];
  }

  get(index: number): unknown {
    return this.#items[indexIn(this.#items.length, index, 'array')];
  }

  set(index: number, value: unknown): void {
    this.#items[indexIn(this.#items.length, index, 'array assignment')] = value;
  }

  len(): number {
    return this.#items.length;
  }

  slice(start?: number, end?: number): unknown[] {
    const [from, to] = clampSlice(this.#items.length, start, end);
    return this.#items.slice(from, to);
  }

  toArray(): unknown[] {
    return [...this.#items];
  }

  typecode(): string {
    return this.#typecode;
  }
}
