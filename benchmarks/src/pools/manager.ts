// The `manager` case (issue 12): Manager, its proxies and BaseManager over TCP of
// @concurrent/multiprocessing against Python's multiprocessing.managers in the same run
// (fixtures/manager.py): dict set and get from a child process through the dict's proxy, Queue
// put + get through a proxy, Manager start + shutdown, and the seed's distributed example (a
// master serving a task queue and a result queue on 127.0.0.1, 2 worker processes that connect
// with the address and authkey, square tasks until a sentinel, put results). Every count and
// sum is checked. A fresh probe process per variant and round, rounds interleaved.
import { randomUUID } from 'node:crypto';
import { createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { moduleTasks } from '@concurrent/futures';
import { activeChildren, BaseManager, Manager, Process, Queue, type QueueProxy, type SyncManager } from '@concurrent/multiprocessing';
import { micros, times } from '../harness/format.js';
import { numberParam } from '../harness/probe-kit.js';
import { type Resources, withResources } from '../harness/resources.js';
import type { Case, CaseContext, CaseResult, Measurement, Params, Probe, Row } from '../harness/types.js';
import { runPythonFixture, startProcess } from './ipc-kit.js';
import { READY } from './manager-tasks.js';
import { pythonVersion } from './python.js';
import { roundsText, runRounds, type Samples } from './rounds.js';
import { PROBE_DEADLINE_MS, roundCounts } from './settings.js';

const tasks = moduleTasks<typeof import('./manager-tasks.js')>(new URL('./manager-tasks.js', import.meta.url));
const MEASURED_ROUNDS = 5;
/** Keys of the dict the get workload reads (each key k holds k). */
const GET_KEYS = 100;
/** The remote queue's authkey, as in the seed's example. */
const AUTHKEY = 'k';

/** What a pass reached: a count and a sum, both checked against the workload's. */
interface Outcome {
  /** µs: per op, or for the whole pass (see the workload's `what`). */
  readonly us: number;
  readonly count: number;
  readonly sum: number;
}

interface Workload {
  readonly name: string;
  readonly what: string;
  /** Ops per timed pass (full, quick). */
  readonly n: readonly [number, number];
  /** Untimed ops before it (full, quick); default a fifth of `n`. */
  readonly warmup?: readonly [number, number];
  /** Goal: at most this multiple of Python's figure in this run; none: an info row. */
  readonly goal: { readonly ofPython?: number };
  /** The workload of fixtures/manager.py to compare with. */
  readonly python: string;
  ours(resources: Resources, n: number, warmup: number): Promise<Outcome>;
  /** The count and the sum a correct pass reaches. */
  expected(n: number): { readonly count: number; readonly sum: number };
}

/** 0 + 1 + ... + (n - 1). */
const triangle = (n: number): number => (n * (n - 1)) / 2;

/** 0² + 1² + ... + (n - 1)². */
const squares = (n: number): number => ((n - 1) * n * (2 * n - 1)) / 6;

/** Starts a Manager that the probe's resources shut down. */
async function startManager(resources: Resources): Promise<SyncManager> {
  const manager = await Manager();
  return resources.add('manager', manager, () => manager.shutdown());
}

async function timed(n: number, pass: () => Promise<void>): Promise<number> {
  const started = performance.now();
  await pass();
  return ((performance.now() - started) * 1000) / n;
}

/**
 * The seed's distributed example: a master serves a task queue and a result queue on
 * 127.0.0.1 (a free port), 2 worker processes connect with the address and authkey. Once both
 * said they are connected, an untimed pass of `warmup` tasks, then `n` tasks timed from the
 * first put to the last result. `proxied`: the master too goes through proxies from its own
 * manager (as a Python master must: its server runs in another process), instead of putting
 * into and taking from the queues it serves.
 */
async function remoteQueue(resources: Resources, n: number, warmup: number, proxied: boolean): Promise<Outcome> {
  const tasksQueue = new Queue<number | null>();
  const resultsQueue = new Queue<number>();
  class Master extends BaseManager {
    declare readonly getTasks: () => Promise<QueueProxy<number | null>>;
    declare readonly getResults: () => Promise<QueueProxy<number>>;
  }
  Master.register('getTasks', () => tasksQueue);
  Master.register('getResults', () => resultsQueue);
  const master = new Master({ address: ['127.0.0.1', 0], authkey: AUTHKEY });
  await master.start();
  resources.add('master', master, () => master.shutdown());
  const [host, port] = master.address as [string, number];
  const put: (x: number | null) => Promise<void> = proxied ? ((q) => (x) => q.put(x))(await master.getTasks()) : (x) => tasksQueue.put(x);
  const get: () => Promise<number> = proxied ? ((q) => () => q.get())(await master.getResults()) : () => resultsQueue.get();
  const workers = [1, 2].map(() => startProcess(resources, tasks.remoteWorker, [host, port, AUTHKEY]));
  for (const _ of workers) {
    const first = await get();
    if (first !== READY) throw new Error(`remote: a worker's first message was ${first}, not READY`);
  }
  const pass = async (count: number): Promise<{ count: number; sum: number }> => {
    for (let i = 0; i < count; i++) await put(i);
    let got = 0;
    let sum = 0;
    for (; got < count; got++) sum += await get();
    return { count: got, sum };
  };
  const warm = await pass(warmup);
  if (warm.sum !== squares(warmup)) throw new Error(`remote: the untimed pass summed ${warm.sum}, expected ${squares(warmup)}`);
  const started = performance.now();
  const { count, sum } = await pass(n);
  const us = (performance.now() - started) * 1000;
  for (const _ of workers) await put(null);
  await Promise.all(workers.map((worker) => worker.join()));
  return { us, count, sum };
}

/**
 * The floor under every proxy call: `n` round trips of 4 bytes over a bare Unix socket to a
 * child Process that echoes them (no manager, no encoding), after `warmup` untimed ones.
 */
async function socketRoundTrips(resources: Resources, n: number, warmup: number): Promise<Outcome> {
  const name = `concurrent-bench-floor-${String(process.pid)}-${randomUUID()}`;
  const path = process.platform === 'linux' ? `\0${name}` : join(tmpdir(), name);
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(path, resolve);
  });
  resources.add('floor socket server', server, () => new Promise<void>((resolve) => server.close(() => resolve())));
  const connected = new Promise<Socket>((resolve) => server.once('connection', resolve));
  const child = startProcess(resources, tasks.socketEcho, [path]);
  const socket = await connected;
  socket.setNoDelay(true);
  let answer: (chunk: Buffer) => void = () => undefined;
  socket.on('data', (chunk: Buffer) => answer(chunk));
  const roundTrip = (i: number): Promise<number> =>
    new Promise((resolve) => {
      answer = (chunk) => resolve(chunk.readUInt32LE(0));
      const message = Buffer.allocUnsafe(4);
      message.writeUInt32LE(i, 0);
      socket.write(message);
    });
  for (let i = 0; i < warmup; i++) await roundTrip(i);
  let count = 0;
  let sum = 0;
  const us = await timed(n, async () => {
    for (let i = 0; i < n; i++) {
      const x = await roundTrip(i);
      if (x === i) count++;
      sum += x;
    }
  });
  socket.end();
  await child.join();
  return { us, count, sum };
}

