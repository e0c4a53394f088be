/**
 * ctypes types (c_int…, c_bool, c_char), typecodeToType and Structure as element types of
 * Value and SharedArray (issue 14, item 3): the contract in one thread (c_bool, c_char arrays'
 * `.value`, structure layout, bad field lists), then with the other side in a child process
 * and a worker thread (the issue's example, every type's round trip, structures built there
 * from their field lists), then the README's example.
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { inspect, promisify } from 'node:util';
import { moduleTasks } from '@concurrent/futures';
import { afterEach, describe, expect, it } from 'vitest';
import {
  alignment,
  c_bool,
  c_byte,
  c_char,
  c_double,
  c_float,
  c_int,
  c_int8,
  c_int16,
  c_int32,
  c_int64,
  c_long,
  c_longlong,
  c_short,
  c_ubyte,
  c_uint,
  c_uint8,
  c_uint16,
  c_uint32,
  c_uint64,
  c_ulong,
  c_ulonglong,
  c_ushort,
  type CType,
  fieldOffset,
  Lock,
  Queue,
  RawArray,
  RawValue,
  SharedArray,
  sizeof,
  Structure,
  type Typecode,
  typecodeToType,
  Value,
  ValueError,
} from '../src/index.js';
import type * as CtypesTasks from './fixtures/ctypes-tasks.mjs';
import { type Runner, runnerNames } from './fixtures/sharing-harness.js';

const ctasks = moduleTasks<typeof CtypesTasks>(new URL('./fixtures/ctypes-tasks.mjs', import.meta.url));

class Point extends Structure {
  static fields = [
    ['x', c_double],
    ['y', c_double],
  ] as const;
  declare x: number;
  declare y: number;

  norm(): number {
    return Math.hypot(this.x, this.y);
  }
}

/** Every field type, and padding between them: c_char at 0, c_int at 4, c_double at 8... */
class Mixed extends Structure {
  static fields = [
    ['tag', c_char],
    ['n', c_int],
    ['d', c_double],
    ['flag', c_bool],
    ['big', c_longlong],
    ['small', c_short],
    ['p', Point],
  ] as const;
}

/** Each ctypes type with a value, and what the other side writes back. */
const TYPES: [CType, unknown, unknown][] = [
  [c_bool, true, false],
  [c_char, 'a', 'Z'],
  [c_byte, -128, 127],
  [c_ubyte, 255, 0],
  [c_short, -32768, 32767],
  [c_ushort, 65535, 1],
  [c_int, -(2 ** 31), 2 ** 31 - 1],
  [c_uint, 2 ** 32 - 1, 7],
  [c_long, -(2n ** 63n), 2n ** 63n - 1n],
  [c_ulong, 2n ** 64n - 1n, 3n],
  [c_longlong, 2n ** 63n - 1n, -(2n ** 63n)],
  [c_ulonglong, 12345678901234567890n, 0n],
  [c_float, 0.5, -2.5],
  [c_double, 0.1, Number.MAX_VALUE],
];

