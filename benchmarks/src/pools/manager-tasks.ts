// What the `manager` case runs in child processes: dict operations on a Manager's dict proxy
// (the proxy arrives as a Process argument), and the workers of the remote queue, which connect
// to the master's BaseManager over TCP with its address and authkey, as on another host.
import { connect } from 'node:net';
import { BaseManager, type DictProxy, type Queue, type QueueProxy } from '@concurrent/multiprocessing';

/** `n` sets `d.set(i, i)` for i in 0..n-1, after `warmup` untimed ones on keys -1, -2, ...; puts µs per set on `report`. */
export async function dictSet(d: DictProxy<number, number>, n: number, warmup: number, report: Queue<number>): Promise<void> {
  for (let i = 0; i < warmup; i++) await d.set(-1 - i, i);
  const started = performance.now();
  for (let i = 0; i < n; i++) await d.set(i, i);
  const us = ((performance.now() - started) * 1000) / n;
  await report.put(us);
}

/**
 * `n` gets `d.get(i % keys)` (the parent set each key k to k), after `warmup` untimed ones;
 * puts `[µs per get, how many gets returned their key]` on `report`.
 */
export async function dictGet(d: DictProxy<number, number>, keys: number, n: number, warmup: number, report: Queue<[number, number]>): Promise<void> {
  for (let i = 0; i < warmup; i++) await d.get(i % keys);
  let count = 0;
  const started = performance.now();
  for (let i = 0; i < n; i++) if ((await d.get(i % keys)) === i % keys) count++;
  const us = ((performance.now() - started) * 1000) / n;
  await report.put([us, count]);
}

/** A worker's view of the master: typeids registered without callables (served elsewhere). */
class RemoteQueues extends BaseManager {
  declare readonly getTasks: () => Promise<QueueProxy<number | null>>;
  declare readonly getResults: () => Promise<QueueProxy<number>>;

  static {
    this.register('getTasks');
    this.register('getResults');
  }
}

/** Marks a worker that connected, on the result queue (results are squares, never negative). */
export const READY = -1;

/**
 * A worker of the remote queue: connects to the master at `[host, port]` with `authkey`, says
 * READY on the result queue, then takes tasks until `null`, putting each one's square.
 */
export async function remoteWorker(host: string, port: number, authkey: string): Promise<void> {
  const manager = new RemoteQueues({ address: [host, port], authkey });
  await manager.connect();
  const tasks = await manager.getTasks();
  const results = await manager.getResults();
  await results.put(READY);
  for (let x = await tasks.get(); x !== null; x = await tasks.get()) await results.put(x * x);
  await manager.shutdown();
}

/**
 * The floor under a manager's request: connects to the Unix socket at `path` and echoes every
 * chunk back, no library in between, until the parent closes the connection.
 */
export async function socketEcho(path: string): Promise<void> {
  const socket = connect(path);
  socket.setNoDelay(true);
  socket.on('data', (chunk: Buffer) => socket.write(chunk));
  await new Promise((resolve) => socket.on('close', resolve));
}

/** Does nothing: the floor of a manager's start, a child Process started and joined. */
export function nothing(): void {}
