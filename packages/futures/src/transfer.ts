/**
 * Results that a worker thread hands back without copying. A task marks the value it
 * returns; the worker's runner finds the mark when it sends the result and transfers the
 * listed objects instead of cloning them.
 *
 * The mark lives in a side table, not in a wrapper: the value a task returns stays the
 * value, so the same task runs unchanged on every executor (in-process executors ignore the
 * mark, process pools copy as they must).
 *
 * @module
 */
import type { TransferListItem } from 'node:worker_threads';
import { describe } from './internal/validate.js';

const marks = new WeakMap<object, readonly TransferListItem[]>();

/**
 * Marks `value`, which a task is about to return, to be transferred rather than copied
 * back to the parent by a {@link WorkerThreadPoolExecutor}: a 10 MB buffer then crosses in
 * microseconds, and is detached (unusable) in the worker afterwards. The counterpart of
 * `submitWith({ transfer })` for results; piscina calls it `move`.
 *
 * Process pools and in-process executors ignore the mark (a process pool must copy).
 *
 * @param value - the result: an ArrayBuffer or a typed array / DataView (its buffer is
 *   transferred), or any object together with an explicit `transferList`.
 * @param transferList - what to transfer; defaults to the buffer of `value`.
 * @returns `value` itself.
 * @throws TypeError when `value` is not an object, or has no buffer and no list is given.
 * @example
 * ```ts
 * // tasks.ts, run on a WorkerThreadPoolExecutor
 * import { transferResult } from '@concurrent/futures';
 * export function render(width: number, height: number): Uint8Array {
 *   const pixels = new Uint8Array(width * height * 4);
 *   // ... fill pixels ...
 *   return transferResult(pixels);
 * }
 * ```
 */
export function transferResult<T extends object>(value: T, transferList?: readonly TransferListItem[]): T {
  if (typeof value !== 'object' || value === null) {
    throw new TypeError(`transferResult() expects an object, got ${describe(value)}`);
  }
  if (transferList !== undefined && !Array.isArray(transferList)) {
    throw new TypeError(`transferResult() expects transferList to be an array, got ${describe(transferList)}`);
  }
  let list = transferList;
  if (list === undefined) {
    if (value instanceof ArrayBuffer) list = [value];
    else if (ArrayBuffer.isView(value) && value.buffer instanceof ArrayBuffer) list = [value.buffer];
    else throw new TypeError(`transferResult() needs a transferList for ${describe(value)}: it has no ArrayBuffer of its own`);
  }
  marks.set(value, list);
  return value;
}

/** Internal: the transfer list a result was marked with, removing the mark. */
export function takeTransferList(value: unknown): readonly TransferListItem[] | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const list = marks.get(value);
  if (list !== undefined) marks.delete(value);
  return list;
}
