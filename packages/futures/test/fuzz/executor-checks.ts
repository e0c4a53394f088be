/**
 * The invariants checked once a program has settled: every future ended as the contract
 * allows (outcomes.ts), each map iteration handed out exactly what its futures hold, the
 * events and done-callbacks add up, no worker or child is left, `stats` add up, and a
 * shut-down executor refuses work.
 *
 * @module
 */
import { stoppable, hostile } from './executor-targets.js';
import type { ExecutorRun } from './executor-run.js';
import { allowed, allowedChunk, cancelledRule, judge, type Outcome, type Rule } from './outcomes.js';
import { checkCleanExits, isOurChild, type MapRun, outcomeOf, type Tracked } from './tracking.js';
import { show } from './values.js';

export async function checkFinal(run: ExecutorRun): Promise<void> {
  const outcomes = new Map<Tracked, Outcome>();
  for (const tracked of run.tracked) outcomes.set(tracked, await outcomeOf(tracked.future));
  for (const tracked of run.tracked) run.violations.guard(tracked.label, () => checkFuture(run, tracked, outcomes.get(tracked) as Outcome));
  for (const map of run.maps) run.violations.guard(`op ${map.index} (map)`, () => checkMap(run, map, outcomes));
  run.violations.guard('workers', () => checkWorkers(run));
  run.violations.guard('stats', () => checkStats(run, outcomes));
  run.violations.guard('after shutdown', () => checkRefuses(run));
}

function checkFuture(run: ExecutorRun, tracked: Tracked, outcome: Outcome): void {
  const { violations } = run;
  const label = tracked.label;
  const events = tracked.events.join(',');
  if (events !== 'submit,done' && events !== 'submit,start,done') violations.add(`${label}: events ${events}`);
  if (outcome.state === 'CANCELLED' && tracked.events.includes('start')) violations.add(`${label}: cancelled after 'start'`);
  if (outcome.state === 'FINISHED' && outcome.ok && !tracked.events.includes('start')) violations.add(`${label}: a value without 'start'`);
  if (tracked.doneCalls !== 1) violations.add(`${label}: its done-callback ran ${tracked.doneCalls} times`);
  if (tracked.stateAtDone !== tracked.future.state) violations.add(`${label}: was ${String(tracked.stateAtDone)} when done, ${tracked.future.state} now`);
  let rules: Rule[];
  if (tracked.pinned !== undefined) {
    rules = [{ ...tracked.pinned.rule, name: `${tracked.pinned.rule.name} (${tracked.pinned.why})` }];
  } else {
    const env = run.environment;
    const [unit] = tracked.units;
    rules = tracked.chunk ? allowedChunk(tracked.units, env) : unit === undefined ? [] : allowed(unit, env);
    // An iteration that ends early cancels what has not started.
    const end = tracked.map?.end?.kind;
    if (end === 'returned' || end === 'threw') rules.push({ ...cancelledRule, name: 'CANCELLED (its map ended early)' });
  }
  const verdict = judge(label, outcome, rules);
  if (verdict !== undefined) violations.add(verdict);
}

/** What a map future holds for item `k`, as the iteration must hand it out. */
function itemOf(tracked: Tracked, outcome: Outcome, k: number): { ok: true; value: unknown } | { ok: false; error: unknown } | 'cancelled' {
  if (outcome.state === 'CANCELLED') return 'cancelled';
  if (!outcome.ok) return { ok: false, error: outcome.error };
  if (!tracked.chunk) return { ok: true, value: outcome.value };
  const { values, errors } = outcome.value as { values: unknown[]; errors: Map<number, unknown> };
  const i = k - tracked.start;
  return errors.has(i) ? { ok: false, error: errors.get(i) } : { ok: true, value: values[i] };
}

