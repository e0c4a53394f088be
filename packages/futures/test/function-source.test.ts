// Shipping a method separated from its object is what these tests are about.
/* eslint-disable @typescript-eslint/unbound-method */
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { runInNewContext } from 'node:vm';
import { Worker } from 'node:worker_threads';
import { afterEach, describe, expect, test } from 'vitest';
import {
  addClosureHint,
  CLOSURE_HINT,
  compileFunction,
  functionSource,
  type AnyFunction,
} from '../src/internal/function-source.js';

const RUN_SOURCE = fileURLToPath(new URL('./fixtures/run-source.mjs', import.meta.url));

/** Evaluates a shipped expression in a fresh realm: nothing of this module's scope is there. */
function inFreshContext(fn: AnyFunction): (...args: unknown[]) => unknown {
  return runInNewContext(`'use strict';\n(${functionSource(fn)}\n)`) as (...args: unknown[]) => unknown;
}

const asFunction = (value: unknown): AnyFunction => value as AnyFunction;

describe('functionSource()', () => {
  test('.functionSource() - arrows, function expressions and declarations work in a fresh context', () => {
    function declared(a: number, b: number): number {
      return a * b;
    }
    expect(inFreshContext((n: number) => n + 1)(1)).toBe(2);
    expect(inFreshContext((x: string) => `<${x}>`)('a')).toBe('<a>');
    expect(inFreshContext(declared)(6, 7)).toBe(42);
    expect(inFreshContext(function expression() { return 'named'; })()).toBe('named');
  });

  test('.functionSource() - async functions, generators and async generators work', async () => {
    await expect(inFreshContext(async (n: number) => n * 2)(21)).resolves.toBe(42);
    const generator = inFreshContext(function* count(n: number) {
      for (let i = 0; i < n; i++) yield i;
    })(3) as Iterable<number>;
    expect([...generator]).toEqual([0, 1, 2]);
    const agen = inFreshContext(async function* twice(x: number) {
      yield x;
      yield x;
    })(5) as AsyncIterable<number>;
    const seen: number[] = [];
    for await (const x of agen) seen.push(x);
    expect(seen).toEqual([5, 5]);
  });

  test('.functionSource() - shorthand methods that use no `this` work, with their name', async () => {
    const methods = {
      plain(n: number) {
        return n + 1;
      },
      async later(n: number) {
        return n + 2;
      },
      *gen() {
        yield 'g';
      },
      'quoted key'() {
        return 'q';
      },
      ['a(b'](n: number) {
        return n * 3;
      },
      get(n: number) {
        return n - 1; // a method named `get` is not a getter
      },
    };
    class Static {
      static twice(n: number): number {
        return n * 2;
      }
    }
    expect(functionSource(methods.plain)).toMatch(/^Object\.values\(\{/);
    expect(inFreshContext(methods.plain)(1)).toBe(2);
    expect(inFreshContext(methods.plain).name).toBe('plain');
    await expect(inFreshContext(methods.later)(1)).resolves.toBe(3);
    expect([...(inFreshContext(methods.gen)() as Iterable<string>)]).toEqual(['g']);
    expect(inFreshContext(methods['quoted key'])()).toBe('q');
    expect(inFreshContext(methods['a(b'])(2)).toBe(6);
    expect(inFreshContext(methods.get)(2)).toBe(1);
    expect(inFreshContext(Static.twice)(4)).toBe(8);
  });

  test('.functionSource() - `this` in strings, comments, regexps or nested functions is not a use', () => {
    const fn = (s: string) => {
      // this comment mentions this
      const text = 'this' + "this" + `this ${'this'.length} this`;
      const re = /this/.test(s) ? /[/]this/ : /x/;
      function nested(this: unknown) {
        return this;
      }
      class Inner {
        value = this;
      }
      return [text, re.source, nested.call(1), new Inner().value instanceof Inner, 6 / 2 / 1];
    };
    expect(inFreshContext(fn)('this')).toEqual(['thisthisthis 4 this', '[/]this', 1, true, 3]);
  });

  test('.functionSource() - a method or arrow that uses `this` or `super` is refused', () => {
    const object = {
      factor: 2,
      scale(n: number) {
        return n * this.factor;
      },
      arrow() {
        return () => this.factor;
      },
    };
    class Base {
      greet(): string {
        return 'hi';
      }
    }
    class Derived extends Base {
      override greet(): string {
        return `${super.greet()}!`;
      }
      inTemplate(): string {
        return `${this.constructor.name}`;
      }
    }
    expect(() => functionSource(object.scale)).toThrow(/Cannot send `scale` to a worker: it uses `this`.*static method of an exported class.*tasks.MyClass.method/);
    expect(() => functionSource(object.arrow())).toThrow(/it uses `this`/);
    expect(() => functionSource(Derived.prototype.greet)).toThrow(/it uses `super`/);
    expect(() => functionSource(Derived.prototype.inTemplate)).toThrow(/it uses `this`/);
    // A `function` has its own `this` (undefined when called as a task), so it is not refused.
    expect(() => functionSource(function own(this: unknown) { return this; })).not.toThrow();
  });

  test('.functionSource() - bound functions, classes and accessors are refused, pointing to moduleTasks', () => {
    const bound = function greet(name: string) { return name; }.bind(null);
    expect(() => functionSource(bound)).toThrow(TypeError);
    expect(() => functionSource(bound)).toThrow(/Cannot send `bound greet` to a worker: it is a bound function.*moduleTasks/);
    expect(() => functionSource(Math.max.bind(Math))).toThrow(/bound function/);
    expect(() => functionSource(asFunction(class Thing {}))).toThrow(/`Thing` .* it is a class/);
    const accessors = Object.getOwnPropertyDescriptor({ get size() { return 1; }, set size(_v: number) {} }, 'size');
    expect(() => functionSource(asFunction(accessors?.get))).toThrow(/getter or setter/);
    expect(() => functionSource(asFunction(accessors?.set))).toThrow(/getter or setter/);
    expect(() => functionSource(asFunction('x => x'))).toThrow(/expects a function, got `'x => x'` \(string\)/);
  });

  test('.functionSource() - built-ins go by their global path; other natives are refused', () => {
    expect(functionSource(Math.max)).toBe('Math.max');
    expect(functionSource(JSON.stringify)).toBe('JSON.stringify');
    expect(functionSource(parseInt)).toMatch(/^(Number\.)?parseInt$/);
    expect(inFreshContext(Math.max)(1, 5, 3)).toBe(5);
    const { constructor: AsyncFunction } = Object.getPrototypeOf(async () => {}) as { constructor: AnyFunction };
    expect(() => functionSource(AsyncFunction)).toThrow(/built-in \(native\) function .*moduleTasks/);
    // Only the global object and its namespaces are searched: a prototype method needs `this` anyway.
    expect(() => functionSource([].map as AnyFunction)).toThrow(/Cannot send `map` .*no global name/);
  });

  test('.functionSource() - a source that calls __name (esbuild keepNames, tsx) runs in the worker', () => {
    // What tsx makes of `(n) => { const inner = () => n; return inner(); }`, written by hand.
    const fn = runInNewContext(
      `(n) => { const inner = /* @__PURE__ */ __name(() => n * 2, "inner"); return [inner(), inner.name]; }`,
      { __name: (target: AnyFunction) => target },
    ) as AnyFunction;
    const source = functionSource(fn);
    expect(source).toMatch(/^\(\(__name\) =>/);
    expect(inFreshContext(fn)(21)).toEqual([42, 'inner']);
    expect(compileFunction(source)(1)).toEqual([2, 'inner']);
  });

  test('.functionSource() - a function that captures a variable fails where it runs', () => {
    const outer = 10;
    expect(() => inFreshContext((n: number) => n + outer)(1)).toThrow(/outer is not defined/);
  });
});

describe('compileFunction()', () => {
  test('.compileFunction() - evaluates in strict mode and caches by source text', () => {
    const source = functionSource(function probe(this: unknown) {
      return this;
    });
    const fn = compileFunction(source);
    expect(fn()).toBeUndefined(); // strict: no global `this`
    expect(compileFunction(source)).toBe(fn);
    const leak = compileFunction('() => { leakedGlobal = 1; }');
    expect(() => leak()).toThrow(/leakedGlobal is not defined/);
  });

  test('.compileFunction() - a function that only compiles sloppy is compiled sloppy', () => {
    expect(compileFunction('function (o) { with (o) { return x; } }')({ x: 3 })).toBe(3);
  });

  test("'.functionSource() - Vitest's rewrite of import() gets a helper that imports", () => {
    // Vitest compiles this file with Vite's SSR transform: `import()` below is not what runs.
    const source = functionSource(async () => (await import('node:os')).EOL);
    expect(source).toMatch(/^\(\(__vite_ssr_dynamic_import__\) =>.*\(specifier\) => import\(specifier\)\)$/s);
    // Running it needs a real module as the caller of compileFunction (a worker entry is one;
    // a test module under Vitest is not): see 'in a worker thread' below.
  });

  test('.compileFunction() - frames are named shipped-function', () => {
    const fn = compileFunction('function fails() { throw new Error("x"); }');
    let stack: string | undefined;
    try {
      fn();
    } catch (error) {
      stack = (error as Error).stack;
    }
    expect(stack).toMatch(/at fails \(shipped-function:\d+:\d+\)/);
  });

  test('.compileFunction() - a source that is no function is a TypeError', () => {
    expect(() => compileFunction('42')).toThrow(/did not evaluate to a function, got `42` \(number\)/);
  });
});

describe('addClosureHint()', () => {
  test('.addClosureHint() - a captured name gets the hint, in message and stack', () => {
    const scale = 3;
    const source = functionSource((n: number) => n * scale);
    let caught: unknown;
    try {
      compileFunction(source)(2);
    } catch (error) {
      caught = addClosureHint(error, source);
    }
    expect(caught).toBeInstanceOf(ReferenceError);
    const error = caught as ReferenceError;
    expect(error.message).toBe(`scale is not defined (${CLOSURE_HINT})`);
    expect(error.stack).toMatch(new RegExp(`^ReferenceError: scale is not defined \\(functions sent to a worker`));
    expect(addClosureHint(error, source)).toBe(error);
    expect(error.message).toBe(`scale is not defined (${CLOSURE_HINT})`); // not added twice
  });

  test('.addClosureHint() - other errors are left alone', () => {
    const source = '(n) => n.missing';
    const notNamed = new ReferenceError('elsewhere is not defined');
    expect((addClosureHint(notNamed, source) as Error).message).toBe('elsewhere is not defined');
    const property = new ReferenceError('missing is not defined');
    expect((addClosureHint(property, source) as Error).message).toBe('missing is not defined'); // only `.missing`
    const tdz = new ReferenceError("Cannot access 'n' before initialization");
    expect((addClosureHint(tdz, source) as Error).message).toBe(tdz.message);
    expect(addClosureHint(new TypeError('n is not defined'), source)).toBeInstanceOf(TypeError);
    expect(addClosureHint(undefined, source)).toBeUndefined();
  });

  test('.addClosureHint() - transform helpers and CommonJS names get their own hint', () => {
    const helper = addClosureHint(new ReferenceError('__awaiter is not defined'), 'function () { return __awaiter(this); }');
    expect((helper as Error).message).toMatch(/`__awaiter` looks like a helper that a TypeScript or bundler transform injected/);
    const cjs = addClosureHint(new ReferenceError('require is not defined'), '() => require("fs")');
    expect((cjs as Error).message).toMatch(/CommonJS's `require` does not exist .*`await import\(\)`/);
  });

  test('.compileFunction() - a ReferenceError while compiling gets the hint too', () => {
    expect(() => compileFunction('Object.values({ [KEY]() {} })[0]')).toThrow(/KEY is not defined \(functions sent to a worker/);
  });
});

// The expressions in a real worker thread, evaluated the way the worker side does.
describe('in a worker thread', () => {
  const workers: Worker[] = [];
  afterEach(async () => {
    for (const worker of workers.splice(0)) expect(typeof (await worker.terminate())).toBe('number');
  });

  async function runInWorker(fn: AnyFunction, ...args: unknown[]): Promise<unknown> {
    const worker = new Worker(RUN_SOURCE);
    workers.push(worker);
    worker.postMessage({ source: functionSource(fn), args });
    const [reply] = (await once(worker, 'message')) as [unknown];
    return reply;
  }

  test('functions of every shippable kind run there', async () => {
    const methods = {
      async hash(text: string) {
        const { createHash } = await import('node:crypto');
        return createHash('sha256').update(text).digest('hex').slice(0, 8);
      },
    };
    await expect(runInWorker((a: number, b: number) => a + b, 2, 3)).resolves.toMatchObject({ ok: true, value: 5 });
    await expect(runInWorker(methods.hash, 'abc')).resolves.toMatchObject({ ok: true, value: 'ba7816bf', name: 'hash' });
    await expect(runInWorker(Math.max, 4, 9)).resolves.toMatchObject({ ok: true, value: 9 });
    const named = runInNewContext('(n) => __name(() => n, "inner")()', { __name: (f: AnyFunction) => f }) as AnyFunction;
    await expect(runInWorker(named, 7)).resolves.toMatchObject({ ok: true, value: 7 });
    const viteImport = runInNewContext('async () => (await __vite_ssr_dynamic_import__("node:path")).sep', {
      __vite_ssr_dynamic_import__: () => undefined,
    }) as AnyFunction;
    await expect(runInWorker(viteImport)).resolves.toMatchObject({ ok: true, value: '/' });
  });

  test('a captured variable is a ReferenceError there', async () => {
    const captured = 1;
    await expect(runInWorker(() => captured)).resolves.toMatchObject({ ok: false, name: 'ReferenceError', message: 'captured is not defined' });
  });
});
