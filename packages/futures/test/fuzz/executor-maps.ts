/**
 * The `map`/`starmap` operations of executor programs: the call, whose futures the input
 * itself attributes to the map (each read of an item names the map as the owner of the
 * 'submit' events that follow), and the iteration, run alongside the rest of the program,
 * which records what it handed out and how it ended (checked in executor-checks.ts).
 *
 * @module
 */
import type { MapIterable } from '../../src/index.js';
import type { Spec } from '../fixtures/hostile-tasks.mjs';
import type { ExecutorRun } from './executor-run.js';
import { hostile } from './executor-targets.js';
import type { ExecOp, Item } from './program.js';
import { awaited, type MapRun } from './tracking.js';
import { makeArg } from './values.js';

/** Calls map()/starmap() for `op`, checks whether it had to throw, and starts its iteration. */
export function startMap(host: ExecutorRun, index: number, where: string, op: Extract<ExecOp, { op: 'map' }>): void {
  const units = op.items.map((item: Item, i) => {
    const argValue = makeArg(item.arg);
    return host.unit(`op ${index} (map) item ${i} (${item.task.do} ${item.arg})`, 'ref', item.task, item.arg, argValue, false, 'none');
  });
  const run: MapRun = { index, op, units, nextStart: 0, futures: [], yielded: [], end: undefined };
  host.maps.push(run);
  const wire = units.map((unit) => ({ spec: host.spec(unit.task), arg: unit.argValue }));
  // A chunk is submitted synchronously right after its last item was read, so the map that
  // read last owns the 'submit' events that follow.
  function* input<T>(items: readonly T[]): Generator<T> {
    for (let i = 0; i < items.length; i++) {
      host.attribute({ kind: 'map', run, upTo: i + 1 });
      yield items[i] as T;
    }
    host.attribute({ kind: 'map', run, upTo: items.length });
  }
  const options = {
    ...(op.chunksize === undefined ? {} : { chunksize: op.chunksize }),
    ...(op.buffersize === undefined ? {} : { buffersize: op.buffersize }),
    ...(op.timeout === undefined ? {} : { timeout: op.timeout }),
  };
  const mustThrow = host.mapRefusal(units.length);
  let iterator: MapIterable<unknown>;
  try {
    iterator = op.star
      ? host.executor.starmap(hostile.act, input(wire.map(({ spec, arg }): [Spec, unknown] => [spec, arg])), options)
      : host.executor.map(hostile.actOn, input(wire), options);
    if (mustThrow !== undefined) host.violations.add(`${where}: map() returned an iterator where it must throw`);
  } catch (error) {
    if (mustThrow === undefined || !mustThrow(error)) host.violations.add(`${where}: map() threw ${String(error)} unexpectedly`);
    run.end = { kind: 'unread' };
    return;
  } finally {
    host.attribute(undefined);
  }
  host.promises.push(awaited(`${where} iteration`, consume(host, where, run, iterator)));
}

/** Reads the iteration as `run.op.consume` says; records what it yielded and how it ended. */
async function consume(host: ExecutorRun, where: string, run: MapRun, iterator: MapIterable<unknown>): Promise<void> {
  const { consume: how } = run.op;
  const { yielded } = run;
  try {
    if (how.how === 'none') {
      run.end = { kind: 'unread' };
      return;
    }
    if (how.how === 'toArray') {
      yielded.push(...(await iterator.toArray()));
      run.end = { kind: 'done' };
      return;
    }
    const limit = how.how === 'take' ? how.n : Infinity;
    while (yielded.length < limit) {
      const next = await iterator.next();
      if (next.done === true) {
        run.end = { kind: 'done' };
        return;
      }
      yielded.push(next.value);
    }
    await iterator.return();
    run.end = { kind: 'returned' };
  } catch (error) {
    run.end = { kind: 'threw', error };
  }
  // Ending early (an error, a timeout, return()) cancels what has not started, at once.
  const pending = run.futures.filter((t) => t.future.state === 'PENDING');
  if (pending.length > 0) host.violations.add(`${where}: the iteration ended (${run.end.kind}) leaving ${pending.map((t) => t.label).join(', ')} PENDING`);
  if (run.end.kind === 'threw') {
    const after = await iterator.next().catch((error: unknown) => ({ done: false, value: error }));
    if (after.done !== true) host.violations.add(`${where}: after throwing, the iterator went on (${String(after.value)})`);
  }
}
