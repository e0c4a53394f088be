/**
 * Issue 15: "every future settles", proven by a property-based fuzz suite (test/fuzz/).
 *
 * Each executor (ThreadPoolExecutor, WorkerThreadPoolExecutor, ProcessPoolExecutor, and
 * multiprocessing's ThreadPool and Pool) runs a bounded number of random programs: submits,
 * maps and applies of tasks that return, throw, return what cannot be sent back, hang, block,
 * spin, exit or SIGKILL their worker; arguments that cannot be sent; cancels, aborts,
 * timeouts, recycling, prefetch, shutdowns and terminates at random points. After each, every
 * future and result must have settled within the bound, as the contract allows, with no
 * worker left (see fuzz/properties.ts for the list of invariants).
 *
 * The seed is random on every run; a failure prints it, the path, and the shrunk program.
 * Replay one with `FUZZ_SEED=<seed> FUZZ_PATH=<path>` (and keep it as a regression test in
 * fuzz-regressions.test.ts). `pnpm soak` runs the same properties for as long as asked.
 */
import { describe, expect, it } from 'vitest';
import { fuzzTargets, newFigures } from './fuzz/properties.js';

/** A failing property shrinks for at most this long before it reports (the test still fails). */
const SHRINK_LIMIT_MS = 180_000;

const replay = process.env.FUZZ_SEED === undefined ? {} : { seed: Number(process.env.FUZZ_SEED), ...(process.env.FUZZ_PATH === undefined ? {} : { path: process.env.FUZZ_PATH }) };

describe.each(fuzzTargets)('$name', (target) => {
  it(`fuzz - ${target.ciRuns} random programs: every future settles as the contract allows, no worker is left`, async () => {
    const figures = newFigures();
    const verdict = await target.check(figures, { numRuns: target.ciRuns, interruptAfterTimeLimit: SHRINK_LIMIT_MS, ...replay });
    if (verdict.failed) throw new Error(verdict.message);
    // Not a time limit in disguise: interrupted runs pass only if the machine was so slow
    // that the shrink limit elapsed before the last program, which the count then shows.
    expect(figures.programs).toBeGreaterThan(0);
  }, SHRINK_LIMIT_MS + 120_000);
});
