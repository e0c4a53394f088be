// Case 1: dispatch cost. 20,000 trivial tasks submitted at once on 2 workers, then all
// awaited, through our three executors, the raw fork, worker_threads and event-loop floors,
// every peer (both runtimes where they have two; p-limit against ThreadPoolExecutor) and, when
// python3 is on the PATH, Python's ProcessPoolExecutor, ThreadPoolExecutor and
// multiprocessing.Pool. Each contender runs in its own fresh child: start-up (construct
// to the first result) is timed apart, then an unmeasured pass over half the workload, a
// forced GC, and the timed pass.
import { count, micros, times, verdict } from '../harness/format.js';
import { forceGc, numberParam } from '../harness/probe-kit.js';
import type { Case, CaseContext, CaseResult, Measurement, Params, Probe, Row } from '../harness/types.js';
import { CONTENDER_NAMES, CONTENDERS, type ContenderName, type Family } from './contenders.js';
import { millis, workersLabel } from './format.js';
import { type PythonPool, pythonVersion, runPython } from './python.js';
import { withResources } from '../harness/resources.js';
import { roundsText, runRounds, type Samples } from './rounds.js';
import { PROBE_DEADLINE_MS, roundCounts, WORKERS } from './settings.js';

/** ProcessPoolExecutor may cost at most this many times the raw fork pipelined floor. */
const PROCESS_TARGET = 1.5;
/** WorkerThreadPoolExecutor may cost at most this many times the fastest thread-pool peer. */
const THREAD_TARGET = 1;
const MEASURED_ROUNDS = 5;
/** The unmeasured pass in each child runs this share of the workload (JIT warm-up, every worker started). */
const WARMUP_SHARE = 0.5;

function warmupCount(n: number): number {
  return Math.ceil(n * WARMUP_SHARE);
}

type PythonVariant = 'python' | 'python-thread' | 'python-mp';
type Variant = ContenderName | PythonVariant;

const PYTHON: Readonly<Record<PythonVariant, { pool: PythonPool; label: string; family: Family }>> = {
  python: { pool: 'process', label: 'Python ProcessPoolExecutor.submit (reference)', family: 'process' },
  'python-mp': { pool: 'multiprocessing', label: 'Python multiprocessing.Pool.apply_async (reference)', family: 'process' },
  'python-thread': { pool: 'thread', label: 'Python ThreadPoolExecutor.submit (reference)', family: 'loop' },
};
const PYTHON_VARIANTS = Object.keys(PYTHON) as PythonVariant[];

function isPython(variant: Variant): variant is PythonVariant {
  return Object.hasOwn(PYTHON, variant);
}

const FLOOR: Readonly<Record<Family, ContenderName>> = { process: 'raw-fork', thread: 'raw-thread', loop: 'raw-loop' };
const OURS: Readonly<Record<Family, ContenderName>> = { process: 'ours-process', thread: 'ours-thread', loop: 'ours-loop' };

async function nodeProbe(name: ContenderName, params: Params): Promise<Measurement> {
  const n = numberParam(params, 'n');
  const workers = numberParam(params, 'workers');
  const items = Array.from({ length: n }, (_, i) => i);
  return withResources(PROBE_DEADLINE_MS, async (resources) => {
    const started = performance.now();
    const contender = CONTENDERS[name].start(resources, workers);
    await contender.runAll([0]);
    const startupMs = performance.now() - started;
    const warmStart = performance.now();
    await contender.runAll(items.slice(0, warmupCount(n)));
    const warmupMs = performance.now() - warmStart;
    forceGc();
    const start = performance.now();
    await contender.runAll(items);
    const totalMs = performance.now() - start;
    return { n, startupMs, warmupMs, totalMs, usPerTask: (totalMs * 1000) / n };
  });
}