const WORKLOADS: readonly Workload[] = [
  {
    name: 'dict-set',
    what: 'Manager dict `d.set(i, i)` from a child process, µs per set',
    n: [5_000, 500],
    goal: { ofPython: 0.5 },
    python: 'dict-set',
    async ours(resources, n, warmup) {
      const manager = await startManager(resources);
      const d = await manager.dict<number, number>();
      const report = new Queue<number>();
      const child = startProcess(resources, tasks.dictSet, [d, n, warmup, report]);
      const us = await report.get();
      await child.join();
      const timed = (await d.items()).filter(([k, v]) => k >= 0 && v === k);
      return { us, count: timed.length, sum: timed.reduce((s, [, v]) => s + v, 0) };
    },
    expected: (n) => ({ count: n, sum: triangle(n) }),
  },
  {
    name: 'dict-get',
    what: `Manager dict \`d.get(k)\` from a child process (${GET_KEYS} keys), µs per get`,
    n: [5_000, 500],
    goal: { ofPython: 0.5 },
    python: 'dict-get',
    async ours(resources, n, warmup) {
      const manager = await startManager(resources);
      const d = await manager.dict<number, number>();
      for (let k = 0; k < GET_KEYS; k++) await d.set(k, k);
      const report = new Queue<[number, number]>();
      const child = startProcess(resources, tasks.dictGet, [d, GET_KEYS, n, warmup, report]);
      const [us, count] = await report.get();
      await child.join();
      // The child counted the gets that returned their key; the sum is then theirs.
      return { us, count, sum: count === n ? expectedGetSum(n) : -1 };
    },
    expected: (n) => ({ count: n, sum: expectedGetSum(n) }),
  },
  {
    name: 'queue',
    what: 'Manager Queue `put(i)` + `get()` through its proxy, µs per put + get',
    n: [5_000, 500],
    goal: { ofPython: 0.5 },
    python: 'queue',
    async ours(resources, n, warmup) {
      const manager = await startManager(resources);
      const q = await manager.Queue<number>();
      for (let i = 0; i < warmup; i++) {
        await q.put(i);
        await q.get();
      }
      let count = 0;
      let sum = 0;
      const us = await timed(n, async () => {
        for (let i = 0; i < n; i++) {
          await q.put(i);
          const x = await q.get();
          if (x === i) count++;
          sum += x;
        }
      });
      return { us, count, sum };
    },
    expected: (n) => ({ count: n, sum: triangle(n) }),
  },
  {
    name: 'roundtrip-floor',
    what: "floor: a bare Unix-socket round trip between 2 Node processes (Python: a Pipe's send + recv, what its proxies sit on), µs",
    n: [5_000, 500],
    // No goal: the row shows what one request of any proxy costs here before the manager adds anything.
    goal: {},
    python: 'roundtrip-floor',
    ours: socketRoundTrips,
    expected: (n) => ({ count: n, sum: triangle(n) }),
  },
  {
    name: 'start-shutdown',
    what: '`await Manager()` + `await m.shutdown()`, per start + shutdown',
    n: [20, 3],
    warmup: [3, 1],
    goal: { ofPython: 4 },
    python: 'start-shutdown',
    async ours(_resources, n, warmup) {
      for (let i = 0; i < warmup; i++) await (await Manager()).shutdown();
      // count: managers started (an address to reach); sum: shut down with no child left.
      let count = 0;
      let sum = 0;
      const us = await timed(n, async () => {
        for (let i = 0; i < n; i++) {
          const manager = await Manager();
          if (manager.address !== undefined) count++;
          await manager.shutdown();
          if (activeChildren().length === 0) sum++;
        }
      });
      return { us, count, sum };
    },
    expected: (n) => ({ count: n, sum: n }),
  },
  {
    name: 'process-floor',
    what: "floor of the start: a child Process of a function that does nothing, start() + join() (vs Python's whole Manager start + shutdown)",
    n: [10, 2],
    warmup: [2, 1],
    goal: {},
    python: 'start-shutdown',
    async ours(_resources, n, warmup) {
      const once = async (): Promise<boolean> => {
        const child = new Process({ target: tasks.nothing, args: [] });
        child.start();
        await child.join();
        return child.exitcode === 0;
      };
      for (let i = 0; i < warmup; i++) await once();
      let count = 0;
      const us = await timed(n, async () => {
        for (let i = 0; i < n; i++) if (await once()) count++;
      });
      return { us, count, sum: count };
    },
    expected: (n) => ({ count: n, sum: n }),
  },
  {
    name: 'remote',
    what: 'remote queue over TCP loopback: tasks → master → 2 worker processes → results, 10k tasks (--quick: 1k), whole run',
    n: [10_000, 1_000],
    goal: { ofPython: 1 },
    python: 'remote',
    ours: (resources, n, warmup) => remoteQueue(resources, n, warmup, false),
    expected: (n) => ({ count: n, sum: squares(n) }),
  },
  {
    name: 'remote-proxied',
    what: "the same with the master's puts and gets through proxies too (as Python's master), whole run",
    n: [10_000, 1_000],
    goal: {},
    python: 'remote',
    ours: (resources, n, warmup) => remoteQueue(resources, n, warmup, true),
    expected: (n) => ({ count: n, sum: squares(n) }),
  },
];

