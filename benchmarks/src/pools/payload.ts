// Case 4: a big payload. A 10 MiB Float64Array is sent to a worker and the task returns it:
// ProcessPoolExecutor against raw fork with 'advanced' serialization (both copy it twice), and
// WorkerThreadPoolExecutor with submitWith({ transfer: [array.buffer] }) against raw
// worker_threads transferring it both ways (the zero-copy floor). The peers run the same
// round trip: the process ones copy (structured clone: 'advanced' serialization), the thread
// ones transfer the array in and back as far as their API allows (see TRANSFERS).
import { mebibytes, times, verdict } from '../harness/format.js';
import { forceGc, numberParam } from '../harness/probe-kit.js';
import { median } from '../harness/stats.js';
import type { Case, CaseContext, CaseResult, Measurement, Params, Row } from '../harness/types.js';
import { millis } from './format.js';
import { processPool, threadPool } from './ours.js';
import { moveTasks, tasks } from './paths.js';
import { RawPool } from './raw.js';
import { isProcessPeer, PEER_LABEL, PEER_NAMES, type PeerName, startPeer } from './peers.js';
import { type Resources, withResources } from '../harness/resources.js';
import { roundsText, runRounds } from './rounds.js';
import { PROBE_DEADLINE_MS, roundCounts, WORKERS } from './settings.js';

/** ProcessPoolExecutor may take at most this many times raw fork per round trip. */
const PROCESS_TARGET = 1.2;
/** WorkerThreadPoolExecutor with transfer must round-trip in less than this. */
const THREAD_TARGET_MS = 1;
/**
 * Unmeasured round trips per child. The first few 10 MiB copies cost ~4× the later ones here
 * (fresh memory from the OS until the allocator starts reusing freed blocks); the table
 * reports the steady state a program moving such arrays repeatedly would see.
 */
const WARMUP_TRIPS = 8;
const MEASURED_ROUNDS = 5;

type Base = 'ours-process' | 'raw-fork' | 'ours-thread' | 'raw-thread';
type Variant = Base | PeerName;
const VARIANTS: readonly Variant[] = ['ours-process', 'raw-fork', 'ours-thread', 'raw-thread', ...PEER_NAMES];

const LABEL: Readonly<Record<Variant, string>> = {
  'ours-process': 'ProcessPoolExecutor',
  'raw-fork': 'raw fork, advanced serialization',
  'ours-thread': 'WorkerThreadPoolExecutor + transfer',
  'raw-thread': 'raw worker_threads, transfer both ways',
  ...PEER_LABEL,
};

type Family = 'process' | 'thread';
const FLOOR: Readonly<Record<Family, Base>> = { process: 'raw-fork', thread: 'raw-thread' };
const OURS: Readonly<Record<Family, Base>> = { process: 'ours-process', thread: 'ours-thread' };

function family(variant: Variant): Family {
  switch (variant) {
    case 'ours-process':
    case 'raw-fork':
      return 'process';
    case 'ours-thread':
    case 'raw-thread':
      return 'thread';
    default:
      return isProcessPeer(variant) ? 'process' : 'thread';
  }
}

/**
 * What each peer can do with the array, from its API (and checked in its code): the thread
 * peers take a transfer list in; moving the result back needs the worker to say so.
 */
const TRANSFERS =
  'piscina: transferList in, Piscina.move() back (both ways); tinypool worker_threads: transferList in, ' +
  'Tinypool.move() back (both ways); workerpool thread: exec(…, { transfer }) in, workerpool.Transfer back (both ' +
  "ways); poolifier FixedThreadPool: execute(…, transferList) in, but its ThreadWorker posts the result without " +
  'a transfer list, so the array is copied back. Process peers copy both ways, started with ' +
  "serialization 'advanced' (tinypool serialization, workerpool forkOpts, poolifier cluster settings): their default " +
  "'json' turns a Float64Array into a plain object with one key per element; none of them transfers (tinypool's " +
  "move() and workerpool's Transfer are ignored or unusable over a process channel).";

