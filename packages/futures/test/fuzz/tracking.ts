/**
 * What the fuzz runners keep about the things a program makes (futures, map iterations,
 * promises that must settle), the bounded wait for all of it, and the check that no child
 * process outlives its pool.
 *
 * @module
 */
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Future, WorkerInfo } from '../../src/index.js';
import { cleanExitsExpected, stopsOf } from './program-facts.js';
import type { PoolProgram } from './pool-program.js';
import type { Consume, ExecOp, ExecProgram } from './program.js';
import type { Outcome, Rule, Unit } from './outcomes.js';

/**
 * How long everything a program made may take to settle once its last operation (the finale)
 * has run. Generous: the machine is small and shared, and a SIGTERM that is ignored takes
 * 5 s to become a SIGKILL. A stall is forever, so a wide bound loses nothing.
 */
export const SETTLE_BOUND_MS = 15_000;
/** What one stop may cost on a loaded 2-core machine: a timeout, the abort grace (1 s), a new worker. */
const STOP_MS = 4_000;

/**
 * How long what `program` made may take to settle after its last operation: the base bound,
 * plus one stop's cost for each task that must be stopped or dies (they may run one after
 * another on one worker). A fixed bound flagged slow programs on a loaded machine (nine
 * spins behind a 278 ms taskTimeout take 13 s unloaded).
 */
export function settleBound(program: ExecProgram | PoolProgram): number {
  return SETTLE_BOUND_MS + stopsOf(program) * STOP_MS;
}
/**
 * How long disposing of a program that did not end by itself (it already failed) may take
 * before its children are SIGKILLed: terminate's own SIGTERM grace, and no more.
 */
export const DISPOSE_BOUND_MS = 6_000;
const POLL_MS = 10;

/** A future the program made, and what the program did to it. */
export interface Tracked {
  readonly future: Future<unknown>;
  readonly label: string;
  /** Its task(s): one for a submit, the chunk's items for a map chunk. */
  readonly units: readonly Unit[];
  /** Its value is a map chunk's `{ values, errors }`. */
  readonly chunk: boolean;
  /** For map futures: the map and the index of its first item. */
  readonly map: MapRun | undefined;
  readonly start: number;
  /** 'submit' / 'start' / 'done' as the executor emitted them. */
  readonly events: string[];
  /** How often its done-callback ran, and the state it saw then. */
  doneCalls: number;
  stateAtDone: string | undefined;
  /** Set when something the program did pins the final state (a cancel, an abort, a terminate). */
  pinned: { readonly why: string; readonly rule: Rule } | undefined;
}

/** Which op (or map chunk) owns the futures the executor announces next. */
export type Attribution = { readonly kind: 'unit'; readonly unit: Unit } | { readonly kind: 'map'; readonly run: MapRun; readonly upTo: number };

/** How a map iteration ended. */
export type MapEnd =
  | { readonly kind: 'done' }
  | { readonly kind: 'returned' }
  | { readonly kind: 'unread' }
  | { readonly kind: 'threw'; readonly error: unknown };

export interface MapRun {
  readonly index: number;
  readonly op: Extract<ExecOp, { op: 'map' }> | { readonly timeout: number | undefined; readonly consume: Consume };
  readonly units: readonly Unit[];
  /** The next item no future covers yet (attribution of the 'submit' events). */
  nextStart: number;
  readonly futures: Tracked[];
  yielded: unknown[];
  end: MapEnd | undefined;
}

/** Violations of the contract, each with where it happened. */
export class Violations {
  readonly list: string[] = [];

  add(message: string): void {
    this.list.push(message);
  }

  /** Runs `check`; a throw from it (a bug in a check, or in the code under test) is one violation. */
  guard(where: string, check: () => void): void {
    try {
      check();
    } catch (error) {
      this.add(`${where}: ${error instanceof Error ? error.stack ?? error.message : String(error)}`);
    }
  }
}

/** The final state of a done future, through the public API only. */
export async function outcomeOf(future: Future<unknown>): Promise<Outcome> {
  if (future.state === 'CANCELLED') return { state: 'CANCELLED' };
  return future.result(0).then(
    (value): Outcome => ({ state: 'FINISHED', ok: true, value }),
    (error: unknown): Outcome => ({ state: 'FINISHED', ok: false, error }),
  );
}

/** Resolves with 'settled' once `promise` settles, or 'timeout' after `ms` (the timer is cleared either way). */
export async function bounded(promise: Promise<unknown>, ms: number): Promise<'settled' | 'timeout'> {
  const stop = new AbortController();
  const timer = sleep(ms, 'timeout' as const, { signal: stop.signal }).catch(() => 'settled' as const);
  const settled = promise.then(
    () => 'settled' as const,
    () => 'settled' as const,
  );
  const outcome = await Promise.race([settled, timer]);
  stop.abort();
  return outcome;
}

/** A promise the program made that must settle (a shutdown, a map iteration, the finale). */
export interface Awaited {
  readonly label: string;
  readonly promise: Promise<unknown>;
  settled: boolean;
}

export function awaited(label: string, promise: Promise<unknown>): Awaited {
  const entry: Awaited = { label, promise, settled: false };
  const mark = (): void => {
    entry.settled = true;
  };
  promise.then(mark, mark);
  return entry;
}

/**
 * Waits (bounded) until every future is done and every awaited promise has settled; returns
 * what is still outstanding, empty when all settled.
 */
export async function settleAll(futures: readonly Tracked[], promises: readonly Awaited[], bound = SETTLE_BOUND_MS): Promise<string[]> {
  const deadline = Date.now() + bound;
  const outstanding = (): string[] => [
    ...futures.filter((t) => !t.future.done()).map((t) => `${t.label} still ${t.future.state}`),
    ...promises.filter((p) => !p.settled).map((p) => `${p.label} never settled`),
  ];
  for (let left = outstanding(); ; left = outstanding()) {
    if (left.length === 0 || Date.now() > deadline) return left;
    await sleep(POLL_MS);
  }
}

/**
 * Whether `pid` is a child of this process that exists, zombies included: a pool must reap
 * what it forks. (A pid some other process reuses is not ours, hence the parent check.)
 */
export function isOurChild(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ESRCH') return false;
  }
  if (process.platform !== 'linux') return true;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    return ppid === process.pid;
  } catch {
    return false;
  }
}

/** In a program that stops no worker, every child exits with code 0. */
export function checkCleanExits(exits: readonly WorkerInfo[], program: ExecProgram | PoolProgram, violations: Violations): void {
  if (!cleanExitsExpected(program)) return;
  const unclean = exits.filter((info) => info.pid !== undefined && (info.exitCode !== 0 || (info.signal ?? null) !== null));
  if (unclean.length > 0) violations.add(`children that nothing stopped exited uncleanly: ${unclean.map((i) => `pid ${String(i.pid)} code ${String(i.exitCode)} signal ${String(i.signal)}`).join(', ')}`);
}
