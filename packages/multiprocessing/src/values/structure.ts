/**
 * `Structure`: Python's `ctypes.Structure`, as an element type of Value and SharedArray whose
 * elements are views onto shared memory.
 *
 * ```
 *  class Point extends Structure { static fields = [['x', c_double], ['y', c_double]] as const }
 *  first use ─▶ structureType(Point): the layout (C alignment), accessors x, y on Point.prototype
 *  arr[i]   ─▶ Object.create(Point.prototype) + a DataView of its 16 bytes: a view, cached per array
 *  wire     ─▶ { s: 'Point', f: [['x', 'd'], ['y', 'd']] } ─▶ a class named Point with those fields
 * ```
 *
 * Invariants:
 * - Layout is C's on x64: each field at the next multiple of its alignment (a scalar's size, a
 *   nested structure's largest field's), the size rounded up to the largest alignment.
 * - A view's fields are accessors on the class's prototype (as ctypes' CField descriptors on the
 *   class): a read or write of `p.x` is one DataView access of shared memory, never a copy.
 * - Views are made without running the class's constructor (as unpickling does not run
 *   `__init__`): fields declared in the class body would shadow the accessors, so a subclass
 *   declares them with `declare x: number`, which emits nothing.
 * - The class travels as its field list (the wire state): a child builds a class of the same
 *   name and fields, one per layout per thread, even when it cannot import the user's class;
 *   methods of the user's class do not travel. A class with `static module` (its module's URL)
 *   is imported there instead (loadType), and must have the same fields.
 *
 * @module
 */
import { type InspectOptions, inspect } from 'node:util';
import { type Destination, enableReduction, REDUCE, type Reducible, type Reduction } from '@concurrent/futures/internal';
import { builtModule } from '../sharing/runtime.js';
import { describe } from '../validate.js';
import { type CType, type Coded, type ElementOf, type ElementType, scalarTypeOfCode, scalarTypeOrUndefined, type Storable, type StoredStructure, type Typecode } from './typecodes.js';

/** A field's type: a ctypes type or a Structure subclass. */
export type FieldType = CType | StructureClass;
/** Python's `_fields_`: `[name, type]` pairs, in memory order. */
export type StructureFields = readonly (readonly [string, FieldType])[];

/** A Structure subclass with its `fields`. */
export interface StructureClass<S extends Structure = Structure> {
  new (...values: never[]): S;
  readonly prototype: S;
  readonly fields: StructureFields;
  readonly name: string;
}

/** The fields of a structure of class `T` as a view has them: `x: number`... */
export type FieldValues<F extends StructureFields> = { -readonly [E in F[number] as E[0]]: ElementOf<E[1]> };
/** A view of one structure of class `T` in shared memory: the class's instance with its fields. */
export type StructureElement<T extends StructureClass> = T['prototype'] & FieldValues<T['fields']>;
/**
 * What a structure of class `T` may be set to: its field values in order (`[1.875, -6.25]`,
 * Python's tuple; fewer are allowed at run time, the rest are zero), an object of field values
 * (`{ x: 1.875 }`, missing ones zero), or a structure of the same fields.
 */
export type StructureInit<T extends StructureClass> = FieldTuple<T['fields']> | { readonly [E in T['fields'][number] as E[0]]?: FieldInit<E[1]> } | StructureElement<T>;
/** The field values in order (a mapped type over the type parameter, so that a tuple maps to a tuple). */
type FieldTuple<F extends StructureFields> = { readonly [I in keyof F]: F[I] extends readonly [string, infer U extends FieldType] ? FieldInit<U> : never };
/**
 * What a field takes. A nested structure's is checked at run time only: typing it as its own
 * StructureInit would make the types recursive without end for a generic structure type.
 */
type FieldInit<U extends FieldType> = U extends StructureClass ? readonly unknown[] | { readonly [name: string]: unknown } | Structure : Storable<U>;

/** A structure type on the wire: its class name and fields (a scalar's code, or a nested structure's state). */
export interface StructureState {
  readonly s: string;
  readonly f: readonly (readonly [string, TypeState])[];
  /** The class's module (its `static module`), when it gave one: the other side imports the class from there. */
  readonly m?: string;
}
/** An element type on the wire: a scalar's code (`'i'`, `'?'`), or a structure's state. */
export type TypeState = string | StructureState;

/** The memory of a view (a module symbol, not a #private field: views are made by Object.create). */
const DATA = Symbol('data');
interface Viewing {
  [DATA]: DataView;
}

/** One field as laid out. */
interface Field {
  readonly name: string;
  readonly type: ElementType;
  readonly offset: number;
}

