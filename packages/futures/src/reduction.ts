/**
 * How an object that must stay *one* object (a queue, a pipe end, a lock) travels to another
 * thread or process: instead of being copied by structured clone, it is *reduced* to plain
 * data naming a module and one of its exports, and *revived* by that export where it lands,
 * into a working handle to the same object. Python's `multiprocessing.reduction` and
 * `copyreg`, for the @concurrent packages (see docs/decisions: objects that travel by reduction).
 *
 * ```
 *  sender                                          receiver (worker thread, child process)
 *  submit(fn, { q })                                runner, before fn runs
 *    reduceValue ─▶ { q: { '@concurrent/reduced':    ─▶ reviveValue ─▶ import(module)[reviver](state)
 *                        { module, reviver, state } } }                 ─▶ fn({ q: <live handle> })
 * ```
 *
 * A reducible is found anywhere inside arrays and plain objects (not inside Maps, Sets or
 * class instances, which structured clone would copy anyway). Nothing is walked until some
 * reducible class has announced itself in this thread ({@link enableReduction}), so programs
 * that share no such object pay nothing.
 *
 * @module
 */

/** The method by which an object says how it travels (see {@link Reducible}). */
export const REDUCE: unique symbol = Symbol.for('@concurrent/futures.reduce');

/** The key of the plain object that stands for a reduced object on the wire. */
const MARK = '@concurrent/reduced';

/** Where a value is going. */
export type Destination = 'thread' | 'process';

/** What a reducible becomes on the wire. */
export interface Reduction {
  /** The URL of a module that the destination can import (a `file:` URL of built JavaScript). */
  readonly module: string;
  /** The name of its export that takes `state` and returns the live object (or a promise of it). */
  readonly reviver: string;
  /** Plain data: structured-clonable, and JSON-able for `serialization: 'json'`. */
  readonly state: unknown;
}

/** An object that travels by reduction rather than by copy. */
export interface Reducible {
  /** @throws to refuse to travel (a closed handle, say): the task or process fails with it. */
  [REDUCE](destination: Destination): Reduction;
}

/**
 * Set once some reducible class announced itself. On globalThis, under a registered symbol,
 * so that every copy of this module in the thread (a second install, src beside dist) sees it.
 */
const ENABLED = Symbol.for('@concurrent/futures.reduction-enabled');
const flags = globalThis as { [ENABLED]?: boolean };

/** Called by a reducible class (e.g. when its module loads), to switch the walk on. */
export function enableReduction(): void {
  flags[ENABLED] = true;
}

function isReducible(value: object): value is Reducible {
  return typeof (value as Partial<Reducible>)[REDUCE] === 'function';
}

function isPlain(value: object): boolean {
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/**
 * `value` with every reducible inside replaced by its wire form, or `undefined` if there was
 * none (then `value` travels as it is).
 *
 * @throws whatever a reducible's {@link REDUCE} method throws.
 */
export function reduceValue(value: unknown, destination: Destination): { readonly value: unknown } | undefined {
  if (flags[ENABLED] !== true) return undefined;
  const done = new Map<object, unknown>();
  let found = false;
  const walk = (node: unknown): unknown => {
    if (typeof node !== 'object' || node === null) {
      if (typeof node === 'function' && isReducible(node)) {
        found = true;
        return { [MARK]: node[REDUCE](destination) };
      }
      return node;
    }
    const seen = done.get(node);
    if (seen !== undefined || done.has(node)) return seen ?? node;
    if (isReducible(node)) {
      found = true;
      const marker = { [MARK]: node[REDUCE](destination) };
      done.set(node, marker);
      return marker;
    }
    if (Array.isArray(node)) {
      // A cycle back to this array keeps the original until the copy is known.
      done.set(node, node);
      let copy: unknown[] | undefined;
      node.forEach((item: unknown, i) => {
        const reduced = walk(item);
        if (reduced !== item) (copy ??= node.slice())[i] = reduced;
      });
      done.set(node, copy ?? node);
      return copy ?? node;
    }
    if (!isPlain(node)) return node;
    done.set(node, node);
    let copy: Record<string, unknown> | undefined;
    for (const [key, item] of Object.entries(node)) {
      const reduced = walk(item);
      if (reduced !== item) (copy ??= { ...node })[key] = reduced;
    }
    done.set(node, copy ?? node);
    return copy ?? node;
  };
  const result = walk(value);
  return found ? { value: result } : undefined;
}

const modules = new Map<string, Promise<Record<string, unknown>>>();

function isMarker(value: object): value is { readonly [MARK]: Reduction } {
  return Object.hasOwn(value, MARK);
}

async function revive({ module, reviver, state }: Reduction): Promise<unknown> {
  let loading = modules.get(module);
  if (loading === undefined) {
    loading = import(module) as Promise<Record<string, unknown>>;
    modules.set(module, loading);
  }
  const fn = (await loading)[reviver];
  if (typeof fn !== 'function') throw new TypeError(`@concurrent/futures: ${module} has no reviver "${reviver}"`);
  return (fn as (state: unknown) => unknown)(state);
}

/**
 * `value` with every wire form made by {@link reduceValue} revived into its live object, in
 * place (the value was just deserialized: nobody else holds it).
 *
 * @throws (rejects) when a reviver's module cannot be imported or its reviver fails.
 */
export async function reviveValue(value: unknown): Promise<unknown> {
  const pending: Promise<void>[] = [];
  const seen = new Set<object>();
  // One object on the wire (the same handle twice in the arguments) is revived once, and
  // every place that held it gets that one live object.
  const revived = new Map<object, Promise<unknown>>();
  const walk = (node: unknown, set: (revived: unknown) => void): void => {
    if (typeof node !== 'object' || node === null) return;
    if (isMarker(node)) {
      let live = revived.get(node);
      if (live === undefined) {
        live = revive(node[MARK]);
        revived.set(node, live);
      }
      pending.push(live.then(set));
      return;
    }
    if (seen.has(node)) return;
    seen.add(node);
    if (Array.isArray(node)) {
      node.forEach((item: unknown, i) => walk(item, (revived) => (node[i] = revived)));
    } else if (isPlain(node)) {
      const record = node as Record<string, unknown>;
      for (const [key, item] of Object.entries(record)) walk(item, (revived) => (record[key] = revived));
    }
  };
  let result = value;
  walk(value, (revived) => (result = revived));
  await Promise.all(pending);
  return result;
}
