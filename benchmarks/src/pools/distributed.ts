// The `distributed` case (issue 13): @concurrent/distributed's DistributedExecutor, with its
// workers as real `concurrent-worker` processes, against raw BullMQ (Queue.addBulk + Worker +
// one QueueEvents) and Python's Celery 5 (fixtures/distributed_celery.py) on the same loopback
// Redis, in the same run: 10k trivial jobs submit → result over 2 worker processes, fib(30) × 32
// over 2 worker processes against the same loop in-process, and one job's latency. The case
// starts its own redis-server (distributed-redis.ts) and stops it after; each probe empties it
// first. Every count and sum is checked. A fresh probe process per variant and round, rounds
// interleaved, ratios paired per round.
import { spawn, spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DistributedExecutor } from '@concurrent/distributed';
import { Queue, QueueEvents } from 'bullmq';
import { count, micros, plural, times } from '../harness/format.js';
import { forceGc, numberParam } from '../harness/probe-kit.js';
import { type Resources, withResources } from '../harness/resources.js';
import { median } from '../harness/stats.js';
import type { Case, CaseContext, CaseResult, Probe, Row } from '../harness/types.js';
import { RAW_WORKER_READY } from './distributed-raw-worker.js';
import { redisBinary, redisCommand, type RedisServer, startRedis } from './distributed-redis.js';
import { millis } from './format.js';
import { fixture, tasks } from './paths.js';
import { roundsText, runRounds, type Samples } from './rounds.js';
import { PROBE_DEADLINE_MS, roundCounts } from './settings.js';
import { fib } from './tasks.js';

/** A round takes about 1.5 min, most of it Celery's 2 × 10k jobs. */
const MEASURED_ROUNDS = 5;
/** Worker processes of every variant: the issue's "2 worker processes". */
const WORKER_PROCESSES = 2;
/** Trivial jobs per timed pass (full, quick); the untimed pass before it is a fifth of that. */
const JOBS: readonly [number, number] = [10_000, 1_000];
/**
 * Jobs at once in each worker process for the trivial jobs (BullMQ's `concurrency`, ours the
 * same through `--concurrency`): a BullMQ worker with 1 fetches its next job only as it
 * finishes one, a round trip to Redis per job; with more it keeps that many in flight.
 */
const TRIVIAL_CONCURRENCY = 8;
const FIB_N = 30;
/** fib(30) jobs per pass (full, quick). */
const FIB_JOBS: readonly [number, number] = [32, 8];
/** Timed (sequential, distributed) pairs per probe, after one unmeasured pair. */
const FIB_PAIRS: readonly [number, number] = [3, 1];
const FIB_TARGET = 1.8;
/** Sequential single-job round trips timed per probe (full, quick), after a fifth as many untimed. */
const LATENCY_JOBS: readonly [number, number] = [300, 30];
/** The goals of the issue, as multiples of raw BullMQ. */
const OF_RAW = 1.2;
/** Our worker's default `--concurrency` (and its ProcessPoolExecutor's size) here. */
const CORES = availableParallelism();
/** Celery's untimed pass: a fifth, at most this many (Python has no JIT to warm; this opens its connections). */
const CELERY_WARMUP = 500;
const celeryWarmup = (n: number): number => Math.max(1, Math.min(CELERY_WARMUP, Math.round(n / 5)));
/** The system Python, where Debian's python3-celery lives. */
const CELERY_PYTHON = '/usr/bin/python3';
const INSTALL_CELERY = 'apt-get install -y python3-celery python3-redis';
/** Our compiled files (dist/): the root the executor and the workers resolve task modules under. */
const DIST_ROOT = fileURLToPath(new URL('..', import.meta.url));
const WATCH = fileURLToPath(new URL('./distributed-watch.js', import.meta.url));
const RAW_WORKER = fileURLToPath(new URL('./distributed-raw-worker.js', import.meta.url));
/** What concurrent-worker prints once it takes jobs (src/cli.ts). */
const OURS_READY = 'concurrent-worker: taking jobs';

