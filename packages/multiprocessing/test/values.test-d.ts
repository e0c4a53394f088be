/** The public types of Value, RawValue, SharedArray and RawArray. */
import { describe, expectTypeOf, it } from 'vitest';
import { Lock, RawArray, RawValue, RLock, SharedArray, Value } from '../src/index.js';

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
