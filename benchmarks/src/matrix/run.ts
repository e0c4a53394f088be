// The matrix run, parent side: starts the loopback HTTP server (if a selected workload needs
// it), runs every (executor, workers) cell of every workload in a fresh child per round with
// the order rotated each round, draws a progress bar per workload, then prints the table and
// the verdicts and writes results/<date>-<host>.json, .md and .svg.
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { runProbe } from '../harness/child.js';
import { plural } from '../harness/format.js';
import { describeMachine, type Machine } from '../harness/machine.js';
import { withResources } from '../harness/resources.js';
import { resultsStem, writeResults } from '../harness/results.js';
import { describeRevision } from '../harness/revision.js';
import { Sanity } from '../harness/sanity.js';
import { wrap } from '../harness/table.js';
import type { Json, Params, SuiteOutcome, SuiteRunOptions } from '../harness/types.js';
import { EXECUTOR_LABEL, type ExecutorName, POOL_NAMES } from './executors.js';
import { WARMUP_SHARE } from './probe.js';
import { interactiveStderr, ProgressBar } from './progress.js';
import { renderMarkdown, renderText, verdict, type WorkloadReport } from './report.js';
import { startServer } from './server.js';
import { type MatrixSample, rowStats } from './stats.js';
import { renderChart } from './svg.js';
import { WORKLOADS, type Workload } from './workloads.js';

export const SUITE_NAME = 'matrix';
export const SUITE_TITLE = 'Executors × workloads: CPU-bound, IO-bound, mixed and tiny tasks against sequential';

/** Measured rounds in a full run (one in --quick). Each is a fresh child per cell. */
const ROUNDS = 3;
const NOTE_WIDTH = 100;

interface Cell {
  readonly executor: ExecutorName;
  readonly workers: number;
}

/** 1, 2 and the core count, without repeats: the issue's default worker counts. */
export function defaultWorkers(cores: number): number[] {
  return [...new Set([1, 2, cores])].sort((a, b) => a - b);
}

/** The cells of a workload: the sequential baseline, then every pool at every worker count. */
export function cellsFor(workers: readonly number[]): Cell[] {
  return [{ executor: 'sequential', workers: 1 }, ...POOL_NAMES.flatMap((executor) => workers.map((w) => ({ executor, workers: w })))];
}

function cellLabel(cell: Cell): string {
  return cell.executor === 'sequential' ? 'sequential' : `${EXECUTOR_LABEL[cell.executor]} ×${cell.workers}`;
}

function machineLine(machine: Machine, startedAt: Date): string {
  return (
    `${machine.node} on ${machine.cpuModel}, ${plural(machine.availableParallelism, 'core')}, ` +
    `${(machine.totalMemoryBytes / 2 ** 30).toFixed(1)} GiB, ${machine.platform}; load average ` +
    `${machine.loadAverage.join(' ')} at start; ${startedAt.toISOString().slice(0, 16).replace('T', ' ')} UTC`
  );
}

/** A value with `undefined` members, as JSON (what JSON.stringify would write). */
function toJson(value: unknown): Json {
  return JSON.parse(JSON.stringify(value)) as Json;
}

