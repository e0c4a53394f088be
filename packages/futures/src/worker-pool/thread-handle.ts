import { MessageChannel, type MessagePort, receiveMessageOnPort, type TransferListItem } from 'node:worker_threads';
import Tinypool from 'tinypool';
import { claimBuffer, Claims } from '../worker-entry/claims.js';
import { isFromWorker, type ToWorker } from '../worker-entry/protocol.js';
import type { HandleEvents, WorkerHandle } from './handle.js';

/** Options for starting a worker thread. */
export interface ThreadSpawnOptions {
  readonly entry: string;
  readonly env: NodeJS.ProcessEnv;
  /** `undefined`: inherit the parent's implicitly. */
  readonly execArgv: readonly string[] | undefined;
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
  ref(): void;
  unref(): void;
}

/**
 * A worker that is one `worker_threads` thread, run by a tinypool of exactly one thread.
 *
 * One tinypool per worker gives the pool what tinypool's shared queue cannot: it knows which
 * thread runs which job, can stop one thread (abort grace, recycling) without touching the
 * others, and hears each thread's exit (tinypool itself never settles a task whose thread
 * called `process.exit()`). See docs/decisions/0006.
 *
 * Tinypool starts the thread and carries one message into it: `init`, with the thread's end
 * of a MessageChannel of ours. Everything after that (jobs and aborts in, results out)
 * crosses that channel. `MessagePort.postMessage` fails synchronously on a value that cannot
 * be cloned, and leaves the transferables of a failed post attached, which the pool needs to
 * fail only that future; inside tinypool's `run()` such a failure becomes a rejection, after
 * the pool has counted the job as handed over, and its future would never settle.
 */
export class ThreadHandle implements WorkerHandle {
  readonly #tinypool: Tinypool;
  /** Our end of the channel to the thread: jobs and aborts out, results in. */
  readonly #port: MessagePort;
  /** The thread's end of the channel, until it travels with the init message. */
  #remotePort: MessagePort | undefined;
  readonly threadId: number | undefined;
  readonly #thread: TinypoolThread | undefined;
  #exited = false;
  /** Shared with the thread's runner: the pool takes jobs back here, synchronously. */
  readonly #claimBuffer = claimBuffer();
  readonly #claims = new Claims(this.#claimBuffer);

  constructor(options: ThreadSpawnOptions, events: HandleEvents) {
    const env: Record<string, string> = {};
    for (const [key, value] of Object.entries(options.env)) if (value !== undefined) env[key] = value;
    this.#tinypool = new Tinypool({
      filename: options.entry,
      runtime: 'worker_threads',
      minThreads: 1,
      maxThreads: 1,
      // Tinypool carries only `init`; the rest goes over our own channel.
      concurrentTasksPerWorker: 1,
      idleTimeout: Infinity,
      // With atomics, tinypool's thread blocks in Atomics.wait between its tasks, which would
      // freeze our runner's event loop (jobs continue after tinypool's task has returned).
      useAtomics: false,
      isolateWorkers: false,
      env,
      ...(options.execArgv === undefined ? {} : { execArgv: [...options.execArgv] }),
      ...(options.resourceLimits === undefined ? {} : { resourceLimits: options.resourceLimits }),
    });
    // A thread that dies of an uncaught error makes tinypool emit 'error' on itself when it
    // holds no task of its (ours return at once), and an 'error' nobody listens to would
    // crash the parent. The thread's 'exit', below, is what tells the pool; this is a no-op.
    this.#tinypool.on('error', () => {});
    const thread = (this.#tinypool.threads as unknown as (TinypoolThread | undefined)[])[0];
    this.#thread = thread;
    this.threadId = thread?.threadId;
    const { port1, port2 } = new MessageChannel();
    this.#port = port1;
    const deliver = (message: unknown): void => {
      if (isFromWorker(message)) events.message(message);
    };
    port1.on('message', deliver);
    port1.unref();
    const onExit = (code: number | null): void => {
      if (this.#exited) return;
      this.#exited = true;
      // What the thread posted before it died (its last results, flushed by its 'exit'
      // listener) may not have been delivered yet: the pool must see it before the exit, or
      // it blames the job that finished for the death of the one after it.
      for (let queued = receiveMessageOnPort(port1); queued !== undefined; queued = receiveMessageOnPort(port1)) deliver(queued.message);
      port1.close();
      // Tinypool replaces a thread that died of an uncaught error (minThreads: 1) before this
      // 'exit' arrives. That replacement is no worker of ours: nobody would ever stop it, and
      // shutdown would leave a thread behind. (After process.exit() tinypool replaces nothing
      // and still lists the dead thread, whose exit a destroy() would wait for in vain.)
      if ((this.#tinypool.threads as unknown[]).some((other) => other !== thread)) void this.#tinypool.destroy();
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
      // Inside tinypool's run() a value that cannot be cloned becomes a rejection; the pool
      // needs a synchronous failure (initargs that cannot be sent break the pool).
      const init: ToWorker = { ...message, claims: this.#claimBuffer };
      structuredClone(init);
      this.#tinypool.run({ message: init, port }, { transferList: [port] }).catch(() => {
        // A thread that died or was destroyed: its 'exit' listener reports it to the pool.
      });
      return;
    }
    // Throws (synchronously) a DataCloneError for a value that cannot be cloned. Posted
    // before the thread has its end, a message waits in the channel and arrives after init.
    this.#port.postMessage(message, transfer === undefined ? undefined : [...transfer]);
  }

  kill(): void {
    if (!this.#exited) void this.#tinypool.destroy();
  }

  close(): void {
    if (!this.#exited) void this.#tinypool.destroy();
  }

  setRef(ref: boolean): void {
    // The thread too, not only our port: a thread that dies in a task (process.exit) closes
    // the port at once, and its 'exit' comes later; with only the port ref'd, the event loop
    // could run dry in between and end the program with the task's future pending.
    if (ref) {
      this.#port.ref();
      this.#thread?.ref();
    } else {
      this.#port.unref();
      this.#thread?.unref();
    }
  }

  get canReclaim(): boolean {
    return !this.#exited;
  }

  reclaim(seqs: readonly number[], done: (revoked: readonly number[]) => void): boolean {
    if (this.#exited) return false;
    done(seqs.filter((seq) => this.#claims.revoke(seq)));
    return true;
  }
}
