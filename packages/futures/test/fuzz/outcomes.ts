/**
 * Which final states the contract (api.md) allows a task to end in, given what it was asked
 * to do and what happened around it. Never "pending": a rule only ever accepts a final state.
 *
 * A task's *natural* outcome is what it does on its own: its value, what it threw, the
 * `TypeError` of an argument or result that cannot cross, the death of its worker. Around it
 * the program may add *extras*: a timeout (`TimeoutError`), a worker death somewhere in the
 * program (`WorkerExitError`, or the pool's `BrokenExecutor` error), an initializer that
 * breaks the pool. What the program did to the future itself (cancel, abort, terminate) is
 * checked exactly, where it happened, and then pins the final state (see the runners).
 *
 * @module
 */
import type { Behaviour } from '../fixtures/hostile-tasks.mjs';
import { thrown } from '../fixtures/hostile-tasks.mjs';
import type { TaskFn, Transfer } from './program.js';
import { type ArgKind, isSendable, sameClone, sameThrown, show } from './values.js';

/** A final state as seen through the public API. */
export type Outcome =
  | { readonly state: 'CANCELLED' }
  | { readonly state: 'FINISHED'; readonly ok: true; readonly value: unknown }
  | { readonly state: 'FINISHED'; readonly ok: false; readonly error: unknown };

export interface Rule {
  readonly name: string;
  test(outcome: Outcome): boolean;
}

/** The error classes of the package copy under test (src for executors, dist for pools). */
export interface ErrorClasses {
  readonly CancelledError: abstract new (...args: never[]) => Error;
  readonly TimeoutError: abstract new (...args: never[]) => Error;
  readonly WorkerExitError: abstract new (...args: never[]) => Error;
  readonly ExecutorShutdownError: abstract new (...args: never[]) => Error;
  /** The BrokenExecutor subclass of the executor under test. */
  readonly Broken: abstract new (...args: never[]) => Error;
}

/** One task of a program: a submit, or one item of a map. */
export interface Unit {
  readonly label: string;
  readonly fn: TaskFn;
  readonly task: Behaviour;
  readonly arg: ArgKind;
  /** The argument as passed (for in-process executors, which hand back the very object). */
  readonly argValue: unknown;
  /** A structured clone of a good argument, taken before it was sent. */
  readonly expected: unknown;
  /** The task has a timeout of its own (submitWith). */
  readonly timeout: boolean;
  readonly transfer: Transfer;
}

/** What the whole program did that may touch any task. */
export interface Environment {
  readonly errors: ErrorClasses;
  /** Tasks run on this event loop (no cloning, nothing crosses). */
  readonly inProcess: boolean;
  /** `transfer` lists are used (worker threads), not ignored. */
  readonly transfers: boolean;
  /** The finale opened the gate: hanging tasks returned. */
  readonly gateOpened: boolean;
  /** The pool has a taskTimeout. */
  readonly taskTimeout: boolean;
  /** The program runs tasks (or an initializer) that end their worker. */
  readonly deaths: boolean;
  /** The pool may stop a worker: a death, or a timeout or abort whose task runs on. */
  readonly stops: boolean;
  readonly onWorkerExit: 'replace' | 'break';
  /** The initializer fails or exits: every task may fail with the Broken error. */
  readonly initializerBreaks: boolean;
}

/** What the `closure` task captures from its module (executor-run.ts): in-process it returns `[arg, 7]`. */
export const CAPTURED_VALUE = 7;
/** What the `promise` argument resolves to: an in-process task that returns it gives this. */
export const PROMISED = 1;

function finished(outcome: Outcome): outcome is Extract<Outcome, { state: 'FINISHED' }> {
  return outcome.state === 'FINISHED';
}

export function valueRule(name: string, accept: (value: unknown) => boolean): Rule {
  return { name, test: (o) => finished(o) && o.ok && accept(o.value) };
}

export function errorRule(name: string, accept: (error: unknown) => boolean): Rule {
  return { name, test: (o) => finished(o) && !o.ok && accept(o.error) };
}

export const cancelledRule: Rule = { name: 'CANCELLED', test: (o) => o.state === 'CANCELLED' };

export function instanceRule(name: string, Class: abstract new (...args: never[]) => unknown): Rule {
  return errorRule(name, (error) => error instanceof Class);
}

const sendFailure = errorRule('TypeError (argument could not be sent)', (e) => e instanceof TypeError && /could not be sent to/.test(e.message));
const resultFailure = errorRule('TypeError (result could not be sent back)', (e) => e instanceof TypeError && /could not be sent back/.test(e.message));

