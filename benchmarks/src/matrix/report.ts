// The matrix's report: one table (plain text for the terminal, markdown for the .md file and
// the README) and one verdict line per workload, derived from the numbers, never asserted.
import { plural } from '../harness/format.js';
import { type Align, renderGrid, renderMarkdownTable } from '../harness/table.js';
import { EXECUTOR_LABEL, type PoolName, POOL_NAMES, usesCores } from './executors.js';
import type { RowStats } from './stats.js';
import type { WorkloadKind } from './workloads.js';

/** One workload's results, ready to report. */
export interface WorkloadReport {
  readonly name: string;
  /** `fib(31) ×48` */
  readonly label: string;
  readonly kind: WorkloadKind;
  readonly rows: readonly RowStats[];
}

/** Below this, a speedup counts as none in a verdict. */
const NO_SPEEDUP = 1.15;
/** A speedup at least this share of the best one counts as keeping up (rounds vary by more). */
const KEEPS_UP = 0.9;

const HEADERS = ['workload', 'executor', 'workers', 'wall', 'speedup', 'efficiency', 'overhead/task', 'peak RSS', 'start-up'];
const ALIGN: readonly Align[] = ['left', 'left', 'right', 'right', 'right', 'right', 'right', 'right', 'right'];

const KIND_TEXT: Readonly<Record<WorkloadKind, string>> = {
  cpu: 'CPU-bound',
  io: 'IO-bound',
  mixed: 'mixed IO + CPU',
  tiny: 'tiny tasks',
};

/** `452 ms`, `12.3 ms`, `0.84 ms`: three significant digits. */
export function ms(value: number): string {
  if (Math.abs(value) >= 100) return `${value.toFixed(0)} ms`;
  return `${value.toFixed(Math.abs(value) >= 10 ? 1 : 2)} ms`;
}

/** `1.93×`; small speedups keep two significant digits (`0.0021×`) instead of rounding to 0. */
export function speedupText(value: number): string {
  return value >= 0.1 ? `${value.toFixed(2)}×` : `${value.toPrecision(2)}×`;
}

/** `3.1 µs`, `420 µs`, `4.21 ms`, `-0.12 ms`. */
export function overheadText(us: number): string {
  const magnitude = Math.abs(us);
  if (magnitude >= 1000) return ms(us / 1000);
  return `${us.toFixed(magnitude >= 100 ? 0 : magnitude >= 10 ? 1 : 2)} µs`;
}

function mib(value: number): string {
  return value.toFixed(0);
}

function memoryText(row: RowStats): string {
  if (row.workersPeakMiB === undefined) return `${mib(row.parentPeakMiB)} MiB`;
  return `${mib(row.parentPeakMiB)} + ${mib(row.workersPeakMiB)} MiB`;
}

function cells(workload: WorkloadReport | undefined, row: RowStats): string[] {
  const baseline = row.executor === 'sequential';
  return [
    workload === undefined ? '' : workload.label,
    EXECUTOR_LABEL[row.executor],
    String(row.workers),
    ms(row.wallMs),
    baseline ? '1 (baseline)' : speedupText(row.speedup),
    baseline ? '' : `${Math.round(row.efficiency * 100)}%`,
    row.overheadUs === undefined ? '' : overheadText(row.overheadUs),
    memoryText(row),
    row.startupMs === undefined ? '' : ms(row.startupMs),
  ];
}

function tableRows(workloads: readonly WorkloadReport[]): string[][] {
  return workloads.flatMap((w) => w.rows.map((row, i) => cells(i === 0 ? w : undefined, row)));
}

/** The plain-text table (a blank line between workloads). */
export function renderText(workloads: readonly WorkloadReport[]): string {
  const table = renderGrid(HEADERS, tableRows(workloads), ALIGN).split('\n');
  // Blank lines between workloads: after the header and rule, each workload has rows.length lines.
  const out = table.slice(0, 2);
  let line = 2;
  workloads.forEach((w, i) => {
    if (i > 0) out.push('');
    out.push(...table.slice(line, line + w.rows.length));
    line += w.rows.length;
  });
  return out.join('\n');
}

/** The markdown table (workload names in bold). */
export function renderMarkdown(workloads: readonly WorkloadReport[]): string {
  const rows = tableRows(workloads).map((row) => (row[0] === '' ? row : [`**${row[0]}**`, ...row.slice(1)]));
  return renderMarkdownTable(HEADERS, rows, ALIGN);
}