/** A Structure subclass's element type. */
interface StructureType extends ElementType {
  readonly cls: StructureClass;
  readonly fields: readonly Field[];
  readonly state: StructureState;
  /** A view of the structure at `offset` of `memory`. */
  element(memory: ArrayBufferLike, offset: number): Structure;
  /** Writes what `check` returned at `offset` of `data`. */
  write(data: DataView, offset: number, stored: StoredStructure): void;
}

const TYPES = new WeakMap<object, StructureType>();
/** Classes whose layout is being made: a structure that contains itself would never end. */
const making = new Set<object>();

/**
 * The base of a C structure in shared memory: Python's `ctypes.Structure`. A subclass lists its
 * fields in `static fields` (Python's `_fields_`), each a ctypes type or another Structure
 * subclass; `new SharedArray(Point, …)` and `new Value(Point, …)` hold such structures, and
 * their elements are views: `arr[0].x **= 2` in any process changes the memory all share.
 *
 * Declare the fields for TypeScript with `declare` (a plain `x!: number` would define a property
 * that hides the field). `new Point(1, 2)` makes one structure in this thread's own memory.
 *
 * Another process or thread gets a class built from the field list (same name and fields, not
 * the methods), unless the class is exported from a module file and says where:
 * `static module = import.meta.url`; then it imports that class.
 *
 * @example
 * ```ts
 * import { c_double, SharedArray, Structure } from '@concurrent/multiprocessing';
 * export class Point extends Structure {
 *   static fields = [['x', c_double], ['y', c_double]] as const;
 *   declare x: number;
 *   declare y: number;
 * }
 * const points = new SharedArray(Point, [[1.875, -6.25], [-5.75, 2.0]]);
 * for (const p of points) p.x **= 2; // in any process that holds `points`
 * points[0].x; // 3.515625
 * ```
 */
export class Structure implements Reducible {
  // No `static fields` here: a subclass's own would then need `override` (noImplicitOverride).

  /**
   * One structure in this thread's own (unshared) memory, its fields set from `values` in order
   * (Python's `Point(1, 2)`); missing ones are zero.
   *
   * @throws TypeError if the class's `fields` are not a valid definition, or a value does not fit.
   */
  constructor(...values: unknown[]) {
    const type = structureTypeOf(new.target, `new ${new.target.name}()`);
    const data = new DataView(new ArrayBuffer(type.bytes));
    (this as unknown as Viewing)[DATA] = data;
    type.write(data, 0, type.check(values, `new ${new.target.name}()`) as StoredStructure);
  }

  /** Its fields as a plain object (`JSON.stringify` writes that). */
  toJSON(): Record<string, unknown> {
    const type = structureTypeOf(this.constructor, 'toJSON()');
    const fields: Record<string, unknown> = {};
    for (const { name } of type.fields) {
      const value = (this as unknown as Record<string, unknown>)[name];
      fields[name] = value instanceof Structure ? value.toJSON() : value;
    }
    return fields;
  }

  /**
   * @internal How a structure travels on its own (in a Queue item, a task's arguments): by
   * value, a copy of its bytes with its field list, as Python pickles a ctypes structure. The
   * other side gets a structure in its own memory, not a view: to share one, send the
   * SharedArray or Value that holds it.
   */
  [REDUCE](_destination: Destination): Reduction {
    const type = structureTypeOf(this.constructor, 'a Structure sent');
    const data = (this as unknown as Viewing)[DATA];
    const state: CopyState = { t: type.state, b: new Uint8Array(data.buffer, data.byteOffset, data.byteLength).slice() };
    return { module: builtModule('values/structure.js'), reviver: 'reviveStructure', state };
  }

  [inspect.custom](_depth: number, options: InspectOptions): string {
    return `${this.constructor.name} ${inspect(this.toJSON(), options)}`;
  }
}

/** A structure sent on its own: its type and a copy of its bytes. */
interface CopyState {
  readonly t: StructureState;
  readonly b: Uint8Array;
}

/** The reviver (see Structure's `[REDUCE]`): the copy, in this thread's own memory. */
export function reviveStructure(state: CopyState): Structure | Promise<Structure> {
  const type = loadType(state.t);
  const copy = (loaded: ElementType): Structure => (loaded as StructureType).element(state.b.buffer, state.b.byteOffset);
  return type instanceof Promise ? type.then(copy) : copy(type);
}

/** Names a field cannot have: what a view needs of its prototype. */
const RESERVED = new Set(['constructor', '__proto__', 'toJSON']);

