/**
 * Executor fuzz programs: what they are (plain data, so a failing one prints as a literal that
 * pastes straight into `fuzz-regressions.test.ts`) and how fast-check generates them for each
 * executor, within what that executor can survive.
 *
 * A program is a configuration, a list of operations and a finale. Operations refer to
 * earlier futures and abort controllers by number, taken modulo how many exist when the
 * operation runs, so that every shrunk program is still a valid one.
 *
 * Every task that could run forever is given a way to end: a gate file the finale opens, a
 * timeout, or a finale that terminates the workers. `sanitize` enforces that after
 * generation, so it holds for shrunk programs too.
 *
 * @module
 */
import fc from 'fast-check';
import type { Behaviour, ThrowKind, UnsendableKind } from '../fixtures/hostile-tasks.mjs';
import { type ArgKind, BAD_ARGS, GOOD_ARGS } from './values.js';

/** How a submitted task is given: a TaskRef, or a plain function (shipped as its source). */
export type TaskFn = 'ref' | 'source' | 'closure' | 'bound';
export type Transfer = 'none' | 'fresh' | 'reuse' | 'invalid';
export type Consume = { readonly how: 'all' } | { readonly how: 'toArray' } | { readonly how: 'none' } | { readonly how: 'take'; readonly n: number };

export interface Item {
  readonly task: Behaviour;
  readonly arg: ArgKind;
}

export type ExecOp =
  | { readonly op: 'submit'; readonly fn: TaskFn; readonly task: Behaviour; readonly arg: ArgKind }
  /** `count` submits in one synchronous stretch (one dispatch pass), like issue 15's burst. */
  | { readonly op: 'burst'; readonly count: number; readonly task: Behaviour; readonly arg: ArgKind }
  | {
      readonly op: 'submitWith';
      readonly task: Behaviour;
      readonly arg: ArgKind;
      readonly signal: boolean;
      readonly timeout: number | undefined;
      readonly transfer: Transfer;
    }
  | {
      readonly op: 'map';
      readonly star: boolean;
      readonly items: readonly Item[];
      readonly chunksize: number | undefined;
      readonly buffersize: number | undefined;
      readonly timeout: number | undefined;
      readonly consume: Consume;
    }
  | { readonly op: 'cancel'; readonly target: number }
  | { readonly op: 'abort'; readonly target: number }
  | { readonly op: 'sleep'; readonly ms: number }
  | { readonly op: 'shutdown'; readonly wait: boolean; readonly cancelFutures: boolean }
  | { readonly op: 'terminate'; readonly signal: 'SIGTERM' | 'SIGKILL' };

export type Initializer = 'none' | 'ok' | 'slow' | 'fail' | 'exit';

export interface ExecConfig {
  readonly maxWorkers: number;
  readonly initializer: Initializer;
  // Worker and process pools only (undefined elsewhere).
  readonly prefetch: number | 'auto' | undefined;
  readonly maxTasks: number | undefined;
  readonly onWorkerExit: 'replace' | 'break' | undefined;
  readonly taskTimeout: number | undefined;
  readonly idleTimeout: number | undefined;
}

/**
 * How the program ends. `shutdown`/`dispose` open the gate first, so that every hanging task
 * returns; `terminate`/`kill` stop the workers with the gate still closed.
 */
export type Finale = 'shutdown' | 'shutdownCancel' | 'dispose' | 'terminate' | 'kill';

export interface ExecProgram {
  readonly config: ExecConfig;
  readonly ops: readonly ExecOp[];
  readonly finale: Finale;
}

/** What an executor can be asked to do without harming the test process. */
export interface ExecCaps {
  /** Tasks run on this event loop: nothing may exit, block or spin, and nothing is cloned. */
  readonly inProcess: boolean;
  /** Worker or process pool: prefetch, recycling, onWorkerExit, taskTimeout, stats, terminate. */
  readonly pooled: boolean;
  /** `submitWith({ transfer })` moves buffers (worker threads); elsewhere it is ignored. */
  readonly transfers: boolean;
  /** Tasks may SIGKILL their own process (child processes only). */
  readonly canKill: boolean;
  /** The signals `terminate` may use (terminateWorkers, killWorkers). */
  readonly signals: readonly ('SIGTERM' | 'SIGKILL')[];
  /** The longest program. */
  readonly maxOps: number;
}

const THROW_KINDS: readonly ThrowKind[] = ['Error', 'RangeError', 'coded', 'zero', 'undefined', 'string', 'object'];
const UNSENDABLE_KINDS: readonly UnsendableKind[] = ['symbol', 'function', 'proxy', 'getter'];

