// The peer pools, each as its README shows a fixed pool of `workers` and configured as in
// peers.md §2 (poolifier's own cross-library benchmark): min = max = workers, piscina with
// idleTimeout 60 s, every other option at its default (the payload case switches the process
// peers to 'advanced' serialization: see PeerOptions). poolifier runs with its defaults, not
// the enableTasksQueue + LEAST_USED of its benchmark: on this workload those were ~2.5× slower
// here (measured while writing this suite), and a peer should be shown at its best.
import type { ChildProcess } from 'node:child_process';
import type { TransferListItem } from 'node:worker_threads';
import { Piscina } from 'piscina';
import { FixedClusterPool, FixedThreadPool } from 'poolifier';
import Tinypool from 'tinypool';
import workerpool from 'workerpool';
import { fixture } from './paths.js';
import type { Resources } from '../harness/resources.js';

/** How long poolifier's destroy() gets (~20 ms when it works) before its workers are stopped directly. */
const POOLIFIER_DESTROY_MS = 2_000;

/**
 * poolifier 5.3.2's FixedThreadPool.destroy() never settles in about a third of the runs on
 * this machine (its threads have exited, the promise stays pending; seen while writing this
 * suite). Give it a while, then stop whatever is left of its workers ourselves.
 */
async function destroyPoolifier(
  hard: boolean,
  destroy: () => Promise<void>,
  stopWorkers: () => Promise<unknown>,
): Promise<void> {
  if (!hard) {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), POOLIFIER_DESTROY_MS)));
    const settled = await Promise.race([destroy().then(() => true, () => true), late]);
    clearTimeout(timer);
    if (settled) return;
  }
  await stopWorkers();
}

/** SIGKILLs a child process and resolves once it has exited. */
function killChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });
}

/** The tasks every peer's worker files define (benchmarks/fixtures/), as in src/pools/tasks.ts. */
export type PeerTask = 'identity' | 'fib' | 'echoArray';

/** A peer's pool, reduced to what the cases need. */
export interface PeerPool {
  /**
   * Runs `task` on `arg`. `transfer`: what to move to the worker instead of copying it, where
   * the peer's API takes a transfer list (thread peers; ignored by the process ones). The
   * `echoArray` task moves its result back where the peer can (piscina, tinypool threads,
   * workerpool threads); see the fixtures.
   */
  call(task: PeerTask, arg: unknown, transfer?: readonly TransferListItem[]): PromiseLike<unknown>;
}

export interface PeerOptions {
  /**
   * Start the process peers with `serialization: 'advanced'` (structured clone) instead of
   * their default 'json', which cannot carry a typed array: a Float64Array arrives as a plain
   * object with one key per element. The payload case needs it; the others keep the defaults.
   */
  readonly advancedSerialization?: boolean;
}

export type PeerName =
  | 'piscina'
  | 'tinypool-thread'
  | 'tinypool-process'
  | 'workerpool-thread'
  | 'workerpool-process'
  | 'poolifier-thread'
  | 'poolifier-cluster';

export const PEER_NAMES: readonly PeerName[] = [
  'piscina',
  'tinypool-thread',
  'workerpool-thread',
  'poolifier-thread',
  'tinypool-process',
  'workerpool-process',
  'poolifier-cluster',
];

export const PEER_LABEL: Readonly<Record<PeerName, string>> = {
  piscina: 'piscina',
  'tinypool-thread': 'tinypool (worker_threads)',
  'workerpool-thread': 'workerpool (thread)',
  'poolifier-thread': 'poolifier FixedThreadPool',
  'tinypool-process': 'tinypool (child_process)',
  'workerpool-process': 'workerpool (process)',
  'poolifier-cluster': 'poolifier FixedClusterPool',
};

/** Whether peer `name` runs its tasks in child processes (else in worker threads). */
export function isProcessPeer(name: PeerName): boolean {
  return name === 'tinypool-process' || name === 'workerpool-process' || name === 'poolifier-cluster';
}

/** The copy of `transfer` a peer's options take (they want a mutable array), or undefined. */
function transferList(transfer: readonly TransferListItem[] | undefined): TransferListItem[] | undefined {
  return transfer === undefined ? undefined : [...transfer];
}

/**
 * Where piscina and tinypool find a task: the pool's module (peer-tasks.mjs) and an export
 * name, or for the thread runtimes' echoArray the module that moves the array back.
 */