async function pythonProbe(variant: PythonVariant, params: Params): Promise<Measurement> {
  const n = numberParam(params, 'n');
  const workers = numberParam(params, 'workers');
  const timings = await withResources(PROBE_DEADLINE_MS, (resources) =>
    runPython(resources, { workload: 'tiny', n, warmup: warmupCount(n), workers, pool: PYTHON[variant].pool }),
  );
  return { n, ...timings, usPerTask: (timings.totalMs * 1000) / n };
}

function label(variant: Variant): string {
  return isPython(variant) ? PYTHON[variant].label : CONTENDERS[variant].label;
}

function family(variant: Variant): Family {
  return isPython(variant) ? PYTHON[variant].family : CONTENDERS[variant].family;
}

/** The fastest thread-pool peer by median µs/task. */
function fastestThreadPeer(samples: Samples): ContenderName {
  const peers = CONTENDER_NAMES.filter((name) => CONTENDERS[name].role === 'peer' && CONTENDERS[name].family === 'thread');
  const us = (name: ContenderName): number => samples.median(name, 'usPerTask');
  return peers.reduce((best, name) => (us(name) < us(best) ? name : best));
}

/** One row per contender: µs/task (min–max over rounds), and its paired ratios to its raw floor and to ours. */
function listingRow(samples: Samples, variant: Variant): Row {
  const us = `${micros(samples.median(variant, 'usPerTask'))} (${samples.spread(variant, 'usPerTask')})`;
  const isOurs = !isPython(variant) && CONTENDERS[variant].role === 'ours';
  const floor = FLOOR[family(variant)];
  const ratios: string[] = [];
  if (variant !== floor) ratios.push(`${times(samples.paired(variant, floor, 'usPerTask'))} floor`);
  if (!isOurs) ratios.push(`${times(samples.paired(variant, OURS[family(variant)], 'usPerTask'))} ours`);
  return {
    what: `  ${label(variant)}`,
    ours: isOurs ? us : '',
    baseline: isOurs ? '' : us,
    ratio: variant === floor ? '(floor)' : ratios.join(', '),
    target: '',
    verdict: 'info',
  };
}

