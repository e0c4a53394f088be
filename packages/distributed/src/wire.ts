/**
 * What a job carries, and what comes back: the task as a name a worker host can import (or a
 * function's source, as the pools ship one), the arguments and the result as JSON text when
 * JSON carries them exactly, else as v8's structured clone in base64 (BullMQ stores JSON; a
 * Map, a BigInt or a Date survives this way), and a failure as the pools' error codec in the
 * job's `failedReason`, so its class, message, code, cause and stack reach the caller.
 *
 * @module
 */
import { isAbsolute, relative, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { isProxy } from 'node:util/types';
import { deserialize, serialize } from 'node:v8';
import { isTaskRef, moduleTasks, type Task, type TaskRef } from '@concurrent/futures';
import { deserializeError, serializeError, toTaskSpec } from '@concurrent/futures/internal';

/** A task on the wire: a module path under the worker's root and an export, or a function's source. */
export type TaskWire = { readonly path: string; readonly name: string } | { readonly source: string };

/** A job's data: one call, or a batch of calls (a `map` chunk). */
export type JobData =
  | {
      /** Format version. */
      readonly c: 1;
      readonly task: TaskWire;
      /** The argument array, as {@link encodeValue} writes it. */
      readonly args: string;
    }
  | {
      readonly c: 1;
      readonly task: TaskWire;
      /** The argument arrays of each call, as {@link encodeValue} writes them. */
      readonly batch: string;
    };

/** A job's return value: the value of one call, or the outcome of each call of a batch. */
export type JobResult =
  | {
      readonly c: 1;
      /** The value, as {@link encodeValue} writes it. */
      readonly value: string;
    }
  | {
      readonly c: 1;
      /** The {@link Outcome}s, as {@link encodeValue} writes them. */
      readonly outcomes: string;
    };

/** One call of a batch: its value, or its error as the pools' codec makes it. */
export type Outcome = { readonly v: unknown } | { readonly e: unknown };

export function encodeOutcome(settled: PromiseSettledResult<unknown>): Outcome {
  return settled.status === 'fulfilled' ? { v: settled.value } : { e: serializeError(settled.reason) };
}

export function decodeOutcome(outcome: Outcome, jobId: string): { ok: true; value: unknown } | { ok: false; error: unknown } {
  return 'v' in outcome ? { ok: true, value: outcome.v } : { ok: false, error: deserializeError(outcome.e, { origin: `distributed job ${jobId}` }) };
}

const FAILURE_MARK = '@concurrent/distributed:';

/**
 * The task as a worker host can find it: a module of a `TaskRef` under `root` as its path
 * relative to `root` (the worker resolves it under its own root), a function by its source.
 *
 * @throws TypeError for a TaskRef whose module is not a file under `root`.
 */
export function taskToWire(fn: Task<unknown[], unknown>, root: string): TaskWire {
  if (!isTaskRef(fn)) {
    const spec = toTaskSpec(fn);
    if (spec.kind !== 'source') throw new TypeError('a task must be a function or a moduleTasks reference');
    return { source: spec.source };
  }
  const ref = fn;
  if (!ref.module.startsWith('file:')) throw new TypeError(`a distributed task must be a module file under the executor's root, got ${ref.module}`);
  const path = relative(root, fileURLToPath(ref.module));
  if (path === '' || path.startsWith('..') || isAbsolute(path)) {
    throw new TypeError(`the task module ${fileURLToPath(ref.module)} is not under the executor's root ${root}: set \`root\` to the directory that workers run from`);
  }
  return { path: path.split(sep).join('/'), name: ref.name };
}

/** The task again on a worker host, under `root`: a TaskRef, or a spec of source. */
export function taskFromWire(task: TaskWire, root: string): TaskRef | { readonly source: string } {
  if ('source' in task) return { source: task.source };
  if (typeof task.path !== 'string' || task.path.split('/').includes('..')) throw new TypeError(`a job named a module outside the worker's root: ${JSON.stringify(task.path)}`);
  const url = pathToFileURL(`${root}${sep}${task.path.split('/').join(sep)}`);
  let ref: unknown = moduleTasks<Record<string, TaskRef>>(url);
  for (const part of task.name.split('.')) ref = (ref as Record<string, unknown>)[part];
  return ref as TaskRef;
}

/**
 * The most values {@link jsonExact} looks at before it leaves a value to v8: a large value
 * costs v8 less per byte than the walk and JSON, a small one (the usual arguments and
 * results) costs JSON a tenth of v8's serializer, whose Buffer per value also loads the GC.
 */
const JSON_WALK_LIMIT = 256;

/**
 * True when JSON gives back exactly what structured clone would: null, booleans, strings,
 * finite numbers other than -0, and dense arrays and plain objects of those, each object met
 * once (structured clone keeps shared and cyclic references; JSON would copy or throw).
 * Anything else (undefined, NaN, a BigInt, a Date, a Map, an array with holes or extra keys, a
 * class instance, a Proxy, a function) is left to v8, which copies it or throws as before.
 */
function jsonExact(value: unknown): boolean {
  let budget = JSON_WALK_LIMIT;
  const seen: object[] = [];
  const walk = (v: unknown): boolean => {
    if (--budget < 0) return false;
    switch (typeof v) {
      case 'string':
      case 'boolean':
        return true;
      case 'number':
        return Number.isFinite(v) && !Object.is(v, -0);
      case 'object':
        if (v === null) return true;
        break;
      default:
        return false;
    }
    if (seen.includes(v) || isProxy(v)) return false;
    seen.push(v);
    if (Array.isArray(v) && v.length > budget) return false;
    const proto: unknown = Object.getPrototypeOf(v);
    const keys = Object.keys(v);
    if (keys.length > budget) return false;
    if (Array.isArray(v)) {
      if (proto !== Array.prototype || keys.length !== v.length) return false;
      for (const item of v as unknown[]) if (!walk(item)) return false;
      return true;
    }
    if (proto !== Object.prototype && proto !== null) return false;
    // JSON.parse makes `__proto__` an own key, as structured clone does, but leave it to v8.
    for (const key of keys) if (key === '__proto__' || !walk((v as Record<string, unknown>)[key])) return false;
    return true;
  };
  return walk(value);
}

/** v8's serialization opens with its version tag, 0xFF: `/` in base64. No JSON text starts with `/`. */
const V8_MARK = '/';

/**
 * A value on the wire: its JSON text when JSON carries it exactly (most arguments and results;
 * BullMQ's own JSON then holds it as a string), else v8's structured clone in base64. Taken at
 * once: the caller may change the value afterwards.
 *
 * @param json - false: v8 always (a reply to a job whose arguments came that way, from an
 *   executor that reads nothing else).
 */
export function encodeValue(value: unknown, json = true): string {
  if (json && jsonExact(value)) return JSON.stringify(value);
  return serialize(value).toString('base64');
}

export function decodeValue(text: string): unknown {
  return isJsonValue(text) ? JSON.parse(text) : deserialize(Buffer.from(text, 'base64'));
}

/** Whether `text` (an encoded value) is JSON, so that the answer may be JSON too. */
export function isJsonValue(text: string): boolean {
  return !text.startsWith(V8_MARK);
}

/** An Error whose message is the failure as the pools encode it: BullMQ keeps the message as `failedReason`. */
export function failureError(error: unknown): Error {
  return new Error(FAILURE_MARK + JSON.stringify(serializeError(error)));
}

/** What a job's `failedReason` stands for: the task's own error when a worker of ours encoded it. */
export function errorFromReason(reason: string | undefined, jobId: string): unknown {
  if (reason?.startsWith(FAILURE_MARK) === true) {
    try {
      return deserializeError(JSON.parse(reason.slice(FAILURE_MARK.length)), { origin: `distributed job ${jobId}` });
    } catch {
      // Not ours after all: the plain reason below.
    }
  }
  return new Error(`job ${jobId} failed: ${reason ?? 'no reason given'}`);
}
