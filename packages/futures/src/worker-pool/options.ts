import { checkPositiveInteger, describe, normalizeTimeout } from '../internal/validate.js';
import { functionSource } from '../internal/function-source.js';
import { checkTask, isTaskRef, type Task } from '../tasks.js';
import type { TaskSpec } from '../worker-entry/protocol.js';

/**
 * The most tasks a busy worker may hold ahead of time, fixed or `'auto'`: each one is
 * RUNNING and can no longer be cancelled.
 */
export const MAX_PREFETCH = 32;
/** With `'auto'`, what a worker is handed ahead of time before any task has been timed. */
export const AUTO_PREFETCH_START = 2;
/**
 * With `'auto'`, how much work (by the recent tasks' run time) a worker may hold ahead of
 * time: enough to cover the round trip that wakes an idle worker, little enough that a
 * task handed over too early waits at most about this long behind its worker's queue.
 */
export const AUTO_PREFETCH_WINDOW_MS = 1;

/** Options shared by the worker-thread and process pools. */
export interface WorkerPoolOptions {
  /**
   * Node options for the workers, passed exactly as given. Default: the parent's
   * `process.execArgv` (and `NODE_OPTIONS`) less what names what to run or how to debug,
   * test or watch it (`-e`, `-p`, `--input-type`, `--test`, `--watch`, `--inspect*`, ...), so
   * loaders and limits carry over and the user's script runs once, in the parent only
   * (docs/launching.md, decision 0010).
   */
  execArgv?: readonly string[] | undefined;
  /** The workers' environment (default: the parent's). */
  env?: NodeJS.ProcessEnv | undefined;
  /** Milliseconds an idle worker lives before it exits (default: until shutdown). */
  idleTimeout?: number | undefined;
  /** Milliseconds a task may run; then it fails with `TimeoutError` and its worker is stopped. */
  taskTimeout?: number | undefined;
  /** What a worker's death does: fail only its task (`'replace'`, default) or break the pool. */
  onWorkerExit?: 'replace' | 'break' | undefined;
  /**
   * Tasks a busy worker may be handed ahead of time: a number from 0 to 32, or `'auto'`
   * (default): as many as its recent tasks would run in about 1 ms, from 1 to 32.
   */
  prefetch?: number | 'auto' | undefined;
}

export const POOL_OPTION_KEYS = ['execArgv', 'env', 'idleTimeout', 'taskTimeout', 'onWorkerExit', 'prefetch'];

/** What `stats` reports. */
export interface PoolStats {
  readonly workers: number;
  readonly queued: number;
  readonly running: number;
  /** Tasks that gave a value (each item of a map chunk counts). */
  readonly completed: number;
  /**
   * Tasks that ended with an error after the pool took them: they threw, could not be sent,
   * their worker died, or the pool stopped them while running (abort, timeout). Tasks that
   * never left the queue (cancelled, or failed by a break before any worker had them) are
   * not counted.
   */
  readonly failed: number;
  /**
   * Tasks taken back from a busy worker that had been handed them ahead of time and had not
   * started them, to run on a free one (decision 0009).
   */
  readonly reclaimed: number;
}

export interface CheckedPoolOptions {
  /** `undefined`: the parent's (see WorkerPoolOptions.execArgv). */
  readonly execArgv: readonly string[] | undefined;
  readonly env: NodeJS.ProcessEnv;
  readonly idleTimeout: number | undefined;
  readonly taskTimeout: number | undefined;
  readonly onWorkerExit: 'replace' | 'break';
  readonly prefetch: number | 'auto';
  readonly maxTasks: number | undefined;
}

export function checkPoolOptions(
  options: WorkerPoolOptions,
  recycling: { maxTasksKey: string; maxTasks: unknown },
): CheckedPoolOptions {
  const { execArgv, env = process.env, onWorkerExit = 'replace', prefetch = 'auto' } = options;
  if (execArgv !== undefined && (!Array.isArray(execArgv) || !execArgv.every((arg) => typeof arg === 'string'))) {
    throw new TypeError(`Expected \`execArgv\` to be an array of strings, got ${describe(execArgv)}`);
  }
  if (typeof env !== 'object' || env === null) throw new TypeError(`Expected \`env\` to be an object, got ${describe(env)}`);
  if (onWorkerExit !== 'replace' && onWorkerExit !== 'break') {
    throw new TypeError(`Expected \`onWorkerExit\` to be 'replace' or 'break', got ${describe(onWorkerExit)}`);
  }
  if (prefetch !== 'auto') {
    if (typeof prefetch !== 'number') {
      throw new TypeError(`Expected \`prefetch\` to be 'auto' or a number from 0 to ${MAX_PREFETCH}, got ${describe(prefetch)}`);
    }
    if (!Number.isInteger(prefetch) || prefetch < 0 || prefetch > MAX_PREFETCH) {
      throw new RangeError(`Expected \`prefetch\` to be 'auto' or a whole number from 0 to ${MAX_PREFETCH}, got ${describe(prefetch)}`);
    }
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