function checkMap(run: ExecutorRun, map: MapRun, outcomes: ReadonlyMap<Tracked, Outcome>): void {
  const where = `op ${map.index} (map)`;
  const { errors, violations } = run;
  const covering = (k: number): Tracked | undefined => map.futures.find((t) => k >= t.start && k < t.start + t.units.length);
  const end = map.end;
  if (end === undefined) {
    violations.add(`${where}: the iteration never ended`);
    return;
  }
  map.yielded.forEach((value, k) => {
    const tracked = covering(k);
    if (tracked === undefined) {
      violations.add(`${where}: yielded item ${k}, which no future covers`);
      return;
    }
    const item = itemOf(tracked, outcomes.get(tracked) as Outcome, k);
    if (item === 'cancelled' || !item.ok || !Object.is(item.value, value)) {
      violations.add(`${where}: yielded ${show(value)} for item ${k}, whose future holds ${item === 'cancelled' ? 'CANCELLED' : item.ok ? show(item.value) : `error ${show(item.error)}`}`);
    }
  });
  if (end.kind === 'done' && map.yielded.length !== map.units.length) {
    violations.add(`${where}: finished after ${map.yielded.length} of ${map.units.length} items`);
  }
  if (end.kind !== 'threw') return;
  const error = end.error;
  if (map.op.timeout !== undefined && error instanceof errors.TimeoutError) return;
  // Where the error was thrown: next() knows the position; toArray() could be any of them.
  const positions = map.op.consume.how === 'toArray' ? map.units.map((_, k) => k) : [map.yielded.length];
  const explained = positions.some((k) => {
    const tracked = covering(k);
    if (tracked === undefined) return error instanceof errors.ExecutorShutdownError || error instanceof errors.Broken;
    const item = itemOf(tracked, outcomes.get(tracked) as Outcome, k);
    return item === 'cancelled' ? error instanceof errors.CancelledError : !item.ok && Object.is(item.error, error);
  });
  if (!explained) violations.add(`${where}: threw ${show(error)} after ${map.yielded.length} items, which no future of item ${positions.join('/')} explains`);
}

function checkWorkers(run: ExecutorRun): void {
  const { starts, exits, violations } = run;
  if (run.target.caps.inProcess) {
    if (starts.length + exits.length > 0) violations.add(`the event-loop executor emitted worker events (${starts.length} starts, ${exits.length} exits)`);
    return;
  }
  const startIds = starts.map((info) => info.id).sort((a, b) => a - b);
  const exitIds = exits.map((info) => info.id).sort((a, b) => a - b);
  if (startIds.join() !== exitIds.join()) violations.add(`workerStart ids [${startIds.join()}] but workerExit ids [${exitIds.join()}]`);
  const alive = starts.flatMap((info) => (info.pid !== undefined && isOurChild(info.pid) ? [info.pid] : []));
  if (alive.length > 0) violations.add(`children alive (or not reaped) after shutdown: ${alive.join(', ')}`);
  checkCleanExits(exits, run.program, violations);
  if (run.brokenEvents.length > 1) violations.add(`'broken' emitted ${run.brokenEvents.length} times`);
  if ((run.executor.broken !== undefined) !== (run.brokenEvents.length > 0)) violations.add(`executor.broken is ${String(run.executor.broken)} after ${run.brokenEvents.length} 'broken' events`);
}

/**
 * `stats` once shut down: no workers, nothing queued or running; `completed` counts exactly
 * the items that gave a value; `failed` counts the items that failed, including those the
 * pool stopped while running (abort, timeout), but maybe not queued work a break failed
 * before any worker had it (options.ts, PoolStats).
 */
function checkStats(run: ExecutorRun, outcomes: ReadonlyMap<Tracked, Outcome>): void {
  const pool = stoppable(run.executor);
  if (pool === undefined) return;
  const stats = pool.stats;
  if (stats.workers !== 0 || stats.queued !== 0 || stats.running !== 0) run.violations.add(`after shutdown: ${JSON.stringify(stats)}`);
  let completed = 0;
  let failedMin = 0;
  let failedMax = 0;
  for (const tracked of run.tracked) {
    const outcome = outcomes.get(tracked) as Outcome;
    if (outcome.state !== 'FINISHED') continue;
    const size = Math.max(1, tracked.units.length);
    if (outcome.ok) {
      const errors = tracked.chunk ? (outcome.value as { errors: Map<number, unknown> }).errors.size : 0;
      completed += size - errors;
      failedMin += errors;
      failedMax += errors;
    } else if (outcome.error instanceof run.errors.Broken) {
      failedMax += size;
    } else {
      failedMin += size;
      failedMax += size;
    }
  }
  if (stats.completed !== completed) run.violations.add(`stats.completed is ${stats.completed}, but ${completed} items gave a value`);
  if (stats.failed < failedMin || stats.failed > failedMax) run.violations.add(`stats.failed is ${stats.failed}, expected ${failedMin}..${failedMax}`);
}

/** After the finale, submit throws: the Broken error if the executor broke, else ExecutorShutdownError. */
function checkRefuses(run: ExecutorRun): void {
  const expected = run.brokenEvents.length > 0 ? run.errors.Broken : run.errors.ExecutorShutdownError;
  let error: unknown;
  try {
    run.executor.submit(hostile.init, 1);
  } catch (thrown) {
    error = thrown;
  }
  if (!(error instanceof expected)) run.violations.add(`submit after the finale: ${error === undefined ? 'did not throw' : `threw ${show(error)}`}, expected ${expected.name}`);
}
