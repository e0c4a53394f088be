/**
 * What a job carries, and what comes back: the task as a name a worker host can import (or a
 * function's source, as the pools ship one), the arguments and the result as v8's structured
 * clone in base64 (BullMQ stores JSON; a Map, a BigInt or a Date survives this way), and a
 * failure as the pools' error codec in the job's `failedReason`, so its class, message, code,
 * cause and stack reach the caller.
 *
 * @module
 */
import { isAbsolute, relative, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
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
      /** The argument array, v8-serialized, base64. */
      readonly args: string;
    }
  | {
      readonly c: 1;
      readonly task: TaskWire;
      /** The argument arrays of each call, v8-serialized, base64. */
      readonly batch: string;
    };

/** A job's return value: the value of one call, or the outcome of each call of a batch. */
export type JobResult =
  | {
      readonly c: 1;
      /** The value, v8-serialized, base64. */
      readonly value: string;
    }
  | {
      readonly c: 1;
      /** The {@link Outcome}s, v8-serialized, base64. */
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

export function encodeValue(value: unknown): string {
  return serialize(value).toString('base64');
}

export function decodeValue(text: string): unknown {
  return deserialize(Buffer.from(text, 'base64'));
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
