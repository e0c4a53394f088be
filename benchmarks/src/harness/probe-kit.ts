// Helpers for the code that runs inside a child: reading parameters, forcing GC, timing.
import type { Params } from './types.js';

/** A required numeric parameter. */
export function numberParam(params: Params, name: string): number {
  const value = params[name];
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new TypeError(`parameter \`${name}\` must be a finite number, got ${JSON.stringify(value)}`);
  }
  return value;
}

/** A required parameter that is a comma-separated list of numbers (`'100000,500000'`). */
export function numberListParam(params: Params, name: string): number[] {
  const value = params[name];
  const list = typeof value === 'string' ? value.split(',').map(Number) : [];
  if (list.length === 0 || !list.every(Number.isFinite)) {
    throw new TypeError(`parameter \`${name}\` must be a comma-separated list of numbers, got ${JSON.stringify(value)}`);
  }
  return list;
}

/**
 * Runs a full, compacting GC (twice: the first pass can leave work the second finishes).
 *
 * @throws Error if node was started without `--expose-gc` (children always are).
 */
export function forceGc(): void {
  const gc = globalThis.gc;
  if (gc === undefined) throw new Error('run node with --expose-gc');
  gc();
  gc();
}

/** `heapUsed` right after a forced GC: what is actually retained. */
export function retainedHeap(): number {
  forceGc();
  return process.memoryUsage().heapUsed;
}
