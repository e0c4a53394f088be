/** Any value that survives `JSON.stringify` unchanged: what the raw results are made of. */
export type Json = null | boolean | number | string | readonly Json[] | { readonly [key: string]: Json };

/** What a probe is told to do: flat and JSON-able, so it crosses to a child process as is. */
export type Params = Readonly<Record<string, number | string>>;

/**
 * What one probe measured. Every value must be finite and positive: the runner rejects
 * anything else as insane, which is all the `--quick` smoke run checks.
 */
export type Measurement = Readonly<Record<string, number>>;

/** One measurement, run inside a fresh child process (see `harness/child.ts`). */
export type Probe = (params: Params) => Promise<Measurement>;

/** How a row compares with its target. `info` rows have none. */
export type Verdict = 'met' | 'not met' | 'info';

/** One line of the printed table. Cells are preformatted; the raw numbers go to JSON. */
export interface Row {
  readonly what: string;
  readonly ours: string;
  readonly baseline: string;
  readonly ratio: string;
  readonly target: string;
  readonly verdict: Verdict;
}

/** What a case hands back to its suite. */
export interface CaseResult {
  readonly rows: readonly Row[];
  /** Derived numbers (medians, ratios, growth); must be finite, may be negative. */
  readonly summary: Readonly<Record<string, number>>;
  /** Parameters and every per-round measurement, for the JSON file. */
  readonly raw: Json;
  /** Sentences printed under the table (methodology: what was excluded and why). */
  readonly notes: readonly string[];
}

/** What a case may use while it runs. */
export interface CaseContext {
  /** Fewer rounds and smaller sizes: a smoke run that checks sanity, never speed. */
  readonly quick: boolean;
  /** Runs one of this case's probes in a fresh child process and returns its measurement. */
  probe(name: string, params: Params): Promise<Measurement>;
  /** A progress line (stderr, so that stdout stays the report). */
  log(message: string): void;
}

/** What `--list`, `--only` and the child entry need of a benchmark: a name and its probes. */
export interface Benchmark {
  /** Kebab-case; `--only <suite>/<case>` selects it. */
  readonly name: string;
  readonly title: string;
  readonly probes: Readonly<Record<string, Probe>>;
}

/** One benchmark inside a suite: its probes run in children, `run` orchestrates them. */
export interface Case extends Benchmark {
  run(context: CaseContext): Promise<CaseResult>;
}

/** How main.ts runs a suite. */
export interface SuiteRunOptions {
  readonly quick: boolean;
  /** Run only these cases of the suite (by name); all when undefined. */
  readonly cases?: readonly string[] | undefined;
  /** Where the results files go. */
  readonly resultsDir: string;
  /** Extra node flags for every child (profiling). */
  readonly childExecArgv?: readonly string[] | undefined;
  /** Worker counts asked for with `--workers` (suites with a fixed count ignore it). */
  readonly workers?: readonly number[] | undefined;
  /** Where the human-readable report goes: stdout, or stderr when `--json` owns stdout. */
  readonly report: NodeJS.WritableStream;
}

/** What a suite run hands back to main.ts. */
export interface SuiteOutcome {
  /** Sanity issues (empty when every number is finite and positive). */
  readonly issues: readonly string[];
  /** The results document, as written to the JSON file (printed by `--json`). */
  readonly document: Json;
}

/** A named group of cases that reports one table and writes one results file. */
export interface CaseSuite {
  /** Kebab-case; the results file is `<name>-<date>-<host>.json`. */
  readonly name: string;
  readonly title: string;
  readonly cases: readonly Case[];
}

/**
 * A suite that orchestrates its benchmarks itself (its own table, progress bars, extra
 * output files) instead of through harness/runner.ts.
 */
export interface CustomSuite {
  readonly name: string;
  readonly title: string;
  readonly cases: readonly Benchmark[];
  run(options: SuiteRunOptions): Promise<SuiteOutcome>;
}

export type Suite = CaseSuite | CustomSuite;
