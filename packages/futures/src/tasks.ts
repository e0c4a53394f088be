import { isAbsolute } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe } from './internal/validate.js';

// Registered (Symbol.for) so that TaskRefs made by another copy of this package still count.
const TASK_REF = Symbol.for('@concurrent/futures.TaskRef');
declare const signature: unique symbol;

/**
 * A reference to an exported function of a module: `module` (a URL) and `name` (the export).
 * Every executor accepts it: the thread pool imports the module in-process, worker and
 * process pools import it in the worker. Made by {@link moduleTasks}.
 *
 * The type parameters carry the function's argument tuple `A` and result `R`, so `submit`
 * checks arguments and infers the future's type.
 */
export interface TaskRef<A extends unknown[] = unknown[], R = unknown> {
  /** The module's URL (`file:`, `data:`, ...). */
  readonly module: string;
  /** The export's name (`'default'` for the default export). */
  readonly name: string;
  /** Type-level only: the function's signature. */
  readonly [signature]?: (...args: A) => R;
}

/** Anything an executor runs: a function, or a {@link TaskRef} to a module's export. */
export type Task<A extends unknown[], R> = ((...args: A) => R) | TaskRef<A, R>;

/** A function of any signature, for type-level tests of a module's exports. */
type AnyFunction = (...args: never[]) => unknown;

/** A class: its static methods are tasks too (`tasks.MyClass.method`). */
type AnyClass = abstract new (...args: never[]) => unknown;

/** The typed `TaskRef`s of the function-valued members of `T` (a class's static methods). */
export type MemberTasks<T> = {
  readonly [K in keyof T as K extends string ? (T[K] extends AnyFunction ? K : never) : never]: T[K] extends (...args: infer A extends unknown[]) => infer R
    ? TaskRef<A, R>
    : never;
};

/**
 * The typed `TaskRef`s of a module's exported functions (what {@link moduleTasks} returns),
 * and of the static methods of its exported classes.
 */
export type ModuleTasks<M> = {
  readonly [K in keyof M as K extends string ? (M[K] extends AnyFunction | AnyClass ? K : never) : never]: M[K] extends (
    ...args: infer A extends unknown[]
  ) => infer R
    ? TaskRef<A, R>
    : MemberTasks<M[K]>;
};

/** `true` if `value` is a {@link TaskRef}. @example `isTaskRef(tasks.fib) // true` */
export function isTaskRef(value: unknown): value is TaskRef {
  return typeof value === 'object' && value !== null && (value as { [TASK_REF]?: unknown })[TASK_REF] === true;
}

/** Internal: the TypeError every executor throws for something it cannot run. */
export function checkTask(fn: unknown, what = 'submit()'): void {
  if (typeof fn !== 'function' && !isTaskRef(fn)) {
    throw new TypeError(`${what} expects a function or a TaskRef from moduleTasks(), got ${describe(fn)}`);
  }
}

function moduleHref(url: unknown): string {
  if (url instanceof URL) return url.href;
  if (typeof url === 'string') {
    // A scheme of two or more letters: a Windows drive letter (C:\) is a path, not a URL.
    if (/^[a-z][a-z0-9+.-]+:/i.test(url)) return new URL(url).href;
    if (isAbsolute(url)) return pathToFileURL(url).href;
    throw new TypeError(
      `moduleTasks() needs an absolute URL or path, got the relative ${describe(url)}: use new URL('./module.js', import.meta.url)`,
    );
  }
  throw new TypeError(`moduleTasks() expects a URL or an absolute path, got ${describe(url)}`);
}

/**
 * Typed references to the exported functions of a module, for any executor.
 *
 * No module is imported here: each property read makes (and caches) a {@link TaskRef}; the
 * executor imports the module where the task runs. Pass the module's type, so that `submit`
 * checks arguments and infers results.
 *
 * @param url - the module: a `URL` (best: `new URL('./tasks.js', import.meta.url)`), an
 *   absolute URL string, or an absolute file path.
 * @returns one `TaskRef` per exported function of `M`.
 * @throws TypeError for a relative path or a value that is not a URL.
 * @example
 * ```ts
 * const tasks = moduleTasks<typeof import('./tasks.js')>(new URL('./tasks.js', import.meta.url));
 * const f = executor.submit(tasks.fib, 30); // Future<number>; tasks.fib('x') would not compile
 * ```
 */