/** Σ (i mod GET_KEYS) over 0..n-1: what the gets of a correct pass return. */
function expectedGetSum(n: number): number {
  const whole = Math.floor(n / GET_KEYS);
  return whole * triangle(GET_KEYS) + triangle(n % GET_KEYS);
}

function check(workload: Workload, who: string, n: number, outcome: Outcome): void {
  const { count, sum } = workload.expected(n);
  if (outcome.count !== count || outcome.sum !== sum) {
    throw new Error(`${who} ${workload.name}: counted ${outcome.count} (sum ${outcome.sum}), expected ${count} (sum ${sum})`);
  }
}

function oursProbe(workload: Workload): Probe {
  return (params: Params): Promise<Measurement> => {
    const n = numberParam(params, 'n');
    return withResources(PROBE_DEADLINE_MS, async (resources) => {
      const outcome = await workload.ours(resources, n, numberParam(params, 'warmup'));
      check(workload, 'ours', n, outcome);
      return { n, us: outcome.us };
    });
  };
}

function pythonProbe(workload: Workload): Probe {
  return async (params: Params): Promise<Measurement> => {
    const n = numberParam(params, 'n');
    const outcome = await runPythonFixture<Outcome>('manager.py', { workload: workload.python, n, warmup: numberParam(params, 'warmup') });
    check(workload, 'python', n, outcome);
    return { n, us: outcome.us };
  };
}

/** µs, or ms from 1 ms. */
function time(us: number): string {
  return us >= 1000 ? `${(us / 1000).toFixed(us >= 100_000 ? 0 : 2)} ms` : micros(us);
}

/** `41.2 µs (best 38.0 µs)`: the median over rounds and the best round. */
function medianAndBest(samples: Samples, variant: string): string {
  return `${time(samples.median(variant, 'us'))} (best ${time(Math.min(...samples.values(variant, 'us')))})`;
}