describe('ctypes types', () => {
  it("typecodeToType() - Python's typecode_to_type: each typecode's ctypes type, the object a typecode stands for", () => {
    const expected: [Typecode, CType][] = [
      ['c', c_char],
      ['b', c_byte],
      ['B', c_ubyte],
      ['h', c_short],
      ['H', c_ushort],
      ['i', c_int],
      ['I', c_uint],
      ['l', c_long],
      ['L', c_ulong],
      ['q', c_longlong],
      ['Q', c_ulonglong],
      ['f', c_float],
      ['d', c_double],
    ];
    for (const [code, type] of expected) {
      expect(typecodeToType(code)).toBe(type);
      expect(type.code).toBe(code);
      expect(new Value(type).typecode).toBe(code);
    }
    expect([c_int8, c_uint8, c_int16, c_uint16, c_int32, c_uint32, c_int64, c_uint64]).toEqual([c_byte, c_ubyte, c_short, c_ushort, c_int, c_uint, c_long, c_ulong]);
    expect(c_double.name).toBe('c_double');
    expect(() => typecodeToType('x' as Typecode)).toThrow(/typecodeToType\(\): expected `typecode` to be one of/);
  });

  it('new Value(c_int, 7), new SharedArray(c_double, 3) - a ctypes type wherever a typecode goes, with its checks', () => {
    const n = new Value(c_int, 7);
    n.value **= 2;
    expect(n.value).toBe(49);
    expect(inspect(n)).toBe("Value('i', 49)");
    expect(new SharedArray(c_double, 3).toArray()).toEqual([0, 0, 0]);
    expect(new RawValue(c_long, 5).value).toBe(5n);
    expect(() => new Value(c_int, 1.5)).toThrow(new TypeError("new Value('i', …): expected an integer for typecode 'i' (int), got `1.5` (number)"));
    expect(sizeof(c_long)).toBe(8);
    expect(sizeof('h')).toBe(2);
    expect(alignment(c_double)).toBe(8);
  });

  it('c_bool - reads and writes booleans; takes nothing else', () => {
    const b = new Value(c_bool, false, { lock: false });
    expect(b.value).toBe(false);
    b.value = true;
    expect(b.value).toBe(true);
    expect(b.typecode).toBe('?');
    expect(inspect(b)).toBe("Value('?', true)");
    expect(() => (b.value = 1 as never)).toThrow(new TypeError("Value('?').value: expected a boolean for c_bool, got `1` (number)"));
    expect(b.getObj().value).toBe(true);
    const flags = new SharedArray(c_bool, [true, false, true]);
    flags[1] = true;
    flags[2] = false;
    expect(flags.toArray()).toEqual([true, true, false]);
    expect([...flags]).toEqual([true, true, false]);
    expect(flags.at(-1)).toBe(false);
    expect(flags.slice(1)).toEqual([true, false]);
    expect(Array.from(flags.asTypedArray())).toEqual([1, 1, 0]);
    expect(() => (flags[0] = 'yes' as never)).toThrow(/SharedArray\('\?'\)\[0\]: expected a boolean for c_bool/);
    expect(() => flags[3]).toThrow(new RangeError('SharedArray index out of range: 3 (length 3)'));
  });

  it("c_char / 'c' - one-character Latin-1 strings", () => {
    const c = new Value('c', 'a');
    expect(c.value).toBe('a');
    c.value = 'é';
    expect(c.value).toBe('é');
    expect(new Value(c_char).value).toBe('\0');
    expect(() => (c.value = 'ab')).toThrow(new TypeError("Value('c').value: expected a one-character string for typecode 'c' (char), got `'ab'` (string)"));
    expect(() => (c.value = '€')).toThrow(/is not a Latin-1 character \(c_char is one byte; encode text to bytes and use 'B'\)/);
    expect(() => (c.value = 97 as never)).toThrow(TypeError);
  });

  it("SharedArray('c', 'hello world') - .value up to the first NUL, .raw all of it, elements one-character strings", () => {
    const s = new SharedArray('c', 'hello world');
    expect(s.length).toBe(11);
    expect(s.value).toBe('hello world');
    expect(s[0]).toBe('h');
    s.value = s.value.toUpperCase();
    expect(s.value).toBe('HELLO WORLD');
    s.value = 'hi';
    expect(s.value).toBe('hi');
    expect(s.raw).toBe('hi\0LO WORLD');
    s.raw = 'abc'; // no NUL after it, as ctypes' raw
    expect(s.raw).toBe('abcLO WORLD');
    expect(s.value).toBe('abcLO WORLD');
    s.value = 'exactly 11!';
    expect(s.value).toBe('exactly 11!');
    s[0] = 'E';
    expect(s.slice(0, 3)).toEqual(['E', 'x', 'a']);
    expect(inspect(s)).toBe("SharedArray('c', 'Exactly 11!')");
    expect(new SharedArray('c', 4).value).toBe('');
    expect(new RawArray(c_char, ['a', 'b']).value).toBe('ab');
  });

  it("SharedArray('c') - a string too long, a bad character, and .value on another type throw clearly", () => {
    const s = new SharedArray('c', 'hello', { lock: false });
    expect(() => (s.value = 'hello world')).toThrow(new ValueError("byte string too long (11 characters for SharedArray('c') of length 5)"));
    expect(() => (s.raw = 'hello world')).toThrow(ValueError);
    expect(() => (s.value = 'h€llo')).toThrow(/SharedArray\('c'\)\.value\[1\]: `'€'` \(string\) is not a Latin-1 character/);
    expect(() => (s.value = 5 as never)).toThrow(new TypeError("SharedArray('c').value: expected a string, got `5` (number)"));
    expect(s.value).toBe('hello');
    const i = new SharedArray('i', 2);
    expect(() => i.value).toThrow(new TypeError("SharedArray('i') has no .value: only an array of 'c' (c_char) has"));
    expect(() => ((i as unknown as { value: string }).value = 'x')).toThrow(/only its elements can be assigned/);
    expect(() => new SharedArray('i', 'hello' as never)).toThrow(/expected a whole number of elements or an iterable/);
  });
});

