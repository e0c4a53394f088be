/**
 * `@concurrent/futures/internal`: what the other `@concurrent` packages build on, so that
 * they ship tasks exactly as the executors do instead of keeping copies. How a task crosses
 * to another process: its wire form in the parent ({@link toTaskSpec}), its function again
 * where it runs ({@link resolveTask}), and the hint added to the errors of shipped sources.
 * Also the option checks, so that every options object of every package rejects an unknown
 * key with the same message; and both ends of a task's progress for executors of their own:
 * {@link setProgress} feeds a future, and a runner that publishes a {@link TaskContext} with
 * {@link setCurrentTask} while a task runs gives it `taskSignal()` and `reportProgress()`.
 * And {@link onBeforeOutcome}: writes batched for the end of a turn leave before a job's outcome;
 * {@link onBeforeExit}: a pool's worker process ends its links before it exits gracefully.
 *
 * For those packages only: not part of the public API, and it may change in any release.
 *
 * @module
 */
export { builtFile, builtUrl } from './internal/built-file.js';
export { addClosureHint } from './internal/function-source.js';
export { childEnv, childExecArgv } from './internal/child-launch.js';
export { onBeforeOutcome } from './internal/before-outcome.js';
export { onBeforeExit } from './internal/before-exit.js';
export { aliasedOption, checkOptionKeys, checkOptionsObject } from './internal/validate.js';
export { setProgress } from './future.js';
export { resolveTask } from './worker-entry/runner.js';
export { currentTask, type ProgressSink, type RunningTask, setCurrentTask, TaskContext } from './task-context.js';
export type { TaskSpec } from './worker-entry/protocol.js';
export { toTaskSpec } from './worker-pool/options.js';
export { type Destination, enableReduction, REDUCE, type Reducible, type Reduction, reduceValue, reviveValue } from './reduction.js';
export { deserializeError, serializeError, type SerializedThrown } from './internal/remote-error.js';
