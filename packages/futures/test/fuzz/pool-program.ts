/**
 * Fuzz programs for `@concurrent/multiprocessing`'s `Pool` and `ThreadPool`: every method of
 * `multiprocessing.Pool` (apply, applyAsync, map, mapAsync, starmap, starmapAsync, imap,
 * imapUnordered, close, join, terminate), over the same hostile tasks and arguments as the
 * executor programs (program.ts).
 *
 * The pools are imported from the built `multiprocessing/dist` (the futures package cannot
 * depend on its own dependent; a declaration file is outside `rootDir` rules), and so their
 * errors are those of `futures/dist`, the copy that build imports.
 *
 * @module
 */
import fc from 'fast-check';
import { BrokenProcessPool, BrokenThreadPool, moduleTasks, type Task } from '../../dist/index.js';
import { type BasePool, Pool, ThreadPool } from '../../../multiprocessing/dist/index.js';
import type { Behaviour } from '../fixtures/hostile-tasks.mjs';
import type * as Hostile from '../fixtures/hostile-tasks.mjs';
import { argArb, type Consume, consumeArb, type ExecCaps, type Item, taskArb } from './program.js';

/** TaskRefs to the hostile tasks, made by the package copy the pools use. */
export const poolHostile = moduleTasks<typeof Hostile>(new URL('../fixtures/hostile-tasks.mjs', import.meta.url));

export type PoolOp =
  | { readonly op: 'apply'; readonly task: Behaviour; readonly arg: Item['arg'] }
  | { readonly op: 'applyAsync'; readonly task: Behaviour; readonly arg: Item['arg']; readonly callbacks: boolean }
  | { readonly op: 'map'; readonly async: boolean; readonly star: boolean; readonly items: readonly Item[]; readonly chunksize: number | undefined }
  | {
      readonly op: 'imap';
      readonly ordered: boolean;
      readonly items: readonly Item[];
      readonly chunksize: number | undefined;
      readonly buffersize: number | undefined;
      readonly consume: Consume;
    }
  | { readonly op: 'get'; readonly target: number; readonly ms: number }
  | { readonly op: 'sleep'; readonly ms: number }
  | { readonly op: 'close' }
  | { readonly op: 'join' }
  | { readonly op: 'terminate' };

export interface PoolConfig {
  readonly processes: number;
  readonly initializer: 'none' | 'ok' | 'slow' | 'fail' | 'exit';
  /** Pool only. */
  readonly maxtasksperchild: number | undefined;
}

/**
 * `closeJoin` opens the gate, then `close()` and `join()`; `terminate` and `dispose`
 * (`await using`) stop the pool with the gate closed.
 */
export type PoolFinale = 'closeJoin' | 'terminate' | 'dispose';

export interface PoolProgram {
  readonly config: PoolConfig;
  readonly ops: readonly PoolOp[];
  readonly finale: PoolFinale;
}

export interface PoolTarget {
  readonly name: 'Pool' | 'ThreadPool';
  readonly caps: ExecCaps;
  readonly Broken: abstract new (...args: never[]) => Error;
  make(config: PoolConfig): BasePool;
}

function initOptions(config: PoolConfig): { initializer?: Task<never, unknown>; initargs?: unknown[] } {
  switch (config.initializer) {
    case 'none':
      return {};
    case 'ok':
      return { initializer: poolHostile.init, initargs: ['fuzz'] };
    case 'slow':
      return { initializer: poolHostile.slowInit, initargs: [20] };
    case 'fail':
      return { initializer: poolHostile.failInit, initargs: [] };
    case 'exit':
      return { initializer: poolHostile.exitInit, initargs: [process.pid] };
  }
}

export const poolTargets: readonly PoolTarget[] = [
  {
    name: 'ThreadPool',
    caps: { inProcess: true, pooled: false, transfers: false, canKill: false, signals: [], maxOps: 24 },
    Broken: BrokenThreadPool,
    make: (config) => new ThreadPool({ processes: config.processes, ...initOptions(config) }),
  },
  {
    name: 'Pool',
    caps: { inProcess: false, pooled: true, transfers: false, canKill: true, signals: ['SIGTERM'], maxOps: 14 },
    Broken: BrokenProcessPool,
    make: (config) =>
      new Pool({
        processes: config.processes,
        ...initOptions(config),
        ...(config.maxtasksperchild === undefined ? {} : { maxtasksperchild: config.maxtasksperchild }),
      }),
  },
];