/** `cls`'s element type, made (and its accessors defined) on first use. @throws TypeError for bad fields. */
function structureTypeOf(cls: unknown, what: string): StructureType {
  const known = TYPES.get(cls as object);
  if (known !== undefined) return known;
  if (typeof cls !== 'function' || !(cls.prototype instanceof Structure)) {
    throw new TypeError(`${what}: expected a subclass of Structure, got ${describe(cls)}`);
  }
  return makeStructureType(cls as unknown as StructureClass);
}

function makeStructureType(cls: StructureClass): StructureType {
  const name = cls.name || 'Structure';
  if (making.has(cls)) throw new TypeError(`${name}: a structure cannot contain itself (its fields lead back to ${name})`);
  making.add(cls);
  try {
    const definition: unknown = cls.fields;
    if (!Array.isArray(definition) || definition.length === 0) {
      throw new TypeError(
        `${name}: expected \`static fields\` to be a non-empty array of [name, type] pairs (Python's _fields_), such as [['x', c_double], ['y', c_double]], got ${describe(definition)}`,
      );
    }
    const fields: Field[] = [];
    let offset = 0;
    let align = 1;
    for (const [i, entry] of (definition as unknown[]).entries()) {
      if (!Array.isArray(entry) || entry.length !== 2) {
        throw new TypeError(`${name}.fields[${String(i)}]: expected a [name, type] pair, got ${describe(entry)}`);
      }
      const [fieldName, fieldType] = entry as [unknown, unknown];
      if (typeof fieldName !== 'string' || fieldName === '') {
        throw new TypeError(`${name}.fields[${String(i)}]: expected the field's name to be a non-empty string, got ${describe(fieldName)}`);
      }
      if (RESERVED.has(fieldName)) throw new TypeError(`${name}.fields[${String(i)}]: a field cannot be named \`${fieldName}\``);
      if (fields.some((field) => field.name === fieldName)) throw new TypeError(`${name}.fields[${String(i)}]: duplicate field name \`${fieldName}\``);
      const type = (typeof fieldType === 'string' ? undefined : scalarTypeOrUndefined(fieldType)) ?? (isStructureClass(fieldType) ? structureTypeOf(fieldType, name) : undefined);
      if (type === undefined) {
        throw new TypeError(`${name}.fields[${String(i)}] (\`${fieldName}\`): expected a ctypes type (c_int, c_double…) or a Structure subclass, got ${describe(fieldType)}`);
      }
      offset = Math.ceil(offset / type.align) * type.align;
      fields.push({ name: fieldName, type, offset });
      offset += type.bytes;
      align = Math.max(align, type.align);
    }
    for (const { name: fieldName } of fields) {
      if (Object.hasOwn(cls.prototype, fieldName)) {
        throw new TypeError(`${name}: the field \`${fieldName}\` has the name of a member of the class; rename one of them`);
      }
    }
    const module: unknown = (cls as { module?: unknown }).module;
    if (module !== undefined && typeof module !== 'string') {
      throw new TypeError(`${name}: expected \`static module\` to be its module's URL (\`static module = import.meta.url\`), got ${describe(module)}`);
    }
    const type = structureType(cls, fields, Math.ceil(offset / align) * align, align, module);
    for (const field of fields) defineField(cls, field);
    // Its instances travel by value ([REDUCE]): a structure alone in a Queue item must be seen.
    enableReduction();
    TYPES.set(cls, type);
    return type;
  } finally {
    making.delete(cls);
  }
}

/** The accessor of one field on the class's prototype: a read or write of the view's memory. */
function defineField(cls: StructureClass, { name, type, offset }: Field): void {
  const what = `${cls.name}.${name}`;
  Object.defineProperty(cls.prototype, name, {
    get(this: Viewing) {
      return type.getField(this[DATA], offset);
    },
    set(this: Viewing, value: unknown) {
      type.setField(this[DATA], offset, type.check(value, what));
    },
    enumerable: true,
    configurable: true,
  });
}

function isStructureClass(value: unknown): value is StructureClass {
  return typeof value === 'function' && value.prototype instanceof Structure;
}

/** The format of PEP 3118 (what Python's `memoryview(arr).format` shows): `'T{<d:x:<d:y:}'`. */
function format(fields: readonly Field[], size: number): string {
  let end = 0;
  let parts = '';
  for (const { name, type, offset } of fields) {
    if (offset > end) parts += `${String(offset - end)}x`;
    parts += `${type.code.startsWith('T{') ? '' : '<'}${type.code}:${name}:`;
    end = offset + type.bytes;
  }
  if (size > end) parts += `${String(size - end)}x`;
  return `T{${parts}}`;
}

