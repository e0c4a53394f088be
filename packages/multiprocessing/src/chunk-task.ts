/**
 * A task that runs a whole map chunk inside a worker: `Pool` submits it for chunks of a
 * `TaskRef`, so a chunk crosses as one task with one array of results, instead of going
 * through the executor's per-item map iterator (see `chunks.ts` for why).
 *
 * It runs where the pool's workers run (imported by the child from `dist`), so it must stay
 * free of anything but Node built-ins.
 *
 * @module
 */

type Callable = (...args: unknown[]) => unknown;

const loaded = new Map<string, Callable>();

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (typeof value === 'object' || typeof value === 'function') && value !== null && typeof (value as { then?: unknown }).then === 'function';
}

async function load(module: string, name: string, key: string): Promise<Callable> {
  let namespace: Record<string, unknown>;
  try {
    namespace = (await import(module)) as Record<string, unknown>;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new Error(`cannot import task module ${module} (for its export ${JSON.stringify(name)}): ${message}`, { cause: error });
  }
  const fn = namespace[name];
  if (typeof fn !== 'function') throw new TypeError(`export ${JSON.stringify(name)} of task module ${module} is not a function`);
  loaded.set(key, fn as Callable);
  return fn as Callable;
}

/** Calls items from `start` on, awaiting a result only when it is a promise. */
async function finish(fn: Callable, items: readonly unknown[], star: boolean, out: unknown[], start: number, pending: PromiseLike<unknown>): Promise<unknown[]> {
  out[start] = await pending;
  for (let i = start + 1; i < items.length; i++) {
    const value = star ? fn(...(items[i] as unknown[])) : fn(items[i]);
    out[i] = isThenable(value) ? await value : value;
  }
  return out;
}

function callAll(fn: Callable, items: readonly unknown[], star: boolean): unknown[] | Promise<unknown[]> {
  const out = new Array<unknown>(items.length);
  for (let i = 0; i < items.length; i++) {
    const value = star ? fn(...(items[i] as unknown[])) : fn(items[i]);
    if (isThenable(value)) return finish(fn, items, star, out, i, value);
    out[i] = value;
  }
  return out;
}

/**
 * Runs export `name` of `module` over `items` (argument arrays when `star`), one after the
 * other, and returns the values in order; the first item that throws fails the chunk with
 * its error, as a chunk fails in CPython. Synchronous once the module is loaded and while
 * the function returns plain values, so the worker answers without extra awaits.
 */
export function runChunk(module: string, name: string, items: readonly unknown[], star: boolean): unknown[] | Promise<unknown[]> {
  const key = `${name}\0${module}`;
  const fn = loaded.get(key);
  if (fn !== undefined) return callAll(fn, items, star);
  return load(module, name, key).then((f) => callAll(f, items, star));
}