/** `concurrent-worker`, as npx finds it: the `bin` of @concurrent/distributed. */
function concurrentWorkerBin(): string {
  const manifest = createRequire(import.meta.url).resolve('@concurrent/distributed/package.json');
  const bin = (JSON.parse(readFileSync(manifest, 'utf8')) as { bin: Record<string, string> }).bin['concurrent-worker'];
  if (bin === undefined) throw new Error('@concurrent/distributed has no concurrent-worker bin');
  return join(dirname(manifest), bin);
}

/** 0 + 1 + ... + (n - 1). */
const triangle = (n: number): number => (n * (n - 1)) / 2;

type Engine = 'ours' | 'raw';
type ExecutorChoice = 'loop' | 'process' | 'defaults';

interface WorkerSpec {
  readonly engine: Engine;
  readonly processes: number;
  readonly concurrency: number;
  readonly task: 'identity' | 'fib';
  /** Ours only: the local executor of concurrent-worker (`--executor`); `defaults`: neither it nor `--concurrency` given. */
  readonly executor?: ExecutorChoice;
}

/**
 * Starts the worker processes of `spec` on `queue` and resolves once every one said it takes
 * jobs. Each is a `node` process with an IPC channel to this probe (distributed-watch.js exits
 * it when the channel closes); the probe's resources stop them (SIGTERM and wait, or SIGKILL).
 */
async function startWorkers(resources: Resources, url: string, queue: string, spec: WorkerSpec): Promise<void> {
  const args =
    spec.engine === 'raw'
      ? [RAW_WORKER, url, queue, String(spec.concurrency), spec.task]
      : [
          concurrentWorkerBin(),
          ...['--connection', url, '--queue', queue, '--root', DIST_ROOT],
          ...(spec.executor === 'defaults' ? [] : ['--concurrency', String(spec.concurrency), '--executor', spec.executor ?? 'loop']),
        ];
  const ready = Array.from({ length: spec.processes }, () => {
    const child = spawn(process.execPath, ['--import', WATCH, ...args], { stdio: ['ignore', 'pipe', 'inherit', 'ipc'] });
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    resources.add(`${spec.engine} worker process`, child, async (hard) => {
      if (child.exitCode === null && child.signalCode === null) child.kill(hard ? 'SIGKILL' : 'SIGTERM');
      await exited;
    });
    return new Promise<void>((resolve, reject) => {
      let output = '';
      // Piped (the stdio above): never null.
      const stdout = child.stdout!;
      stdout.setEncoding('utf8');
      stdout.on('data', (chunk: string) => {
        output += chunk;
        if (output.includes(spec.engine === 'raw' ? RAW_WORKER_READY : OURS_READY)) resolve();
      });
      child.once('exit', (code, signal) => reject(new Error(`a ${spec.engine} worker process exited at start (${signal ?? `code ${String(code)}`}): ${output.slice(-300)}`)));
      child.once('error', reject);
    });
  });
  await Promise.all(ready);
}

/** What every probe does first: empties Redis and names a fresh queue. */
async function freshQueue(url: string): Promise<string> {
  const answer = await redisCommand(Number(new URL(url).port), 'FLUSHALL');
  if (answer !== '+OK') throw new Error(`FLUSHALL on ${url} answered ${String(answer)}`);
  return `bench-${randomUUID()}`;
}

/** Our executor on `queue`, shut down with the probe. */
function startExecutor(resources: Resources, url: string, queue: string): DistributedExecutor {
  const executor = new DistributedExecutor({ connection: url, queue, root: DIST_ROOT });
  return resources.add('DistributedExecutor', executor, (hard) => executor.shutdown({ wait: !hard, cancelFutures: hard }));
}

/**
 * Raw BullMQ's producer side: a Queue and one QueueEvents listening before anything is added,
 * its 'completed' events dispatched by job id.
 */
