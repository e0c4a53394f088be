/**
 * Shipping a plain function to a worker by its source text: the parent side
 * ({@link functionSource}) and the worker side ({@link compileFunction},
 * {@link addClosureHint}). Python pickles a function by reference and says "Can't pickle"
 * when it cannot; a JavaScript function has no importable reference, so its text is sent and
 * evaluated again where the task runs, and whatever cannot work that way is refused at
 * `submit` with a TypeError that says why.
 *
 * @module
 */
import { builtinModules } from 'node:module';
import { Script } from 'node:vm';
import { describe } from './validate.js';

/** Any function, whatever its signature: what `submit` may be given. */
export type AnyFunction = (...args: never[]) => unknown;

/** A function rebuilt from shipped source, called with the task's arguments. */
export type CompiledFunction = (...args: unknown[]) => unknown;

const MODULE_TASKS_HINT =
  'export it from a module (a method: as a static method of an exported class) and submit the reference from moduleTasks(new URL(...)) (tasks.fn, or tasks.MyClass.method), which works on every executor';

/** Appended to a worker's `X is not defined` when X is named in the shipped function. */
export const CLOSURE_HINT =
  'functions sent to a worker run without their surrounding scope: a task must be self-contained, or be a module export referenced with moduleTasks()';

// Helpers that a transform writes into function bodies and defines at the top of the module,
// out of the function's reach: esbuild's keepNames (tsx turns it on) wraps nested functions
// and classes in `__name(...)`; Vite's SSR transform (Vitest) turns `import()` into
// `__vite_ssr_dynamic_import__()`. Those that a source calls are bound as parameters around
// the shipped expression, so the source runs unchanged in the worker.
const HELPER_SHIMS: Readonly<Record<string, string>> = {
  __name: '(target, value) => Object.defineProperty(target, "name", { value, configurable: true })',
  __vite_ssr_dynamic_import__: '(specifier) => import(specifier)',
};

const NATIVE_SOURCE = /\{\s*\[native code\]\s*\}$/;
const IDENTIFIER = /^[\p{ID_Start}$_][\p{ID_Continue}$\u200c\u200d]*$/u;
const WORD = /[\p{ID_Start}$_][\p{ID_Continue}$\u200c\u200d]*/uy;

// Expressions by source text: an inline arrow passed to submit() in a loop is a new object
// each time, but the same text. Bounded, so a program that builds functions cannot grow it.
const MAX_CACHED = 256;
const shipped = new Map<string, string>();
const compiled = new Map<string, CompiledFunction>();

function remember<T>(cache: Map<string, T>, key: string, value: T): T {
  cache.set(key, value);
  if (cache.size > MAX_CACHED) cache.delete(cache.keys().next().value as string);
  return value;
}

function refuse(fn: AnyFunction, why: string): TypeError {
  const name = fn.name === '' ? 'this anonymous function' : `\`${fn.name}\``;
  return new TypeError(`Cannot send ${name} to a worker: ${why}. Instead, ${MODULE_TASKS_HINT}.`);
}

/** `true` if `code` compiles as a script. Compiling runs nothing. */
function parses(code: string): boolean {
  try {
    new Script(code);
    return true;
  } catch {
    return false;
  }
}

let builtins: Map<unknown, string> | undefined;

// Python ships `pow` and `math.sqrt` by reference (`executor.map(math.sqrt, ...)` is in its
// docs); the JavaScript counterpart of a reference is the built-in's path from the global
// object, which names the same built-in in the worker's realm. Only data properties are read:
// some of Node's globals are getters that load modules or warn.
function builtinPath(fn: AnyFunction): string | undefined {
  if (builtins === undefined) {
    const paths = new Map<unknown, string>();
    const visit = (owner: object, prefix: string, deep: boolean): void => {
      for (const key of Object.getOwnPropertyNames(owner)) {
        const descriptor = Object.getOwnPropertyDescriptor(owner, key);
        if (descriptor === undefined || !('value' in descriptor) || !IDENTIFIER.test(key)) continue;
        const value = descriptor.value as unknown;
        if (typeof value === 'function' && !paths.has(value) && NATIVE_SOURCE.test(Function.prototype.toString.call(value))) {
          paths.set(value, prefix + key);
        }
        // Namespaces and constructors (Math, JSON, Number, Object...) start with a capital.
        if (deep && /^[A-Z]/.test(key) && ((typeof value === 'object' && value !== null) || typeof value === 'function')) {
          visit(value, `${prefix}${key}.`, false);
        }
      }
    };
    visit(globalThis, '', true);
    builtins = paths;
  }
  return builtins.get(fn);
}