/** The payload: a Float64Array on a plain (transferable) ArrayBuffer. */
type Payload = Float64Array<ArrayBuffer>;

/** Sends an array to a worker and resolves with the array the worker sent back. */
type RoundTrip = (array: Payload) => PromiseLike<unknown>;

/** Whether `value` is the payload that was sent: same length, same last element. */
function isIntact(value: unknown, length: number, last: number | undefined): value is Payload {
  return (
    value instanceof Float64Array && value.buffer instanceof ArrayBuffer && value.length === length && value[length - 1] === last
  );
}

function start(variant: Variant, resources: Resources, workers: number): RoundTrip {
  switch (variant) {
    case 'ours-process': {
      const pool = processPool(resources, workers);
      return (array) => pool.submit(tasks.echoArray, array);
    }
    case 'raw-fork': {
      const pool = RawPool.fork(resources, workers);
      return (array) => pool.roundTrip(array);
    }
    case 'ours-thread': {
      const pool = threadPool(resources, workers);
      return (array) => pool.submitWith({ transfer: [array.buffer] }, moveTasks.moveArray, array);
    }
    case 'raw-thread': {
      const pool = RawPool.threads(resources, workers);
      return (array) => pool.roundTrip(array, [array.buffer]);
    }
    default: {
      const pool = startPeer(variant, resources, workers, { advancedSerialization: true });
      if (isProcessPeer(variant)) return (array) => pool.call('echoArray', array);
      return (array) => pool.call('echoArray', array, [array.buffer]);
    }
  }
}

/** One round trip; returns the array that came back (checked) and the milliseconds taken. */
async function trip(roundTrip: RoundTrip, array: Payload): Promise<{ array: Payload; ms: number }> {
  const { length } = array;
  const last = array[length - 1];
  const start = performance.now();
  const back = await roundTrip(array);
  const ms = performance.now() - start;
  if (!isIntact(back, length, last)) throw new Error('the array did not come back intact');
  return { array: back, ms };
}

async function probe(variant: Variant, params: Params): Promise<Measurement> {
  const bytes = numberParam(params, 'bytes');
  const trips = numberParam(params, 'trips');
  const workers = numberParam(params, 'workers');
  return withResources(PROBE_DEADLINE_MS, async (resources) => {
    let array = new Float64Array(bytes / Float64Array.BYTES_PER_ELEMENT);
    for (let i = 0; i < array.length; i++) array[i] = i;
    const roundTrip = start(variant, resources, workers);
    // Unmeasured trips first: worker start-up, JIT, the first big IPC buffers.
    for (let i = 0; i < WARMUP_TRIPS; i++) ({ array } = await trip(roundTrip, array));
    const durations: number[] = [];
    for (let i = 0; i < trips; i++) {
      // The copies of the previous trip are garbage: collect them outside the clock.
      forceGc();
      const result = await trip(roundTrip, array);
      array = result.array;
      durations.push(result.ms);
    }
    return { bytes, trips, medianMs: median(durations), minMs: Math.min(...durations) };
  });
}

