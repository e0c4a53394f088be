// The benchmark program: `node benchmarks/dist/main.js [--quick] [--only <suite>[/<case>]]`.
// The same file is the child entry (`--child <suite>/<case>/<probe>`): every measurement
// runs in a fresh child process, see harness/child.ts.
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseCommand, USAGE, type Command } from './cli.js';
import { runChildProbe } from './harness/child.js';
import { runSuite } from './harness/runner.js';
import type { Suite } from './harness/types.js';
import { findProbe, SUITES } from './suites.js';

const RESULTS_DIR = fileURLToPath(new URL('../results/', import.meta.url));
const QUICK_RESULTS_DIR = path.join(os.tmpdir(), 'concurrent-benchmarks');

/** The suites to run, each with the cases to run (undefined: all of them). */
function select(only: readonly string[]): { suite: Suite; cases: string[] | undefined }[] {
  if (only.length === 0) return SUITES.map((suite) => ({ suite, cases: undefined }));
  const picked = new Map<Suite, Set<string> | undefined>();
  for (const selector of only) {
    const [suiteName, caseName, ...rest] = selector.split('/');
    const suite = SUITES.find((s) => s.name === suiteName);
    if (suite === undefined || rest.length > 0 || (caseName !== undefined && !suite.cases.some((c) => c.name === caseName))) {
      const known = SUITES.flatMap((s) => [s.name, ...s.cases.map((c) => `${s.name}/${c.name}`)]);
      throw new TypeError(`--only: unknown benchmark \`${selector}\`; known: ${known.join(', ')}`);
    }
    const cases = picked.has(suite) ? picked.get(suite) : new Set<string>();
    if (caseName === undefined || cases === undefined) picked.set(suite, undefined);
    else picked.set(suite, cases.add(caseName));
  }
  // Keep the registry's order, whatever the order of the flags.
  return SUITES.filter((suite) => picked.has(suite)).map((suite) => {
    const cases = picked.get(suite);
    return { suite, cases: cases === undefined ? undefined : [...cases] };
  });
}

async function run(command: Extract<Command, { kind: 'run' }>): Promise<number> {
  const resultsDir = command.resultsDir ?? (command.quick ? QUICK_RESULTS_DIR : RESULTS_DIR);
  const childExecArgv =
    command.cpuProfDir === undefined ? undefined : ['--cpu-prof', `--cpu-prof-dir=${path.resolve(command.cpuProfDir)}`];
  const issues: string[] = [];
  for (const { suite, cases } of select(command.only)) {
    issues.push(...(await runSuite(suite, { quick: command.quick, cases, resultsDir, childExecArgv })));
  }
  if (issues.length > 0) {
    process.stderr.write(`\ninsane numbers:\n${issues.map((issue) => `  ${issue}`).join('\n')}\n`);
    return 1;
  }
  if (command.quick) process.stdout.write('sanity: every number finite and positive\n');
  return 0;
}

async function main(argv: readonly string[]): Promise<number> {
  let command: Command;
  try {
    command = parseCommand(argv);
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n\n${USAGE}\n`);
    return 2;
  }
  switch (command.kind) {
    case 'help':
      process.stdout.write(`${USAGE}\n`);
      return 0;
    case 'list':
      for (const suite of SUITES) {
        process.stdout.write(`${suite.name}  ${suite.title}\n`);
        for (const c of suite.cases) process.stdout.write(`  ${suite.name}/${c.name}  ${c.title}\n`);
      }
      return 0;
    case 'child':
      return runChildProbe(command.probe, command.params, findProbe);
    case 'run':
      try {
        return await run(command);
      } catch (error) {
        process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
        return error instanceof TypeError && error.message.startsWith('--only') ? 2 : 1;
      }
  }
}

process.exitCode = await main(process.argv.slice(2));
