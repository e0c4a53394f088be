/**
 * The messages between a pool and its workers (child processes or worker threads).
 *
 * ```
 *  parent (pool)                                   worker
 *  ─────────────                                   ──────
 *  init { initializer?, initargs }   ────────────▶  runs the initializer once
 *                                    ◀────────────  ready | initError { error }
 *  run { tasks, jobs: [{ id, task, args | items }] } ─▶ runs jobs one after another, in order,
 *                                                    each once it won its claim (claims.ts)
 *  abort { id, seq }                 ────────────▶  aborts that job's AbortSignal
 *                                    ◀────────────  results { results: [{ id, values, errors?, ms }], skipped?, progress? }
 *  (channel closes)                  ────────────▶  exits
 * ```
 *
 * Several jobs travel in one `run` message, and the results of jobs that finish in the same
 * turn of the worker's event loop travel in one `results` message: one IPC round trip then
 * carries many tasks, which is how dispatch beats one-message-per-task pools.
 *
 * A task's progress (`reportProgress`) rides in `results` too: the latest value per job, sent
 * with the next message or at most every PROGRESS_INTERVAL_MS while the job runs (runner.ts),
 * and applied before the message's results, so a job's last value precedes its outcome.
 *
 * Everything here is plain data, so it crosses both structured clone (worker threads,
 * `serialization: 'advanced'`) and JSON (`serialization: 'json'`).
 *
 * @module
 */

/** How a worker finds the function to run. */
export type TaskSpec =
  | { readonly kind: 'ref'; readonly module: string; readonly name: string }
  | { readonly kind: 'source'; readonly source: string };

/**
 * A task the worker learns once and then knows by number: a function's source (or a
 * module's URL) crosses once per worker, not with every job.
 */
export interface TaskDefinition {
  readonly id: number;
  readonly spec: TaskSpec;
}

/** One task: `args` for submit; `items` for a map chunk (one call, and one result, per item). */
export interface Job {
  readonly id: number;
  /** A TaskDefinition id, defined in this message or an earlier one to the same worker. */
  readonly task: number;
  readonly args?: readonly unknown[];
  /** A chunk's items: each call is `fn(item)`, or `fn(...item)` with `spread` (starmap). */
  readonly items?: readonly unknown[];
  readonly spread?: boolean;
  /** Set when `args` or `items` hold reduced objects to revive first: their key (reduction.ts). */
  readonly revive?: string;
}

/** A thrown value at an item's index, serialized (see remote-error.ts). */
export type ItemError = readonly [index: number, error: unknown];

/**
 * What one job produced, item by item (a submit is one item): `values[i]`, unless `errors`
 * holds what item i threw. Values travel as a bare array, so a chunk of 500 results is one
 * array to serialize and parse, not 500 wrapper objects.
 */
export interface JobResult {
  readonly id: number;
  readonly values: readonly unknown[];
  /** Absent when no item threw. */
  readonly errors?: readonly ItemError[];
  /** How long the job ran in the worker, in ms (absent if it never ran): drives 'auto' prefetch. */
  readonly ms?: number;
}

export type ToWorker =
  | {
      readonly type: 'init';
      readonly initializer: TaskSpec | null;
      readonly initargs: readonly unknown[];
      /** Set when `initargs` hold reduced objects to revive first: their key (reduction.ts). */
      readonly revive?: string;
      /** A worker thread's claims buffer, shared with the pool (claims.ts); a child makes its own. */
      readonly claims?: SharedArrayBuffer;
    }
  | { readonly type: 'run'; readonly tasks: readonly TaskDefinition[]; readonly jobs: readonly Job[] }
  | { readonly type: 'abort'; readonly id: number; readonly seq: number };

export type FromWorker =
  | { readonly type: 'ready' }
  | { readonly type: 'initError'; readonly error: unknown }
  | {
      readonly type: 'results';
      readonly results: readonly JobResult[];
      /**
       * Seqs of jobs the worker passed without running them because the pool took them back
       * (claims.ts): the pool learns it here too, should the agent's answer never arrive.
       */
      readonly skipped?: readonly number[];
      /** The latest progress value of each job that reported since the last message, in order. */
      readonly progress?: readonly ProgressEntry[];
    };

/** A job's latest progress value (reportProgress), by job id. */
export type ProgressEntry = readonly [id: number, value: unknown];

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

/** Narrows a message that arrived from a worker. */
export function isFromWorker(message: unknown): message is FromWorker {
  if (!isObject(message)) return false;
  switch (message.type) {
    case 'ready':
      return true;
    case 'initError':
      return 'error' in message;
    case 'results':
      return Array.isArray(message.results);
    default:
      return false;
  }
}

/** Narrows a message that arrived from the pool. */
export function isToWorker(message: unknown): message is ToWorker {
  if (!isObject(message)) return false;
  switch (message.type) {
    case 'init':
      return Array.isArray(message.initargs);
    case 'run':
      return Array.isArray(message.jobs) && Array.isArray(message.tasks);
    case 'abort':
      return typeof message.id === 'number' && typeof message.seq === 'number';
    default:
      return false;
  }
}