/** What a task does on its own. */
export function natural(unit: Unit, env: Environment): Rule[] {
  const { task } = unit;
  if (!env.inProcess) {
    if (unit.transfer === 'invalid' && env.transfers) return [sendFailure];
    if (!isSendable(unit.arg)) return [sendFailure];
  }
  // A buffer another task transferred may be detached by the time this one is sent.
  const reuse = unit.transfer === 'reuse' && env.transfers;
  const echo = (): Rule =>
    env.inProcess
      ? valueRule(`the argument itself (${show(unit.argValue)})`, (v) => Object.is(v, unit.argValue) || (unit.arg === 'promise' && v === PROMISED))
      : reuse
        ? valueRule('any value (a reused transfer)', () => true)
        : valueRule(`a copy of the argument (${show(unit.expected)})`, (v) => sameClone(v, unit.expected));
  const extra = reuse ? [sendFailure] : [];
  switch (unit.fn) {
    case 'closure':
      return env.inProcess
        ? [valueRule('[the argument itself, CAPTURED_VALUE]', (v) => Array.isArray(v) && v.length === 2 && Object.is(v[0], unit.argValue) && v[1] === CAPTURED_VALUE)]
        : // The worker's ReferenceError with the hint that points to moduleTasks (api.md).
          [errorRule('ReferenceError naming moduleTasks (captured variable)', (e) => e instanceof ReferenceError && /moduleTasks/.test(e.message))];
    case 'source':
    case 'bound':
      return [echo()];
    case 'ref':
      break;
  }
  switch (task.do) {
    case 'echo':
    case 'echoAsync':
    case 'slow':
      return [echo(), ...extra];
    case 'throw': {
      const expected = thrown(task.kind);
      return [errorRule(`throws ${show(expected)}`, (e) => sameThrown(e, expected)), ...extra];
    }
    case 'badResult':
      return env.inProcess ? [valueRule('the unsendable value itself', () => true)] : [resultFailure, ...extra];
    case 'hang':
    case 'cooperative':
    case 'block':
    case 'ignoreTerm':
      return env.gateOpened ? [valueRule("'released' (gate opened)", (v) => v === 'released'), ...extra] : extra;
    case 'spin':
      return extra;
    case 'exit':
    case 'crashLater':
    case 'kill':
      return [env.onWorkerExit === 'break' ? instanceRule('Broken (its worker died)', env.errors.Broken) : instanceRule('WorkerExitError', env.errors.WorkerExitError), ...extra];
  }
}

/** What the program around a task may do to it on top of its natural outcome. */
export function extras(unit: Unit | undefined, env: Environment): Rule[] {
  const rules: Rule[] = [];
  if (unit?.timeout === true || env.taskTimeout) rules.push(instanceRule('TimeoutError (a timeout was set)', env.errors.TimeoutError));
  if (env.deaths && !env.inProcess) {
    // A worker that dies takes with it the answers it had not sent yet, so the pool may blame
    // a task that ran before the fatal one on the same worker (pool.ts: "the oldest job it has
    // no answer for"); with 'break', or after MAX_STARTUP_FAILURES, the pool breaks.
    rules.push(instanceRule('WorkerExitError (a worker died in this program)', env.errors.WorkerExitError));
    rules.push(instanceRule('Broken (a worker died in this program)', env.errors.Broken));
  }
  if (env.initializerBreaks) rules.push(instanceRule('Broken (the initializer fails)', env.errors.Broken));
  if ((unit?.transfer === 'fresh' || unit?.transfer === 'reuse') && env.transfers && env.stops && !env.deaths) {
    // Its buffers went to a worker that was stopped before it started the task: they are gone
    // with it, so the task cannot be sent again and fails instead (093cbb1).
    rules.push(instanceRule('WorkerExitError (transferred to a worker that was stopped)', env.errors.WorkerExitError));
  }
  return rules;
}

/** Every outcome the contract allows for one task. */
export function allowed(unit: Unit, env: Environment): Rule[] {
  return [...natural(unit, env), ...extras(unit, env)];
}

/** A map chunk's value: each item's value, unless `errors` has what it threw. */
interface ChunkValue {
  readonly values: readonly unknown[];
  readonly errors: ReadonlyMap<number, unknown>;
}

function isChunkValue(value: unknown): value is ChunkValue {
  return typeof value === 'object' && value !== null && Array.isArray((value as ChunkValue).values) && (value as ChunkValue).errors instanceof Map;
}

/**
 * The outcomes allowed for the one future of a map chunk (worker and process pools): every
 * item's value or error as its own rules allow, or one error for the chunk as a whole (an
 * item that cannot be sent poisons the message; a timeout or a death stops the whole job).
 */
export function allowedChunk(units: readonly Unit[], env: Environment): Rule[] {
  const items: Rule = {
    name: `per-item results (${units.map((u) => u.label).join(', ')})`,
    test: (o) => {
      if (!finished(o) || !o.ok || !isChunkValue(o.value) || o.value.values.length !== units.length) return false;
      const { values, errors } = o.value;
      return units.every((unit, i) => {
        const item: Outcome = errors.has(i) ? { state: 'FINISHED', ok: false, error: errors.get(i) } : { state: 'FINISHED', ok: true, value: values[i] };
        return natural(unit, env).some((rule) => rule.test(item));
      });
    },
  };
  const rules = [items, ...extras(undefined, env)];
  if (!env.inProcess && units.some((unit) => !isSendable(unit.arg))) rules.push(sendFailure);
  return rules;
}

/** A readable outcome for failure messages. */
export function showOutcome(outcome: Outcome | { readonly state: 'PENDING' | 'RUNNING' }): string {
  if (outcome.state !== 'FINISHED') return outcome.state;
  if (outcome.ok) {
    if (isChunkValue(outcome.value)) {
      const { values, errors } = outcome.value;
      return `FINISHED with chunk [${values.map((v, i) => (errors.has(i) ? `throws ${show(errors.get(i))}` : show(v))).join(', ')}]`;
    }
    return `FINISHED with ${show(outcome.value)}`;
  }
  return `FINISHED failing with ${show(outcome.error)}`;
}

/** The first rule `outcome` satisfies, or a message saying what was allowed instead. */
export function judge(label: string, outcome: Outcome, rules: readonly Rule[]): string | undefined {
  if (rules.some((rule) => rule.test(outcome))) return undefined;
  return `${label}: ended ${showOutcome(outcome)}; allowed: ${rules.length === 0 ? '(no way to end at all)' : rules.map((r) => r.name).join(' | ')}`;
}