function notes(rounds: number, cores: number, quick: boolean): string[] {
  return [
    `Method: every cell runs in a fresh child process, ${plural(rounds, 'round')}${rounds > 1 ? ', the order of the cells rotated every round; the table shows medians' : ''}${quick ? ' (a --quick smoke run: smaller workloads, numbers indicative only)' : ''}. ` +
      `In each child the pool is started and one task awaited (start-up, its own column, not in the wall time), ` +
      `then an unmeasured warm-up pass of ${WARMUP_SHARE * 100}% of the tasks (JIT, every worker started, sockets opened; excluded), ` +
      `a forced GC, and the timed pass: every task submitted at once, all awaited (wall). The sequential baseline ` +
      `runs the same functions as a plain loop in the probe's thread, after the same kind of warm-up pass.`,
    `speedup = sequential wall / this wall, paired per round (median of the per-round ratios); efficiency = ` +
      `speedup / min(workers, cores) with ${plural(cores, 'core')}; overhead/task = (wall × p − sequential wall) / tasks, ` +
      `where p is how many tasks could at best run at once: min(workers, cores) for CPU-bound work on the worker and ` +
      `process pools, 1 on ThreadPoolExecutor (the event loop), the worker count for IO-bound and mixed work, and 1 ` +
      `for tiny tasks (dispatched one by one by the parent, so that overhead is wall / tasks).`,
    `peak RSS: the probe process's peak resident set (process.resourceUsage().maxRSS; worker threads and ` +
      `ThreadPoolExecutor tasks live in it), "+ N" the sum of the worker processes' peaks (VmHWM in /proc/<pid>/status, ` +
      `pids from the executor's workerStart events, read after the timed pass; Linux only). Warm-up included.`,
    `IO: the HTTP server runs in its own process on 127.0.0.1 (a port the OS picks) and answers each GET after a ` +
      `fixed latency; node's global agent keeps connections alive. Progress bars count finished tasks from each ` +
      `executor's \`done\` events (a 100 ms timer in the probe sends the count).`,
  ];
}

