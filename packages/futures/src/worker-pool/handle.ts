import { fork, type ChildProcess } from 'node:child_process';
import type { Socket } from 'node:net';
import type { TransferListItem } from 'node:worker_threads';
import { RECLAIM_FD_ENV } from '../worker-entry/child-agent.js';
import { onLines } from '../worker-entry/lines.js';
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
  /** Whether {@link WorkerHandle.reclaim} can work now (a child's agent has said it is ready). */
  readonly canReclaim: boolean;
  /**
   * Takes back jobs this worker was handed but has not started, by seq (claims.ts): calls
   * `done` with the seqs it gave back, now or later; the others ran or will run there.
   * Returns false, and never calls `done`, if this worker cannot give jobs back (yet).
   */
  reclaim(seqs: readonly number[], done: (revoked: readonly number[]) => void): boolean;
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
  /** The worker can now give back jobs it has not started (see WorkerHandle.reclaim). */
  reclaimable(): void;
  /**
   * The worker is dead, but its `exit` waits for a last answer on its way: give it nothing
   * and take nothing from it meanwhile.
   */
  exiting(): void;
}

/** Options for starting a child process worker. */
export interface ProcessSpawnOptions {
  readonly entry: string;
  readonly serialization: 'advanced' | 'json';
  readonly env: NodeJS.ProcessEnv;
  readonly execArgv: readonly string[];
}

/** The child's fd of its reclaim pipe: the one after the IPC channel in `stdio`. */
const RECLAIM_FD = 4;
/** How long a dead child's last reclaim answer is waited for, if its pipe stays open. */
const EXIT_ANSWER_GRACE_MS = 100;

/** A worker that is a child process made by `child_process.fork`. */
export class ProcessHandle implements WorkerHandle {
  readonly #child: ChildProcess;
  readonly pid: number | undefined;
  #exited = false;
  /** The reclaim pipe to the child's agent thread (child-agent.ts), once the agent said ready. */
  #reclaimPipe: Socket | undefined;
  readonly #reclaims = new Map<number, (revoked: readonly number[]) => void>();
  #nextReclaim = 0;

  constructor(options: ProcessSpawnOptions, events: HandleEvents) {
    this.#child = fork(options.entry, [], {
      serialization: options.serialization,
      env: { ...options.env, CONCURRENT_FUTURES_SERIALIZATION: options.serialization, [RECLAIM_FD_ENV]: String(RECLAIM_FD) },
      execArgv: [...options.execArgv],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc', 'pipe'],
    });
    this.pid = this.#child.pid;
    const pipe = this.#child.stdio[RECLAIM_FD] as Socket | null | undefined;
    const pipeClosed = pipe == null ? Promise.resolve() : this.#listen(pipe, events);
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
      // An answer the agent wrote just before the child died may still be in the pipe: the
      // pool must learn which jobs came back before it decides which one the death was. The
      // pipe closes once read to its end, unless something the child started inherited its
      // end: then the wait is bounded (the answer, if any, was read by then).
      if (this.#reclaims.size === 0) {
        events.exit(code, signal);
        return;
      }
      events.exiting();
      const grace = new Promise<void>((resolve) => setTimeout(resolve, EXIT_ANSWER_GRACE_MS));
      void Promise.race([pipeClosed, grace]).then(() => {
        this.#unanswered();
        events.exit(code, signal);
      });
    });
  }

  /** Requests the child can no longer answer: it gave nothing back. */
  #unanswered(): void {
    const pending = [...this.#reclaims.values()];
    this.#reclaims.clear();
    for (const done of pending) done([]);
  }

  /** Reads the agent's answers; resolves once the pipe is closed (the child is gone). */
  #listen(pipe: Socket, events: HandleEvents): Promise<void> {
    // The pipe never keeps the parent alive: the child and its IPC channel decide that.
    pipe.unref();
    pipe.on('error', () => {});
    onLines(pipe, ([head = '', ...seqs]) => {
      if (head === 'ready') {
        this.#reclaimPipe = pipe;
        events.reclaimable();
        return;
      }
      const done = this.#reclaims.get(Number(head));
      this.#reclaims.delete(Number(head));
      done?.(seqs.map(Number));
    });
    return new Promise((resolve) => {
      pipe.on('close', () => {
        this.#reclaimPipe = undefined;
        this.#unanswered();
        resolve();
      });
    });
  }

  get canReclaim(): boolean {
    return this.#reclaimPipe !== undefined && !this.#exited;
  }

  reclaim(seqs: readonly number[], done: (revoked: readonly number[]) => void): boolean {
    const pipe = this.#reclaimPipe;
    if (pipe === undefined || this.#exited || seqs.length === 0) return false;
    const request = this.#nextReclaim++;
    this.#reclaims.set(request, done);
    pipe.write(`${[request, ...seqs].join(' ')}\n`);
    return true;
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