async function runCase(context: CaseContext): Promise<CaseResult> {
  const { warmupRounds, rounds } = roundCounts(context.quick, MEASURED_ROUNDS);
  const python = pythonVersion();
  const pythonNames = python === undefined ? [] : [...new Set(WORKLOADS.map((w) => w.python))];
  const variants = [...WORKLOADS.map((w) => `ours-${w.name}`), ...pythonNames.map((name) => `python-${name}`)];
  const byVariant = new Map<string, Workload>([
    ...WORKLOADS.map((w): [string, Workload] => [`ours-${w.name}`, w]),
    ...WORKLOADS.filter((w) => w.python === w.name).map((w): [string, Workload] => [`python-${w.name}`, w]),
  ]);
  const samples = await runRounds(context, {
    variants,
    warmupRounds,
    rounds,
    params: (variant) => {
      const workload = byVariant.get(variant)!;
      const n = workload.n[context.quick ? 1 : 0];
      return { n, warmup: workload.warmup?.[context.quick ? 1 : 0] ?? Math.max(1, Math.round(n / 5)) };
    },
    describe: (variant, m) => `${variant} ${time(m['us'] ?? NaN)}`,
  });
  const summary: Record<string, number> = {};
  const rows: Row[] = WORKLOADS.map((w) => {
    const ours = samples.median(`ours-${w.name}`, 'us');
    summary[`${w.name}.ours.us`] = ours;
    summary[`${w.name}.ours.bestUs`] = Math.min(...samples.values(`ours-${w.name}`, 'us'));
    const hasPython = python !== undefined;
    const pythonName = `python-${w.python}`;
    const ratio = hasPython ? samples.paired(`ours-${w.name}`, pythonName, 'us') : NaN;
    if (hasPython) {
      summary[`${w.name}.python.us`] = samples.median(pythonName, 'us');
      summary[`${w.name}.python.bestUs`] = Math.min(...samples.values(pythonName, 'us'));
      summary[`${w.name}.ratio`] = ratio;
    }
    const goal = w.goal.ofPython;
    return {
      what: w.what,
      ours: medianAndBest(samples, `ours-${w.name}`),
      baseline: hasPython ? `${medianAndBest(samples, pythonName)} Python` : '',
      ratio: hasPython ? `${times(ratio)} Python` : '',
      target: goal !== undefined ? `≤ ${goal}× Python` : '',
      verdict: !hasPython || goal === undefined ? 'info' : ratio <= goal ? 'met' : 'not met',
    };
  });
  return {
    rows,
    summary,
    raw: { rounds, warmupRounds, python: python ?? null, samples: samples.all },
    notes: [
      `manager: each workload starts its manager and child processes first and runs an unmeasured pass of a fifth of its ` +
        `size (start + shutdown: ${WORKLOADS.find((w) => w.name === 'start-shutdown')!.warmup![0]} untimed cycles), then ` +
        `one timed pass; Python the same in fixtures/manager.py (fork). The dict's child times its own ops and reports them; ` +
        `every count and sum is checked (the dict's entries, each get's value, each item back from the queue in order, no ` +
        `manager process left after a shutdown, all results of the remote queue and the sum of their squares). Remote queue: ` +
        `a BaseManager master serves 2 queues on 127.0.0.1 (port 0), 2 worker processes connect with address + authkey ` +
        `and say they are ready, then the run is timed from the master's first put to its last result. Python's master ` +
        `uses proxies (its server is a forked process that owns the queue.Queue objects); ours serves its own Queues from ` +
        `its event loop and puts and gets them directly, as a user of ours writes it; the proxied row is ours with the ` +
        `master through proxies as well. Floors (no goal): a bare Unix-socket round trip between 2 Node processes, which ` +
        `every proxy call makes at least once (Python's row: a Pipe's send + recv, what its proxies sit on); and a child ` +
        `Process of a function that does nothing, started and joined, which every Manager start costs at least (a Node ` +
        `process that imports the library). ${roundsText(warmupRounds, rounds)}; medians (best round in brackets), ratios ` +
        `paired per round.`,
    ],
  };
}

/** Manager proxies, start + shutdown and a remote queue over TCP, against Python's multiprocessing (issue 12). */
export const manager: Case = {
  name: 'manager',
  title: 'Manager proxies, start + shutdown and a remote queue over TCP, against Python',
  probes: Object.fromEntries([
    ...WORKLOADS.map((w): [string, Probe] => [`ours-${w.name}`, oursProbe(w)]),
    ...WORKLOADS.filter((w) => w.python === w.name).map((w): [string, Probe] => [`python-${w.name}`, pythonProbe(w)]),
  ]),
  run: runCase,
};
