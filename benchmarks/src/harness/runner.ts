import { runProbe } from './child.js';
import { describeMachine } from './machine.js';
import { writeResults } from './results.js';
import { describeRevision } from './revision.js';
import { Sanity } from './sanity.js';
import { renderTable, wrap } from './table.js';
import type { CaseContext, CaseSuite, Json, Row, SuiteOutcome, SuiteRunOptions } from './types.js';

/** Column at which the notes under the table are wrapped. */
const NOTE_WIDTH = 100;

function log(message: string): void {
  process.stderr.write(`  ${message}\n`);
}

/**
 * Runs a suite's cases one after the other (never two children at once: the machine is
 * small), prints the table and the notes, writes the results file.
 *
 * @returns the sanity issues found (empty when every number is finite and positive) and the
 *   results document.
 */
export async function runSuite(suite: CaseSuite, options: SuiteRunOptions): Promise<SuiteOutcome> {
  const startedAt = new Date();
  const machine = describeMachine();
  const revision = describeRevision();
  const sanity = new Sanity();
  const rows: Row[] = [];
  const notes: string[] = [];
  const cases: { [name: string]: Json } = {};
  const selected = suite.cases.filter((c) => options.cases === undefined || options.cases.includes(c.name));

  process.stderr.write(`${suite.name}: ${suite.title}${options.quick ? ' (quick)' : ''}\n`);
  for (const benchmark of selected) {
    const where = `${suite.name}/${benchmark.name}`;
    process.stderr.write(`${where}: ${benchmark.title}\n`);
    const context: CaseContext = {
      quick: options.quick,
      log,
      probe: async (name, params) => {
        if (!Object.hasOwn(benchmark.probes, name)) throw new Error(`${where} has no probe named ${name}`);
        const measurement = await runProbe(`${where}/${name}`, params, { execArgv: options.childExecArgv });
        sanity.checkMeasurement(`${where}/${name} ${JSON.stringify(params)}`, measurement);
        return measurement;
      },
    };
    const started = performance.now();
    const result = await benchmark.run(context);
    sanity.checkSummary(where, result.summary);
    rows.push(...result.rows);
    notes.push(...result.notes);
    cases[benchmark.name] = {
      title: benchmark.title,
      seconds: (performance.now() - started) / 1000,
      summary: result.summary,
      raw: result.raw,
    };
  }

  options.report.write(
    [
      '',
      `${suite.title}${options.quick ? ' (quick smoke run: sizes and rounds reduced, verdicts indicative only)' : ''}`,
      `library at ${revision.commit.slice(0, 12)}${revision.libraryDirty ? ' plus uncommitted changes in packages/futures/src' : ''}`,
      `${machine.node} on ${machine.cpuModel}, ${machine.availableParallelism} cores, load average ${machine.loadAverage.join(' ')} at start, ${startedAt.toISOString()}`,
      '',
      renderTable(rows),
      '',
      ...notes.map((note) => wrap(`* ${note}`, NOTE_WIDTH, '  ')),
      '',
    ].join('\n'),
  );

  // A partial run gets its own file name, so it never replaces a full run's results.
  const label = selected.length === suite.cases.length ? suite.name : [suite.name, ...selected.map((c) => c.name)].join('-');
  const document: Json = {
    suite: suite.name,
    title: suite.title,
    mode: options.quick ? 'quick' : 'full',
    cases: selected.map((c) => c.name),
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    machine,
    revision,
    rows: rows.map((row) => ({ ...row })),
    notes,
    sanity: { ok: sanity.issues.length === 0, issues: [...sanity.issues] },
    results: cases,
  };
  const file = await writeResults(options.resultsDir, label, startedAt, document);
  options.report.write(`raw results: ${file}\n`);
  return { issues: sanity.issues, document };
}
