/** The public types of Value, RawValue, SharedArray and RawArray. */
import { describe, expectTypeOf, it } from 'vitest';
import { c_bool, c_char, c_double, c_int, c_long, Lock, RawArray, RawValue, RLock, SharedArray, Structure, typecodeToType, Value } from '../src/index.js';

describe('Value types', () => {
  it('.value - a number, or a bigint for the 64-bit typecodes', () => {
    expectTypeOf(new Value('i', 0).value).toEqualTypeOf<number>();
    expectTypeOf(new Value('d').value).toEqualTypeOf<number>();
    expectTypeOf(new Value('q', 0n).value).toEqualTypeOf<bigint>();
    expectTypeOf(new RawValue('Q', 1).value).toEqualTypeOf<bigint>();
    const q = new Value('q', 0);
    q.value = 5; // a safe integer number may be written
    // @ts-expect-error -- a string is not a 64-bit integer
    q.value = '1';
    // @ts-expect-error -- not a typecode
    new Value('x', 0);
  });

  it('.getLock() - the lock it was given, or a Lock | RLock', () => {
    expectTypeOf(new Value('i', 0, { lock: new Lock() }).getLock()).toEqualTypeOf<Lock>();
    expectTypeOf(new Value('i', 0).getLock()).toEqualTypeOf<Lock | RLock>();
    expectTypeOf(new Value('i', 0, { lock: false })).toEqualTypeOf<Value<'i'>>();
    expectTypeOf(new Value('i', 0, { lock: new RLock() })).toMatchTypeOf<Value<'i'>>();
    expectTypeOf(new Value('d', 1).getObj()).toEqualTypeOf<RawValue<'d'>>();
  });
});

describe('SharedArray types', () => {
  it('arr[i], slice(), toArray(), asTypedArray() - by typecode', () => {
    const a = new SharedArray('i', 3);
    expectTypeOf(a[0]).toEqualTypeOf<number | undefined>();
    expectTypeOf(a.slice(1)).toEqualTypeOf<number[]>();
    expectTypeOf(new SharedArray('Q', [1n]).toArray()).toEqualTypeOf<bigint[]>();
    expectTypeOf(a.asTypedArray()).toEqualTypeOf<Int32Array>();
    expectTypeOf(new RawArray('d', 2).asTypedArray()).toEqualTypeOf<Float64Array>();
    expectTypeOf([...new RawArray('b', 2)]).toEqualTypeOf<number[]>();
    expectTypeOf(new SharedArray('i', 1, { lock: new Lock() }).getLock()).toEqualTypeOf<Lock>();
    expectTypeOf(a.getObj()).toEqualTypeOf<RawArray<'i'>>();
  });
});

describe('ctypes types', () => {
  class Point extends Structure {
    static fields = [
      ['x', c_double],
      ['y', c_double],
    ] as const;
  }

  it('.value and elements - by ctypes type: number, bigint, boolean, string, structure views', () => {
    expectTypeOf(new Value(c_int, 7).value).toEqualTypeOf<number>();
    expectTypeOf(new Value(c_int, 7).typecode).toEqualTypeOf<'i'>();
    expectTypeOf(new Value(c_long, 7).value).toEqualTypeOf<bigint>();
    expectTypeOf(new Value(c_bool, false).value).toEqualTypeOf<boolean>();
    expectTypeOf(new Value('c', 'a').value).toEqualTypeOf<string>();
    expectTypeOf(new SharedArray(c_double, 3).asTypedArray()).toEqualTypeOf<Float64Array>();
    expectTypeOf(typecodeToType('d')).toEqualTypeOf(c_double);
    // @ts-expect-error -- c_bool takes booleans
    new Value(c_bool, 1);
  });

  it("a 'c' array's .value and .raw are strings; other arrays have none", () => {
    expectTypeOf(new SharedArray('c', 'hello').value).toEqualTypeOf<string>();
    expectTypeOf(new RawArray(c_char, 3).raw).toEqualTypeOf<string>();
    expectTypeOf(new SharedArray('i', 3).value).toEqualTypeOf<never>();
  });

  it('a structure: elements are its class with its fields; initializers by position or by name', () => {
    const points = new SharedArray(Point, [[1, 2], { y: 3 }]);
    expectTypeOf(points[0]!.x).toEqualTypeOf<number>();
    expectTypeOf(points[0]!).toMatchTypeOf<Point>();
    expectTypeOf(new Value(Point, [1, 2]).value.y).toEqualTypeOf<number>();
    // @ts-expect-error -- no field z
    new SharedArray(Point, [{ z: 1 }]);
    // @ts-expect-error -- x is a number
    new SharedArray(Point, [['1', 2]]);
  });
});
