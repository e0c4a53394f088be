import { parseArgs } from 'node:util';

/** What `main.ts` was asked to do. */
export type Command =
  | { kind: 'help' }
  | { kind: 'list' }
  | { kind: 'child'; probe: string; params: string }
  | {
      kind: 'run';
      quick: boolean;
      /**
       * `<suite>`, `<suite>/<case>`, a matrix workload (`fib`) or `all`; empty means the
       * default (the matrix).
       */
      only: readonly string[];
      /** `--workers 1,2,8`: worker counts for the matrix; undefined means 1, 2 and the cores. */
      workers: readonly number[] | undefined;
      /** `--json`: the results documents on stdout, the human report on stderr. */
      json: boolean;
      resultsDir: string | undefined;
      cpuProfDir: string | undefined;
    };

export const USAGE = `Usage: pnpm bench [options]      (node benchmarks/dist/main.js [options])

  (no option)           the matrix: sequential, ThreadPoolExecutor, WorkerThreadPoolExecutor
                        and ProcessPoolExecutor at 1, 2 and <cores> workers on CPU-bound,
                        IO-bound, mixed and tiny tasks (a few minutes); writes
                        results/<date>-<host>.json, .md and .svg
  --quick               smoke run: fewer rounds, smaller sizes (< 1 min); checks only that
                        every number is finite and positive, never that it is fast
  --only <name>         run one suite, one case or one matrix workload: "fib", "http",
                        "matrix/tiny", "pools" (= pnpm bench:peers), "foundation/timers",
                        "all" (every suite); may be repeated
  --workers <list>      worker counts for the matrix, e.g. "1,2,4" (default: 1, 2 and the
                        number of cores, without repeats)
  --json                print the results as JSON on stdout (the report goes to stderr)
  --list                list the suites, their cases and the matrix workloads
  --results-dir <dir>   where the results go (default: benchmarks/results, or the OS temp
                        folder with --quick so that smoke runs never litter the repo)
  --cpu-prof-dir <dir>  run every child with --cpu-prof, writing .cpuprofile files there
  --help                this text

Exit status: 0 when every number is sane (whatever the verdicts), 1 when one is not or a
probe failed, 2 for bad arguments, 130 when interrupted (Ctrl-C).`;

/**
 * Parses `--workers 1,2,8`.
 *
 * @throws RangeError unless every entry is a whole number from 1 to 1024.
 */
export function parseWorkers(text: string): number[] {
  const list = text.split(',').map((part) => part.trim());
  const counts = list.map(Number);
  if (list.length === 0 || !counts.every((n, i) => list[i] !== '' && Number.isInteger(n) && n >= 1 && n <= 1024)) {
    throw new RangeError(`Expected \`--workers\` to be a comma-separated list of whole numbers from 1 to 1024, got \`${text}\``);
  }
  return [...new Set(counts)].sort((a, b) => a - b);
}

/**
 * Parses the command line (without `node` and the script).
 *
 * @throws TypeError for unknown options or missing values (node's parseArgs messages);
 *   RangeError for a bad `--workers` list.
 */
export function parseCommand(argv: readonly string[]): Command {
  const { values } = parseArgs({
    args: [...argv],
    strict: true,
    allowPositionals: false,
    options: {
      quick: { type: 'boolean', default: false },
      only: { type: 'string', multiple: true, default: [] },
      workers: { type: 'string' },
      json: { type: 'boolean', default: false },
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
    workers: values.workers === undefined ? undefined : parseWorkers(values.workers),
    json: values.json,
    resultsDir: values['results-dir'],
    cpuProfDir: values['cpu-prof-dir'],
  };
}
