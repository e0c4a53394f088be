// The benchmark program: `node benchmarks/dist/main.js [--quick] [--only <name>] [--workers 1,2,4] [--json]`.
// A bare run is the matrix (executors × workloads, src/matrix/); `--only pools` is the peer
// comparison (pnpm bench:peers), `--only foundation` the foundation claims.
// The same file is the child entry (`--child <suite>/<case>/<probe>`): every measurement
// runs in a fresh child process, see harness/child.ts.
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseCommand, USAGE, type Command } from './cli.js';
import { runChildProbe, stopProbes } from './harness/child.js';
import { stopEverything } from './harness/resources.js';
import { runSuite } from './harness/runner.js';
import type { Json, Suite, SuiteRunOptions } from './harness/types.js';
import { DEFAULT_SUITE, findProbe, SUITES } from './suites.js';

const RESULTS_DIR = fileURLToPath(new URL('../results/', import.meta.url));
const QUICK_RESULTS_DIR = path.join(os.tmpdir(), 'concurrent-benchmarks');

/** A bad `--only`: exit status 2, like any other bad argument. */
class SelectionError extends TypeError {}

/**
 * The suite a selector without a slash means: a suite's name, or a case of the default suite
 * (`--only fib` is `--only matrix/fib`).
 */
function expand(selector: string): string {
  if (selector.includes('/') || SUITES.some((s) => s.name === selector)) return selector;
  const fallback = SUITES.find((s) => s.name === DEFAULT_SUITE);
  return fallback?.cases.some((c) => c.name === selector) ? `${DEFAULT_SUITE}/${selector}` : selector;
}

/** The suites to run, each with the cases to run (undefined: all of them). */
function select(only: readonly string[]): { suite: Suite; cases: string[] | undefined }[] {
  if (only.includes('all')) return SUITES.map((suite) => ({ suite, cases: undefined }));
  const selectors = only.length === 0 ? [DEFAULT_SUITE] : only.map(expand);
  const picked = new Map<Suite, Set<string> | undefined>();
  for (const selector of selectors) {
    const [suiteName, caseName, ...rest] = selector.split('/');
    const suite = SUITES.find((s) => s.name === suiteName);
    if (suite === undefined || rest.length > 0 || (caseName !== undefined && !suite.cases.some((c) => c.name === caseName))) {
      const known = ['all', ...SUITES.flatMap((s) => [s.name, ...s.cases.map((c) => `${s.name}/${c.name}`)])];
      throw new SelectionError(`--only: unknown benchmark \`${selector}\`; known: ${known.join(', ')}`);
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

/**
 * Ctrl-C (SIGINT) or SIGTERM during a run: stop the probe child (which stops its pools and
 * Python), the matrix's HTTP server and anything else registered, then exit 130 / 143. A
 * second Ctrl-C while that happens is ignored: the stop ends in a few seconds at most
 * (children get SIGKILL after a grace period).
 */
function stopOnSignals(): void {
  let stopping = false;
  const stop = (signal: NodeJS.Signals, code: number): void => {
    if (stopping) return;
    stopping = true;
    process.stderr.write(`\n${signal}: stopping every child process and server this benchmark started...\n`);
    void Promise.all([stopProbes(), stopEverything()]).finally(() => {
      process.stderr.write('stopped; no results written\n');
      process.exit(code);
    });
  };
  process.on('SIGINT', () => stop('SIGINT', 130));
  process.on('SIGTERM', () => stop('SIGTERM', 143));
}

async function run(command: Extract<Command, { kind: 'run' }>): Promise<number> {
  const selection = select(command.only);
  stopOnSignals();
  const resultsDir = command.resultsDir ?? (command.quick ? QUICK_RESULTS_DIR : RESULTS_DIR);
  const childExecArgv =
    command.cpuProfDir === undefined ? undefined : ['--cpu-prof', `--cpu-prof-dir=${path.resolve(command.cpuProfDir)}`];
  const issues: string[] = [];
  const documents: { [suite: string]: Json } = {};
  for (const { suite, cases } of selection) {
    const options: SuiteRunOptions = {
      quick: command.quick,
      cases,
      resultsDir,
      childExecArgv,
      workers: command.workers,
      report: command.json ? process.stderr : process.stdout,
    };
    const outcome = 'run' in suite ? await suite.run(options) : await runSuite(suite, options);
    issues.push(...outcome.issues);
    documents[suite.name] = outcome.document;
  }
  if (command.json) process.stdout.write(`${JSON.stringify(documents, null, 2)}\n`);
  if (issues.length > 0) {
    process.stderr.write(`\ninsane numbers:\n${issues.map((issue) => `  ${issue}`).join('\n')}\n`);
    return 1;
  }
  if (command.quick) (command.json ? process.stderr : process.stdout).write('sanity: every number finite and positive\n');
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
        const note = suite.name === DEFAULT_SUITE ? '  (the default)' : '';
        process.stdout.write(`${suite.name}  ${suite.title}${note}\n`);
        for (const c of suite.cases) process.stdout.write(`  ${suite.name}/${c.name}  ${c.title}\n`);
      }
      return 0;
    case 'child':
      return runChildProbe(command.probe, command.params, findProbe);
    case 'run':
      try {
        return await run(command);
      } catch (error) {
        if (error instanceof SelectionError) {
          process.stderr.write(`${error.message}\n`);
          return 2;
        }
        process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
        return 1;
      } finally {
        // A failed run must not leave the server or a child behind either.
        await Promise.all([stopProbes(), stopEverything()]);
      }
  }
}

process.exitCode = await main(process.argv.slice(2));