const REGEX_MAY_FOLLOW = new Set(['', 'return', 'typeof', 'instanceof', 'in', 'of', 'new', 'delete', 'void', 'throw', 'case', 'do', 'else', 'yield', 'await']);

/** Index just past the string literal that starts at `i`. */
function skipString(src: string, i: number): number {
  const quote = src[i];
  for (i++; i < src.length && src[i] !== quote && src[i] !== '\n'; i++) if (src[i] === '\\') i++;
  return i + 1;
}

/** Index just past the regular expression literal that starts at `i`. */
function skipRegex(src: string, i: number): number {
  let inClass = false;
  for (i++; i < src.length && src[i] !== '\n'; i++) {
    const c = src[i];
    if (c === '\\') i++;
    else if (c === '[') inClass = true;
    else if (c === ']') inClass = false;
    else if (c === '/' && !inClass) break;
  }
  for (i++; i < src.length && /[a-z]/.test(src[i] ?? ''); i++);
  return i;
}

/**
 * The first `this` or `super` that belongs to the function itself, not to a nested
 * `function` or `class` (which have their own). A small tokenizer is enough here: strings,
 * template literals, comments and regular expressions are skipped; a false alarm (a `this`
 * in an object-literal method nested in an arrow) only refuses a rare function with a
 * clear message, while a miss would ship a function that fails in the worker.
 */
function lexicalThis(src: string): 'this' | 'super' | undefined {
  let i = 0;
  let braces = 0;
  let parens = 0;
  let prev = '';
  let bodyAtParens = -1; // a `function`/`class` keyword was seen; its body `{` comes at this paren depth
  const bodies: number[] = []; // brace depths of the nested bodies we are inside
  const templates: number[] = []; // brace depths of open `${` substitutions
  const template = (): void => {
    for (; i < src.length; i++) {
      if (src[i] === '\\') i++;
      else if (src[i] === '`') break;
      else if (src[i] === '$' && src[i + 1] === '{') {
        templates.push(++braces);
        i += 2;
        prev = '{';
        return;
      }
    }
    i++;
    prev = 'literal';
  };
  while (i < src.length) {
    const c = src[i] ?? '';
    if (/\s/.test(c)) i++;
    else if (c === '/' && src[i + 1] === '/') i = src.includes('\n', i) ? src.indexOf('\n', i) : src.length;
    else if (c === '/' && src[i + 1] === '*') i = src.includes('*/', i + 2) ? src.indexOf('*/', i + 2) + 2 : src.length;
    else if (c === '"' || c === "'") {
      i = skipString(src, i);
      prev = 'literal';
    } else if (c === '`') {
      i++;
      template();
    } else if (c === '/' && (REGEX_MAY_FOLLOW.has(prev) || /^[^\w$)\]]$/u.test(prev))) {
      // After an operator or keyword a slash starts a regular expression; after a value it divides.
      i = skipRegex(src, i);
      prev = 'literal';
    } else {
      WORD.lastIndex = i;
      const word = WORD.exec(src)?.[0];
      if (word !== undefined) {
        i += word.length;
        if (prev !== '.') {
          if ((word === 'this' || word === 'super') && bodies.length === 0) return word;
          if (word === 'function' || word === 'class') bodyAtParens = parens;
        }
        prev = word;
        continue;
      }
      if (c === '(') parens++;
      else if (c === ')') parens--;
      else if (c === '{') {
        braces++;
        if (bodyAtParens === parens) {
          bodies.push(braces);
          bodyAtParens = -1;
        }
      } else if (c === '}') {
        if (templates.at(-1) === braces) {
          templates.pop();
          braces--;
          i++;
          template();
          continue;
        }
        if (bodies.at(-1) === braces) bodies.pop();
        braces--;
      }
      prev = c;
      i++;
    }
  }
  return undefined;
}