/** Tasks that do something harmless; most of a program's work, so that it makes progress. */
const plainTask: fc.Arbitrary<Behaviour> = fc.oneof(
  { weight: 6, arbitrary: fc.constant<Behaviour>({ do: 'echo' }) },
  { weight: 2, arbitrary: fc.constant<Behaviour>({ do: 'echoAsync' }) },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 40 }).map((ms): Behaviour => ({ do: 'slow', ms })) },
);

export function taskArb(caps: ExecCaps): fc.Arbitrary<Behaviour> {
  const hostile: fc.WeightedArbitrary<Behaviour>[] = [
    { weight: 4, arbitrary: fc.record({ do: fc.constant('throw' as const), kind: fc.constantFrom(...THROW_KINDS), async: fc.boolean() }) },
    { weight: 2, arbitrary: fc.record({ do: fc.constant('badResult' as const), kind: fc.constantFrom(...UNSENDABLE_KINDS) }) },
    { weight: 2, arbitrary: fc.constant<Behaviour>({ do: 'hang' }) },
    { weight: 1, arbitrary: fc.constant<Behaviour>({ do: 'cooperative' }) },
  ];
  if (!caps.inProcess) {
    hostile.push(
      { weight: 1, arbitrary: fc.constant<Behaviour>({ do: 'block' }) },
      { weight: 1, arbitrary: fc.constant<Behaviour>({ do: 'spin' }) },
      { weight: 2, arbitrary: fc.integer({ min: 0, max: 3 }).map((code): Behaviour => ({ do: 'exit', code })) },
      { weight: 1, arbitrary: fc.constant<Behaviour>({ do: 'crashLater' }) },
    );
  }
  if (caps.canKill) {
    hostile.push({ weight: 2, arbitrary: fc.constant<Behaviour>({ do: 'kill' }) }, { weight: 1, arbitrary: fc.constant<Behaviour>({ do: 'ignoreTerm' }) });
  }
  return fc.oneof({ weight: 3, arbitrary: plainTask }, { weight: 2, arbitrary: fc.oneof(...hostile) });
}

export const argArb: fc.Arbitrary<ArgKind> = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...GOOD_ARGS.filter((kind) => kind !== 'huge')) },
  { weight: 1, arbitrary: fc.constant<ArgKind>('huge') },
  { weight: 2, arbitrary: fc.constantFrom(...BAD_ARGS) },
);

const timeoutArb: fc.Arbitrary<number | undefined> = fc.oneof(
  { weight: 4, arbitrary: fc.constant(undefined) },
  { weight: 2, arbitrary: fc.integer({ min: 1, max: 150 }) },
  { weight: 1, arbitrary: fc.constant(60_000) },
);

export const consumeArb: fc.Arbitrary<Consume> = fc.oneof(
  { weight: 3, arbitrary: fc.constant<Consume>({ how: 'all' }) },
  { weight: 2, arbitrary: fc.constant<Consume>({ how: 'toArray' }) },
  { weight: 1, arbitrary: fc.constant<Consume>({ how: 'none' }) },
  { weight: 2, arbitrary: fc.integer({ min: 0, max: 4 }).map((n): Consume => ({ how: 'take', n })) },
);

function opArb(caps: ExecCaps): fc.Arbitrary<ExecOp> {
  const task = taskArb(caps);
  const item = fc.record({ task, arg: argArb });
  const ops: fc.WeightedArbitrary<ExecOp>[] = [
    {
      weight: 10,
      arbitrary: fc.record({
        op: fc.constant('submit' as const),
        fn: fc.oneof({ weight: 8, arbitrary: fc.constant<TaskFn>('ref') }, { weight: 1, arbitrary: fc.constantFrom<TaskFn>('source', 'closure', 'bound') }),
        task,
        arg: argArb,
      }),
    },
    { weight: 2, arbitrary: fc.record({ op: fc.constant('burst' as const), count: fc.integer({ min: 2, max: 12 }), task, arg: argArb }) },
    {
      weight: 5,
      arbitrary: fc.record({
        op: fc.constant('submitWith' as const),
        task,
        arg: argArb,
        signal: fc.boolean(),
        timeout: timeoutArb,
        transfer: fc.oneof(
          { weight: 3, arbitrary: fc.constant<Transfer>('none') },
          { weight: caps.transfers ? 3 : 1, arbitrary: fc.constantFrom<Transfer>('fresh', 'reuse', 'invalid') },
        ),
      }),
    },
    {
      weight: 3,
      arbitrary: fc.record({
        op: fc.constant('map' as const),
        star: fc.boolean(),
        items: fc.array(item, { maxLength: 8 }),
        chunksize: fc.option(fc.integer({ min: 1, max: 4 }), { nil: undefined }),
        buffersize: fc.option(fc.integer({ min: 1, max: 3 }), { nil: undefined, freq: 3 }),
        timeout: fc.option(fc.integer({ min: 1, max: 300 }), { nil: undefined, freq: 4 }),
        consume: consumeArb,
      }),
    },
    { weight: 3, arbitrary: fc.record({ op: fc.constant('cancel' as const), target: fc.nat(40) }) },
    { weight: 2, arbitrary: fc.record({ op: fc.constant('abort' as const), target: fc.nat(40) }) },
    { weight: 3, arbitrary: fc.record({ op: fc.constant('sleep' as const), ms: fc.integer({ min: 0, max: 30 }) }) },
    { weight: 1, arbitrary: fc.record({ op: fc.constant('shutdown' as const), wait: fc.boolean(), cancelFutures: fc.boolean() }) },
  ];
  if (caps.signals.length > 0) {
    ops.push({ weight: 1, arbitrary: fc.record({ op: fc.constant('terminate' as const), signal: fc.constantFrom(...caps.signals) }) });
  }
  return fc.oneof(...ops);
}

