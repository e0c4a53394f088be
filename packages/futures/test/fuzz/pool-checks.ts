/**
 * The invariants checked once a pool program has settled: every result ended as the pool's
 * contract allows (or was refused, or failed by terminate), `get()` and `get(timeout)` agree
 * with it, callbacks ran once and before `ready()`, each `imap` handed out what its items
 * allow in the order it promises, no child is left, and a finished pool refuses work.
 *
 * @module
 */
import { ValueError } from '../../../multiprocessing/dist/index.js';
import { allowed, type Environment, errorRule, extras, instanceRule, judge, natural, type Outcome, type Rule, type Unit } from './outcomes.js';
import { poolHostile } from './pool-program.js';
import type { ImapRun, PoolResult, PoolRun } from './pool-run.js';
import { checkCleanExits, isOurChild } from './tracking.js';
import { isSendable, show } from './values.js';

export async function checkPoolFinal(run: PoolRun): Promise<void> {
  const env = run.environment;
  for (const result of run.results) run.violations.guard(result.label, () => checkResult(run, result, env));
  for (const imap of run.imaps) run.violations.guard(imap.label, () => checkImap(run, imap, env));
  run.violations.guard('workers', () => {
    const startIds = run.starts.map((i) => i.id).sort((a, b) => a - b).join();
    const exitIds = run.exits.map((i) => i.id).sort((a, b) => a - b).join();
    if (startIds !== exitIds) run.violations.add(`workerStart ids [${startIds}] but workerExit ids [${exitIds}]`);
    const alive = run.starts.flatMap((i) => (i.pid !== undefined && isOurChild(i.pid) ? [i.pid] : []));
    if (alive.length > 0) run.violations.add(`children alive (or not reaped) after the pool ended: ${alive.join(', ')}`);
    checkCleanExits(run.exits, run.program, run.violations);
  });
  run.violations.guard('after the finale', () => {
    try {
      run.pool.applyAsync(poolHostile.init, [1]);
      run.violations.add('applyAsync() after the finale did not throw');
    } catch (error) {
      if (!(error instanceof ValueError)) run.violations.add(`applyAsync() after the finale threw ${show(error)}, not ValueError`);
    }
  });
  for (const result of run.results) {
    if (result.async === undefined) continue;
    // get() gives the same outcome every time (the same error object).
    const again = await settleOne(result);
    if (!sameOutcome(again, result.outcome)) run.violations.add(`${result.label}: get() changed its outcome`);
  }
}

function rulesFor(run: PoolRun, result: PoolResult, env: Environment): Rule[] {
  const cancelled = instanceRule('CancelledError (terminated)', run.errors.CancelledError);
  if (result.terminated === 'pinned') return [cancelled];
  const rules = result.many ? manyRules(result.units, env) : result.units[0] === undefined ? [] : allowed(result.units[0], env);
  if (result.terminated === 'allowed') rules.push(cancelled);
  return rules;
}

function checkResult(run: PoolRun, result: PoolResult, env: Environment): void {
  const outcome = result.outcome;
  if (outcome === undefined) {
    run.violations.add(`${result.label}: never settled`);
    return;
  }
  const rules = result.refused === undefined ? rulesFor(run, result, env) : [errorRule("ValueError('Pool not running')", result.refused)];
  const verdict = judge(result.label, outcome, rules);
  if (verdict !== undefined) run.violations.add(verdict);
  if (result.async !== undefined) {
    if (!result.async.ready()) run.violations.add(`${result.label}: get() settled while ready() is false`);
    const ok = outcome.state === 'FINISHED' && outcome.ok;
    if (result.async.successful() !== ok) run.violations.add(`${result.label}: successful() is ${!ok} for an outcome ${ok ? 'with' : 'without'} a value`);
  }
  for (const get of result.gets) {
    const timedOut = get.outcome.state === 'FINISHED' && !get.outcome.ok && get.outcome.error instanceof run.errors.TimeoutError;
    if (timedOut ? get.readyBefore : !sameOutcome(get.outcome, outcome)) run.violations.add(`${result.label}: get(timeout) gave ${showGet(get.outcome)}, ready before: ${get.readyBefore}`);
  }
  if (result.callbacks !== undefined) {
    const { calls } = result.callbacks;
    const [call] = calls;
    if (calls.length !== 1 || call === undefined) run.violations.add(`${result.label}: ${calls.length} callback calls`);
    else {
      if (call.readyThen) run.violations.add(`${result.label}: ready() was already true in its callback`);
      const expected = outcome.state === 'FINISHED' ? (outcome.ok ? outcome.value : outcome.error) : undefined;
      if (outcome.state === 'FINISHED' && (call.ok !== outcome.ok || !Object.is(call.value, expected))) run.violations.add(`${result.label}: its callback got ${show(call.value)}, its result is ${show(expected)}`);
    }
  }
}