/** Runs the matrix (the workloads in `options.cases`, or all). */
export async function runMatrix(options: SuiteRunOptions): Promise<SuiteOutcome> {
  const startedAt = new Date();
  const machine = describeMachine();
  const revision = describeRevision();
  const cores = machine.availableParallelism;
  const workers = options.workers ?? defaultWorkers(cores);
  const rounds = options.quick ? 1 : ROUNDS;
  const selected = WORKLOADS.filter((w) => options.cases === undefined || options.cases.includes(w.name));
  const cells = cellsFor(workers);
  const sanity = new Sanity();
  const interactive = interactiveStderr();
  const samples = new Map<Workload, MatrixSample[]>();
  const paramsOf = new Map<Workload, Params>();

  process.stderr.write(
    `${SUITE_NAME}: ${SUITE_TITLE}${options.quick ? ' (quick)' : ''}\n` +
      `  ${selected.length} workloads × ${cells.length} cells × ${plural(rounds, 'round')}, each in a fresh child; ` +
      `workers ${workers.join(', ')} on ${plural(cores, 'core')}\n`,
  );
  await withResources(Infinity, async (resources) => {
    const server = selected.some((w) => w.needsServer) ? await startServer(resources) : undefined;
    if (server !== undefined) process.stderr.write(`  loopback HTTP server: 127.0.0.1:${server.port} (pid ${server.pid})\n`);
    const labelWidth = Math.max(...selected.map((w) => w.label(w.params(options.quick)).length));
    for (const workload of selected) {
      const params: Params = { ...workload.params(options.quick), ...(server === undefined ? {} : { port: server.port }) };
      paramsOf.set(workload, params);
      const label = workload.label(params);
      const bar = new ProgressBar(label.padEnd(labelWidth), cells.length * rounds, { interactive, stream: process.stderr });
      const own: MatrixSample[] = [];
      for (let round = 1; round <= rounds; round++) {
        const order = cells.map((_, i) => cells[(i + round - 1) % cells.length] as Cell);
        const line: string[] = [];
        for (const cell of order) {
          bar.startRun(`${cellLabel(cell)}, round ${round}/${rounds}`);
          const measurement = await runProbe(
            `${SUITE_NAME}/${workload.name}/${cell.executor}`,
            { ...params, workers: cell.workers },
            { execArgv: options.childExecArgv, onProgress: ({ done, total }) => bar.update(done, total) },
          );
          bar.endRun();
          sanity.checkMeasurement(`${SUITE_NAME}/${workload.name}/${cell.executor}@${cell.workers}`, measurement);
          own.push({ round, executor: cell.executor, workers: cell.workers, measurement });
          line.push(`${cellLabel(cell)} ${(measurement['wallMs'] ?? NaN).toFixed(1)} ms`);
        }
        if (!interactive) bar.log(`${workload.name} round ${round}/${rounds}: ${line.join(', ')}`);
      }
      bar.finish();
      samples.set(workload, own);
    }
  });

  const reports: WorkloadReport[] = selected.map((workload) => {
    const params = paramsOf.get(workload) ?? {};
    const n = Number(params['n']);
    const rows = cells.map((cell) => rowStats(samples.get(workload) ?? [], cell.executor, cell.workers, workload.kind, n, cores));
    for (const row of rows) {
      sanity.checkSummary(`${SUITE_NAME}/${workload.name} ${row.executor}@${row.workers}`, {
        speedup: row.speedup,
        efficiency: row.efficiency,
        ...(row.overheadUs === undefined ? {} : { overheadUs: row.overheadUs }),
      });
    }
    return { name: workload.name, label: workload.label(params), kind: workload.kind, rows };
  });
  const verdicts = reports.map((r) => verdict(r, cores));
  const methodNotes = notes(rounds, cores, options.quick);
  const header = [
    `${SUITE_TITLE}${options.quick ? ' (quick smoke run: sizes and rounds reduced, numbers indicative only)' : ''}`,
    `library at ${revision.commit.slice(0, 12)}${revision.libraryDirty ? ' plus uncommitted changes in packages/futures/src' : ''}`,
    machineLine(machine, startedAt),
  ];

  const fullRun = !options.quick && options.workers === undefined && selected.length === WORKLOADS.length;
  const label = fullRun ? '' : [SUITE_NAME, ...(selected.length === WORKLOADS.length ? [] : selected.map((w) => w.name)), ...(options.workers === undefined ? [] : [`w${workers.join('-')}`])].join('-');
  const stem = resultsStem(options.resultsDir, label, startedAt);
  const chartName = `${path.basename(stem)}.svg`;

  const document: Json = toJson({
    suite: SUITE_NAME,
    title: SUITE_TITLE,
    mode: options.quick ? 'quick' : 'full',
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    machine,
    revision,
    settings: { workers, cores, rounds, warmupShare: WARMUP_SHARE, cells },
    workloads: Object.fromEntries(
      reports.map((report, i) => {
        const workload = selected[i] as Workload;
        const { port: _port, ...params } = paramsOf.get(workload) ?? {};
        return [
          report.name,
          {
            label: report.label,
            kind: report.kind,
            description: workload.description,
            params,
            verdict: verdicts[i],
            rows: report.rows,
            samples: samples.get(workload) ?? [],
          },
        ];
      }),
    ),
    notes: methodNotes,
    sanity: { ok: sanity.issues.length === 0, issues: [...sanity.issues] },
  });
  const jsonFile = await writeResults(options.resultsDir, label, startedAt, document);
  const markdown = [
    `# ${SUITE_TITLE}`,
    '',
    header.slice(1).join('  \n'),
    '',
    renderMarkdown(reports),
    '',
    ...verdicts.map((v) => `- ${v}`),
    '',
    `![Speedup over sequential by workers, per workload](${chartName})`,
    '',
    ...methodNotes.map((note) => `${note}\n`),
  ].join('\n');
  await writeFile(`${stem}.md`, markdown);
  await writeFile(
    `${stem}.svg`,
    renderChart({
      title: 'Speedup over sequential, by workers',
      subtitle: machineLine(machine, startedAt),
      workers,
      panels: reports.map((report) => ({
        title: report.label,
        subtitle: report.kind === 'tiny' ? 'tiny tasks: bars near 0 = slower than a loop' : `${report.kind === 'cpu' ? 'CPU-bound' : report.kind === 'io' ? 'IO-bound' : 'mixed IO + CPU'}`,
        series: POOL_NAMES.map((executor) => ({
          label: EXECUTOR_LABEL[executor],
          values: workers.map((w) => report.rows.find((r) => r.executor === executor && r.workers === w)?.speedup),
        })),
      })),
    }),
  );

  options.report.write(
    [
      '',
      ...header,
      '',
      renderText(reports),
      '',
      ...verdicts.map((v) => wrap(`* ${v}`, NOTE_WIDTH, '  ')),
      '',
      ...methodNotes.map((note) => wrap(`Note: ${note}`, NOTE_WIDTH, '  ')),
      '',
      `results: ${jsonFile}`,
      `         ${stem}.md`,
      `         ${stem}.svg`,
      '',
    ].join('\n'),
  );
  return { issues: sanity.issues, document };
}

