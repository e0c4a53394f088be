/**
 * How an object that must stay *one* object (a queue, a pipe end, a lock) travels to another
 * thread or process: instead of being copied by structured clone, it is *reduced* to plain
 * data naming a module and one of its exports, and *revived* by that export where it lands,
 * into a working handle to the same object. Python's `multiprocessing.reduction` and
 * `copyreg`, for the @concurrent packages (decision 0014).
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
import { randomUUID } from 'node:crypto';

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

/** Whether a reducible is reachable from `value` (through arrays and plain objects). */
function containsReducible(value: unknown): boolean {
  const seen = new Set<object>();
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const node = stack.pop();
    if (typeof node === 'function' && isReducible(node)) return true;
    if (typeof node !== 'object' || node === null || seen.has(node)) continue;
    seen.add(node);
    if (isReducible(node)) return true;
    if (Array.isArray(node)) stack.push(...(node as readonly unknown[]));
    else if (isPlain(node)) stack.push(...Object.values(node as Record<string, unknown>));
  }
  return false;
}

/**
 * `value` with every reducible inside replaced by its wire form, or `undefined` if there was
 * none (then `value` travels as it is). The wire forms carry `key`, a fresh random string
 * that the receiver must be given ({@link reviveValue}): data that merely looks like a wire
 * form (parsed from untrusted JSON, say) is never revived, so it can never name a module to
 * import.
 *
 * The arrays and plain objects around the reducibles are copied, cycles and shared
 * references included, so the caller's value is left as it was.
 *
 * @throws whatever a reducible's {@link REDUCE} method throws.
 */
export function reduceValue(value: unknown, destination: Destination): { readonly value: unknown; readonly key: string } | undefined {
  if (flags[ENABLED] !== true || !containsReducible(value)) return undefined;
  const key = randomUUID();
  const copies = new Map<object, unknown>();
  const reduce = (reducible: Reducible): object => ({ [MARK]: { ...reducible[REDUCE](destination), key } });
  const walk = (node: unknown): unknown => {
    if (typeof node === 'function') return isReducible(node) ? reduce(node) : node;
    if (typeof node !== 'object' || node === null) return node;
    if (copies.has(node)) return copies.get(node);
    if (isReducible(node)) {
      const marker = reduce(node);
      copies.set(node, marker);
      return marker;
    }
    if (Array.isArray(node)) {
      // Registered before its items are walked, so that a cycle back to it finds the copy.
      const copy = new Array<unknown>(node.length);
      copies.set(node, copy);
      node.forEach((item: unknown, i) => (copy[i] = walk(item)));
      return copy;
    }
    if (!isPlain(node)) return node;
    const copy = Object.create(Object.getPrototypeOf(node) as object | null) as Record<string, unknown>;
    copies.set(node, copy);
    for (const [name, item] of Object.entries(node)) copy[name] = walk(item);
    return copy;
  };
  return { value: walk(value), key };
}

const modules = new Map<string, Promise<Record<string, unknown>>>();

/** A wire form made by {@link reduceValue} with `key`. */
function isMarker(value: object, key: string): value is { readonly [MARK]: Reduction } {
  if (!Object.hasOwn(value, MARK)) return false;
  const reduction = (value as Record<string, unknown>)[MARK];
  return typeof reduction === 'object' && reduction !== null && (reduction as { key?: unknown }).key === key;
}

async function revive({ module, reviver, state }: Reduction, allow: ((module: string, reviver: string) => boolean) | undefined): Promise<unknown> {
  // Checked before the import: a peer that may not run code here (a manager's client) must
  // not be able to name a module to load.
  if (allow !== undefined && (typeof module !== 'string' || typeof reviver !== 'string' || !allow(module, reviver))) {
    throw new TypeError(`@concurrent/futures: a value named a reviver that may not be run here: ${JSON.stringify(module)} ${JSON.stringify(reviver)}`);
  }
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
 * `value` with every wire form made by {@link reduceValue} with `key` revived into its live
 * object, in place (the value was just deserialized: nobody else holds it). `key` is the one
 * reduceValue returned: a look-alike without it stays plain data.
 *
 * `allow`, when given, is asked about each module and reviver before the module is imported; a
 * pair it refuses fails the revival.
 *
 * @throws (rejects) when a reviver's module cannot be imported (or is not allowed) or its reviver fails.
 */
export async function reviveValue(value: unknown, key: string, allow?: (module: string, reviver: string) => boolean): Promise<unknown> {
  const pending: Promise<void>[] = [];
  const seen = new Set<object>();
  // One object on the wire (the same handle twice in the arguments) is revived once, and
  // every place that held it gets that one live object.
  const revived = new Map<object, Promise<unknown>>();
  const walk = (node: unknown, set: (revived: unknown) => void): void => {
    if (typeof node !== 'object' || node === null) return;
    if (isMarker(node, key)) {
      let live = revived.get(node);
      if (live === undefined) {
        live = revive(node[MARK], allow);
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