function checkImap(host: PoolRun, run: ImapRun, env: Environment): void {
  if (run.end === undefined) {
    host.violations.add(`${run.label}: the iteration never ended`);
    return;
  }
  const general = [...extras(undefined, env), instanceRule('CancelledError (terminated)', host.errors.CancelledError)];
  if (!env.inProcess && run.units.some((u) => !isSendable(u.arg))) general.push(errorRule('TypeError (a chunk that cannot be sent)', (e) => e instanceof TypeError));
  const fits = (unit: Unit | undefined, outcome: Outcome): boolean => unit !== undefined && natural(unit, env).some((rule) => rule.test(outcome));
  let position = 0;
  for (const [i, event] of run.events.entries()) {
    const outcome: Outcome = event.ok ? { state: 'FINISHED', ok: true, value: event.value } : { state: 'FINISHED', ok: false, error: event.error };
    const candidates = run.ordered
      ? event.ok || run.chunksize === 1
        ? [run.units[position]]
        : run.units.slice(position - (position % run.chunksize), position - (position % run.chunksize) + run.chunksize)
      : run.units;
    const ok = candidates.some((unit) => fits(unit, outcome)) || (!event.ok && general.some((rule) => rule.test(outcome)));
    if (!ok) host.violations.add(`${run.label}: result ${i} (${event.ok ? show(event.value) : `error ${show(event.error)}`}) fits no item at position ${position}`);
    position++;
  }
  if (run.end === 'done' && run.events.length > run.units.length + 1) host.violations.add(`${run.label}: ${run.events.length} results for ${run.units.length} items`);
  if (run.end === 'done' && run.chunksize === 1 && run.events.every((e) => e.ok) && run.events.length !== run.units.length) {
    host.violations.add(`${run.label}: finished after ${run.events.length} of ${run.units.length} items without an error`);
  }
}

/** A map's outcomes: every item's value in order, or one error some item (or the chunk) allows. */
function manyRules(units: readonly Unit[], env: Environment): Rule[] {
  const values: Rule = {
    name: `the values of all ${units.length} items in order`,
    test: (o) =>
      o.state === 'FINISHED' &&
      o.ok &&
      Array.isArray(o.value) &&
      o.value.length === units.length &&
      units.every((unit, i) => natural(unit, env).some((rule) => rule.test({ state: 'FINISHED', ok: true, value: (o.value as unknown[])[i] }))),
  };
  const itemError: Rule = {
    name: "one item's error",
    test: (o) => o.state === 'FINISHED' && !o.ok && units.some((unit) => natural(unit, env).some((rule) => rule.test(o))),
  };
  const rules = [values, itemError, ...extras(undefined, env)];
  if (!env.inProcess && units.some((u) => !isSendable(u.arg))) rules.push(errorRule('TypeError (a chunk that cannot be sent)', (e) => e instanceof TypeError && /could not be sent/.test(e.message)));
  return rules;
}

async function settleOne(result: PoolResult): Promise<Outcome> {
  if (result.async === undefined) {
    return result.outcome ?? { state: 'FINISHED', ok: false, error: new Error('not settled') };
  }
  return result.async.get().then(
    (value): Outcome => ({ state: 'FINISHED', ok: true, value }),
    (error: unknown): Outcome => ({ state: 'FINISHED', ok: false, error }),
  );
}

function sameOutcome(a: Outcome | undefined, b: Outcome | undefined): boolean {
  if (a === undefined || b === undefined || a.state !== b.state) return false;
  if (a.state !== 'FINISHED' || b.state !== 'FINISHED') return true;
  return a.ok === b.ok && Object.is(a.ok ? a.value : a.error, b.ok ? b.value : b.error);
}

function showGet(outcome: Outcome): string {
  return outcome.state === 'FINISHED' ? (outcome.ok ? show(outcome.value) : `error ${show(outcome.error)}`) : outcome.state;
}
