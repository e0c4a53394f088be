import { parseArgs } from 'node:util';

/** What `main.ts` was asked to do. */
export type Command =
  | { kind: 'help' }
  | { kind: 'list' }
  | { kind: 'child'; probe: string; params: string }
  | {
      kind: 'run';
      quick: boolean;
      /** `<suite>` or `<suite>/<case>` selectors; empty means everything. */
      only: readonly string[];
      resultsDir: string | undefined;
      cpuProfDir: string | undefined;
    };

export const USAGE = `Usage: node benchmarks/dist/main.js [options]

  --quick               smoke run: fewer rounds, smaller sizes (< 20 s); checks only that
                        every number is finite and positive, never that it is fast
  --only <name>         run one suite or one case: "foundation", "foundation/throughput";
                        may be repeated
  --list                list the suites and their cases
  --results-dir <dir>   where the JSON goes (default: benchmarks/results, or the OS temp
                        folder with --quick so that smoke runs never litter the repo)
  --cpu-prof-dir <dir>  run every child with --cpu-prof, writing .cpuprofile files there
  --help                this text

Exit status: 0 when every number is sane (whatever the verdicts), 1 when one is not or a
probe failed, 2 for bad arguments.`;

/**
 * Parses the command line (without `node` and the script).
 *
 * @throws TypeError for unknown options or missing values (node's parseArgs messages).
 */
export function parseCommand(argv: readonly string[]): Command {
  const { values } = parseArgs({
    args: [...argv],
    strict: true,
    allowPositionals: false,
    options: {
      quick: { type: 'boolean', default: false },
      only: { type: 'string', multiple: true, default: [] },
      list: { type: 'boolean', default: false },
      'results-dir': { type: 'string' },
      'cpu-prof-dir': { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
      // Internal: how the parent starts a child (see harness/child.ts).
      child: { type: 'string' },
      params: { type: 'string', default: '{}' },
    },
  });
  if (values.help) return { kind: 'help' };
  if (values.list) return { kind: 'list' };
  if (values.child !== undefined) return { kind: 'child', probe: values.child, params: values.params };
  return {
    kind: 'run',
    quick: values.quick,
    only: values.only,
    resultsDir: values['results-dir'],
    cpuProfDir: values['cpu-prof-dir'],
  };
}