function stateOf(type: ElementType): TypeState {
  return (type as Partial<StructureType>).state ?? type.code;
}

function structureType(cls: StructureClass, fields: readonly Field[], bytes: number, align: number, module: string | undefined): StructureType {
  const name = cls.name || 'Structure';
  const names = fields.map((field) => field.name);
  const zero = fields.map((field) => field.type.zero);
  const element = (memory: ArrayBufferLike, offset: number): Structure => {
    const view = Object.create(cls.prototype) as Structure;
    (view as unknown as Viewing)[DATA] = new DataView(memory, offset, bytes);
    return view;
  };
  const write = (data: DataView, offset: number, stored: StoredStructure): void => {
    for (let i = 0; i < fields.length; i++) {
      const field = fields[i]!;
      field.type.setField(data, offset + field.offset, stored[i]!);
    }
  };
  const type: StructureType = {
    code: format(fields, bytes),
    name,
    cName: `struct ${name}`,
    bytes,
    align,
    cls,
    fields,
    state: { s: name, f: fields.map((field) => [field.name, stateOf(field.type)] as const), ...(module === undefined ? {} : { m: module }) },
    element,
    write,
    view: (memory, offset, length) => new Uint8Array(memory, offset, length * bytes),
    check(value, what, index) {
      const at = index === undefined ? what : `${what}[${String(index)}]`;
      if (Array.isArray(value)) {
        if (value.length > fields.length) throw new TypeError(`${at}: too many initializers for ${name} (${String(fields.length)} fields), got ${describe(value)}`);
        return fields.map((field, i) => (i < value.length ? field.type.check(value[i], `${at}.${field.name}`) : field.type.zero));
      }
      if (typeof value === 'object' && value !== null) {
        if (value instanceof Structure) {
          const theirs = structureTypeOf(value.constructor, at);
          if (theirs !== type && theirs.code !== type.code) throw new TypeError(`${at}: incompatible types, ${theirs.name} (${theirs.code}) instead of ${name} (${type.code})`);
          const fieldsOf = value as unknown as Record<string, unknown>;
          return fields.map((field) => field.type.check(fieldsOf[field.name], `${at}.${field.name}`));
        }
        const fieldsOf = value as Record<string, unknown>;
        for (const key of Object.keys(fieldsOf)) {
          if (!names.includes(key)) throw new TypeError(`${at}: ${name} has no field \`${key}\` (its fields: ${names.join(', ')})`);
        }
        return fields.map((field) => (Object.hasOwn(fieldsOf, field.name) ? field.type.check(fieldsOf[field.name], `${at}.${field.name}`) : field.type.zero));
      }
      throw new TypeError(`${at}: expected ${name}'s field values (an array in field order, an object by field name, or a ${name}), got ${describe(value)}`);
    },
    zero,
    coded(memory, offset, length): Coded {
      const views: (Structure | undefined)[] = [];
      const data = new DataView(memory, offset, length * bytes);
      return {
        get: (index) => (views[index] ??= element(memory, offset + index * bytes)),
        put: (index, stored) => write(data, index * bytes, stored as StoredStructure),
      };
    },
    getField: (data, offset) => element(data.buffer, data.byteOffset + offset),
    setField: (data, offset, stored) => write(data, offset, stored as StoredStructure),
  };
  return type;
}

/**
 * The element type `type` names: a typecode, a ctypes type, or a Structure subclass.
 *
 * @throws TypeError for anything else, or for a Structure subclass with bad fields.
 */
export function sharedType(type: unknown, what: string): ElementType {
  const scalar = scalarTypeOrUndefined(type);
  if (scalar !== undefined) return scalar;
  if (isStructureClass(type)) return structureTypeOf(type, what);
  return noType(type, what);
}

function noType(type: unknown, what: string): never {
  const codes = "'b', 'B', 'h', 'H', 'i', 'I', 'l', 'L', 'q', 'Q', 'f', 'd', 'c'";
  const hint = type === 'u' ? " ('u', c_wchar, is not supported: use 'c' for bytes)" : type === Structure ? ' (Structure itself has no fields: subclass it)' : '';
  throw new TypeError(`${what}: expected \`typecode\` to be one of ${codes}, a ctypes type (c_int, c_double…) or a Structure subclass${hint}, got ${describe(type)}`);
}

/** How `type` travels: its code, or a structure's name and fields. */
export function typeState(type: ElementType): TypeState {
  return stateOf(type);
}

/** Structure types revived in this thread, by their state: one class per layout and name. */
const revived = new Map<string, StructureType>();