describe('Structure', () => {
  it('layout - C alignment: each field at a multiple of its size, the size a multiple of the largest', () => {
    class Pair extends Structure {
      static fields = [
        ['tag', c_char],
        ['n', c_int],
      ] as const;
    }
    expect(sizeof(Pair)).toBe(8);
    expect(fieldOffset(Pair, 'n')).toBe(4);
    expect(alignment(Pair)).toBe(4);
    class Padded extends Structure {
      static fields = [
        ['a', c_char],
        ['d', c_double],
        ['b', c_char],
      ] as const;
    }
    expect([sizeof(Padded), fieldOffset(Padded, 'd'), fieldOffset(Padded, 'b')]).toEqual([24, 8, 16]);
    class Short extends Structure {
      static fields = [
        ['s', c_short],
        ['c', c_char],
      ] as const;
    }
    expect(sizeof(Short)).toBe(4);
    expect(sizeof(Mixed)).toBe(56);
    expect(Mixed.fields.map(([name]) => fieldOffset(Mixed, name))).toEqual([0, 4, 8, 16, 24, 32, 40]);
    expect(new SharedArray(Pair, 1).typecode).toBe('T{<c:tag:3x<i:n:}');
    expect(new SharedArray(Point, 1).typecode).toBe('T{<d:x:<d:y:}');
  });

  it('new SharedArray(Point, …) - elements are views of the memory: field writes change it, the same view each time', () => {
    const A = new SharedArray(Point, [[1.875, -6.25], { x: -5.75, y: 2.0 }, new Point(3, 4)], { lock: new Lock() });
    expect(A.length).toBe(3);
    for (const a of A) {
      a.x **= 2;
      a.y **= 2;
    }
    expect(A.toArray().map((a) => [a.x, a.y])).toEqual([
      [3.515625, 39.0625],
      [33.0625, 4],
      [9, 16],
    ]);
    expect(A[0]).toBe(A[0]);
    expect(A[0]).toBeInstanceOf(Point);
    expect(A[2]!.norm()).toBe(Math.hypot(9, 16));
    expect(Array.from(new Float64Array(A.asTypedArray().buffer, A.asTypedArray().byteOffset, 6))).toEqual([3.515625, 39.0625, 33.0625, 4, 9, 16]);
    // Index writes are typed as reads (one index signature): an initializer needs a cast.
    A[1] = [1, 2] as never;
    A[2] = { y: 5 } as never;
    expect(JSON.stringify(A)).toBe('[{"x":3.515625,"y":39.0625},{"x":1,"y":2},{"x":0,"y":5}]');
    A.setSlice(0, 2, [A[1], [7] as never]);
    expect(A.slice(0, 2).map((a) => a.toJSON())).toEqual([
      { x: 1, y: 2 },
      { x: 7, y: 0 },
    ]);
    expect(inspect(A[0])).toBe('Point { x: 1, y: 2 }');
    expect(inspect(new SharedArray(Point, 1))).toBe('SharedArray(Point, [ Point { x: 0, y: 0 } ])');
    expect(sizeof(A[0]!)).toBe(16);
  });

  it('every field type, nested structures, and new Value(Point, …)', () => {
    const arr = new RawArray(Mixed, [['a', 1, 0.5, true, 2n ** 40n, -3, [1, 2]]]);
    const m = arr[0]!;
    expect(m.toJSON()).toEqual({ tag: 'a', n: 1, d: 0.5, flag: true, big: 2n ** 40n, small: -3, p: { x: 1, y: 2 } });
    m.p.x = 10;
    m.p = { y: 20 } as never;
    expect(m.p.toJSON()).toEqual({ x: 0, y: 20 });
    expect(() => (m.n = 2 ** 40)).toThrow(new RangeError('Mixed.n: 1099511627776 is out of range for typecode \'i\' (int, -2147483648 to 2147483647)'));
    expect(() => (m.flag = 0 as never)).toThrow(/Mixed\.flag: expected a boolean/);
    const v = new Value(Point, [1, 2]);
    expect(v.value).toBeInstanceOf(Point);
    expect(v.value.norm()).toBe(Math.hypot(1, 2));
    v.value.x = 3;
    expect(v.value.toJSON()).toEqual({ x: 3, y: 2 });
    v.value = { y: 4 };
    expect(v.value.toJSON()).toEqual({ x: 0, y: 4 });
    expect(v.getObj().value.y).toBe(4);
    expect(inspect(v)).toBe('Value(Point, Point { x: 0, y: 4 })');
    const standalone = new Point(5, 6);
    expect(standalone.toJSON()).toEqual({ x: 5, y: 6 });
  });

  it('bad field lists, values and types throw clearly', () => {
    const define = (fields: unknown): (() => unknown) => {
      class Bad extends Structure {
        static fields = fields as never;
      }
      return () => new SharedArray(Bad, 1);
    };
    class NoFields extends Structure {}
    expect(() => new SharedArray(NoFields as never, 1)).toThrow(/NoFields: expected `static fields` to be a non-empty array of \[name, type\] pairs \(Python's _fields_\).*got `undefined`/);
    expect(define([])).toThrow(/non-empty array/);
    expect(define([['x', c_double, 1]])).toThrow(new TypeError("Bad.fields[0]: expected a [name, type] pair, got `[ 'x', [Object], 1 ]` (object)"));
    expect(define([[1, c_double]])).toThrow(/Bad\.fields\[0\]: expected the field's name to be a non-empty string, got `1`/);
    expect(define([['x', c_double], ['x', c_int]])).toThrow(new TypeError('Bad.fields[1]: duplicate field name `x`'));
    expect(define([['x', 'd']])).toThrow(/Bad\.fields\[0\] \(`x`\): expected a ctypes type \(c_int, c_double…\) or a Structure subclass, got `'d'`/);
    expect(define([['x', Structure]])).toThrow(/expected a ctypes type/);
    expect(define([['toJSON', c_int]])).toThrow(/a field cannot be named `toJSON`/);
    class Clash extends Structure {
      static fields = [['norm', c_double]] as const;
      norm(): number {
        return 0;
      }
    }
    expect(() => new Value(Clash)).toThrow(/Clash: the field `norm` has the name of a member of the class/);
    class Loop extends Structure {
      static fields: unknown = [];
    }
    (Loop as { fields: unknown }).fields = [['self', Loop]];
    expect(() => new Value(Loop as never)).toThrow(/Loop: a structure cannot contain itself/);
    expect(() => new SharedArray(Structure as never, 1)).toThrow(/Structure itself has no fields: subclass it/);
    expect(() => new SharedArray(Point, [[1, 2, 3]] as never)).toThrow(/initializer\[0\]: too many initializers for Point \(2 fields\)/);
    expect(() => new SharedArray(Point, [{ z: 1 }] as never)).toThrow(/initializer\[0\]: Point has no field `z` \(its fields: x, y\)/);
    expect(() => new SharedArray(Point, [[1, 'two']] as never)).toThrow(/initializer\[0\]\.y: expected a number/);
    expect(() => new SharedArray(Point, [5] as never)).toThrow(/expected Point's field values \(an array in field order, an object by field name, or a Point\)/);
    class Other extends Structure {
      static fields = [['x', c_int]] as const;
    }
    expect(() => new Value(Point, new Other(1) as never)).toThrow(/incompatible types, Other \(T\{<i:x:\}\) instead of Point \(T\{<d:x:<d:y:\}\)/);
  });
});

describe.each(runnerNames)('ctypes values $name', ({ make }) => {
  let runner: Runner = make();
  afterEach(async () => {
    await runner.dispose();
    runner = make();
  });

  it("the issue's example: 49, true, 'HELLO WORLD', [10, 1, 2, 3, 4] and the squared points", async () => {
    const lock = new Lock();
    const n = new Value('i', 7);
    const b = new Value(c_bool, false, { lock: false });
    const s = new SharedArray('c', 'hello world', { lock });
    const arr = new SharedArray('i', [0, 1, 2, 3, 4]);
    const A = new SharedArray(
      Point,
      [
        [1.875, -6.25],
        [-5.75, 2.0],
      ],
      { lock },
    );
    await runner.start(ctasks.modify, n, b, s, arr, A).done;
    expect(n.value).toBe(49);
    expect(b.value).toBe(true);
    expect(s.value).toBe('HELLO WORLD');
    expect(arr.slice()).toEqual([10, 1, 2, 3, 4]);
    expect(A.toArray().map((a) => [a.x, a.y])).toEqual([
      [3.515625, 39.0625],
      [33.0625, 4.0],
    ]);
  });

  it('every ctypes type round-trips: read there, written there, read here', async () => {
    const values = TYPES.map(([type, initial], i) => (i % 2 === 0 ? new Value(type, initial as never) : new RawValue(type, initial as never)));
    const report = new Queue<[string, unknown][]>();
    await runner.start(
      ctasks.readThenWrite,
      values,
      TYPES.map(([, , next]) => next),
      report,
    ).done;
    expect(await report.get()).toEqual(TYPES.map(([type, initial]) => [type.code, initial]));
    expect(values.map((v) => v.value)).toEqual(TYPES.map(([, , next]) => next));
  });

  it('an array of structures: its elements there are views of a class of the same name and fields, built from the field list', async () => {
    const arr = new SharedArray(Mixed, [
      ['a', 1, 0.5, true, 2n ** 40n, -3, [1, 2]],
      ['b', 2, 1.5, false, -1n, 7, { y: 9 }],
    ]);
    const bytes = Array.from(arr.asTypedArray());
    const report = new Queue<Record<string, unknown>>();
    await runner.start(ctasks.structuresThere, arr, { tag: 'z', n: -5, flag: false, p: [7, 8] }, { big: 99n, p: { x: 6 } }, report).done;
    expect(await report.get()).toEqual({
      typecode: arr.typecode,
      length: 2,
      className: 'Mixed',
      isStructure: true,
      same: true,
      items: [
        { tag: 'a', n: 1, d: 0.5, flag: true, big: 2n ** 40n, small: -3, p: { x: 1, y: 2 } },
        { tag: 'b', n: 2, d: 1.5, flag: false, big: -1n, small: 7, p: { x: 0, y: 9 } },
      ],
      bytes,
    });
    expect(arr.toArray().map((item) => item.toJSON())).toEqual([
      { tag: 'z', n: -5, d: 0.5, flag: false, big: 2n ** 40n, small: -3, p: { x: 7, y: 8 } },
      { tag: '\0', n: 0, d: 0, flag: false, big: 99n, small: 0, p: { x: 6, y: 0 } },
    ]);
  });

  it('a Value(Point) there is the same memory; a structure sent alone arrives as a copy', async () => {
    const v = new Value(Point, [1, 2]);
    const report = new Queue<{ seen: unknown; copy: Structure; className: string }>();
    await runner.start(ctasks.structureValueThere, v, report).done;
    const { seen, copy, className } = await report.get();
    expect(seen).toEqual({ x: 1, y: 2 });
    expect(className).toBe('Point');
    expect(v.value.toJSON()).toEqual({ x: 5, y: 2 });
    // The copy came back by value, as a class built from the field list (not this Point; and a
    // Structure of the built package, which the revivers import: this test imports the source).
    expect(copy).not.toBeInstanceOf(Point);
    expect(Object.getPrototypeOf(copy.constructor)).toHaveProperty('name', 'Structure');
    expect(inspect(copy)).toBe('Point { x: 1, y: 2 }');
  });

  it('a structure class with `static module`: the other side imports it, and its methods work there', async () => {
    // Vec as the fixture defines it (this test imports the source, the fixture the built package).
    class Vec extends Structure {
      static module = new URL('./fixtures/ctypes-tasks.mjs', import.meta.url).href;
      static fields = [
        ['x', c_double],
        ['y', c_double],
      ] as const;
    }
    const report = new Queue();
    await runner.start(ctasks.vecThere, new SharedArray(Vec, [[3, 4]]), report).done;
    expect(await report.get()).toEqual({ isVec: true, norm: 5, className: 'Vec' });
  });

  it('a structure class with `static module` that the module does not export, or with other fields, fails there', async () => {
    const module = new URL('./fixtures/ctypes-tasks.mjs', import.meta.url).href;
    class Missing extends Structure {
      static module = module;
      static fields = [['x', c_double]] as const;
    }
    const Vec = { Vec: class extends Structure {
      static module = module;
      static fields = [['x', c_int]] as const;
    } }.Vec;
    for (const arr of [new SharedArray(Missing, 1), new SharedArray(Vec, 1)]) {
      await expect(runner.start(ctasks.vecThere, arr, new Queue()).done).rejects.toThrow();
    }
    class BadModule extends Structure {
      static module = 5;
      static fields = [['x', c_double]] as const;
    }
    expect(() => new Value(BadModule)).toThrow(/BadModule: expected `static module` to be its module's URL \(`static module = import\.meta\.url`\), got `5`/);
  });

  it("a 'c' array there: .value and .raw, the same errors, and writes seen here", async () => {
    const s = new SharedArray('c', 'hello');
    const report = new Queue();
    await runner.start(ctasks.charsThere, s, report).done;
    expect(await report.get()).toEqual({
      value: 'hello',
      raw: 'hello',
      first: 'h',
      length: 5,
      errors: [
        "ValueError: byte string too long (6 characters for SharedArray('c') of length 5)",
        "TypeError: SharedArray('c')[0]: expected a one-character string for typecode 'c' (char), got `'ab'` (string)",
        "RangeError: SharedArray('c')[0]: `'€'` (string) is not a Latin-1 character (c_char is one byte; encode text to bytes and use 'B')",
      ],
    });
    expect(s.value).toBe('bye');
    expect(s.raw).toBe('bye\0o');
  });
});

describe('examples/sharedctypes.mjs', () => {
  it('runs, and the README shows its code and what it prints', async () => {
    const file = fileURLToPath(new URL('../examples/sharedctypes.mjs', import.meta.url));
    const [{ stdout }, source, readme] = await Promise.all([
      promisify(execFile)(process.execPath, [file], { timeout: 60_000 }),
      readFile(file, 'utf8'),
      readFile(fileURLToPath(new URL('../README.md', import.meta.url)), 'utf8'),
    ]);
    expect(stdout).toBe("49\ntrue\nHELLO WORLD\n[ 10, 1, 2, 3, 4 ]\n[ [ 3.515625, 39.0625 ], [ 33.0625, 4 ] ]\n");
    expect(readme).toContain(`\`\`\`js\n${source.trimEnd()}\n\`\`\`\n\nprints\n\n\`\`\`\n${stdout.trimEnd()}\n\`\`\``);
  });
});
