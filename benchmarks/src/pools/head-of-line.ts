// Head-of-line blocking (decision 0009, issue 9). Both workers are warm from tiny tasks, so
// 'auto' prefetch hands each one many tasks ahead of time. Then, in one synchronous stretch,
// one long task and six 50 ms tasks are submitted: the dispatcher cannot know yet that the
// first is long, so some of the six are handed to the worker that then holds its thread for
// 2 s. The pool must take them back for the free worker; the six should be done after about
// 6 × 50 ms (one worker is busy with the long task the whole time), not after the long task.
// `prefetch: 0` (nothing handed ahead of time, nothing to take back) runs beside it as a
// reference, and a crash variant: a long task on one worker, a task that kills the other,
// four short tasks queued behind both; they should all run on the replacement worker.
import {
  type Future,
  moduleTasks,
  type ProcessPoolExecutor,
  WorkerExitError,
  type WorkerThreadPoolExecutor,
} from '@concurrent/futures';
import { plural, seconds, times, verdict } from '../harness/format.js';
import { forceGc, numberParam } from '../harness/probe-kit.js';
import { type Resources, withResources } from '../harness/resources.js';
import { median } from '../harness/stats.js';
import type { Case, CaseContext, CaseResult, Measurement, Params, Row } from '../harness/types.js';
import { millis, workersLabel } from './format.js';
import { OURS_LABEL, type OursName, type OursOptions, processPool, threadPool } from './ours.js';
import { roundsText, runRounds, type Samples } from './rounds.js';
import { PROBE_DEADLINE_MS, roundCounts, WORKERS } from './settings.js';

const holdTasks = moduleTasks<typeof import('./hold-tasks.js')>(new URL('./hold-tasks.js', import.meta.url));

/** The six tasks may take at most this many times the ideal (6 × 50 ms on the free worker). */
const TARGET_RATIO = 1.2;
const MEASURED_ROUNDS = 5;
/** Tasks beside the long one, and behind the crash. */
const SHORTS = 6;
const CRASH_SHORTS = 4;
/** The exit code of the task that kills its worker. */
const CRASH_CODE = 3;

/** Both of ours have `stats` (with `reclaimed`); the Executor base class does not. */
type Pool = ProcessPoolExecutor | WorkerThreadPoolExecutor;

/** What a variant runs: the six beside a long task (with a prefetch setting), or the crash. */
type Scenario = 'auto' | 'prefetch-0' | 'crash';
type Variant = `${'process' | 'thread'}-${Scenario}`;

const KINDS = ['process', 'thread'] as const;
const SCENARIOS: readonly Scenario[] = ['auto', 'prefetch-0', 'crash'];
const VARIANTS: readonly Variant[] = SCENARIOS.flatMap((scenario) => KINDS.map((kind): Variant => `${kind}-${scenario}`));

function oursName(variant: Variant): OursName {
  return variant.startsWith('process-') ? 'ours-process' : 'ours-thread';
}

function scenarioOf(variant: Variant): Scenario {
  return variant.slice(variant.indexOf('-') + 1) as Scenario;
}

/** The pool of a variant: our executor of its kind, default options but the ones it varies. */
function startPool(variant: Variant, resources: Resources, workers: number): Pool {
  const scenario = scenarioOf(variant);
  const options: OursOptions =
    scenario === 'prefetch-0' ? { prefetch: 0 } : scenario === 'crash' ? { onWorkerExit: 'replace' } : {};
  return oursName(variant) === 'ours-process'
    ? processPool(resources, workers, options)
    : threadPool(resources, workers, options);
}

/**
 * `count` tiny tasks at once: every worker started and its tasks module loaded (so the timed
 * tasks pay no import), and 'auto' prefetch sized for tiny tasks, as deep as it goes.
 */
async function warmUp(pool: Pool, count: number, workers: number): Promise<void> {
  const values = await Promise.all(Array.from({ length: count }, (_, i) => pool.submit(holdTasks.identity, i)));
  if (values[count - 1] !== count - 1) throw new Error(`warm-up: wrong result ${String(values[count - 1])}`);
  if (pool.stats.workers !== workers) throw new Error(`warm-up started ${pool.stats.workers} of ${workers} workers`);
}

