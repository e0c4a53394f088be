// The `sharing` case (issue 10): Pipe, Queue and JoinableQueue of @concurrent/multiprocessing
// between processes (and a Queue between worker threads), against Python's multiprocessing in
// the same run (fixtures/sharing.py). Each probe starts its children, warms up, then times one
// pass; a fresh probe process per variant and round.
import { moduleTasks, WorkerThreadPoolExecutor } from '@concurrent/futures';
import { JoinableQueue, Pipe, Queue } from '@concurrent/multiprocessing';
import { micros, times } from '../harness/format.js';
import { numberParam } from '../harness/probe-kit.js';
import { type Resources, withResources } from '../harness/resources.js';
import type { Case, CaseContext, CaseResult, Measurement, Params, Probe, Row } from '../harness/types.js';
import { runPythonFixture, startProcess } from './ipc-kit.js';
import { pythonVersion } from './python.js';
import { roundsText, runRounds } from './rounds.js';
import { PROBE_DEADLINE_MS, roundCounts } from './settings.js';

const stasks = moduleTasks<typeof import('./sharing-tasks.js')>(new URL('./sharing-tasks.js', import.meta.url));
const MEASURED_ROUNDS = 3;

interface Workload {
  readonly name: string;
  readonly what: string;
  /** Ops per timed pass (full, quick). */
  readonly n: readonly [number, number];
  /** Python's figure in ipc.md, and the goal as a multiple of Python's figure in this run. */
  readonly goal: { readonly ofPython?: number; readonly us?: number };
  readonly python: boolean;
  ours(resources: Resources, n: number, warmup: number): Promise<number>;
}

async function timed(n: number, pass: () => Promise<void>): Promise<number> {
  const started = performance.now();
  await pass();
  return ((performance.now() - started) * 1000) / n;
}

async function pipeRoundTrip(resources: Resources, n: number, warmup: number, payload: unknown): Promise<number> {
  const [here, there] = Pipe();
  const child = startProcess(resources, stasks.echo, [there]);
  for (let i = 0; i < warmup; i++) {
    here.send(payload);
    await here.recv();
  }
  const us = await timed(n, async () => {
    for (let i = 0; i < n; i++) {
      here.send(payload);
      await here.recv();
    }
  });
  here.close();
  await child.join();
  return us;
}

const WORKLOADS: readonly Workload[] = [
  {
    name: 'pipe-rt',
    what: 'Pipe round trip between 2 processes, µs',
    n: [5_000, 500],
    goal: { ofPython: 0.5 },
    python: true,
    ours: (resources, n, warmup) => pipeRoundTrip(resources, n, warmup, 0),
  },
  {
    name: 'pipe-stream',
    what: 'Pipe one-way stream of small objects, µs/message',
    n: [200_000, 5_000],
    goal: { ofPython: 1 },
    python: true,
    async ours(resources, n, warmup) {
      const [here, there] = Pipe();
      const child = startProcess(resources, stasks.sink, [there]);
      const pass = async (count: number): Promise<void> => {
        here.send(count);
        for (let i = 0; i < count; i++) here.send({ i, s: 'x' });
        await here.recv();
      };
      await pass(warmup);
      const us = await timed(n, () => pass(n));
      here.close();
      await child.join();
      return us;
    },
  },
  {
    name: 'queue-stream',
    what: 'Queue one-way stream, producer → consumer process, µs/item',
    n: [200_000, 5_000],
    goal: { ofPython: 1 },
    python: true,
    async ours(resources, n, warmup) {
      const q = new Queue();
      const done = new Queue();
      const child = startProcess(resources, stasks.queueSink, [q, done]);
      const pass = async (count: number): Promise<void> => {
        await q.put(count);
        for (let i = 0; i < count; i++) await q.put({ i });
        await done.get();
      };
      await pass(warmup);
      const us = await timed(n, () => pass(n));
      await q.put(null);
      await child.join();
      return us;
    },
  },
  {
    name: 'joinable',
    what: 'JoinableQueue put 20k, 2 consumer processes, join(), µs/item',
    n: [20_000, 2_000],
    goal: { ofPython: 1 },
    python: true,
    async ours(resources, n, warmup) {
      const q = new JoinableQueue<number | null>();
      const workers = [1, 2].map(() => startProcess(resources, stasks.joinableWorker, [q]));
      const pass = async (count: number): Promise<void> => {
        for (let i = 0; i < count; i++) await q.put(i);
        await q.join();
      };
      await pass(warmup);
      const us = await timed(n, () => pass(n));
      for (const _ of workers) await q.put(null);
      await Promise.all(workers.map((w) => w.join()));
      return us;
    },
  },
  {
    name: 'thread-queue',
    what: 'Queue between worker threads (owned by the main thread), µs/item',
    n: [200_000, 5_000],
    goal: { us: 2 },
    python: false,
    async ours(resources, n, warmup) {
      const executor = new WorkerThreadPoolExecutor({ maxWorkers: 2, prefetch: 0 });
      resources.add('worker threads', executor, async () => {
        await executor.terminateWorkers();
        await executor.shutdown({ cancelFutures: true });
      });
      const q = new Queue();
      const done = new Queue();
      const consumer = executor.submit(stasks.queueSink, q, done);
      const pass = async (count: number): Promise<void> => {
        await q.put(count);
        await executor.submit(stasks.produce, q, count);
        await done.get();
      };
      await pass(warmup);
      const us = await timed(n, () => pass(n));
      await q.put(null);
      await consumer;
      await executor.shutdown();
      return us;
    },
  },
  {
    name: 'pipe-1mib',
    what: '1 MiB Buffer through a Pipe, round trip, µs',
    n: [100, 10],
    goal: { ofPython: 1 },
    python: true,
    ours: (resources, n, warmup) => pipeRoundTrip(resources, n, warmup, Buffer.alloc(1 << 20, 7)),
  },
];

