/**
 * The fuzz properties, one per executor, as the CI test (`fuzz.test.ts`) and the soak
 * (`soak.ts`) both run them, and the figures they add up.
 *
 * The property, for each of ThreadPoolExecutor, WorkerThreadPoolExecutor,
 * ProcessPoolExecutor, multiprocessing's ThreadPool and Pool: *every program, run on a fresh
 * executor, breaks none of the invariants of executor-run.ts / executor-checks.ts
 * (pool-run.ts)*, the first of which is that everything settles within the bound.
 *
 * @module
 */
import fc from 'fast-check';
import { runExecutorProgram } from './executor-run.js';
import { executorTargets } from './executor-targets.js';
import { runPoolProgram } from './pool-run.js';
import { poolProgramArb, poolTargets } from './pool-program.js';
import type { ProgramFigures } from './program-facts.js';
import { programArb } from './program.js';

/** What a run of programs did (the soak prints these). */
export interface Figures {
  programs: number;
  operations: number;
  faults: number;
}

export function newFigures(): Figures {
  return { programs: 0, operations: 0, faults: 0 };
}

/** How one property run ended: fast-check's report, flattened. */
export interface Verdict {
  readonly failed: boolean;
  readonly interrupted: boolean;
  readonly numRuns: number;
  readonly seed: number;
  readonly path: string | null;
  /** fast-check's message: seed, path, the shrunk program and the violations. */
  readonly message: string;
}

export interface FuzzTarget {
  readonly name: string;
  /** How many programs the CI test runs (see fuzz.test.ts for the budget). */
  readonly ciRuns: number;
  /** Runs the property with fast-check `parameters`, adding to `figures`. */
  check(figures: Figures, parameters: fc.Parameters<unknown>): Promise<Verdict>;
}

function fuzzTarget<P>(name: string, ciRuns: number, programs: fc.Arbitrary<P>, run: (program: P) => Promise<ProgramFigures>): FuzzTarget {
  return {
    name,
    ciRuns,
    async check(figures, parameters) {
      const property = fc.asyncProperty(programs, async (program) => {
        const report = await run(program);
        figures.programs++;
        figures.operations += report.operations;
        figures.faults += report.faults;
      });
      const details = await fc.check(property, parameters as fc.Parameters<[P]>);
      return {
        failed: details.failed,
        interrupted: details.interrupted,
        numRuns: details.numRuns,
        seed: details.seed,
        path: details.counterexamplePath,
        message: details.failed ? `${fc.defaultReportMessage(details) ?? 'failed'}\n${describeError(details.errorInstance)}` : '',
      };
    },
  };
}

/** fast-check 4 leaves the property's error out of its report (it is the `cause`): put it in. */
function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Programs per executor in CI: together about a minute on a 2-core machine (measured: 55-65 s
 * for the five, each taking a similar share; process programs cost a fork per worker).
 */
const CI_RUNS: Record<string, number> = {
  ThreadPoolExecutor: 250,
  WorkerThreadPoolExecutor: 100,
  ProcessPoolExecutor: 80,
  ThreadPool: 250,
  Pool: 70,
};

export const fuzzTargets: readonly FuzzTarget[] = [
  ...executorTargets.map((target) =>
    fuzzTarget(target.name, CI_RUNS[target.name] ?? 10, programArb(target.caps), (program) =>
      runExecutorProgram(target, program),
    ),
  ),
  ...poolTargets.map((target) =>
    fuzzTarget(target.name, CI_RUNS[target.name] ?? 10, poolProgramArb(target.caps), (program) => runPoolProgram(target, program)),
  ),
];
