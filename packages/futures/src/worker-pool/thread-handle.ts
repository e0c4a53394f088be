import { MessageChannel, type MessagePort, type TransferListItem } from 'node:worker_threads';
import Tinypool from 'tinypool';
import { isFromWorker, type ToWorker } from '../worker-entry/protocol.js';
import type { HandleEvents, WorkerHandle } from './handle.js';

/** Options for starting a worker thread. */
export interface ThreadSpawnOptions {
  readonly entry: string;
  readonly env: NodeJS.ProcessEnv;
  readonly execArgv: readonly string[];
  readonly resourceLimits: ResourceLimits | undefined;
}

/** `worker_threads` resource limits, as tinypool takes them. */
export interface ResourceLimits {
  maxOldGenerationSizeMb?: number;
  maxYoungGenerationSizeMb?: number;
  codeRangeSizeMb?: number;
  stackSizeMb?: number;
}

/** The slice of tinypool's worker wrapper we rely on. */
interface TinypoolThread {
  readonly threadId: number;
  on(event: 'exit', listener: (code: number) => void): void;
}

/**
 * A worker that is one `worker_threads` thread, run by a tinypool of exactly one thread.
 *
 * One tinypool per worker gives the pool what tinypool's shared queue cannot: it knows which
 * thread runs which job, can stop one thread (abort grace, recycling) without touching the
 * others, and hears each thread's exit (tinypool itself never settles a task whose thread
 * called `process.exit()`). See docs/decisions/0006.
 */
export class ThreadHandle implements WorkerHandle {
  readonly #tinypool: Tinypool;
  readonly #port: MessagePort;
  /** The thread's end of the result channel, until it travels with the init message. */
  #remotePort: MessagePort | undefined;
  readonly threadId: number | undefined;
  #exited = false;

  constructor(options: ThreadSpawnOptions, events: HandleEvents) {
    const env: Record<string, string> = {};
    for (const [key, value] of Object.entries(options.env)) if (value !== undefined) env[key] = value;
    this.#tinypool = new Tinypool({
      filename: options.entry,
      runtime: 'worker_threads',
      minThreads: 1,
      maxThreads: 1,
      // Room for abort messages beside the jobs a thread holds; the WorkerPool bounds jobs.
      concurrentTasksPerWorker: 16,
      idleTimeout: Infinity,
      // With atomics, tinypool's thread blocks in Atomics.wait between its tasks, which would
      // freeze our runner's event loop (jobs continue after tinypool's task has returned).
      useAtomics: false,
      isolateWorkers: false,
      env,
      execArgv: [...options.execArgv],
      ...(options.resourceLimits === undefined ? {} : { resourceLimits: options.resourceLimits }),
    });
    const thread = (this.#tinypool.threads as unknown as (TinypoolThread | undefined)[])[0];
    this.threadId = thread?.threadId;
    const { port1, port2 } = new MessageChannel();
    this.#port = port1;
    port1.on('message', (message: unknown) => {
      if (isFromWorker(message)) events.message(message);
    });
    port1.unref();
    const onExit = (code: number | null): void => {
      if (this.#exited) return;
      this.#exited = true;
      port1.close();
      events.exit(code, null);
    };
    this.#remotePort = port2;
    if (thread === undefined) queueMicrotask(() => onExit(null));
    else thread.on('exit', (code) => onExit(code));
  }

  send(message: ToWorker, transfer?: readonly TransferListItem[]): void {
    if (this.#exited) return;
    const port = this.#remotePort;
    if (message.type === 'init' && port !== undefined) {
      this.#remotePort = undefined;
      structuredClone(message);
      this.#post({ message, port }, [port]);
      return;
    }
    // Structured clone happens inside tinypool's run(), where a value that cannot be cloned
    // becomes a rejection; the pool needs a synchronous failure to fail only that future.
    if (transfer === undefined || transfer.length === 0) structuredClone(message);
    this.#post({ message }, transfer);
  }

  kill(): void {
    if (!this.#exited) void this.#tinypool.destroy();
  }

  close(): void {
    if (!this.#exited) void this.#tinypool.destroy();
  }

  setRef(ref: boolean): void {
    if (ref) this.#port.ref();
    else this.#port.unref();
  }

  #post(envelope: object, transfer: readonly TransferListItem[] | undefined): void {
    this.#tinypool
      .run(envelope, transfer === undefined ? {} : { transferList: [...transfer] })
      .catch(() => {
        // A thread that died or was destroyed: its 'exit' listener reports it to the pool.
      });
  }
}