async function startRawProducer(resources: Resources, url: string, name: string): Promise<RawProducer> {
  const { hostname, port } = new URL(url);
  const connection = { host: hostname, port: Number(port) };
  const queue = new Queue(name, { connection });
  resources.add('BullMQ Queue', queue, () => queue.close());
  // From the stream's start (the queue is new, its stream empty): with the default '$', the
  // XREAD that QueueEvents issues after waitUntilReady() resolved misses whatever completed
  // in between, and the first jobs' events are never seen.
  const events = new QueueEvents(name, { connection: { ...connection, maxRetriesPerRequest: null }, lastEventId: '0-0' });
  resources.add('BullMQ QueueEvents', events, () => events.close());
  const producer = new RawProducer(queue);
  events.on('completed', ({ jobId, returnvalue }) => producer.completed(jobId, returnvalue));
  events.on('failed', ({ jobId, failedReason }) => producer.failed(new Error(`raw BullMQ job ${jobId} failed: ${failedReason}`)));
  await Promise.all([queue.waitUntilReady(), events.waitUntilReady()]);
  return producer;
}

class RawProducer {
  readonly queue: Queue;
  /** The bulk pass in progress: completions counted and summed, once per job id. */
  #bulk: { seen: Set<string>; sum: number; expected: number; resolve: () => void; reject: (error: Error) => void } | undefined;
  /** Single jobs waited on by id. */
  readonly #waiting = new Map<string, (value: unknown) => void>();
  #error: Error | undefined;

  constructor(queue: Queue) {
    this.queue = queue;
  }

  completed(jobId: string, value: unknown): void {
    const bulk = this.#bulk;
    if (bulk !== undefined) {
      if (bulk.seen.has(jobId)) return;
      bulk.seen.add(jobId);
      bulk.sum += Number(value);
      if (bulk.seen.size === bulk.expected) bulk.resolve();
      return;
    }
    this.#waiting.get(jobId)?.(value);
    this.#waiting.delete(jobId);
  }

  failed(error: Error): void {
    this.#error ??= error;
    this.#bulk?.reject(error);
  }