/**
 * The element type a wire state names, once the classes of structures that named their module
 * (`static module = import.meta.url`) are imported here: the sender's own class then, with its
 * methods. Otherwise as {@link typeFromState}.
 */
export function loadType(state: TypeState): ElementType | Promise<ElementType> {
  const pending: StructureState[] = [];
  const walk = (node: TypeState): void => {
    if (typeof node === 'string') return;
    if (node.m !== undefined && !revived.has(JSON.stringify(node))) pending.push(node);
    for (const [, field] of node.f) walk(field);
  };
  walk(state);
  if (pending.length === 0) return typeFromState(state);
  return Promise.all(pending.map(importClass)).then(() => typeFromState(state));
}

/** Imports the class a structure state names from its module, and checks that its fields are the sender's. */
async function importClass(state: StructureState): Promise<void> {
  const module = state.m!;
  const namespace = (await import(module)) as Record<string, unknown>;
  const byName = namespace[state.s];
  const cls = isStructureClass(byName) ? byName : Object.values(namespace).find((value) => isStructureClass(value) && value.name === state.s);
  if (!isStructureClass(cls)) {
    throw new TypeError(`${state.s} is not exported by ${module}: a Structure subclass with \`static module = import.meta.url\` is imported from there, so write \`export class ${state.s} extends Structure\``);
  }
  const type = structureTypeOf(cls, state.s);
  const key = JSON.stringify(state);
  if (JSON.stringify(type.state) !== key) {
    throw new TypeError(`${state.s} of ${module} does not have the fields it was sent with (${JSON.stringify(state.f)}, here ${JSON.stringify(type.state.f)})`);
  }
  revived.set(key, type);
}

/**
 * The element type a wire state names. A structure's is a class of the same name and fields,
 * made here (a subclass of Structure, not the sender's class: its methods do not travel),
 * unless {@link loadType} imported the sender's class.
 */
export function typeFromState(state: TypeState): ElementType {
  if (typeof state === 'string') {
    const scalar = scalarTypeOfCode(state);
    if (scalar === undefined) throw new TypeError(`@concurrent/multiprocessing: unknown element type '${state}' on the wire`);
    return scalar;
  }
  const key = JSON.stringify(state);
  let type = revived.get(key);
  if (type === undefined) {
    const fields = state.f.map(([name, field]) => {
      const fieldType = typeFromState(field);
      return [name, (fieldType as Partial<StructureType>).cls ?? fieldType] as const;
    });
    // A class named as the sender's, for messages and inspect: `Point { x: 1, y: 2 }`.
    const cls = { [state.s]: class extends Structure {} }[state.s]!;
    Object.defineProperty(cls, 'fields', { value: fields });
    if (state.m !== undefined) Object.defineProperty(cls, 'module', { value: state.m });
    type = structureTypeOf(cls, state.s);
    revived.set(key, type);
  }
  return type;
}

/**
 * Python's `ctypes.sizeof`: the bytes one element of `type` takes (a structure's with its
 * padding), or one structure's.
 *
 * @example
 * ```ts
 * class Pair extends Structure { static fields = [['tag', c_char], ['n', c_int]] as const }
 * sizeof(Pair); // 8: `n` is aligned to 4 bytes
 * ```
 */
export function sizeof(type: Typecode | CType | StructureClass | Structure): number {
  return (type instanceof Structure ? structureTypeOf(type.constructor, 'sizeof()') : sharedType(type, 'sizeof()')).bytes;
}

/**
 * Python's `ctypes.alignment`: the alignment of `type` in a structure (a scalar's size, a
 * structure's largest field's).
 *
 * @example
 * ```ts
 * alignment(c_double); // 8
 * alignment(Point); // 8: its fields are doubles
 * ```
 */
export function alignment(type: Typecode | CType | StructureClass | Structure): number {
  return (type instanceof Structure ? structureTypeOf(type.constructor, 'alignment()') : sharedType(type, 'alignment()')).align;
}

/**
 * The byte offset of the field `name` in structure class `cls` (Python's `Point.x.offset`).
 *
 * @throws TypeError if `cls` has no such field.
 * @example
 * ```ts
 * class Pair extends Structure { static fields = [['tag', c_char], ['n', c_int]] as const }
 * fieldOffset(Pair, 'n'); // 4: three bytes of padding after `tag`
 * ```
 */
export function fieldOffset<T extends StructureClass>(cls: T, name: T['fields'][number][0]): number {
  const field = structureTypeOf(cls, 'fieldOffset()').fields.find((candidate) => candidate.name === name);
  if (field === undefined) throw new TypeError(`fieldOffset(): ${cls.name} has no field ${describe(name)}`);
  return field.offset;
}
