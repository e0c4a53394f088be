import { checkPositiveInteger, describe, normalizeTimeout } from '../internal/validate.js';
import { functionSource } from '../internal/function-source.js';
import { checkTask, isTaskRef, type Task } from '../tasks.js';
import type { TaskSpec } from '../worker-entry/protocol.js';

/** How many tasks a busy worker is handed ahead of time, unless `prefetch` says otherwise. */
export const DEFAULT_PREFETCH = 2;
/** The most `prefetch` may be: each prefetched task is RUNNING and can no longer be cancelled. */
export const MAX_PREFETCH = 4;

/** Options shared by the worker-thread and process pools. */
export interface WorkerPoolOptions {
  /** Node options for the workers (default: the parent's `process.execArgv`, so loaders carry over). */
  execArgv?: readonly string[] | undefined;
  /** The workers' environment (default: the parent's). */
  env?: NodeJS.ProcessEnv | undefined;
  /** Milliseconds an idle worker lives before it exits (default: until shutdown). */
  idleTimeout?: number | undefined;
  /** Milliseconds a task may run; then it fails with `TimeoutError` and its worker is stopped. */
  taskTimeout?: number | undefined;
  /** What a worker's death does: fail only its task (`'replace'`, default) or break the pool. */
  onWorkerExit?: 'replace' | 'break' | undefined;
  /** Tasks a busy worker may be handed ahead of time (0–4, default 2). */
  prefetch?: number | undefined;
}

export const POOL_OPTION_KEYS = ['execArgv', 'env', 'idleTimeout', 'taskTimeout', 'onWorkerExit', 'prefetch'];

/** What `stats` reports. */
export interface PoolStats {
  readonly workers: number;
  readonly queued: number;
  readonly running: number;
  readonly completed: number;
  readonly failed: number;
}

export interface CheckedPoolOptions {
  readonly execArgv: readonly string[];
  readonly env: NodeJS.ProcessEnv;
  readonly idleTimeout: number | undefined;
  readonly taskTimeout: number | undefined;
  readonly onWorkerExit: 'replace' | 'break';
  readonly prefetch: number;
  readonly maxTasks: number | undefined;
}

export function checkPoolOptions(
  options: WorkerPoolOptions,
  recycling: { maxTasksKey: string; maxTasks: unknown },
): CheckedPoolOptions {
  const { execArgv = process.execArgv, env = process.env, onWorkerExit = 'replace', prefetch = DEFAULT_PREFETCH } = options;
  if (!Array.isArray(execArgv) || !execArgv.every((arg) => typeof arg === 'string')) {
    throw new TypeError(`Expected \`execArgv\` to be an array of strings, got ${describe(execArgv)}`);
  }
  if (typeof env !== 'object' || env === null) throw new TypeError(`Expected \`env\` to be an object, got ${describe(env)}`);
  if (onWorkerExit !== 'replace' && onWorkerExit !== 'break') {
    throw new TypeError(`Expected \`onWorkerExit\` to be 'replace' or 'break', got ${describe(onWorkerExit)}`);
  }
  if (typeof prefetch !== 'number') throw new TypeError(`Expected \`prefetch\` to be a number from 0 to ${MAX_PREFETCH}, got ${describe(prefetch)}`);
  if (!Number.isInteger(prefetch) || prefetch < 0 || prefetch > MAX_PREFETCH) {
    throw new RangeError(`Expected \`prefetch\` to be a whole number from 0 to ${MAX_PREFETCH}, got ${describe(prefetch)}`);
  }
  const idleTimeout = normalizeTimeout(options.idleTimeout, 'idleTimeout');
  const taskTimeout = normalizeTimeout(options.taskTimeout, 'taskTimeout');
  const maxTasks =
    recycling.maxTasks === undefined ? undefined : checkPositiveInteger(recycling.maxTasks, recycling.maxTasksKey);
  return { execArgv, env, idleTimeout, taskTimeout, onWorkerExit, prefetch, maxTasks };
}

const specs = new WeakMap<object, TaskSpec>();

/**
 * The wire form of a task, cached per function or TaskRef (the source text of a function
 * is computed once, not on every submit).
 *
 * @throws TypeError (at submit) for what cannot be shipped, saying why.
 */
export function toTaskSpec(fn: Task<unknown[], unknown>): TaskSpec {
  let spec = specs.get(fn);
  if (spec !== undefined) return spec;
  checkTask(fn);
  spec = isTaskRef(fn)
    ? { kind: 'ref', module: fn.module, name: fn.name }
    : { kind: 'source', source: functionSource(fn) };
  specs.set(fn, spec);
  return spec;
}
