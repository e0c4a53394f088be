// The peer pools, each as its README shows a fixed pool of `workers` and configured as in
// peers.md §2 (poolifier's own cross-library benchmark): min = max = workers, piscina with
// idleTimeout 60 s, every other option at its default. poolifier runs with its defaults, not
// the enableTasksQueue + LEAST_USED of its benchmark: on this workload those were ~2.5× slower
// here (measured while writing this suite), and a peer should be shown at its best.
import type { ChildProcess } from 'node:child_process';
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

/** A peer's pool, reduced to what the tiny-task workload needs. */
export interface PeerPool {
  /** Runs the trivial task on one item. */
  run(item: number): PromiseLike<unknown>;
}

export type PeerName =
  | 'piscina'
  | 'tinypool-thread'
  | 'tinypool-process'
  | 'workerpool-thread'
  | 'workerpool-process'
  | 'poolifier-thread'
  | 'poolifier-cluster';

function tinypool(resources: Resources, workers: number, runtime: 'worker_threads' | 'child_process'): PeerPool {
  const pool = new Tinypool({ filename: fixture('identity.mjs'), minThreads: workers, maxThreads: workers, runtime });
  resources.add(`tinypool (${runtime})`, pool, () => pool.destroy());
  return { run: (item) => pool.run(item) as Promise<unknown> };
}

function workerpoolPool(resources: Resources, workers: number, workerType: 'thread' | 'process'): PeerPool {
  const pool = workerpool.pool(fixture('workerpool-worker.mjs'), { minWorkers: workers, maxWorkers: workers, workerType });
  resources.add(`workerpool (${workerType})`, pool, (hard) => pool.terminate(hard));
  return { run: (item) => pool.exec('identity', [item]) };
}

/** Starts peer `name` with `workers` workers, registered in `resources`. */
export function startPeer(name: PeerName, resources: Resources, workers: number): PeerPool {
  switch (name) {
    case 'piscina': {
      const pool = new Piscina<number, number>({
        filename: fixture('identity.mjs'),
        minThreads: workers,
        maxThreads: workers,
        idleTimeout: 60_000,
      });
      resources.add('piscina', pool, () => pool.destroy());
      return { run: (item) => pool.run(item) };
    }
    case 'tinypool-thread':
      return tinypool(resources, workers, 'worker_threads');
    case 'tinypool-process':
      return tinypool(resources, workers, 'child_process');
    case 'workerpool-thread':
      return workerpoolPool(resources, workers, 'thread');
    case 'workerpool-process':
      return workerpoolPool(resources, workers, 'process');
    case 'poolifier-thread': {
      const pool = new FixedThreadPool<number, number>(workers, fixture('poolifier-thread-worker.mjs'));
      const threads = pool.workerNodes.map((node) => node.worker);
      resources.add('poolifier FixedThreadPool', pool, (hard) =>
        destroyPoolifier(hard, () => pool.destroy(), () => Promise.all(threads.map((thread) => thread.terminate()))),
      );
      return { run: (item) => pool.execute(item) };
    }
    case 'poolifier-cluster': {
      const pool = new FixedClusterPool<number, number>(workers, fixture('poolifier-cluster-worker.cjs'));
      const children = pool.workerNodes.map((node) => node.worker.process);
      resources.add('poolifier FixedClusterPool', pool, (hard) =>
        destroyPoolifier(hard, () => pool.destroy(), () => Promise.all(children.map(killChild))),
      );
      return { run: (item) => pool.execute(item) };
    }
  }
}