function oursProbe(workload: Workload): Probe {
  return (params: Params): Promise<Measurement> => {
    const n = numberParam(params, 'n');
    return withResources(PROBE_DEADLINE_MS, async (resources) => ({ n, usPerOp: await workload.ours(resources, n, numberParam(params, 'warmup')) }));
  };
}

function pythonProbe(workload: Workload): Probe {
  return async (params: Params): Promise<Measurement> => {
    const n = numberParam(params, 'n');
    const { usPerOp } = await runPythonFixture<{ usPerOp: number }>('sharing.py', { workload: workload.name, n, warmup: numberParam(params, 'warmup') });
    return { n, usPerOp };
  };
}

async function runCase(context: CaseContext): Promise<CaseResult> {
  const { warmupRounds, rounds } = roundCounts(context.quick, MEASURED_ROUNDS);
  const python = pythonVersion();
  const variants = WORKLOADS.flatMap((w) => [`ours-${w.name}`, ...(w.python && python !== undefined ? [`python-${w.name}`] : [])]);
  const byName = new Map(WORKLOADS.map((w) => [w.name, w]));
  const samples = await runRounds(context, {
    variants,
    warmupRounds,
    rounds,
    params: (variant) => {
      const n = byName.get(variant.replace(/^(ours|python)-/, ''))!.n[context.quick ? 1 : 0];
      return { n, warmup: Math.max(1, Math.round(n / 5)) };
    },
    describe: (variant, m) => `${variant} ${micros(m['usPerOp'] ?? NaN)}`,
  });
  const summary: Record<string, number> = {};
  const rows: Row[] = WORKLOADS.map((w) => {
    const ours = samples.median(`ours-${w.name}`, 'usPerOp');
    summary[`${w.name}.ours.usPerOp`] = ours;
    const hasPython = w.python && python !== undefined;
    const theirs = hasPython ? samples.median(`python-${w.name}`, 'usPerOp') : NaN;
    if (hasPython) summary[`${w.name}.python.usPerOp`] = theirs;
    const ratio = hasPython ? samples.paired(`ours-${w.name}`, `python-${w.name}`, 'usPerOp') : NaN;
    const goalMet = w.goal.us !== undefined ? ours <= w.goal.us : hasPython && ratio <= (w.goal.ofPython ?? 1);
    return {
      what: w.what,
      ours: micros(ours),
      baseline: hasPython ? `${micros(theirs)} Python` : '',
      ratio: hasPython ? `${times(ratio)} Python` : '',
      target: w.goal.us !== undefined ? `≤ ${micros(w.goal.us)}` : `≤ ${w.goal.ofPython}× Python`,
      verdict: hasPython || w.goal.us !== undefined ? (goalMet ? 'met' : 'not met') : 'info',
    };
  });
  return {
    rows,
    summary,
    raw: { rounds, warmupRounds, python: python ?? null, samples: samples.all },
    notes: [
      `sharing: each workload starts its child processes (or worker threads) first and runs an unmeasured pass of a fifth ` +
        `of its size, then one timed pass; Python the same in fixtures/sharing.py (fork). ${roundsText(warmupRounds, rounds)}; ` +
        `medians, ratios paired per round. Between worker threads the items cross SharedArrayBuffer rings to and from the ` +
        `owner (decision 0016), which still relays each one; the socket only tells of a thread's death.`,
    ],
  };
}

/** Pipe and Queue between processes and threads, against Python's multiprocessing (issue 10). */
export const sharing: Case = {
  name: 'sharing',
  title: 'Pipe, Queue and JoinableQueue between processes and threads, against Python',
  probes: Object.fromEntries(
    WORKLOADS.flatMap((w): [string, Probe][] => [[`ours-${w.name}`, oursProbe(w)], ...(w.python ? [[`python-${w.name}`, pythonProbe(w)] as [string, Probe]] : [])]),
  ),
  run: runCase,
};
