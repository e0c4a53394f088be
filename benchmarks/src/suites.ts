// Every suite `main.ts` can run, in the order `--only all` takes them. A new benchmark is a
// new folder exporting a Suite, plus one line here.
import { foundation } from './foundation/index.js';
import type { Probe, Suite } from './harness/types.js';
import { matrix } from './matrix/index.js';
import { pools } from './pools/index.js';

export const SUITES: readonly Suite[] = [matrix, foundation, pools];

/** What a bare `pnpm bench` runs: the matrix, a few minutes (the others are `--only`). */
export const DEFAULT_SUITE = matrix.name;

/** Looks a probe up by its id, `<suite>/<case>/<probe>` (what children are started with). */
export function findProbe(id: string): Probe | undefined {
  const [suiteName, caseName, probeName, ...rest] = id.split('/');
  if (rest.length > 0 || probeName === undefined) return undefined;
  const benchmark = SUITES.find((s) => s.name === suiteName)?.cases.find((c) => c.name === caseName);
  return benchmark !== undefined && Object.hasOwn(benchmark.probes, probeName) ? benchmark.probes[probeName] : undefined;
}