function configArb(caps: ExecCaps): fc.Arbitrary<ExecConfig> {
  const initializers: Initializer[] = caps.inProcess ? ['ok', 'slow', 'fail'] : ['ok', 'slow', 'fail', 'exit'];
  const initializer = fc.oneof({ weight: 8, arbitrary: fc.constant<Initializer>('none') }, { weight: 2, arbitrary: fc.constantFrom(...initializers) });
  if (!caps.pooled) {
    return fc.record({
      maxWorkers: fc.integer({ min: 1, max: 4 }),
      initializer,
      prefetch: fc.constant(undefined),
      maxTasks: fc.constant(undefined),
      onWorkerExit: fc.constant(undefined),
      taskTimeout: fc.constant(undefined),
      idleTimeout: fc.constant(undefined),
    });
  }
  return fc.record({
    maxWorkers: fc.integer({ min: 1, max: 3 }),
    initializer,
    prefetch: fc.constantFrom<number | 'auto' | undefined>(undefined, 0, 1, 32, 'auto'),
    maxTasks: fc.oneof({ weight: 3, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: fc.constantFrom(1, 2, 5) }),
    onWorkerExit: fc.constantFrom<'replace' | 'break' | undefined>(undefined, 'replace', 'break'),
    taskTimeout: fc.oneof({ weight: 4, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: fc.integer({ min: 100, max: 800 }) }),
    idleTimeout: fc.oneof({ weight: 4, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: fc.integer({ min: 1, max: 50 }) }),
  });
}

function finaleArb(caps: ExecCaps): fc.Arbitrary<Finale> {
  const finales: Finale[] = ['shutdown', 'shutdownCancel', 'dispose'];
  if (caps.signals.includes('SIGTERM')) finales.push('terminate');
  if (caps.signals.includes('SIGKILL')) finales.push('kill');
  return fc.constantFrom(...finales);
}

/** A timeout that ends a `spin` well within the settle bound (tracking.ts), grace included. */
const SPIN_TIMEOUT_MAX_MS = 1_000;

/** Whether a task that never returns by itself has a way to end soon in this program. */
function spinEnds(program: ExecProgram, timeout: number | undefined): boolean {
  // A submitWith timeout replaces the pool's taskTimeout for its task.
  const effective = timeout ?? program.config.taskTimeout;
  return (effective !== undefined && effective <= SPIN_TIMEOUT_MAX_MS) || program.finale === 'terminate' || program.finale === 'kill';
}

/**
 * Makes the generated (or shrunk) program one that can end: a `spin` with neither a timeout
 * nor a terminating finale becomes a `hang` (which the finale's gate releases).
 */
export function sanitize(program: ExecProgram): ExecProgram {
  const fix = (task: Behaviour, timeout: number | undefined): Behaviour =>
    task.do === 'spin' && !spinEnds(program, timeout) ? { do: 'hang' } : task;
  const ops = program.ops.map((op): ExecOp => {
    switch (op.op) {
      case 'submit':
      case 'burst':
        return { ...op, task: fix(op.task, undefined) };
      case 'submitWith':
        return { ...op, task: fix(op.task, op.timeout) };
      case 'map':
        return { ...op, items: op.items.map((item) => ({ ...item, task: fix(item.task, undefined) })) };
      default:
        return op;
    }
  });
  return { ...program, ops };
}

/** Random programs for an executor with these capabilities. */
export function programArb(caps: ExecCaps): fc.Arbitrary<ExecProgram> {
  return fc
    .record({ config: configArb(caps), ops: fc.array(opArb(caps), { minLength: 1, maxLength: caps.maxOps, size: '+1' }), finale: finaleArb(caps) })
    .map(sanitize);
}