/**
 * Awaits `futures` (task i returns i) and returns when each finished: stamped by a done
 * callback, which runs as the result arrives, not a few microtasks later.
 */
async function doneTimes(futures: readonly Future<number>[]): Promise<number[]> {
  const at = futures.map(() => NaN);
  futures.forEach((future, i) => future.addDoneCallback(() => (at[i] = performance.now())));
  const values = await Promise.all(futures);
  values.forEach((value, i) => {
    if (value !== i) throw new Error(`task ${i} returned ${value}`);
  });
  return at;
}

/**
 * A count for the measurement. The runner wants every measured value positive (times and
 * sizes), but 0 is a real count here (prefetch 0 hands nothing over to take back): a count of
 * 0 is left out, and read back as 0 (see {@link reclaimedValues}).
 */
function countEntry(key: string, value: number): Record<string, number> {
  return value > 0 ? { [key]: value } : {};
}

/** Six tasks beside a long one. */
async function besideLong(variant: Variant, params: Params): Promise<Measurement> {
  const workers = numberParam(params, 'workers');
  const warm = numberParam(params, 'warm');
  const longMs = numberParam(params, 'longMs');
  const shortMs = numberParam(params, 'shortMs');
  return withResources(PROBE_DEADLINE_MS, async (resources) => {
    const pool = startPool(variant, resources, workers);
    await warmUp(pool, warm, workers);
    forceGc();
    // The warm-up takes tasks back too (it evens out its own tail): count only what follows.
    const reclaimedBefore = pool.stats.reclaimed;
    const start = performance.now();
    // One synchronous stretch: all seven reach the dispatcher in the same pass.
    const long = pool.submit(holdTasks.hold, longMs, -1);
    const shorts = Array.from({ length: SHORTS }, (_, i) => pool.submit(holdTasks.hold, shortMs, i));
    const done = await doneTimes(shorts);
    const shortsMs = Math.max(...done) - start;
    // Read now: what was taken back for the six, before the long task's end changes anything.
    const reclaimed = pool.stats.reclaimed - reclaimedBefore;
    if ((await long) !== -1) throw new Error('the long task returned the wrong value');
    const longDoneMs = performance.now() - start;
    const idealMs = SHORTS * shortMs;
    return { workers, warm, longMs, shortMs, shortsMs, idealMs, overIdeal: shortsMs / idealMs, longDoneMs, ...countEntry('reclaimed', reclaimed) };
  });
}

/** A long task, a crash on the other worker, four tasks queued behind both. */
async function besideCrash(variant: Variant, params: Params): Promise<Measurement> {
  const workers = numberParam(params, 'workers');
  const warm = numberParam(params, 'warm');
  const longMs = numberParam(params, 'longMs');
  const shortMs = numberParam(params, 'crashShortMs');
  return withResources(PROBE_DEADLINE_MS, async (resources) => {
    const pool = startPool(variant, resources, workers);
    await warmUp(pool, warm, workers);
    forceGc();
    let exitAt = NaN;
    let replacementAt = NaN;
    pool.on('workerExit', () => {
      if (Number.isNaN(exitAt)) exitAt = performance.now();
    });
    pool.on('workerStart', () => {
      if (!Number.isNaN(exitAt) && Number.isNaN(replacementAt)) replacementAt = performance.now();
    });
    const reclaimedBefore = pool.stats.reclaimed;
    const start = performance.now();
    const long = pool.submit(holdTasks.hold, longMs, -1);
    const crash = pool.submit(holdTasks.exitWith, CRASH_CODE);
    const shorts = Array.from({ length: CRASH_SHORTS }, (_, i) => pool.submit(holdTasks.hold, shortMs, i));
    const done = await doneTimes(shorts);
    const shortsMs = Math.max(...done) - start;
    const reclaimed = pool.stats.reclaimed - reclaimedBefore;
    const error = await crash.exception();
    if (!(error instanceof WorkerExitError)) throw new Error(`the crash task failed with ${String(error)}, not a WorkerExitError`);
    if (Number.isNaN(replacementAt)) throw new Error('no replacement worker started after the crash');
    // The replacement's start-up as the startup case times a new pool's (start → first
    // result), less the 20 ms its first task holds the thread.
    const replacementMs = Math.min(...done) - replacementAt - shortMs;
    if ((await long) !== -1) throw new Error('the long task returned the wrong value');
    const idealMs = replacementMs + CRASH_SHORTS * shortMs;
    return {
      workers,
      warm,
      longMs,
      shortMs,
      shortsMs,
      exitMs: exitAt - start,
      replacementMs,
      idealMs,
      overIdeal: shortsMs / idealMs,
      longDoneMs: performance.now() - start,
      ...countEntry('reclaimed', reclaimed),
    };
  });
}