async function run(context: CaseContext): Promise<CaseResult> {
  const n = context.quick ? 2_000 : 20_000;
  const { warmupRounds, rounds } = roundCounts(context.quick, MEASURED_ROUNDS);
  const python = pythonVersion();
  if (python === undefined) {
    context.log('python3 is not on the PATH: skipping Python ProcessPoolExecutor, ThreadPoolExecutor and multiprocessing.Pool');
  }
  const variants: Variant[] = [...CONTENDER_NAMES, ...(python === undefined ? [] : PYTHON_VARIANTS)];
  const samples = await runRounds(context, {
    variants,
    warmupRounds,
    rounds,
    params: () => ({ n, workers: WORKERS }),
    describe: (variant, m) => `${variant} ${micros(m['usPerTask'] ?? NaN)}`,
  });

  const processRatio = samples.paired('ours-process', 'raw-fork', 'usPerTask');
  const peer = fastestThreadPeer(samples);
  const threadRatio = samples.paired('ours-thread', peer, 'usPerTask');
  const us = (variant: Variant): number => samples.median(variant, 'usPerTask');
  const head = `tiny tasks ×${count(n)} @${WORKERS}, µs/task`;
  const rows: Row[] = [
    {
      what: `${head}: ProcessPoolExecutor`,
      ours: micros(us('ours-process')),
      baseline: `${micros(us('raw-fork'))} (raw fork, pipelined)`,
      ratio: times(processRatio),
      target: `≤ ${times(PROCESS_TARGET)} raw fork`,
      verdict: verdict(processRatio <= PROCESS_TARGET),
    },
    {
      what: `${head}: WorkerThreadPoolExecutor`,
      ours: micros(us('ours-thread')),
      baseline: `${micros(us(peer))} (fastest thread peer: ${CONTENDERS[peer].label})`,
      ratio: times(threadRatio),
      target: `≤ ${times(THREAD_TARGET)} fastest peer`,
      verdict: verdict(threadRatio <= THREAD_TARGET),
    },
    {
      what: `${head}, all (median, min–max over rounds; ratios paired per round: to the raw floor, to ours):`,
      ours: '',
      baseline: '',
      ratio: '',
      target: '',
      verdict: 'info',
    },
    ...(['process', 'thread', 'loop'] as const).flatMap((f) =>
      variants.filter((v) => family(v) === f).map((v) => listingRow(samples, v)),
    ),
  ];

  const summary: Record<string, number> = {
    processOverFloor: processRatio,
    threadOverFastestPeer: threadRatio,
    threadPoolOverPLimit: samples.paired('ours-loop', 'p-limit', 'usPerTask'),
  };
  for (const variant of variants) {
    summary[`${variant}.usPerTask`] = us(variant);
    summary[`${variant}.startupMs`] = samples.median(variant, 'startupMs');
  }
  const startups = variants.map((v) => `${v} ${millis(samples.median(v, 'startupMs'))}`).join(', ');
  const spreads = variants.map((v) => `${v} ${samples.spread(v, 'usPerTask')}`).join(', ');
  return {
    rows,
    summary,
    raw: {
      n,
      warmup: warmupCount(n),
      workers: WORKERS,
      warmupRounds,
      rounds,
      python: python ?? null,
      fastestThreadPeer: peer,
      samples: samples.all,
    },
    notes: [
      `Tiny tasks: ${count(n)} trivial tasks (identity) submitted at once on ${workersLabel(WORKERS)}, then all awaited ` +
        `(Promise.all over the futures / promises; the raw floors count replies). Median of ` +
        `${roundsText(warmupRounds, rounds)}. Each round runs every ` +
        `contender in its own fresh child process, order rotated every round. In each child: the pool is started and ` +
        `one task awaited (start-up, reported apart), then an unmeasured warm-up pass of ${count(warmupCount(n))} ` +
        `tasks, a forced GC, and the timed pass. Ratios are paired: the median of the per-round ratios.`,
      `Contenders: ours take a TaskRef (moduleTasks) unless "(x) => x" says the task is a plain function shipped ` +
        `by source. Raw floors: fork with serialization 'advanced' and a child that echoes each message ("pipelined": ` +
        `all ${count(n)} sent at once round-robin; "one at a time": each child gets its next message when its reply ` +
        `is back), and worker_threads postMessage the same way; the event-loop floor is a bare Promise.all over ` +
        `async identity calls, against which ThreadPoolExecutor and p-limit (both limited to ${WORKERS} at once) run ` +
        `the same synchronous identity in-process. Peers (benchmarks/fixtures/): fixed pools of ` +
        `${WORKERS}, defaults otherwise (piscina idleTimeout 60 s as in poolifier's benchmark; poolifier without the ` +
        `enableTasksQueue + LEAST_USED of its benchmark, ~2.5× slower on this workload). ${pythonNote(python)}`,
      `Per-round µs/task (min–max): ${spreads}.`,
      `Start-up, construct → first result (median, not in the µs/task): ${startups}.`,
    ],
  };
}

function pythonNote(version: string | undefined): string {
  if (version === undefined) return 'Python: skipped, python3 not on the PATH.';
  return (
    `Python ${version}: ProcessPoolExecutor(max_workers=${WORKERS}) and ThreadPoolExecutor(max_workers=${WORKERS}), ` +
    `submit() per task then result() on each; multiprocessing.Pool(${WORKERS}), apply_async() per task then get() ` +
    `on each; default start method. Python's thread pool is listed with the event-loop family: its threads take ` +
    `turns on the GIL, as our ThreadPoolExecutor's tasks take turns on the event loop.`
  );
}

const probes: Record<string, Probe> = {};
for (const variant of PYTHON_VARIANTS) probes[variant] = (params) => pythonProbe(variant, params);
for (const name of CONTENDER_NAMES) probes[name] = (params) => nodeProbe(name, params);

/** Case 1 of the pools suite. */
export const tiny: Case = {
  name: 'tiny-tasks',
  title: 'Tiny tasks: per-task cost against the raw IPC floors, the peers and Python',
  probes,
  run,
};