function expressionOf(fn: AnyFunction, src: string): string {
  if (/^class\b/.test(src) && !/^class\s*\(/.test(src)) {
    throw refuse(fn, 'it is a class, and a task is called, not constructed; send a function that constructs it');
  }
  const isFunctionKeyword = /^(?:async\s*)?function\b/.test(src);
  // Arrows, function expressions and declarations, async and generator functions.
  let expression = parses(`(${src}\n)`) ? src : undefined;
  if (expression === undefined) {
    if (/^(?:get|set)(?:\s+(?![\s(])|(?=[[#'"]))/.test(src)) {
      throw refuse(fn, 'it is a getter or setter, which runs on its object and has no standalone source');
    }
    // A method written in shorthand (`m() {}`, `async *m() {}`, `'a b'() {}`) is no
    // expression; inside an object literal it is, with the same semantics (a method's name
    // is not a binding in its body, unlike `function m() {}`).
    const literal = `Object.values({\n${src}\n})[0]`;
    if (!parses(`(${literal})`)) {
      const why = lexicalThis(src) === 'super' ? 'it uses `super`, which belongs to its class' : 'its source text is not a function expression';
      throw refuse(fn, why);
    }
    expression = literal;
  }
  const own = isFunctionKeyword ? undefined : lexicalThis(src);
  if (own !== undefined) {
    throw refuse(fn, `it uses \`${own}\`, which refers to an object in this thread; pass what it needs as arguments`);
  }
  const helpers = Object.keys(HELPER_SHIMS).filter((name) => new RegExp(`\\b${name}\\s*\\(`).test(src));
  if (helpers.length === 0) return expression;
  return `((${helpers.join(', ')}) => (${expression}\n))(${helpers.map((name) => HELPER_SHIMS[name]).join(', ')})`;
}

/**
 * The source of a JavaScript expression that evaluates to `fn` in a fresh context, for
 * shipping `fn` to a worker or child process. Plain functions only: `fn` must be
 * self-contained (no captured variables; `import()` inside is fine). Arrows, function
 * expressions and declarations, async functions, generators and shorthand methods that use
 * neither `this` nor `super` work; a built-in reachable from the global object (`Math.max`,
 * `parseInt`, `JSON.stringify`) is shipped by its path.
 *
 * A function whose body calls `__name(...)` (esbuild's keepNames, which tsx enables) or
 * `__vite_ssr_dynamic_import__(...)` (Vitest's rewrite of `import()`) gets that helper bound
 * around it. Free variables are not detected here: the worker reports
 * them as a ReferenceError with {@link CLOSURE_HINT}.
 *
 * @param fn - the function to ship.
 * @returns an expression, for {@link compileFunction} on the other side.
 * @throws TypeError, saying why and pointing to `moduleTasks`, for a bound function, a
 *   built-in without a global path, a class, a getter or setter, and an arrow or method that
 *   uses `this` or `super`; also when `fn` is not a function.
 * @example
 * ```ts
 * functionSource((n: number) => n * 2); // '(n) => n * 2'
 * functionSource(Math.max);             // 'Math.max'
 * functionSource(greet.bind(null));     // throws TypeError: Cannot send `bound greet` to a worker: ...
 * ```
 */
export function functionSource(fn: AnyFunction): string {
  if (typeof fn !== 'function') throw new TypeError(`functionSource() expects a function, got ${describe(fn)}`);
  // Function.prototype.toString, not fn.toString(), which anyone may override.
  const src = Function.prototype.toString.call(fn);
  if (NATIVE_SOURCE.test(src)) {
    if (fn.name.startsWith('bound ')) {
      throw refuse(fn, 'it is a bound function, whose target and bound arguments have no source text; pass the arguments to submit() instead');
    }
    const path = builtinPath(fn);
    if (path === undefined) throw refuse(fn, 'it is a built-in (native) function with no source text and no global name');
    return path;
  }
  return shipped.get(src) ?? remember(shipped, src, expressionOf(fn, src));
}

// Where the frames of a shipped function say they are (`at fib (shipped-function:3:9)`).
const SOURCE_URL = 'shipped-function';

/**
 * Evaluates an expression from {@link functionSource} in this thread and returns the
 * function. Compiled functions are cached by source text (least recently used first out),
 * so repeated submits of the same function compile once.
 *
 * Why `new Function` and not `vm`: both evaluate in this realm's global scope (so the
 * function sees globals and nothing else, and its results are this realm's objects), but in
 * Node 20 only `new Function` code may call `import()` without an experimental `vm` flag
 * or loader callback. The code is compiled in strict mode, as module code is, and
 * `//# sourceURL` names its frames; a function that only compiles sloppy (`with`, legacy
 * octal) is compiled sloppy.
 *
 * Specifiers given to `import()` inside the function resolve as if imported from this
 * library's own file: `node:` built-ins, absolute URLs and packages the library can see work,
 * relative ones do not (pass `new URL('./x.js', import.meta.url).href` as an argument).
 * `import()` needs this file to be loaded as a real module, as a worker entry is; loaded
 * through a `vm`-based module runner (Vitest's, in-process) it fails with
 * `ERR_VM_DYNAMIC_IMPORT_CALLBACK_MISSING`.
 *
 * @param source - an expression made by `functionSource`.
 * @returns the function. Call it, and pass what it throws (or rejects with) through
 *   {@link addClosureHint} with the same `source`.
 * @throws what evaluating `source` throws (with the closure hint added), or a TypeError when
 *   it does not evaluate to a function.
 * @example
 * ```ts
 * const fn = compileFunction(message.source);
 * try { result = await fn(...message.args); } catch (error) { throw addClosureHint(error, message.source); }
 * ```
 */
export function compileFunction(source: string): CompiledFunction {
  const hit = compiled.get(source);
  if (hit !== undefined) {
    compiled.delete(source);
    return remember(compiled, source, hit);
  }
  let fn: unknown;
  try {
    fn = evaluate(source);
  } catch (error) {
    throw addClosureHint(error, source);
  }
  if (typeof fn !== 'function') throw new TypeError(`shipped source did not evaluate to a function, got ${describe(fn)}`);
  return remember(compiled, source, fn as CompiledFunction);
}

function evaluate(source: string): unknown {
  const body = `return (${source}\n);\n//# sourceURL=${SOURCE_URL}`;
  let factory: () => unknown;
  try {
    // eslint-disable-next-line @typescript-eslint/no-implied-eval -- evaluating shipped source is the point; see compileFunction
    factory = new Function(`'use strict';\n${body}`) as () => unknown;
  } catch (error) {
    if (!(error instanceof SyntaxError)) throw error;
    // eslint-disable-next-line @typescript-eslint/no-implied-eval -- the same, for a function written in sloppy mode
    factory = new Function(body) as () => unknown;
  }
  return factory();
}

const COMMONJS_NAMES = new Set(['require', 'module', 'exports', '__dirname', '__filename']);

/** Node's built-in modules by their bare names (`fs`, `crypto`, `child_process`). */
const NODE_MODULES = new Set(builtinModules.filter((name) => /^[a-z][a-z0-9_]*$/.test(name)));

/** `true` if `name` appears in `fnSource` as a whole identifier (not as `.name`) or, with `member`, as `name.member`. */
function mentions(fnSource: string, name: string, member?: string): boolean {
  const escape = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const pattern = member === undefined ? escape(name) : `${escape(name)}\\s*\\.\\s*${escape(member)}`;
  return new RegExp(`(?<![\\p{ID_Continue}$.])${pattern}(?![\\p{ID_Continue}$])`, 'u').test(fnSource);
}

/** How to load Node's module `name` inside a shipped function. */
function importHint(name: string): string {
  return `write \`const ${name} = await import('node:${name}')\` inside the function`;
}

/**
 * The hint for an error of a shipped function, or `undefined` when the error is not one of
 * the mistakes of shipping (an error from code the function called is left alone: the name
 * must appear in the function's own source).
 */
function shippingHint(error: Error, fnSource: string): string | undefined {
  if (error instanceof ReferenceError) {
    const name = /^(\S+) is not defined$/.exec(error.message)?.[1];
    if (name === undefined || !mentions(fnSource, name)) return undefined;
    if (/^__[a-z]/i.test(name)) {
      return `\`${name}\` looks like a helper that a TypeScript or bundler transform injected into the function; it does not exist in the worker, so ${MODULE_TASKS_HINT}`;
    }
    if (COMMONJS_NAMES.has(name)) {
      return `CommonJS's \`${name}\` does not exist where shipped functions run: use \`await import()\` inside the function; ${CLOSURE_HINT}`;
    }
    // `import fs from 'node:fs'` at the top of the caller's module: the name is gone here.
    if (NODE_MODULES.has(name)) return `${CLOSURE_HINT}; for Node's \`${name}\` module, ${importHint(name)}`;
    return CLOSURE_HINT;
  }
  if (error instanceof TypeError) {
    // `import crypto from 'node:crypto'` in the caller's module, then `crypto.createHash()`:
    // in the worker `crypto` is the global of that name (WebCrypto), which has no such member.
    const [, name, member] = /^([\p{ID_Start}$_][\p{ID_Continue}$]*)\.([\p{ID_Start}$_][\p{ID_Continue}$]*) is not a (?:function|constructor)$/u.exec(error.message) ?? [];
    if (name === undefined || member === undefined || !NODE_MODULES.has(name) || !(name in globalThis)) return undefined;
    if (!mentions(fnSource, name, member)) return undefined;
    const what = name === 'crypto' ? 'the global `crypto` (WebCrypto)' : `the global \`${name}\``;
    return `\`${name}\` here is ${what}, not Node's \`node:${name}\` module: a shipped function keeps none of its module's imports, so ${importHint(name)}`;
  }
  return undefined;
}

/**
 * Adds a hint to the errors that come from shipping a function without its scope, when the
 * name at fault appears in the function's own source (so an error from code the function
 * called is left alone):
 * - `ReferenceError: X is not defined`: the function used a variable or import of its
 *   module; a bundler/TypeScript helper (`__awaiter`), a CommonJS name (`require`) and a
 *   Node module name (`fs`: `await import('node:fs')` inside) get a more specific hint;
 * - `TypeError: X.Y is not a function` where `X` is both a Node module and a global of
 *   another shape (`crypto.createHash`: the global `crypto` is WebCrypto): the module was
 *   imported where the function was written, and the worker found the global instead.
 *
 * @param error - what the shipped function threw.
 * @param fnSource - the expression it was compiled from.
 * @returns `error` with the hint in its `message` and `stack` (or a new error of the same
 *   built-in class with `error` as `cause` when `error` cannot be changed); anything else
 *   unchanged.
 * @example
 * ```ts
 * catch (error) { reply({ error: serializeError(addClosureHint(error, source)) }); }
 * ```
 */
export function addClosureHint(error: unknown, fnSource: string): unknown {
  if (!(error instanceof ReferenceError || error instanceof TypeError)) return error;
  const hint = shippingHint(error, fnSource);
  if (hint === undefined) return error;
  const message = `${error.message} (${hint})`;
  try {
    // Read the stack first: V8 formats it lazily, from the message at the time of first read.
    const { stack } = error;
    const header = `${error.name}: ${error.message}`;
    error.message = message;
    if (stack?.startsWith(header) === true) error.stack = `${error.name}: ${message}${stack.slice(header.length)}`;
    return error;
  } catch {
    return error instanceof TypeError ? new TypeError(message, { cause: error }) : new ReferenceError(message, { cause: error });
  }
}
