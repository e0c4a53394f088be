// The raw floors: what `child_process.fork` and `worker_threads` cost with no pool at all.
// Each endpoint is a child or a thread running a fixture that answers every message (by
// default it sends it straight back: fixtures/raw-fork-echo.mjs, raw-thread-echo.mjs); the
// parent sends and counts replies, nothing more.
import { fork } from 'node:child_process';
import { type TransferListItem, Worker } from 'node:worker_threads';
import { fixture } from './paths.js';
import type { Resources } from '../harness/resources.js';

/** What crosses to a raw endpoint and back. */
export type RawMessage = number | Float64Array;

/** One raw child or thread. */
interface Endpoint {
  post(message: RawMessage, transfer?: readonly TransferListItem[]): void;
  stop(hard: boolean): Promise<void>;
}

/** How an endpoint reports to its pool: a reply, or that it died (or failed to start). */
interface EndpointEvents {
  reply(lane: number, message: unknown): void;
  died(error: Error): void;
}

function forkEndpoint(script: string, lane: number, events: EndpointEvents): Endpoint {
  const child = fork(fixture(script), [], { serialization: 'advanced', stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  let stopping = false;
  const exited = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      if (!stopping) events.died(new Error(`raw fork child ${lane} exited (code ${String(code)}, signal ${String(signal)})`));
      resolve();
    });
  });
  child.on('message', (message) => events.reply(lane, message));
  child.on('error', (error) => events.died(error));
  return {
    post: (message) => void child.send(message),
    async stop(hard) {
      stopping = true;
      if (child.exitCode === null && child.signalCode === null) {
        // The raw child exits when its channel closes; a kill is only for a failed probe.
        if (hard || !child.connected) child.kill('SIGKILL');
        else child.disconnect();
      }
      await exited;
    },
  };
}

function threadEndpoint(script: string, lane: number, events: EndpointEvents): Endpoint {
  const worker = new Worker(fixture(script));
  let stopping = false;
  worker.once('exit', (code) => {
    if (!stopping) events.died(new Error(`raw worker thread ${lane} exited (code ${code})`));
  });
  worker.on('message', (message) => events.reply(lane, message));
  worker.on('error', (error) => events.died(error));
  return {
    post: (message, transfer) => worker.postMessage(message, transfer),
    async stop() {
      stopping = true;
      await worker.terminate();
    },
  };
}

/** `count` raw endpoints, and the three ways the suite drives them. */
export class RawPool {
  readonly #endpoints: Endpoint[];
  /** The pass in progress: what a reply and a death do. */
  #pass: EndpointEvents = { reply: () => undefined, died: () => undefined };
  #dead: Error | undefined;

  private constructor(count: number, start: (lane: number, events: EndpointEvents) => Endpoint) {
    const events: EndpointEvents = {
      reply: (lane, message) => this.#pass.reply(lane, message),
      died: (error) => {
        this.#dead ??= error;
        this.#pass.died(error);
      },
    };
    this.#endpoints = [];
    try {
      for (let lane = 0; lane < count; lane++) this.#endpoints.push(start(lane, events));
    } catch (error) {
      // Not registered yet: stop the endpoints already started before giving up.
      for (const endpoint of this.#endpoints) void endpoint.stop(true).catch(() => undefined);
      throw error;
    }
  }

  /**
   * `count` children made with `fork` (advanced serialization) running fixture `script`,
   * registered in `resources`.
   */
  static fork(resources: Resources, count: number, script = 'raw-fork-echo.mjs'): RawPool {
    const pool = new RawPool(count, (lane, events) => forkEndpoint(script, lane, events));
    return resources.add('raw fork children', pool, (hard) => pool.#stop(hard));
  }

  /** `count` `worker_threads` Workers running fixture `script`, registered in `resources`. */
  static threads(resources: Resources, count: number, script = 'raw-thread-echo.mjs'): RawPool {
    const pool = new RawPool(count, (lane, events) => threadEndpoint(script, lane, events));
    return resources.add('raw worker threads', pool, (hard) => pool.#stop(hard));
  }

  /** Sends every item at once (round-robin over the endpoints); resolves when all came back. */
  pipelined(items: readonly number[]): Promise<void> {
    return this.#run((done, fail) => {
      let replies = 0;
      this.#pass = {
        reply: () => {
          if (++replies === items.length) done();
        },
        died: fail,
      };
      const count = this.#endpoints.length;
      items.forEach((item, i) => (this.#endpoints[i % count] as Endpoint).post(item));
    });
  }

  /** One message at a time per endpoint: each lane sends its next item when its reply arrives. */
  oneAtATime(items: readonly number[]): Promise<void> {
    return this.#run((done, fail) => {
      let next = 0;
      let replies = 0;
      const send = (lane: number): void => {
        if (next < items.length) (this.#endpoints[lane] as Endpoint).post(items[next++] as number);
      };
      this.#pass = {
        reply: (lane) => {
          if (++replies === items.length) done();
          else send(lane);
        },
        died: fail,
      };
      for (let lane = 0; lane < this.#endpoints.length; lane++) send(lane);
    });
  }

  /** Sends `message` to the first endpoint and resolves with its reply. */
  roundTrip(message: RawMessage, transfer?: readonly TransferListItem[]): Promise<unknown> {
    return this.#run((done, fail) => {
      this.#pass = { reply: (_, reply) => done(reply), died: fail };
      (this.#endpoints[0] as Endpoint).post(message, transfer);
    });
  }

  #run<T>(start: (done: (value: T) => void, fail: (error: Error) => void) => void): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      if (this.#dead !== undefined) {
        reject(this.#dead);
        return;
      }
      start(resolve, reject);
    });
  }

  async #stop(hard: boolean): Promise<void> {
    this.#pass = { reply: () => undefined, died: () => undefined };
    await Promise.all(this.#endpoints.map((endpoint) => endpoint.stop(hard)));
  }
}