/** The best row of `executor` (the highest speedup over its worker counts). */
function best(rows: readonly RowStats[], executor: PoolName): RowStats | undefined {
  return rows.filter((r) => r.executor === executor).reduce<RowStats | undefined>((a, b) => (a === undefined || b.speedup > a.speedup ? b : a), undefined);
}

function at(row: RowStats): string {
  return `${speedupText(row.speedup)} with ${plural(row.workers, 'worker')}`;
}

/** The lowest per-task overhead of `executor` (over its worker counts). */
function leastOverhead(rows: readonly RowStats[], executor: PoolName): RowStats | undefined {
  return rows
    .filter((r) => r.executor === executor && r.overheadUs !== undefined)
    .reduce<RowStats | undefined>((a, b) => (a === undefined || (b.overheadUs ?? Infinity) < (a.overheadUs ?? Infinity) ? b : a), undefined);
}

/**
 * One sentence on what the numbers of a workload say, e.g. "fib(31) ×48 (CPU-bound):
 * ProcessPoolExecutor 1.93× with 2 workers on 2 cores, WorkerThreadPoolExecutor 1.95× with 2
 * workers; ThreadPoolExecutor gives none (1.00×), as expected: its tasks share the event loop."
 * Every claim in it is read off the rows.
 */
export function verdict(workload: WorkloadReport, cores: number): string {
  const head = `${workload.label} (${KIND_TEXT[workload.kind]})`;
  const pools = POOL_NAMES.map((name) => ({ name, row: best(workload.rows, name) })).filter(
    (entry): entry is { name: PoolName; row: RowStats } => entry.row !== undefined,
  );
  const thread = pools.find((p) => p.name === 'thread')?.row;
  const parallel = pools.filter((p) => usesCores(p.name));
  const list = (entries: readonly { name: PoolName; row: RowStats }[]): string =>
    entries.map((e) => `${EXECUTOR_LABEL[e.name]} ${at(e.row)}`).join(', ');
  switch (workload.kind) {
    case 'cpu': {
      const threadText =
        thread === undefined
          ? ''
          : thread.speedup < NO_SPEEDUP
            ? `; ThreadPoolExecutor gives none (${speedupText(thread.speedup)}), as expected: its tasks share the event loop`
            : `; ThreadPoolExecutor ${at(thread)}, unexpected for tasks that share the event loop`;
      return `${head}: ${list(parallel)} on ${plural(cores, 'core')}${threadText}.`;
    }
    case 'io': {
      const threadText =
        thread === undefined
          ? ''
          : `ThreadPoolExecutor ${at(thread)}, with no thread or process to start; `;
      return (
        `${head}: ${threadText}${list(parallel)}. Waiting overlaps, so the speedup follows the ` +
        `worker count, not the cores (try --workers 1,2,8,32).`
      );
    }
    case 'mixed': {
      const winner = pools.reduce((a, b) => (b.row.speedup > a.row.speedup ? b : a));
      const keepsUp = thread !== undefined && thread.speedup >= KEEPS_UP * winner.row.speedup;
      const why = keepsUp
        ? 'ThreadPoolExecutor keeps up: at this mix the hashing fits into the waits, and no thread or process is needed'
        : `best ${EXECUTOR_LABEL[winner.name]}: the waits overlap on every executor, the hashing only on the worker and process pools`;
      return `${head}: ${list(pools)}; ${why}.`;
    }
    case 'tiny': {
      const costs = POOL_NAMES.map((name) => ({ name, row: leastOverhead(workload.rows, name) }))
        .filter((e): e is { name: PoolName; row: RowStats } => e.row !== undefined)
        .map((e) => `${EXECUTOR_LABEL[e.name]} ${overheadText(e.row.overheadUs ?? NaN)}`);
      const fastest = Math.max(...pools.map((p) => p.row.speedup));
      const slower = fastest < 1 ? 'every executor is slower than a plain loop' : 'dispatch costs about what the tasks do';
      return (
        `${head}: ${slower}; per-task cost ${costs.join(', ')}. ` +
        `Give pools tasks that take far longer than that, or batch small ones (map with chunksize).`
      );
    }
  }
}