function opArb(caps: ExecCaps): fc.Arbitrary<PoolOp> {
  const task = taskArb(caps);
  const items = fc.array(fc.record({ task, arg: argArb }), { maxLength: 8 });
  const chunksize = fc.option(fc.integer({ min: 1, max: 4 }), { nil: undefined });
  return fc.oneof(
    { weight: 6, arbitrary: fc.record({ op: fc.constant('apply' as const), task, arg: argArb }) },
    { weight: 6, arbitrary: fc.record({ op: fc.constant('applyAsync' as const), task, arg: argArb, callbacks: fc.boolean() }) },
    { weight: 3, arbitrary: fc.record({ op: fc.constant('map' as const), async: fc.boolean(), star: fc.boolean(), items, chunksize }) },
    {
      weight: 3,
      arbitrary: fc.record({
        op: fc.constant('imap' as const),
        ordered: fc.boolean(),
        items,
        chunksize,
        buffersize: fc.option(fc.integer({ min: 1, max: 3 }), { nil: undefined, freq: 3 }),
        consume: consumeArb,
      }),
    },
    { weight: 2, arbitrary: fc.record({ op: fc.constant('get' as const), target: fc.nat(40), ms: fc.integer({ min: 0, max: 30 }) }) },
    { weight: 3, arbitrary: fc.record({ op: fc.constant('sleep' as const), ms: fc.integer({ min: 0, max: 30 }) }) },
    { weight: 1, arbitrary: fc.constant<PoolOp>({ op: 'close' }) },
    { weight: 1, arbitrary: fc.constant<PoolOp>({ op: 'join' }) },
    { weight: 1, arbitrary: fc.constant<PoolOp>({ op: 'terminate' }) },
  );
}

function configArb(caps: ExecCaps): fc.Arbitrary<PoolConfig> {
  const initializers: PoolConfig['initializer'][] = caps.inProcess ? ['ok', 'slow', 'fail'] : ['ok', 'slow', 'fail', 'exit'];
  return fc.record({
    processes: fc.integer({ min: 1, max: caps.inProcess ? 4 : 3 }),
    initializer: fc.oneof({ weight: 8, arbitrary: fc.constant('none' as const) }, { weight: 2, arbitrary: fc.constantFrom(...initializers) }),
    maxtasksperchild: caps.inProcess
      ? fc.constant(undefined)
      : fc.oneof({ weight: 3, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: fc.constantFrom(1, 2, 5) }),
  });
}

/**
 * A pool has no timeouts: a `spin` only ends by `terminate`, and a ThreadPool can stop
 * nothing that runs, so `spin` stays only where the finale terminates a process Pool.
 */
function sanitize(program: PoolProgram): PoolProgram {
  const ends = program.finale !== 'closeJoin';
  const fix = (task: Behaviour): Behaviour => (task.do === 'spin' && !ends ? { do: 'hang' } : task);
  const ops = program.ops.map((op): PoolOp => {
    switch (op.op) {
      case 'apply':
      case 'applyAsync':
        return { ...op, task: fix(op.task) };
      case 'map':
      case 'imap':
        return { ...op, items: op.items.map((item) => ({ ...item, task: fix(item.task) })) };
      default:
        return op;
    }
  });
  return { ...program, ops };
}

export function poolProgramArb(caps: ExecCaps): fc.Arbitrary<PoolProgram> {
  return fc
    .record({
      config: configArb(caps),
      ops: fc.array(opArb(caps), { minLength: 1, maxLength: caps.maxOps, size: '+1' }),
      finale: fc.constantFrom<PoolFinale>('closeJoin', 'closeJoin', 'terminate', 'dispose'),
    })
    .map(sanitize);
}
