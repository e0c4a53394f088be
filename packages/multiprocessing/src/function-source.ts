/**
 * Shipping a `Process` target that is a plain function: its source text is sent to the
 * child and evaluated there. The function must be self-contained (no captured variables;
 * `import()` inside is fine). What has no usable source (a bound or native function, a
 * class, a method that uses `this`) is refused with a TypeError that points to
 * `moduleTasks()`, the way that always works.
 *
 * (`@concurrent/futures` has a fuller version of this for its executors, which it does not
 * export; this one covers what a Process target needs.)
 *
 * @module
 */
import { Script } from 'node:vm';

const NATIVE_SOURCE = /\{\s*\[native code\]\s*\}$/;

// Helpers a transform writes into function bodies and defines out of the function's reach:
// esbuild's keepNames (tsx) wraps nested functions in `__name(...)`; Vite's SSR transform
// (Vitest) turns `import()` into `__vite_ssr_dynamic_import__()`. Those a source calls are
// bound around it, so it runs unchanged in the child (as @concurrent/futures does).
const HELPER_SHIMS: Readonly<Record<string, string>> = {
  __name: '(target, value) => Object.defineProperty(target, "name", { value, configurable: true })',
  __vite_ssr_dynamic_import__: '(specifier) => import(specifier)',
};

function withHelpers(src: string, expression: string): string {
  const helpers = Object.keys(HELPER_SHIMS).filter((name) => new RegExp(`\\b${name}\\s*\\(`).test(src));
  if (helpers.length === 0) return expression;
  return `((${helpers.join(', ')}) => (${expression}\n))(${helpers.map((name) => HELPER_SHIMS[name]).join(', ')})`;
}
const HINT = 'export it from a module and pass the reference from moduleTasks(new URL(...)) as the target';

function parses(code: string): boolean {
  try {
    new Script(code);
    return true;
  } catch {
    return false;
  }
}

function refuse(fn: (...args: never[]) => unknown, why: string): TypeError {
  const name = fn.name === '' ? 'this anonymous function' : `\`${fn.name}\``;
  return new TypeError(`Cannot send ${name} to a child process: ${why}. Instead, ${HINT}.`);
}

/**
 * An expression that evaluates to `fn` in a fresh module scope.
 *
 * @throws TypeError for what cannot be shipped, saying why.
 */
export function functionSource(fn: (...args: never[]) => unknown): string {
  const src = Function.prototype.toString.call(fn);
  if (NATIVE_SOURCE.test(src)) {
    throw refuse(fn, fn.name.startsWith('bound ') ? 'it is a bound function, which has no source text' : 'it is a built-in function with no source text');
  }
  if (/^class\b/.test(src)) throw refuse(fn, 'it is a class');
  if (parses(`(${src}\n)`)) {
    // An arrow's `this` is the surrounding one, which does not exist in the child.
    if (!/^(?:async\s*)?function\b/.test(src) && /\bthis\b/.test(src)) {
      throw refuse(fn, 'it uses `this`, which refers to an object in this process');
    }
    return withHelpers(src, src);
  }
  // A method in shorthand (`run() {}`) is an expression inside an object literal.
  const literal = `Object.values({\n${src}\n})[0]`;
  if (parses(`(${literal})`)) {
    if (/\b(?:this|super)\b/.test(src)) throw refuse(fn, 'it is a method that uses `this` or `super`');
    return withHelpers(src, literal);
  }
  throw refuse(fn, 'its source text is not a function expression');
}

/** Evaluates what {@link functionSource} made (in the child). */
export function compileFunction(source: string): (...args: unknown[]) => unknown {
  // eslint-disable-next-line @typescript-eslint/no-implied-eval -- evaluating shipped source is the point
  const factory = new Function(`'use strict';\nreturn (${source}\n);\n//# sourceURL=process-target`) as () => unknown;
  const fn = factory();
  if (typeof fn !== 'function') throw new TypeError('the shipped target did not evaluate to a function');
  return fn as (...args: unknown[]) => unknown;
}
