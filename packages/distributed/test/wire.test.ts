/**
 * The value codec of the wire: JSON where JSON gives back what structured clone would, v8
 * otherwise, so a value arrives as it would by structured clone either way.
 */
import { describe, expect, it } from 'vitest';
import { decodeValue, encodeValue, isJsonValue } from '../src/wire.js';

const roundTrip = (value: unknown): unknown => decodeValue(encodeValue(value));

describe('encodeValue() / decodeValue()', () => {
  it('encodeValue() - plain data goes as JSON text and comes back equal', () => {
    const values: unknown[] = [0, 1.5, -3, 'text', '', 'a\ud800b', true, null, [1, 'two', [3]], { a: 1, b: { c: [null, false] } }, [], {}];
    for (const value of values) {
      const text = encodeValue(value);
      expect(isJsonValue(text)).toBe(true);
      expect(text).toBe(JSON.stringify(value));
      expect(roundTrip(value)).toStrictEqual(value);
    }
  });

  it('encodeValue() - what JSON would change goes by v8 and comes back as structured clone gives it', () => {
    const shared = { n: 1 };
    const cyclic: { self?: unknown } = {};
    cyclic.self = cyclic;
    const extra = Object.assign([1, 2], { label: 'x' });
    // A hole: index 1 never set.
    const holey: number[] = [];
    holey[0] = 1;
    holey[2] = 3;
    const values: unknown[] = [
      undefined,
      Number.NaN,
      Infinity,
      -0,
      [1, -0],
      2n ** 70n,
      new Date(0),
      new Map([['k', 1]]),
      new Set([1]),
      new Uint8Array([1, 2]),
      holey,
      extra,
      { a: undefined },
      [shared, shared],
      cyclic,
      JSON.parse('{"__proto__": 1}') as unknown,
      Array.from({ length: 1000 }, (_, i) => i),
    ];
    for (const value of values) {
      const text = encodeValue(value);
      expect(isJsonValue(text), String(value)).toBe(false);
      expect(roundTrip(value)).toStrictEqual(structuredClone(value));
    }
    const back = roundTrip([shared, shared]) as object[];
    expect(back[0]).toBe(back[1]);
  });

  it('encodeValue() - takes the value at the call (a later change is not sent)', () => {
    const args = [{ n: 1 }];
    const text = encodeValue(args);
    args[0]!.n = 2;
    expect(decodeValue(text)).toStrictEqual([{ n: 1 }]);
  });

  it('encodeValue() - a class instance, a Proxy and a function are left to v8 (which copies or throws as before)', () => {
    class Point {
      x = 1;
    }
    expect(isJsonValue(encodeValue(new Point()))).toBe(false);
    // Structured clone cannot copy either (JSON would have sent them).
    expect(() => encodeValue(new Proxy({ a: 1 }, {}))).toThrow(/could not be cloned/);
    expect(() => encodeValue({ f: () => 1 })).toThrow(/could not be cloned/);
  });

  it('encodeValue(value, false) - always v8; decodeValue() reads both forms', () => {
    const text = encodeValue({ a: 1 }, false);
    expect(isJsonValue(text)).toBe(false);
    expect(decodeValue(text)).toStrictEqual({ a: 1 });
  });
});