function moduleTask(task: Exclude<PeerTask, 'identity'>, moveModule: string | undefined): { filename?: string; name: string } {
  return task === 'echoArray' && moveModule !== undefined ? { filename: fixture(moveModule), name: task } : { name: task };
}

function tinypool(
  resources: Resources,
  workers: number,
  runtime: 'worker_threads' | 'child_process',
  options: PeerOptions,
): PeerPool {
  const pool = new Tinypool({
    filename: fixture('peer-tasks.mjs'),
    minThreads: workers,
    maxThreads: workers,
    runtime,
    ...(runtime === 'child_process' && options.advancedSerialization === true ? { serialization: 'advanced' } : {}),
  });
  resources.add(`tinypool (${runtime})`, pool, () => pool.destroy());
  // Its child_process runtime neither takes a transfer list nor unwraps move() results.
  const moveModule = runtime === 'worker_threads' ? 'tinypool-move.mjs' : undefined;
  return {
    call: (task, arg, transfer) =>
      // The tiny task is called exactly as the tiny-task case always has: the default export, no options.
      task === 'identity'
        ? (pool.run(arg) as Promise<unknown>)
        : (pool.run(arg, {
            ...moduleTask(task, moveModule),
            ...(moveModule === undefined ? {} : { transferList: transferList(transfer) }),
          }) as Promise<unknown>),
  };
}

function workerpoolPool(
  resources: Resources,
  workers: number,
  workerType: 'thread' | 'process',
  options: PeerOptions,
): PeerPool {
  const pool = workerpool.pool(fixture('workerpool-worker.mjs'), {
    minWorkers: workers,
    maxWorkers: workers,
    workerType,
    ...(workerType === 'process' && options.advancedSerialization === true ? { forkOpts: { serialization: 'advanced' } } : {}),
  });
  resources.add(`workerpool (${workerType})`, pool, (hard) => pool.terminate(hard));
  return {
    call: (task, arg, transfer) =>
      transfer === undefined || workerType === 'process'
        ? pool.exec(task, [arg])
        : pool.exec(task, [arg], { transfer: transferList(transfer) }),
  };
}

/** Starts peer `name` with `workers` workers, registered in `resources`. */
export function startPeer(name: PeerName, resources: Resources, workers: number, options: PeerOptions = {}): PeerPool {
  switch (name) {
    case 'piscina': {
      const pool = new Piscina<unknown, unknown>({
        filename: fixture('peer-tasks.mjs'),
        minThreads: workers,
        maxThreads: workers,
        idleTimeout: 60_000,
      });
      resources.add('piscina', pool, () => pool.destroy());
      return {
        call: (task, arg, transfer) =>
          // The tiny task is called exactly as the tiny-task case always has: the default export, no options.
          task === 'identity'
            ? pool.run(arg)
            : pool.run(arg, { ...moduleTask(task, 'piscina-move.mjs'), transferList: transferList(transfer) }),
      };
    }
    case 'tinypool-thread':
      return tinypool(resources, workers, 'worker_threads', options);
    case 'tinypool-process':
      return tinypool(resources, workers, 'child_process', options);
    case 'workerpool-thread':
      return workerpoolPool(resources, workers, 'thread', options);
    case 'workerpool-process':
      return workerpoolPool(resources, workers, 'process', options);
    case 'poolifier-thread': {
      const pool = new FixedThreadPool<unknown, unknown>(workers, fixture('poolifier-thread-worker.mjs'));
      const threads = pool.workerNodes.map((node) => node.worker);
      resources.add('poolifier FixedThreadPool', pool, (hard) =>
        destroyPoolifier(hard, () => pool.destroy(), () => Promise.all(threads.map((thread) => thread.terminate()))),
      );
      return {
        call: (task, arg, transfer) =>
          // identity is the worker's default task function: called exactly as the tiny-task case always has.
          task === 'identity' ? pool.execute(arg) : pool.execute(arg, task, undefined, transfer),
      };
    }
    case 'poolifier-cluster': {
      const settings = options.advancedSerialization === true ? { settings: { serialization: 'advanced' as const } } : {};
      const pool = new FixedClusterPool<unknown, unknown>(workers, fixture('poolifier-cluster-worker.cjs'), settings);
      const children = pool.workerNodes.map((node) => node.worker.process);
      resources.add('poolifier FixedClusterPool', pool, (hard) =>
        destroyPoolifier(hard, () => pool.destroy(), () => Promise.all(children.map(killChild))),
      );
      return { call: (task, arg) => (task === 'identity' ? pool.execute(arg) : pool.execute(arg, task)) };
    }
  }
}