export function moduleTasks<M>(url: URL | string): ModuleTasks<M> {
  const module = moduleHref(url);
  return new Proxy(Object.freeze({}) as ModuleTasks<M>, {
    get(_target, name) {
      // `then` must stay undefined, or `await moduleTasks(...)` would treat this as a promise.
      if (typeof name !== 'string' || name === 'then') return undefined;
      return taskRef(module, name);
    },
  });
}

/** Every TaskRef made in this thread, by module and name: one object per task. */
const refs = new Map<string, TaskRef>();

/**
 * The prototype of every TaskRef: reading a member that the ref does not have (`tasks.Fib.fib`)
 * gives the ref of that member of the export (a static method), named `Fib.fib`. A proxy in the
 * prototype rather than around the ref, so that a ref stays a plain object that structured
 * clone copies (a Proxy cannot be cloned). `Object.prototype`'s members keep their meaning.
 */
const MEMBERS: object = new Proxy(Object.create(null) as object, {
  get(_target, key, receiver: TaskRef) {
    if (typeof key !== 'string' || key === 'then' || key === 'toJSON') return undefined;
    if (key in Object.prototype) return Reflect.get(Object.prototype, key, receiver) as unknown;
    return taskRef(receiver.module, `${receiver.name}.${key}`);
  },
});

function taskRef(module: string, name: string): TaskRef {
  const key = `${name}\0${module}`;
  let ref = refs.get(key);
  if (ref === undefined) {
    ref = Object.freeze(Object.assign(Object.create(MEMBERS) as TaskRef, { module, name, [TASK_REF]: true }));
    refs.set(key, ref);
  }
  return ref;
}

/** A module's exported function, as loaded where the task runs. */
type LoadedFunction = (...args: unknown[]) => unknown;

const loaded = new Map<string, LoadedFunction>();

/**
 * Internal: the function a TaskRef names, imported in this thread. Sync when already loaded,
 * so the thread pool's hot path pays no extra tick.
 *
 * @throws an Error naming the module when it cannot be imported, a TypeError naming the
 *   module and export when the export is not a function.
 */
export function loadTaskRef(ref: TaskRef): LoadedFunction | Promise<LoadedFunction> {
  const key = `${ref.name}\0${ref.module}`;
  const fn = loaded.get(key);
  if (fn !== undefined) return fn;
  return importTaskRef(ref, key);
}

async function importTaskRef(ref: TaskRef, key: string): Promise<LoadedFunction> {
  let namespace: Record<string, unknown>;
  try {
    namespace = (await import(ref.module)) as Record<string, unknown>;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const wrapped = new Error(`cannot import task module ${ref.module} (for its export ${JSON.stringify(ref.name)}): ${message}`, {
      cause: error,
    });
    const code = (error as { code?: unknown } | null)?.code;
    if (code !== undefined) Object.assign(wrapped, { code });
    throw wrapped;
  }
  const fn = exported(namespace, ref);
  loaded.set(key, fn);
  return fn;
}

/**
 * The function `ref` names in a module's namespace: an export (`fib`), or a member of one
 * (`Fib.fib`, a static method, called with its class as `this`). An export whose own name
 * has a dot is found first.
 */
function exported(namespace: Record<string, unknown>, ref: TaskRef): LoadedFunction {
  const where = `task module ${ref.module}`;
  let value: unknown = namespace[ref.name];
  let owner: unknown;
  if (value === undefined && ref.name.includes('.')) {
    const [first, ...members] = ref.name.split('.');
    value = namespace[first as string];
    let path = first as string;
    for (const member of members) {
      if ((typeof value !== 'object' && typeof value !== 'function') || value === null) {
        throw new TypeError(`${JSON.stringify(path)} of ${where} has no member ${JSON.stringify(member)} (it is ${describe(value)})`);
      }
      owner = value;
      value = (value as Record<string, unknown>)[member];
      path = `${path}.${member}`;
    }
  }
  if (typeof value !== 'function') {
    const what = ref.name.includes('.') && namespace[ref.name] === undefined ? `member ${JSON.stringify(ref.name)}` : `export ${JSON.stringify(ref.name)}`;
    throw new TypeError(`${what} of ${where} is not a function (got ${describe(value)})`);
  }
  const fn = value as LoadedFunction;
  return owner === undefined ? fn : fn.bind(owner);
}
