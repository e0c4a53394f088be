// Everything the tiny-task case runs in Node: our executors, the raw floors and the peers,
// behind one interface so that the workload is written once. Python is measured by its own
// script (python.ts).
import { ThreadPoolExecutor } from '@concurrent/futures';
import pLimit from 'p-limit';
import { processPool, threadPool } from './ours.js';
import { identityFn, tasks } from './paths.js';
import { isProcessPeer, PEER_LABEL, type PeerName, startPeer } from './peers.js';
import { RawPool } from './raw.js';
import type { Resources } from '../harness/resources.js';

/**
 * Which floor a contender is compared with: child processes, worker threads, or the event
 * loop (in-process async tasks: ThreadPoolExecutor, p-limit; Python's thread pool).
 */
export type Family = 'process' | 'thread' | 'loop';

/** Ours (with a target), a raw floor, or a peer. */
export type Role = 'ours' | 'floor' | 'peer';

/** A started contender. */
export interface Contender {
  /** Runs one trivial task per item, all submitted at once; resolves once every result is in. */
  runAll(items: readonly number[]): Promise<void>;
}

export interface ContenderSpec {
  readonly label: string;
  readonly family: Family;
  readonly role: Role;
  start(resources: Resources, workers: number): Contender;
}

/** Awaits `run(item)` for every item, submitted at once, and checks the results came back. */
async function allOf(items: readonly number[], run: (item: number) => PromiseLike<unknown>): Promise<void> {
  const results = await Promise.all(items.map(run));
  const last = items.length - 1;
  if (results.length !== items.length || results[last] !== items[last]) {
    throw new Error(`wrong results: ${results.length} of ${items.length}, last ${String(results[last])}`);
  }
}

function peer(name: PeerName): ContenderSpec {
  return {
    label: PEER_LABEL[name],
    family: isProcessPeer(name) ? 'process' : 'thread',
    role: 'peer',
    start(resources, workers) {
      const pool = startPeer(name, resources, workers);
      return { runAll: (items) => allOf(items, (item) => pool.call('identity', item)) };
    },
  };
}

/** The event-loop task: synchronous identity, as a user would hand to p-limit or ThreadPoolExecutor. */
const identityNow = (x: number): number => x;

export const CONTENDERS = {
  'ours-process': {
    label: 'ProcessPoolExecutor',
    family: 'process',
    role: 'ours',
    start(resources, workers) {
      const pool = processPool(resources, workers);
      return { runAll: (items) => allOf(items, (item) => pool.submit(tasks.identity, item)) };
    },
  },
  'ours-thread': {
    label: 'WorkerThreadPoolExecutor',
    family: 'thread',
    role: 'ours',
    start(resources, workers) {
      const pool = threadPool(resources, workers);
      return { runAll: (items) => allOf(items, (item) => pool.submit(tasks.identity, item)) };
    },
  },
  'ours-process-fn': {
    label: 'ProcessPoolExecutor, task (x) => x',
    family: 'process',
    role: 'ours',
    start(resources, workers) {
      const pool = processPool(resources, workers);
      return { runAll: (items) => allOf(items, (item) => pool.submit(identityFn, item)) };
    },
  },
  'ours-thread-fn': {
    label: 'WorkerThreadPoolExecutor, task (x) => x',
    family: 'thread',
    role: 'ours',
    start(resources, workers) {
      const pool = threadPool(resources, workers);
      return { runAll: (items) => allOf(items, (item) => pool.submit(identityFn, item)) };
    },
  },
  'raw-fork': {
    label: 'raw fork, pipelined',
    family: 'process',
    role: 'floor',
    start(resources, workers) {
      const pool = RawPool.fork(resources, workers);
      return { runAll: (items) => pool.pipelined(items) };
    },
  },
  'raw-fork-serial': {
    label: 'raw fork, one at a time',
    family: 'process',
    role: 'floor',
    start(resources, workers) {
      const pool = RawPool.fork(resources, workers);
      return { runAll: (items) => pool.oneAtATime(items) };
    },
  },
  'raw-thread': {
    label: 'raw worker_threads, pipelined',
    family: 'thread',
    role: 'floor',
    start(resources, workers) {
      const pool = RawPool.threads(resources, workers);
      return { runAll: (items) => pool.pipelined(items) };
    },
  },
  'ours-loop': {
    label: 'ThreadPoolExecutor (event loop)',
    family: 'loop',
    role: 'ours',
    start(resources, workers) {
      const pool = new ThreadPoolExecutor({ maxWorkers: workers });
      resources.add('ThreadPoolExecutor', pool, (hard) => pool.shutdown({ cancelFutures: hard }));
      return { runAll: (items) => allOf(items, (item) => pool.submit(identityNow, item)) };
    },
  },
  'raw-loop': {
    label: 'raw Promise.all, no limit',
    family: 'loop',
    role: 'floor',
    start() {
      // eslint-disable-next-line @typescript-eslint/require-await -- an async task, as the others run
      return { runAll: (items) => allOf(items, async (item) => identityNow(item)) };
    },
  },
  'p-limit': {
    label: 'p-limit',
    family: 'loop',
    role: 'peer',
    start(_resources, workers) {
      const limit = pLimit(workers);
      return { runAll: (items) => allOf(items, (item) => limit(identityNow, item)) };
    },
  },
  piscina: peer('piscina'),
  'tinypool-thread': peer('tinypool-thread'),
  'workerpool-thread': peer('workerpool-thread'),
  'poolifier-thread': peer('poolifier-thread'),
  'tinypool-process': peer('tinypool-process'),
  'workerpool-process': peer('workerpool-process'),
  'poolifier-cluster': peer('poolifier-cluster'),
} as const satisfies Record<string, ContenderSpec>;

export type ContenderName = keyof typeof CONTENDERS;

export const CONTENDER_NAMES = Object.keys(CONTENDERS) as ContenderName[];
