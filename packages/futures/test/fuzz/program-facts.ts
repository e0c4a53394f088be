/**
 * What a program (executor or pool) contains, as the checks and the soak's figures need it:
 * whether it ends workers, whether it hangs, and how many faults it injects.
 *
 * @module
 */
import type { Behaviour } from '../fixtures/hostile-tasks.mjs';
import type { PoolProgram } from './pool-program.js';
import type { ExecProgram } from './program.js';
import { type ArgKind, isSendable } from './values.js';

/** What a finished program adds to the soak's figures. */
export interface ProgramFigures {
  readonly operations: number;
  readonly faults: number;
}

/** Tasks that end their worker. */
const DEATHS = new Set(['exit', 'crashLater', 'kill']);
/** Tasks that do not return until the gate opens (or never). */
const HANGS = new Set(['hang', 'cooperative', 'block', 'spin', 'ignoreTerm']);
const PLAIN = new Set(['echo', 'echoAsync', 'slow']);

/** Every task a program runs (a map's items included). */
export function tasksOf(program: ExecProgram | PoolProgram): Behaviour[] {
  return program.ops.flatMap((op) => ('task' in op ? [op.task] : 'items' in op ? op.items.map((item) => item.task) : []));
}

/**
 * Each task a program runs that a worker must be stopped for, or dies of: a burst's tasks
 * each, a map's items each.
 */
export function stopsOf(program: ExecProgram | PoolProgram): number {
  let stops = 0;
  for (const op of program.ops) {
    const tasks = 'task' in op ? Array.from({ length: 'count' in op ? op.count : 1 }, () => op.task) : 'items' in op ? op.items.map((item) => item.task) : [];
    stops += tasks.filter((task) => HANGS.has(task.do) || DEATHS.has(task.do)).length;
  }
  return stops;
}

/** The program runs something that ends its worker (a task, or an initializer that exits). */
export function hasDeaths(program: ExecProgram | PoolProgram): boolean {
  return program.config.initializer === 'exit' || tasksOf(program).some((task) => DEATHS.has(task.do));
}

/** The program runs something that holds its worker until the gate opens, or forever. */
export function hasHangs(program: ExecProgram | PoolProgram): boolean {
  return tasksOf(program).some((task) => HANGS.has(task.do));
}

/** Faults one task injects: a hostile behaviour, an argument that cannot be sent. */
function taskFaults(task: Behaviour, arg: ArgKind): number {
  return (PLAIN.has(task.do) ? 0 : 1) + (isSendable(arg) ? 0 : 1);
}

/** Faults an executor program injects: hostile tasks and arguments, cancels, aborts, timeouts, shutdowns. */
export function countFaults(program: ExecProgram): number {
  const { config, finale } = program;
  let faults = (config.initializer === 'fail' || config.initializer === 'exit' ? 1 : 0) + (finale === 'shutdown' || finale === 'dispose' ? 0 : 1);
  for (const op of program.ops) {
    switch (op.op) {
      case 'submit':
        faults += taskFaults(op.task, op.arg) + (op.fn === 'closure' || op.fn === 'bound' ? 1 : 0);
        break;
      case 'burst':
        faults += op.count * taskFaults(op.task, op.arg);
        break;
      case 'submitWith':
        faults += taskFaults(op.task, op.arg) + (op.timeout === undefined ? 0 : 1) + (op.transfer === 'reuse' || op.transfer === 'invalid' ? 1 : 0);
        break;
      case 'map':
        for (const item of op.items) faults += taskFaults(item.task, item.arg);
        faults += op.timeout === undefined ? 0 : 1;
        break;
      case 'sleep':
        break;
      default:
        faults++; // cancel, abort, shutdown, terminate
    }
  }
  return faults;
}

/** Faults a pool program injects: hostile tasks and arguments, close, join, terminate. */
export function countPoolFaults(program: PoolProgram): number {
  let faults = (program.config.initializer === 'fail' || program.config.initializer === 'exit' ? 1 : 0) + (program.finale === 'closeJoin' ? 0 : 1);
  for (const op of program.ops) {
    if (op.op === 'apply' || op.op === 'applyAsync') faults += taskFaults(op.task, op.arg);
    else if (op.op === 'map' || op.op === 'imap') for (const item of op.items) faults += taskFaults(item.task, item.arg);
    else if (op.op === 'close' || op.op === 'terminate' || op.op === 'join') faults++;
  }
  return faults;
}

/**
 * Whether every child process of the program should exit cleanly (code 0, no signal): it
 * ends no worker on purpose (no deaths, no terminate, no timeout or abort that may stop a
 * worker, no initializer that breaks the pool), so a pool only ever lets children go by
 * closing their channel.
 */
export function cleanExitsExpected(program: ExecProgram | PoolProgram): boolean {
  if (hasDeaths(program) || program.config.initializer === 'fail') return false;
  if (program.finale === 'terminate' || program.finale === 'kill' || program.finale === 'dispose') {
    // `dispose` is `await using`: it terminates a Pool, and shuts an executor down cleanly.
    if (program.finale !== 'dispose' || 'processes' in program.config) return false;
  }
  if ('taskTimeout' in program.config && program.config.taskTimeout !== undefined) return false;
  return program.ops.every((op) => op.op !== 'terminate' && op.op !== 'abort' && !(op.op === 'submitWith' && op.timeout !== undefined));
}

/** The pool may stop a worker in this program: a death, a timeout, or an abort. */
export function mayStopWorkers(program: ExecProgram): boolean {
  return (
    hasDeaths(program) ||
    program.config.taskTimeout !== undefined ||
    program.ops.some((op) => op.op === 'abort' || (op.op === 'submitWith' && op.timeout !== undefined))
  );
}
