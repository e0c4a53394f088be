/**
 * The soak: the fuzz properties of fuzz.test.ts, with fresh random seeds, for as long as
 * asked. Prints the programs run, operations, faults injected and failures (each with the
 * seed and path that replay it), and exits 1 if anything failed.
 *
 * ```
 * npx pnpm build && npx tsx packages/futures/test/fuzz/soak.ts [--minutes 10] [--only Pool,ThreadPool]
 *                                                              [--seed N --path P]
 * ```
 * `SOAK_MINUTES` sets the default duration (10).
 *
 * Time is shared out in batches, one target after another, so every executor gets about the
 * same wall time whatever its programs cost; the last batch may end a little after the time
 * asked for (a batch is never cut short).
 *
 * @module
 */
import { parseArgs } from 'node:util';
import { fuzzTargets, newFigures } from './properties.js';

const { values: args } = parseArgs({
  options: {
    minutes: { type: 'string' },
    only: { type: 'string' },
    seed: { type: 'string' },
    path: { type: 'string' },
  },
});

/**
 * Wall time one batch of a target's programs aims at. Batches are never cut short (fast-check's
 * `interruptAfterTimeLimit` abandons the program in flight, and with it a stall it was about
 * to report), so the batch size follows how long the target's last batch took.
 */
const BATCH_MS = 30_000;
/** A failing batch shrinks its program for at most this long before it reports. */
const SHRINK_LIMIT_MS = 300_000;
const minutes = Number(args.minutes ?? process.env.SOAK_MINUTES ?? 10);
if (!Number.isFinite(minutes) || minutes <= 0) throw new RangeError(`Expected --minutes to be a positive number, got ${String(args.minutes ?? process.env.SOAK_MINUTES)}`);
const only = args.only?.split(',');
const targets = fuzzTargets.filter((target) => only === undefined || only.includes(target.name));
if (targets.length === 0) throw new RangeError(`--only ${String(args.only)} names no target; known: ${fuzzTargets.map((t) => t.name).join(', ')}`);

interface Failure {
  readonly target: string;
  readonly seed: number;
  readonly path: string | null;
  readonly message: string;
}

const started = Date.now();
const deadline = started + minutes * 60_000;
const perTarget = new Map(targets.map((target) => [target.name, newFigures()]));
const failures: Failure[] = [];
const elapsed = (): string => {
  const s = Math.round((Date.now() - started) / 1000);
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
};
const totals = (): { programs: number; operations: number; faults: number } => {
  const sum = { programs: 0, operations: 0, faults: 0 };
  for (const figures of perTarget.values()) {
    sum.programs += figures.programs;
    sum.operations += figures.operations;
    sum.faults += figures.faults;
  }
  return sum;
};

console.log(`soak: ${minutes} min over ${targets.map((t) => t.name).join(', ')}`);
/** Programs per batch, per target: starts at one, then sized by the last batch's pace. */
const batchRuns = new Map(targets.map((target) => [target.name, 1]));
while (Date.now() < deadline) {
  for (const target of targets) {
    const left = deadline - Date.now();
    if (left <= 0) break;
    const figures = perTarget.get(target.name) ?? newFigures();
    const seed = args.seed === undefined ? Math.floor(Math.random() * 2 ** 31) : Number(args.seed);
    const before = figures.programs;
    const batchStarted = Date.now();
    const runs = args.path === undefined ? (batchRuns.get(target.name) ?? 1) : 1;
    const verdict = await target.check(figures, {
      seed,
      numRuns: runs,
      ...(args.path === undefined ? {} : { path: args.path }),
      interruptAfterTimeLimit: SHRINK_LIMIT_MS,
    });
    if (verdict.failed) {
      failures.push({ target: target.name, seed: verdict.seed, path: verdict.path, message: verdict.message });
      console.log(`\n[${elapsed()}] FAILURE in ${target.name} (seed ${verdict.seed}, path ${String(verdict.path)}):\n${verdict.message}\n`);
    } else {
      // Size the next batch to BATCH_MS (or its share of what is left) at this one's pace,
      // growing at most twofold: a few programs are a poor measure of the next hundred.
      const perProgram = (Date.now() - batchStarted) / Math.max(1, figures.programs - before);
      const budget = Math.min(BATCH_MS, Math.max(0, deadline - Date.now()) / targets.length);
      batchRuns.set(target.name, Math.max(1, Math.min(2 * runs, Math.floor(budget / perProgram))));
    }
    const sum = totals();
    console.log(`[${elapsed()}] ${target.name}: ${figures.programs} programs | total ${sum.programs} programs, ${sum.operations} operations, ${sum.faults} faults injected, ${failures.length} failures`);
  }
  if (args.path !== undefined) break;
}

const sum = totals();
console.log(`\nsoak finished after ${elapsed()}`);
for (const [name, figures] of perTarget) console.log(`  ${name.padEnd(26)} ${String(figures.programs).padStart(6)} programs ${String(figures.operations).padStart(7)} operations ${String(figures.faults).padStart(7)} faults`);
console.log(`  ${'total'.padEnd(26)} ${String(sum.programs).padStart(6)} programs ${String(sum.operations).padStart(7)} operations ${String(sum.faults).padStart(7)} faults`);
console.log(`  failures: ${failures.length}`);
for (const failure of failures) console.log(`    ${failure.target}: seed ${failure.seed}, path ${String(failure.path)} (replay: --only ${failure.target} --seed ${failure.seed} --path ${String(failure.path)})`);
process.exit(failures.length > 0 ? 1 : 0);