function probe(variant: Variant, params: Params): Promise<Measurement> {
  return scenarioOf(variant) === 'crash' ? besideCrash(variant, params) : besideLong(variant, params);
}

/** `reclaimed` of `variant` in every measured round (absent means 0, see {@link countEntry}). */
function reclaimedValues(samples: Samples, variant: Variant): number[] {
  return samples.all
    .filter((sample) => !sample.warmup && sample.variant === variant)
    .map((sample) => (typeof sample['reclaimed'] === 'number' ? sample['reclaimed'] : 0));
}

/** `3 reclaimed` (the median over rounds), `2–4 reclaimed` when the rounds differ. */
function reclaimedText(samples: Samples, variant: Variant): string {
  const values = reclaimedValues(samples, variant);
  const low = Math.min(...values);
  const high = Math.max(...values);
  return low === high ? `${low} reclaimed` : `${low}–${high} reclaimed`;
}

async function run(context: CaseContext): Promise<CaseResult> {
  // Quick: the same shape, times cut so that a smoke run of the suite stays short.
  const longMs = context.quick ? 400 : 2_000;
  const shortMs = context.quick ? 10 : 50;
  const crashShortMs = context.quick ? 5 : 20;
  const warm = context.quick ? 50 : 200;
  const { warmupRounds, rounds } = roundCounts(context.quick, MEASURED_ROUNDS);
  const samples = await runRounds(context, {
    variants: VARIANTS,
    warmupRounds,
    rounds,
    params: () => ({ workers: WORKERS, warm, longMs, shortMs, crashShortMs }),
    describe: (variant, m) => `${variant} ${millis(m['shortsMs'] ?? NaN)}`,
  });

  const med = (variant: Variant, key: string): number => samples.median(variant, key);
  const best = (variant: Variant, key: string): number => Math.min(...samples.values(variant, key));
  const timeCell = (variant: Variant): string =>
    `${millis(med(variant, 'shortsMs'))} (best ${millis(best(variant, 'shortsMs'))}), ${reclaimedText(samples, variant)}`;
  const ratioCell = (variant: Variant): string =>
    `${times(med(variant, 'overIdeal'))} (best ${times(best(variant, 'overIdeal'))})`;
  const idealMs = SHORTS * shortMs;
  const head = `long ${longMs} ms + ${SHORTS} × ${shortMs} ms @${WORKERS}, six done`;
  const crashHead = `long + crash + ${CRASH_SHORTS} × ${crashShortMs} ms @${WORKERS}, four done`;
  const rows: Row[] = [];
  for (const kind of KINDS) {
    const variant: Variant = `${kind}-auto`;
    const ratio = med(variant, 'overIdeal');
    rows.push({
      what: `${head}: ${OURS_LABEL[oursName(variant)]}`,
      ours: timeCell(variant),
      baseline: `${millis(idealMs)} (ideal: ${SHORTS} × ${shortMs} ms on the free worker)`,
      ratio: ratioCell(variant),
      target: `≤ ${times(TARGET_RATIO)} ideal`,
      verdict: verdict(ratio <= TARGET_RATIO),
    });
  }
  for (const kind of KINDS) {
    const variant: Variant = `${kind}-prefetch-0`;
    rows.push({
      what: `${head}, prefetch: 0 (reference): ${OURS_LABEL[oursName(variant)]}`,
      ours: timeCell(variant),
      baseline: `${millis(idealMs)} (ideal)`,
      ratio: ratioCell(variant),
      target: '',
      verdict: 'info',
    });
  }
  for (const kind of KINDS) {
    const variant: Variant = `${kind}-crash`;
    const replacement = med(variant, 'replacementMs');
    rows.push({
      what: `${crashHead}: ${OURS_LABEL[oursName(variant)]}`,
      ours: timeCell(variant),
      baseline: `${millis(replacement + CRASH_SHORTS * crashShortMs)} (replacement start-up ${millis(replacement)} + ${CRASH_SHORTS} × ${crashShortMs} ms)`,
      ratio: ratioCell(variant),
      target: '',
      verdict: 'info',
    });
  }

  const summary: Record<string, number> = {};
  for (const variant of VARIANTS) {
    summary[`${variant}.shortsMs`] = med(variant, 'shortsMs');
    summary[`${variant}.bestShortsMs`] = best(variant, 'shortsMs');
    summary[`${variant}.overIdeal`] = med(variant, 'overIdeal');
    summary[`${variant}.longDoneMs`] = med(variant, 'longDoneMs');
    summary[`${variant}.reclaimed`] = median(reclaimedValues(samples, variant));
    if (scenarioOf(variant) === 'crash') {
      summary[`${variant}.replacementMs`] = med(variant, 'replacementMs');
      summary[`${variant}.exitMs`] = med(variant, 'exitMs');
    }
  }
  const spreads = VARIANTS.map((v) => `${v} ${samples.spread(v, 'shortsMs', 0)}`).join(', ');
  const crashes = KINDS.map((kind) => `${kind} ${millis(med(`${kind}-crash`, 'exitMs'))}`).join(', ');
  const longDone = VARIANTS.map((v) => `${v} ${millis(med(v, 'longDoneMs'))}`).join(', ');
  return {
    rows,
    summary,
    raw: { workers: WORKERS, warm, longMs, shortMs, crashShortMs, warmupRounds, rounds, samples: samples.all },
    notes: [
      `Head of line: ${workersLabel(WORKERS)}, default options (prefetch 'auto'), warmed by ${warm} tiny tasks at once ` +
        `(both workers started, 'auto' prefetch as deep as tiny tasks make it), a forced GC, then in one synchronous ` +
        `stretch one task that holds its thread ${seconds(longMs)} and ${SHORTS} that hold theirs ${shortMs} ms ` +
        `(Atomics.wait: the thread is blocked as by CPU-bound work, its event loop deaf, but no core burns, so the ` +
        `case times dispatch and not the machine's load). Timed: submit → the last of the ${SHORTS} done (not the long ` +
        `one). Ideal: all ${SHORTS} one after another on the free worker, ${millis(idealMs)}. "reclaimed" is ` +
        `the growth of stats.reclaimed from submit to the last of them done: tasks taken back from the busy worker. "prefetch: 0" hands nothing ahead ` +
        `of time, so there is nothing to take back: the reference. Median and best of ${roundsText(warmupRounds, rounds)}, ` +
        `each probe in a fresh child, order rotated; per-round ms: ${spreads}.`,
      `Crash: onWorkerExit 'replace', the same warm-up, then one long task (${seconds(longMs)}), one that calls ` +
        `process.exit(${CRASH_CODE}) on the other worker, and ${plural(CRASH_SHORTS, 'task')} of ${crashShortMs} ms. ` +
        `Timed: submit → the last of the ${CRASH_SHORTS} done. Replacement start-up: the replacement's workerStart → ` +
        `its first result, less that task's ${crashShortMs} ms (as the startup case times a new pool). Ideal: that ` +
        `start-up + ${CRASH_SHORTS} × ${crashShortMs} ms, per round; submit → the crashed worker's exit (not in the ` +
        `ideal, part of the time): ${crashes}. Every probe then awaits its long task (submit → done: ${longDone}).`,
    ],
  };
}

/** Case 7 of the pools suite. */
export const headOfLine: Case = {
  name: 'head-of-line',
  title: `Short tasks beside a long one on ${WORKERS} warm workers: taken back from the busy worker`,
  probes: Object.fromEntries(VARIANTS.map((variant) => [variant, (params: Params) => probe(variant, params)])),
  run,
};
