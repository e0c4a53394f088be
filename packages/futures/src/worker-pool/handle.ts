import { fork, type ChildProcess } from 'node:child_process';
import type { TransferListItem } from 'node:worker_threads';
import { isFromWorker, type FromWorker, type ToWorker } from '../worker-entry/protocol.js';

/** The pool's view of one worker, whatever it runs on. */
export interface WorkerHandle {
  readonly pid?: number | undefined;
  readonly threadId?: number | undefined;
  /** Posts a message; throws (synchronously) if it cannot be serialized. */
  send(message: ToWorker, transfer?: readonly TransferListItem[]): void;
  /** Stops the worker now. */
  kill(signal: 'SIGTERM' | 'SIGKILL'): void;
  /** Asks the worker to exit once it has nothing to do (closes its channel). */
  close(): void;
  /** Whether this worker keeps the parent's event loop alive. */
  setRef(ref: boolean): void;
}

/** What a handle reports back to its pool. */
export interface HandleEvents {
  message(message: FromWorker): void;
  /**
   * The worker is gone. Report it only after every message the worker managed to send:
   * the pool decides from them whether the worker was ready (a death while starting blames
   * no job) and which job was running (the first one without an answer).
   */
  exit(exitCode: number | null, signal: NodeJS.Signals | null): void;
}

/** Options for starting a child process worker. */
export interface ProcessSpawnOptions {
  readonly entry: string;
  readonly serialization: 'advanced' | 'json';
  readonly env: NodeJS.ProcessEnv;
  readonly execArgv: readonly string[];
}

/** A worker that is a child process made by `child_process.fork`. */
export class ProcessHandle implements WorkerHandle {
  readonly #child: ChildProcess;
  readonly pid: number | undefined;
  #exited = false;

  constructor(options: ProcessSpawnOptions, events: HandleEvents) {
    this.#child = fork(options.entry, [], {
      serialization: options.serialization,
      env: { ...options.env, CONCURRENT_FUTURES_SERIALIZATION: options.serialization },
      execArgv: [...options.execArgv],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    this.pid = this.#child.pid;
    this.#child.on('message', (message: unknown) => {
      if (isFromWorker(message)) events.message(message);
    });
    // 'error' covers a failed spawn and a failed kill; the exit that follows (or the lack of
    // a pid) is what the pool acts on, so the error itself only needs to be swallowed here.
    this.#child.on('error', () => {
      if (this.pid === undefined && !this.#exited) {
        this.#exited = true;
        events.exit(null, null);
      }
    });
    this.#child.on('exit', (code, signal) => {
      if (this.#exited) return;
      this.#exited = true;
      events.exit(code, signal);
    });
  }

  send(message: ToWorker): void {
    if (!this.#child.connected) return;
    this.#child.send(message);
  }

  kill(signal: 'SIGTERM' | 'SIGKILL'): void {
    if (!this.#exited) this.#child.kill(signal);
  }

  close(): void {
    if (this.#child.connected) this.#child.disconnect();
  }

  setRef(ref: boolean): void {
    // The IPC channel is a handle of its own: unref'ing only the child keeps the parent alive.
    const channel = (this.#child as ChildProcess & { channel?: { ref(): void; unref(): void } | null }).channel;
    if (ref) {
      this.#child.ref();
      channel?.ref();
    } else {
      this.#child.unref();
      channel?.unref();
    }
  }
}