async function run(context: CaseContext): Promise<CaseResult> {
  const bytes = (context.quick ? 1 : 10) * 1024 * 1024;
  const trips = context.quick ? 3 : 10;
  const { warmupRounds, rounds } = roundCounts(context.quick, MEASURED_ROUNDS);
  const samples = await runRounds(context, {
    variants: VARIANTS,
    warmupRounds,
    rounds,
    params: () => ({ bytes, trips, workers: WORKERS }),
    describe: (variant, m) => `${variant} ${millis(m['medianMs'] ?? NaN)}`,
  });
  const ms = (variant: Variant): number => samples.median(variant, 'medianMs');
  const processRatio = samples.paired('ours-process', 'raw-fork', 'medianMs');
  const threadMs = ms('ours-thread');
  const size = mebibytes(bytes).replace('.00 ', ' ');
  const head = `${size} Float64Array round trip`;
  /** One row per variant: ms (min–max over rounds), and its paired ratios to the raw floor and to ours. */
  const listingRow = (variant: Variant): Row => {
    const cell = `${millis(ms(variant))} (${samples.spread(variant, 'medianMs')})`;
    const floor = FLOOR[family(variant)];
    const ours = OURS[family(variant)];
    const ratios: string[] = [];
    if (variant !== floor) ratios.push(`${times(samples.paired(variant, floor, 'medianMs'))} floor`);
    if (variant !== floor && variant !== ours) ratios.push(`${times(samples.paired(variant, ours, 'medianMs'))} ours`);
    return {
      what: `  ${LABEL[variant]}`,
      ours: variant === ours ? cell : '',
      baseline: variant === ours ? '' : cell,
      ratio: variant === floor ? '(floor)' : ratios.join(', '),
      target: '',
      verdict: 'info',
    };
  };
  const rows: Row[] = [
    {
      what: `${head}: ProcessPoolExecutor`,
      ours: millis(ms('ours-process')),
      baseline: `${millis(ms('raw-fork'))} (raw fork, advanced)`,
      ratio: times(processRatio),
      target: `≤ ${times(PROCESS_TARGET)} raw fork`,
      verdict: verdict(processRatio <= PROCESS_TARGET),
    },
    {
      what: `${head}: WorkerThreadPoolExecutor + transfer`,
      ours: millis(threadMs),
      baseline: `${millis(ms('raw-thread'))} (raw thread, transfer both ways)`,
      ratio: times(samples.paired('ours-thread', 'raw-thread', 'medianMs')),
      target: `< ${millis(THREAD_TARGET_MS)}`,
      verdict: verdict(threadMs < THREAD_TARGET_MS),
    },
    {
      what: `${head}, all (median, min–max over rounds; ratios paired per round: to the raw floor, to ours):`,
      ours: '',
      baseline: '',
      ratio: '',
      target: '',
      verdict: 'info',
    },
    ...(['process', 'thread'] as const).flatMap((f) => VARIANTS.filter((v) => family(v) === f).map(listingRow)),
  ];
  const summary: Record<string, number> = {
    oursProcessMs: ms('ours-process'),
    rawForkMs: ms('raw-fork'),
    processOverRawFork: processRatio,
    oursThreadMs: threadMs,
    rawThreadMs: ms('raw-thread'),
  };
  for (const variant of PEER_NAMES) {
    summary[`${variant}.ms`] = ms(variant);
    summary[`${variant}.overOurs`] = samples.paired(variant, OURS[family(variant)], 'medianMs');
  }
  const spreads = VARIANTS.map((v) => `${v} ${samples.spread(v, 'medianMs')}`).join(', ');
  return {
    rows,
    summary,
    raw: { bytes, trips, warmupTrips: WARMUP_TRIPS, workers: WORKERS, warmupRounds, rounds, samples: samples.all },
    notes: [
      `Payload: a ${size} Float64Array sent to a worker, which returns it; each child does ${WARMUP_TRIPS} unmeasured ` +
        `round trips (the first big copies run ~4× slower until the allocator reuses freed memory), then ${trips} timed ` +
        `ones, each after a forced GC, and reports their median; the table shows the ` +
        `median over ${roundsText(warmupRounds, rounds)}, ` +
        `ratios paired per round. Processes copy the array both ways (structured clone over the IPC pipe). ` +
        `WorkerThreadPoolExecutor transfers it in (submitWith transfer) and back (the task returns transferResult(array)); ` +
        `the raw thread floor transfers both ways. ` +
        `Per-round ms: ${spreads}.`,
      `Peers: fixed pools of ${WORKERS}, the same round trip through an echoArray task in their worker files ` +
        `(benchmarks/fixtures/). What each can transfer: ${TRANSFERS}`,
    ],
  };
}

/** Case 4 of the pools suite. */
export const payload: Case = {
  name: 'payload',
  title: 'A 10 MiB Float64Array round trip',
  probes: Object.fromEntries(VARIANTS.map((variant) => [variant, (params: Params) => probe(variant, params)])),
  run,
};