  /** `count` jobs `data(i)` in one addBulk; resolves once all completed, with their count and the sum of their results. */
  async bulk(count: number, name: string, data: (i: number) => Record<string, number>): Promise<{ count: number; sum: number }> {
    const done = new Promise<void>((resolve, reject) => (this.#bulk = { seen: new Set(), sum: 0, expected: count, resolve, reject }));
    await this.queue.addBulk(Array.from({ length: count }, (_, i) => ({ name, data: data(i) })));
    await done;
    const { seen, sum } = this.#bulk!;
    this.#bulk = undefined;
    return { count: seen.size, sum };
  }

  /** One job `{ x }` (its id chosen first, so its completion cannot come before we wait for it); resolves with its result. */
  async one(id: string, x: number): Promise<unknown> {
    if (this.#error !== undefined) throw this.#error;
    const result = new Promise<unknown>((resolve) => this.#waiting.set(id, resolve));
    await this.queue.add('identity', { x }, { jobId: id });
    return result;
  }
}

/** `count` trivial jobs through our executor, all submitted at once; their results' count (equal to their argument) and sum. */
async function oursBulk(executor: DistributedExecutor, n: number): Promise<{ count: number; sum: number }> {
  const futures = Array.from({ length: n }, (_, x) => executor.submit(tasks.identity, x));
  const values = await Promise.all(futures);
  let count = 0;
  let sum = 0;
  values.forEach((value, x) => {
    if (value === x) count++;
    sum += value;
  });
  return { count, sum };
}

function checkBulk(who: string, n: number, outcome: { count: number; sum: number }): void {
  if (outcome.count !== n || outcome.sum !== triangle(n)) {
    throw new Error(`${who}: ${outcome.count} results (sum ${outcome.sum}), expected ${n} (sum ${triangle(n)})`);
  }
}

/** n trivial jobs submit → result over 2 worker processes, after an untimed fifth: µs for the whole timed pass. */
function bulkProbe(engine: Engine, executorKind: ExecutorChoice = 'loop'): Probe {
  return (params) =>
    withResources(PROBE_DEADLINE_MS, async (resources) => {
      const n = numberParam(params, 'n');
      const url = String(params['url']);
      const queue = await freshQueue(url);
      await startWorkers(resources, url, queue, { engine, processes: WORKER_PROCESSES, concurrency: numberParam(params, 'concurrency'), task: 'identity', executor: executorKind });
      const warmup = Math.max(1, Math.round(n / 5));
      let pass: (count: number) => Promise<{ count: number; sum: number }>;
      if (engine === 'ours') {
        const executor = startExecutor(resources, url, queue);
        pass = (count) => oursBulk(executor, count);
      } else {
        const producer = await startRawProducer(resources, url, queue);
        pass = (count) => producer.bulk(count, 'identity', (x) => ({ x }));
      }
      checkBulk(`${engine} (untimed pass)`, warmup, await pass(warmup));
      forceGc();
      const started = performance.now();
      const outcome = await pass(n);
      const us = (performance.now() - started) * 1000;
      checkBulk(engine, n, outcome);
      return { n, us };
    });
}

/** Celery: fixtures/distributed_celery.py on the same Redis (its own group, killed if this probe dies). */
const celeryProbe: Probe = (params) =>
  withResources(PROBE_DEADLINE_MS, async (resources) => {
    const n = numberParam(params, 'n');
    const url = String(params['url']);
    await freshQueue(url);
    const request = { url: `${url}/0`, n, warmup: celeryWarmup(n), pool: String(params['pool']), concurrency: 1, workers: WORKER_PROCESSES, watchStdin: true };
    const child = spawn(CELERY_PYTHON, [fixture('distributed_celery.py'), JSON.stringify(request)], { detached: true, stdio: ['pipe', 'pipe', 'inherit'] });
    const exited = new Promise<number | null>((resolve) => {
      child.once('close', (code) => resolve(code));
      child.once('error', () => resolve(null));
    });
    child.stdin.on('error', () => undefined);
    resources.add('celery', child, async (hard) => {
      if (hard && child.pid !== undefined && child.exitCode === null) {
        try {
          process.kill(-child.pid, 'SIGKILL'); // the group: the driver and its Celery workers
        } catch {
          // Gone already.
        }
      }
      child.stdin.end();
      await exited;
    });
    let stdout = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => (stdout += chunk));
    const code = await exited;
    let outcome: { us: number; count: number; sum: number };
    try {
      outcome = JSON.parse(stdout.trim().split('\n').at(-1) ?? '') as typeof outcome;
    } catch {
      throw new Error(`distributed_celery.py exited with ${String(code)} and printed ${JSON.stringify(stdout.slice(-300))}`);
    }
    checkBulk(`celery ${String(params['pool'])}`, n, outcome);
    return { n, us: outcome.us };
  });

/**
 * fib(30) × jobs over 2 worker processes against the same loop in this process, alternating
 * (sequential, distributed) pairs as the cpu case does, one unmeasured pair first; the
 * speedup is the median of the pairs' ratios.
 */
function fibProbe(engine: Engine, executorKind: 'loop' | 'process' = 'loop'): Probe {
  return (params) =>
    withResources(PROBE_DEADLINE_MS, async (resources) => {
      const jobs = numberParam(params, 'jobs');
      const pairs = numberParam(params, 'pairs');
      const url = String(params['url']);
      const queue = await freshQueue(url);
      // Ours with --executor process: one concurrent-worker whose ProcessPoolExecutor has the 2 processes.
      const spec: WorkerSpec =
        executorKind === 'process'
          ? { engine, processes: 1, concurrency: WORKER_PROCESSES, task: 'fib', executor: 'process' }
          : { engine, processes: WORKER_PROCESSES, concurrency: 1, task: 'fib', executor: 'loop' };
      await startWorkers(resources, url, queue, spec);
      const expected = fib(FIB_N);
      /** The jobs at once; their count and the sum of their results. */
      let distributed: () => Promise<{ count: number; sum: number }>;
      if (engine === 'ours') {
        const executor = startExecutor(resources, url, queue);
        distributed = async () => {
          const values = await Promise.all(Array.from({ length: jobs }, () => executor.submit(tasks.fib, FIB_N)));
          return { count: values.filter((value) => value === expected).length, sum: values.reduce((a, b) => a + b, 0) };
        };
      } else {
        const producer = await startRawProducer(resources, url, queue);
        distributed = () => producer.bulk(jobs, 'fib', () => ({ n: FIB_N }));
      }
      const sequential = (): number => {
        const started = performance.now();
        let sum = 0;
        for (let i = 0; i < jobs; i++) sum += fib(FIB_N);
        const ms = performance.now() - started;
        if (sum !== expected * jobs) throw new Error('fib is not deterministic');
        return ms;
      };
      const timedDistributed = async (): Promise<number> => {
        const started = performance.now();
        const outcome = await distributed();
        const ms = performance.now() - started;
        if (outcome.count !== jobs || outcome.sum !== jobs * expected) {
          throw new Error(`${engine} fib: ${outcome.count} results (sum ${outcome.sum}), expected ${jobs} of fib(${FIB_N}) = ${expected}`);
        }
        return ms;
      };
      sequential();
      await timedDistributed();
      const seq: number[] = [];
      const dist: number[] = [];
      const speedups: number[] = [];
      for (let i = 0; i < pairs; i++) {
        forceGc();
        const s = sequential();
        const d = await timedDistributed();
        seq.push(s);
        dist.push(d);
        speedups.push(s / d);
      }
      return { jobs, sequentialMs: median(seq), distributedMs: median(dist), speedup: median(speedups) };
    });
}

/** One job at a time, submit → result, `n` times after a fifth as many untimed: the median µs. */
function latencyProbe(engine: Engine): Probe {
  return (params) =>
    withResources(PROBE_DEADLINE_MS, async (resources) => {
      const n = numberParam(params, 'n');
      const url = String(params['url']);
      const queue = await freshQueue(url);
      await startWorkers(resources, url, queue, { engine, processes: WORKER_PROCESSES, concurrency: 1, task: 'identity' });
      let once: (x: number) => Promise<unknown>;
      if (engine === 'ours') {
        const executor = startExecutor(resources, url, queue);
        once = async (x) => executor.submit(tasks.identity, x);
      } else {
        const producer = await startRawProducer(resources, url, queue);
        once = (x) => producer.one(`job-${String(x)}`, x);
      }
      const warmup = Math.max(1, Math.round(n / 5));
      let x = 0;
      for (let i = 0; i < warmup; i++, x++) if ((await once(x)) !== x) throw new Error(`${engine} latency: a wrong result in the untimed pass`);
      forceGc();
      const trips: number[] = [];
      let sum = 0;
      const first = x;
      for (let i = 0; i < n; i++, x++) {
        const started = performance.now();
        const value = await once(x);
        trips.push((performance.now() - started) * 1000);
        if (value === x) sum += value;
      }
      const expectedSum = triangle(first + n) - triangle(first);
      if (trips.length !== n || sum !== expectedSum) throw new Error(`${engine} latency: ${trips.length} results (sum ${sum}), expected ${n} (sum ${expectedSum})`);
      trips.sort((a, b) => a - b);
      return { n, us: median(trips), p90Us: trips[Math.floor(trips.length * 0.9)] ?? NaN };
    });
}

let celeryVersion: string | null | undefined;

/** `5.2.6` when the system Python has Celery and redis-py; undefined otherwise. */
function celeryAvailable(): string | undefined {
  if (celeryVersion === undefined) {
    const probe = spawnSync(CELERY_PYTHON, ['-c', 'import celery, redis; print(celery.__version__)'], { encoding: 'utf8', timeout: 20_000, stdio: ['ignore', 'pipe', 'ignore'] });
    celeryVersion = probe.status === 0 ? probe.stdout.trim() : null;
  }
  return celeryVersion ?? undefined;
}

/** ms from 1 ms, else µs. */
function time(us: number): string {
  return us >= 1000 ? millis(us / 1000) : micros(us);
}

/** `412 ms (best 398 ms)`: the median over rounds and the best round. */
function medianAndBest(samples: Samples, variant: string, key = 'us'): string {
  return `${time(samples.median(variant, key))} (best ${time(Math.min(...samples.values(variant, key)))})`;
}

/** What each variant runs, for the rows (the probes and the notes say the rest). */
const VARIANTS = {
  'ours-jobs': `2 × concurrent-worker --executor loop --concurrency ${String(TRIVIAL_CONCURRENCY)}`,
  'raw-jobs': `raw BullMQ: addBulk, 2 Worker processes (concurrency ${String(TRIVIAL_CONCURRENCY)}), QueueEvents`,
  'ours-jobs-process': `2 × concurrent-worker with its defaults (--executor process --concurrency ${String(CORES)})`,
  'celery-prefork': 'Celery 5, 2 × worker --pool prefork --concurrency 1',
  'celery-solo': 'Celery 5, 2 × worker --pool solo',
  'ours-fib': '2 × concurrent-worker --executor loop --concurrency 1',
  'raw-fib': 'raw BullMQ: 2 Worker processes, concurrency 1',
  'ours-fib-process': `1 × concurrent-worker --executor process --concurrency ${String(WORKER_PROCESSES)}`,
  'ours-latency': 'submit → await, one at a time',
  'raw-latency': 'raw BullMQ: Queue.add → its completed event',
} as const;
type Variant = keyof typeof VARIANTS;

const skippedRow = (what: string, why: string): Row => ({ what, ours: 'skipped', baseline: why, ratio: '', target: '', verdict: 'info' });

async function runCase(context: CaseContext): Promise<CaseResult> {
  const quick = context.quick ? 1 : 0;
  const n = JOBS[quick];
  const fibJobs = FIB_JOBS[quick];
  const latencyN = LATENCY_JOBS[quick];
  const titles = {
    jobs: `${count(n)} trivial jobs, submit → result, ${WORKER_PROCESSES} worker processes, whole pass`,
    celery: `${count(n)} trivial jobs against Celery on the same Redis`,
    fib: `fib(${FIB_N}) × ${fibJobs} over ${WORKER_PROCESSES} worker processes, speedup over in-process`,
    latency: `one job's latency, submit → result (median of ${latencyN}, one at a time)`,
  };
  const binary = redisBinary();
  if (binary === undefined) {
    const why = 'no redis-server (apt-get install -y redis-server)';
    context.log(`distributed: redis-server not found, every row SKIPPED. Install it: apt-get install -y redis-server`);
    return {
      rows: [skippedRow(titles.jobs, why), skippedRow(titles.celery, why), skippedRow(titles.fib, why), skippedRow(titles.latency, why)],
      summary: {},
      raw: { skipped: 'redis-server not found' },
      notes: ['distributed: skipped, redis-server not found (apt-get install -y redis-server).'],
    };
  }
  const celery = celeryAvailable();
  if (celery === undefined) context.log(`distributed: Celery not found for ${CELERY_PYTHON}, its rows SKIPPED. Install it: ${INSTALL_CELERY}`);
  return withResources(Infinity, async (resources) => {
    const redis: RedisServer = await startRedis(resources, binary);
    context.log(`distributed: redis-server ${redis.version} on ${redis.url}`);
    const { warmupRounds, rounds } = roundCounts(context.quick, MEASURED_ROUNDS);
    const variants: Variant[] = [
      'ours-jobs',
      'raw-jobs',
      'ours-jobs-process',
      ...(celery === undefined ? [] : (['celery-prefork', 'celery-solo'] as const)),
      'ours-fib',
      'raw-fib',
      'ours-fib-process',
      'ours-latency',
      'raw-latency',
    ];
    const samples = await runRounds(context, {
      variants,
      warmupRounds,
      rounds,
      params: (variant) => {
        const common = { url: redis.url };
        if (variant.endsWith('-fib') || variant === 'ours-fib-process') return { ...common, jobs: fibJobs, pairs: FIB_PAIRS[quick] };
        if (variant.endsWith('-latency')) return { ...common, n: latencyN };
        if (variant.startsWith('celery-')) return { ...common, n, pool: variant.slice('celery-'.length) };
        return { ...common, n, concurrency: TRIVIAL_CONCURRENCY };
      },
      describe: (variant, m) =>
        m['speedup'] !== undefined ? `${variant} ${times(m['speedup'])}` : `${variant} ${time(m['us'] ?? NaN)}`,
    });
    const summary: Record<string, number> = {};
    for (const variant of variants) {
      for (const key of variant.includes('fib') ? ['speedup', 'sequentialMs', 'distributedMs'] : ['us']) {
        summary[`${variant}.${key}`] = samples.median(variant, key);
      }
    }
    const jobsRatio = samples.paired('ours-jobs', 'raw-jobs', 'us');
    summary['jobs.ratioToRaw'] = jobsRatio;
    // Paired as the ratios are: (ours − raw) / n within each round, the median of those.
    const raw = samples.values('raw-jobs', 'us');
    const addedUs = median(samples.values('ours-jobs', 'us').map((us, i) => (us - (raw[i] ?? NaN)) / n));
    summary['jobs.addedUsPerJob'] = addedUs;
    const perJob = (variant: Variant): string => `${micros(samples.median(variant, 'us') / n)}/job`;
    const rows: Row[] = [
      {
        what: `${titles.jobs}: ${VARIANTS['ours-jobs']}`,
        ours: `${medianAndBest(samples, 'ours-jobs')}, ${perJob('ours-jobs')}`,
        baseline: `${medianAndBest(samples, 'raw-jobs')} raw BullMQ`,
        ratio: `${times(jobsRatio)} raw`,
        target: `≤ ${OF_RAW}× raw BullMQ`,
        verdict: jobsRatio <= OF_RAW ? 'met' : 'not met',
      },
      {
        what: `  the same, ${VARIANTS['ours-jobs-process']}`,
        ours: `${medianAndBest(samples, 'ours-jobs-process')}, ${perJob('ours-jobs-process')}`,
        baseline: `${medianAndBest(samples, 'raw-jobs')} raw BullMQ`,
        ratio: `${times(samples.paired('ours-jobs-process', 'raw-jobs', 'us'))} raw`,
        target: '',
        verdict: 'info',
      },
    ];
    if (celery === undefined) {
      rows.push(skippedRow(titles.celery, `no Celery (${INSTALL_CELERY})`));
    } else {
      for (const pool of ['prefork', 'solo'] as const) {
        const variant: Variant = `celery-${pool}`;
        const ratio = samples.paired('ours-jobs', variant, 'us');
        summary[`jobs.ratioToCelery.${pool}`] = ratio;
        rows.push({
          what: `${pool === 'prefork' ? titles.celery : '  the same'}: ${VARIANTS[variant]}`,
          ours: `${medianAndBest(samples, 'ours-jobs')}, ${perJob('ours-jobs')}`,
          baseline: `${medianAndBest(samples, variant)} Celery, ${perJob(variant)}`,
          ratio: `${times(ratio)} Celery`,
          target: pool === 'prefork' ? '< 1× Celery' : '',
          verdict: pool === 'prefork' ? (ratio < 1 ? 'met' : 'not met') : 'info',
        });
      }
    }
    const fibRow = (variant: Variant, first: boolean): Row => {
      const speedup = samples.median(variant, 'speedup');
      const cell = `${times(speedup)} (best ${times(Math.max(...samples.values(variant, 'speedup')))}), ${millis(samples.median(variant, 'distributedMs'))}`;
      const raw = variant.startsWith('raw');
      return {
        what: `${first ? titles.fib : '  the same'}: ${VARIANTS[variant]}`,
        ours: raw ? '' : cell,
        baseline: raw ? `${cell} raw BullMQ` : `${millis(samples.median(variant, 'sequentialMs'))} in-process`,
        ratio: raw ? '' : `${times(speedup)} speedup`,
        target: first ? `≥ ${FIB_TARGET}× on 2 cores` : '',
        verdict: first ? (speedup >= FIB_TARGET ? 'met' : 'not met') : 'info',
      };
    };
    rows.push(fibRow('ours-fib', true), fibRow('raw-fib', false), fibRow('ours-fib-process', false));
    const latencyRatio = samples.paired('ours-latency', 'raw-latency', 'us');
    summary['latency.ratioToRaw'] = latencyRatio;
    rows.push({
      what: titles.latency,
      ours: `${medianAndBest(samples, 'ours-latency')}, p90 ${time(samples.median('ours-latency', 'p90Us'))}`,
      baseline: `${medianAndBest(samples, 'raw-latency')} raw BullMQ, p90 ${time(samples.median('raw-latency', 'p90Us'))}`,
      ratio: `${times(latencyRatio)} raw`,
      target: `≤ ${OF_RAW}× raw BullMQ`,
      verdict: latencyRatio <= OF_RAW ? 'met' : 'not met',
    });
    return {
      rows,
      summary,
      raw: {
        rounds,
        warmupRounds,
        redis: redis.version,
        celery: celery ?? null,
        jobs: n,
        trivialConcurrency: TRIVIAL_CONCURRENCY,
        fibJobs,
        latencyJobs: latencyN,
        samples: samples.all,
      },
      notes: [
        `distributed: the case starts its own redis-server ${redis.version} on 127.0.0.1 (no persistence) and stops ` +
          `it after; every probe empties it first (FLUSHALL), uses a fresh queue and starts its own ${WORKER_PROCESSES} ` +
          `worker processes, each a \`node\` process: ours \`concurrent-worker\` (the package's bin, ` +
          `--executor loop: the job runs on the worker's event loop as BullMQ's processor runs it), raw BullMQ a script ` +
          `with a Worker and a trivial processor (src/pools/distributed-raw-worker.ts), both with BullMQ's defaults. ` +
          `Trivial jobs: identity(i) for i < ${count(n)}, all submitted at once (ours: one submit each, which the ` +
          `executor adds as one addBulk; raw: one Queue.addBulk of jobs { x: i }, default ids and options), every ` +
          `result awaited (raw: one QueueEvents, listening before the add, counts 'completed' events by job id); ` +
          `timed from the first submit to the last result after an untimed pass of a fifth as many; count and sum ` +
          `checked. What the executor adds per job here: ${micros(addedUs)} ((ours − raw) / ${count(n)} per round, the median).`,
        `Celery ${celery ?? '(skipped)'} (${CELERY_PYTHON}, fixtures/distributed_celery.py) on the same Redis as ` +
          `broker and result backend, JSON: 2 worker nodes, each \`celery worker --pool prefork --concurrency 1\` ` +
          `(a main process + one pool process; the goal row) or \`--pool solo\` (one process that runs the task ` +
          `itself, as BullMQ's Worker does: Celery's fastest here), --without-gossip --without-mingle ` +
          `--without-heartbeat, other settings default (prefetch multiplier 4); \`identity.delay(i)\` for all, then ` +
          `\`.get()\` on each in order; an untimed pass of a fifth first, at most ${CELERY_WARMUP} (no JIT to warm).`,
        `fib: fib(${FIB_N}) × ${fibJobs} submitted at once, against the same loop in the probe process; ` +
          `${plural(FIB_PAIRS[quick], 'timed (sequential, distributed) pair')} per probe after an unmeasured one, the ` +
          `speedup the median of the pairs' ratios, "best" the best round's. Worker processes at concurrency 1 each ` +
          `(raw BullMQ the same: what the machine allows through BullMQ); the --executor process row runs one ` +
          `concurrent-worker whose ProcessPoolExecutor has the 2 processes. Latency: one job at a time, submit → ` +
          `result, ${latencyN} timed after ${Math.round(latencyN / 5)} untimed, median per probe (raw: Queue.add with ` +
          `its id chosen first, then its 'completed' event). ${roundsText(warmupRounds, rounds)}, order rotated; ` +
          `medians over rounds (best round in brackets), ratios paired per round.`,
      ],
    };
  });
}

/** DistributedExecutor on BullMQ + Redis against raw BullMQ and Celery (issue 13). */
export const distributed: Case = {
  name: 'distributed',
  title: 'DistributedExecutor on a loopback Redis, against raw BullMQ and Celery',
  probes: {
    'ours-jobs': bulkProbe('ours'),
    'raw-jobs': bulkProbe('raw'),
    'ours-jobs-process': bulkProbe('ours', 'defaults'),
    'celery-prefork': celeryProbe,
    'celery-solo': celeryProbe,
    'ours-fib': fibProbe('ours'),
    'raw-fib': fibProbe('raw'),
    'ours-fib-process': fibProbe('ours', 'process'),
    'ours-latency': latencyProbe('ours'),
    'raw-latency': latencyProbe('raw'),
  },
  run: runCase,
};
