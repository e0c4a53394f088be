/**
 * The parent side of a worker or process pool: one queue, dispatch with prefetch, worker
 * life and death. The executors (process-pool.ts, worker-thread-pool.ts) are thin shells
 * over this.
 *
 * ```
 *  submit ─▶ queue (cancellable) ─▶ dispatch ─▶ worker.inflight[] (RUNNING) ─▶ results ─▶ futures
 *                     ▲                              │ worker dies, or a free worker
 *                     └──── jobs not yet started ◀───┘ takes them back (reclaim.ts)
 * ```
 *
 * Invariants:
 * - A job leaves the queue only to be sent; then its future is RUNNING and uncancellable.
 * - A worker runs its jobs one after another in the order sent, so the head of its inflight
 *   list is the one running; the rest were handed over ahead of time (prefetch). Each job is
 *   claimed before it starts (claims.ts), so the pool can take back the ones still waiting
 *   and run them exactly once elsewhere (decision 0009).
 * - A task that has not started never waits while a worker is free: with the queue empty, an
 *   idle worker takes back jobs waiting behind a busy worker's running job, and a worker
 *   whose running job is overdue is handed nothing more ahead of time.
 * - Parallelism before pipelining: a job goes to an idle worker or a new one (up to
 *   maxWorkers) before any busy worker is handed a job ahead of time.
 * - A worker never holds more jobs than `1 + prefetch`, nor more than its remaining
 *   `maxTasksPerChild` budget, so recycling never strands work. `prefetch` is fixed or sized
 *   by the jobs' run time (prefetch.ts, decision 0007); a busy worker is topped up only once
 *   half its room is free, so jobs travel several to a message.
 * - Run clocks (timeout, abort grace) tick only for the head job of a ready worker: time
 *   spent queued, prefetched or waiting for the initializer is never counted.
 * - A worker that dies before it is ready ran none of its jobs: they go back to the queue
 *   (Python's crash-at-start breaks the pool; so do MAX_STARTUP_FAILURES in a row here).
 * - A worker with nothing to hold has an idle clock, or is retired when the pool closes; a
 *   job whose future is done is dropped before it can start a worker.
 * - Every future reaches a final state: result, error, WorkerExitError, or the pool's
 *   BrokenExecutor error. No path leaves one pending.
 *
 * @module
 */
import type { TransferListItem } from 'node:worker_threads';
import { type BrokenExecutor, CancelledError, type TimeoutError, WorkerExitError } from '../errors.js';
import type { WorkerInfo } from '../executor.js';
import { type Future, setProgress } from '../future.js';
import type { Batch, ChunkResult } from '../map.js';
import { startTimer } from '../internal/timer.js';
import { deserializeError } from '../internal/remote-error.js';
import { type Destination, reduceValue } from '../reduction.js';
import { CLAIM_SLOTS } from '../worker-entry/claims.js';
import type { FromWorker, JobResult, TaskDefinition, TaskSpec, ToWorker } from '../worker-entry/protocol.js';
import type { HandleEvents, WorkerHandle } from './handle.js';
import {
  clearIdle,
  clearTimer,
  detachedTransfer,
  hasTransfers,
  info,
  type PoolJob,
  type PoolWorker,
  timeoutError,
  toWire,
  transfersLost,
} from './pool-parts.js';
import { Prefetch } from './prefetch.js';
import { chooseReclaim, isOverdue } from './reclaim.js';
import { TaskTable } from './task-table.js';

/** How long a running task may ignore its abort before its worker is stopped. */
export const ABORT_GRACE_MS = 1_000;
/** Workers that die this many times in a row before becoming ready break the pool. */
export const MAX_STARTUP_FAILURES = 3;
/** How long a worker sent SIGTERM by `terminate` has to exit before it gets SIGKILL. */
export const SIGKILL_GRACE_MS = 5_000;

export interface PoolOptions {
  readonly maxWorkers: number;
  readonly prefetch: number | 'auto';
  readonly maxTasksPerWorker: number | undefined;
  readonly idleTimeout: number | undefined;
  readonly taskTimeout: number | undefined;
  readonly onWorkerExit: 'replace' | 'break';
  readonly initializer: TaskSpec | null;
  readonly initargs: readonly unknown[];
  /** 'process' or 'thread': used in messages. */
  readonly kind: string;
}

export interface PoolHooks {
  spawn(events: HandleEvents): WorkerHandle;
  /** Makes the executor's broken error (BrokenProcessPool / BrokenWorkerPool). */
  brokenError(message: string, cause: unknown): BrokenExecutor;
  /** Breaks the executor (fails its queued futures, makes submit throw). */
  broken(error: BrokenExecutor): void;
  workerStart(info: WorkerInfo): void;
  workerExit(info: WorkerInfo): void;
}

export class WorkerPool {
  readonly #options: PoolOptions;
  readonly #hooks: PoolHooks;
  readonly #queue: PoolJob[] = [];
  #queueHead = 0;
  readonly #workers = new Set<PoolWorker>();
  readonly #jobsByFuture = new Map<Future<unknown>, PoolJob>();
  readonly #tasks = new TaskTable();
  #nextJobId = 0;
  #nextWorkerId = 0;
  #dispatchScheduled = false;
  #startupFailures = 0;
  #broken = false;
  #brokenError: BrokenExecutor | undefined;
  #closing = false;
  #onAllExited: (() => void) | undefined;
  readonly #prefetch: Prefetch;
  completed = 0;
  failed = 0;
  /** Jobs taken back from busy workers to run elsewhere (decision 0009). */
  reclaimed = 0;

  constructor(options: PoolOptions, hooks: PoolHooks) {
    this.#options = options;
    this.#hooks = hooks;
    this.#prefetch = new Prefetch(options.prefetch);
  }

  /** Where this pool's arguments go, for reduction. */
  get #destination(): Destination {
    return this.#options.kind === 'thread' ? 'thread' : 'process';
  }

  /** Jobs waiting for a worker. */
  get queued(): number {
    return this.#queue.length - this.#queueHead;
  }

  /** Jobs handed to workers. */
  get running(): number {
    let n = 0;
    for (const worker of this.#workers) n += worker.inflight.length;
    return n;
  }

  get workers(): number {
    return this.#workers.size;
  }

  /** Queues one task (submit) or one chunk (map) for the next dispatch. */
  enqueue(
    future: Future<unknown>,
    task: TaskSpec,
    args: readonly unknown[] | undefined,
    batch: Batch | undefined,
    transfer: readonly TransferListItem[] | undefined,
    timeout: number | undefined,
  ): void {
    // Objects that must stay one object (queues, pipe ends) travel as handles: reduced here,
    // once, and revived by the worker before the call (reduction.ts).
    let reduced: { readonly value: unknown; readonly key: string } | undefined;
    try {
      reduced = reduceValue(batch === undefined ? args : batch.items, this.#destination);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      this.failed += batch?.items.length ?? 1;
      future.setException(new TypeError(`an argument could not be sent to the ${this.#options.kind} worker: ${reason}`, { cause: error }));
      return;
    }
    if (reduced !== undefined) {
      if (batch === undefined) args = reduced.value as unknown[];
      else batch = { ...batch, items: reduced.value as unknown[] };
    }
    const job: PoolJob = {
      id: this.#nextJobId++,
      taskId: this.#tasks.id(task),
      future,
      args,
      batch,
      revive: reduced?.key,
      // Only a thread takes buffers over; a child gets copies, and the job may go anywhere.
      transfer: this.#options.kind === 'thread' ? transfer : undefined,
      timeout: timeout ?? this.#options.taskTimeout,
      sent: false,
      seq: -1,
      reclaiming: false,
      started: false,
      stopped: false,
      timer: undefined,
    };
    this.#jobsByFuture.set(future, job);
    this.#queue.push(job);
    this.#scheduleDispatch();
  }

  /** A running future was aborted (submitWith signal): fail it now, stop the work. */
  abort(future: Future<unknown>, reason: unknown): void {
    const job = this.#jobsByFuture.get(future);
    const error = new CancelledError('the task was aborted while running', { cause: reason });
    if (job === undefined) {
      this.#failRunning(future, error, 1);
    } else {
      this.#stopJob(job, error);
    }
  }

  /** Lets every worker go once it is idle; resolves when all have exited. */
  close(): Promise<void> {
    this.#closing = true;
    for (const worker of this.#workers) {
      // Someone awaits these exits: keep the event loop alive until they arrive.
      worker.ref = true;
      worker.handle.setRef(true);
      if (worker.inflight.length === 0) this.#retire(worker);
    }
    if (this.#workers.size === 0) return Promise.resolve();
    return new Promise((resolve) => (this.#onAllExited = resolve));
  }

  /**
   * Stops every worker now with `signal` and breaks the pool with `error`: whatever was
   * queued or running fails with it (Python 3.14's terminate_workers / kill_workers).
   */
  terminate(signal: 'SIGTERM' | 'SIGKILL', error: BrokenExecutor): void {
    this.#break(error, [], signal);
  }

  #killAll(signal: 'SIGTERM' | 'SIGKILL'): void {
    this.#closing = true;
    for (const worker of this.#workers) {
      clearIdle(worker);
      worker.retiring = true;
      worker.handle.kill(signal);
    }
    // A task may catch SIGTERM; close() waits for every exit, so one that stays would hang
    // terminateWorkers(). Unref'd: the workers themselves keep the loop alive while closing.
    if (signal === 'SIGTERM' && this.#workers.size > 0) {
      const stubborn = [...this.#workers];
      startTimer(() => {
        for (const worker of stubborn) if (this.#workers.has(worker)) worker.handle.kill('SIGKILL');
      }, SIGKILL_GRACE_MS, { unref: true });
    }
  }

  #scheduleDispatch(): void {
    if (this.#dispatchScheduled) return;
    this.#dispatchScheduled = true;
    // A microtask: every submit of this synchronous stretch goes out in one dispatch pass,
    // so a burst of submits becomes a few large messages instead of many small ones.
    queueMicrotask(() => {
      this.#dispatchScheduled = false;
      this.#dispatch();
    });
  }

  #capacity(worker: PoolWorker, prefetch: number): number {
    if (worker.retiring || worker.exiting || worker.killedFor !== undefined) return 0;
    const limit = Math.min(1 + prefetch, worker.budget);
    return Math.min(limit - worker.inflight.length, this.#ringRoom(worker));
  }

  /**
   * Seqs that can be sent to `worker` before one would share its claim slot with a job the
   * worker has not passed yet (claims.ts): jobs taken back stay in its queue until it
   * reaches them, so a worker stuck in a long task cannot be handed and robbed forever.
   */
  #ringRoom(worker: PoolWorker): number {
    let oldest = worker.inflight[0]?.seq ?? worker.sent;
    for (const seq of worker.revoked) oldest = Math.min(oldest, seq);
    return oldest + CLAIM_SLOTS - worker.sent;
  }

  #dispatch(): void {
    if (this.#broken) return;
    this.#plan();
    // Nothing left to hand out, but maybe a worker free: take back what waits elsewhere.
    if (this.queued === 0 && this.#reclaim()) this.#plan();
    if (this.#broken) return;
    for (const worker of this.#workers) {
      if (worker.inflight.length > 0 || worker.retiring) continue;
      // Idle: closing pools let it go; others start its idle clock (also for a worker whose
      // jobs were all cancelled before they reached it, which would otherwise never idle out).
      if (this.#closing) this.#retire(worker);
      else this.#armIdle(worker);
    }
    this.#updateRefs();
  }

  #plan(): void {
    // A job that could not be sent failed at once, so the room it was planned into is free
    // again: plan once more, or a burst of such jobs would leave every worker looking full
    // with nothing in flight, and the queue stalled until some later submit.
    while (this.#dispatchPass() && !this.#broken && this.queued > 0);
  }

  /**
   * Takes back jobs that busy workers hold but have not started, for workers that are free
   * (reclaim.ts): a task never waits behind another worker's long job while one is idle.
   * Returns true if jobs came back at once (worker threads) and can be planned now; the
   * answers of child processes arrive later, and dispatch again.
   */
  #reclaim(): boolean {
    if (this.#broken) return false;
    const now = performance.now();
    const expectedMs = this.#prefetch.expectedMs;
    let starting = false;
    let thieves = 0;
    for (const worker of this.#workers) {
      if (worker.retiring || worker.exiting || worker.killedFor !== undefined) continue;
      if (!worker.ready) starting = true;
      else if (worker.inflight.length === 0 && worker.budget > 0) thieves++;
    }
    if (thieves === 0) {
      // No worker free, but room for one: start it (it takes jobs back once ready), as a
      // crashed or recycled worker's replacement would be started for queued work.
      const room = !this.#closing && !starting && this.#liveWorkers() < this.#options.maxWorkers;
      if (room && chooseReclaim(this.#workers, now, expectedMs) !== undefined) this.#spawn();
      return false;
    }
    let returned = false;
    for (let i = 0; i < thieves; i++) {
      const choice = chooseReclaim(this.#workers, now, expectedMs);
      if (choice === undefined) break;
      const { victim, jobs } = choice;
      for (const job of jobs) job.reclaiming = true;
      const asked = victim.handle.reclaim(
        jobs.map((job) => job.seq),
        (revoked) => {
          if (this.#takeBack(victim, jobs, revoked)) returned = true;
        },
      );
      if (!asked) for (const job of jobs) job.reclaiming = false;
    }
    return returned;
  }

  /** A worker gave back `revoked` of the `jobs` asked for: they wait in the queue again. */
  #takeBack(victim: PoolWorker, jobs: readonly PoolJob[], revoked: readonly number[]): boolean {
    for (const job of jobs) job.reclaiming = false;
    // A broken pool failed every job it held; nothing goes back to its queue.
    if (this.#broken) return false;
    const back = new Set(revoked);
    const returned: PoolJob[] = [];
    for (const job of jobs) {
      const index = victim.inflight.indexOf(job);
      // Answered or requeued meanwhile (the worker died): nothing to take back.
      if (index === -1) continue;
      if (!back.has(job.seq)) {
        this.#startedBehind(job);
        continue;
      }
      victim.inflight.splice(index, 1);
      victim.revoked.add(job.seq);
      // It may have become the head, with its clock running, while the answer travelled.
      clearTimer(job);
      if (index === 0) victim.headSince = performance.now();
      returned.push(job);
    }
    if (returned.length === 0) return false;
    this.reclaimed += returned.length;
    this.#armTimeout(victim);
    this.#queueFront(returned);
    this.#scheduleDispatch();
    return true;
  }

  /**
   * A job the worker would not give back has started, while the jobs ahead of it still look
   * running (the worker holds their outcomes until its turn ends, which a long job delays).
   * It is never asked back again (asking for it again and again started a new worker at every
   * idle timeout), and its run timeout starts now instead of when it becomes the head.
   */
  #startedBehind(job: PoolJob): void {
    if (job.started) return;
    job.started = true;
    const ms = job.timeout;
    if (ms === undefined || job.timer !== undefined || job.stopped) return;
    job.timer = startTimer(() => {
      job.timer = undefined;
      this.#stopJob(job, timeoutError(ms));
    }, ms);
  }

  /** One planning pass over the queue; true if a planned job could not be sent. */
  #dispatchPass(): boolean {
    // Jobs are planned one at a time and sent per worker at the end, so a worker still gets
    // its share in one message. Each job goes to an idle worker, else to a new worker, else
    // (all busy, none more allowed) to the worker with the most room left: parallelism
    // before pipelining. Handing a fresh worker its whole prefetch at once would run two
    // tasks submitted together one after the other on one child while maxWorkers allows two.
    const plan = new Map<PoolWorker, PoolJob[]>();
    // A busy worker is topped up only once half its capacity is free, so that it gets
    // several jobs in one message: with one write per job, the parent's IPC writes, not the
    // workers, bound the throughput of small tasks (a write costs about as much as a task).
    const prefetch = this.#prefetch.depth;
    const lowWater = Math.floor((1 + prefetch) / 2);
    const now = performance.now();
    const expectedMs = this.#prefetch.expectedMs;
    const room = (worker: PoolWorker): number => {
      const planned = plan.get(worker)?.length ?? 0;
      if (planned === 0 && worker.inflight.length > lowWater) return 0;
      // Its running job outlasts the others: what it got now would wait with it.
      if (planned === 0 && isOverdue(worker, now, expectedMs)) return 0;
      return this.#capacity(worker, prefetch) - planned;
    };
    while (this.#dropDeadHead() > 0) {
      let target: PoolWorker | undefined;
      for (const worker of this.#workers) {
        if (worker.inflight.length === 0 && !plan.has(worker) && room(worker) > 0) {
          target = worker;
          break;
        }
      }
      if (target === undefined && this.#liveWorkers() < this.#options.maxWorkers) {
        target = this.#spawn();
        if (this.#broken) {
          // Its init could not be sent: the break failed what workers and queue hold, but
          // not the jobs planned in this pass (already RUNNING); they fail the same way.
          for (const jobs of plan.values()) this.#failJobs(jobs, this.#brokenError);
          return false;
        }
      }
      if (target === undefined) {
        let best = 0;
        for (const worker of this.#workers) {
          const left = room(worker);
          if (left > best) {
            best = left;
            target = worker;
          }
        }
      }
      if (target === undefined) break;
      const jobs = plan.get(target);
      if (jobs === undefined) plan.set(target, this.#take(1));
      else jobs.push(...this.#take(1));
    }
    let unsent = false;
    for (const [worker, jobs] of plan) if (!this.#sendTo(worker, jobs)) unsent = true;
    return unsent;
  }

  /**
   * Drops jobs at the head of the queue that have nothing left to run (every future
   * cancelled or already failed), so that they never make the pool start a worker; returns
   * how many jobs are still queued.
   */
  #dropDeadHead(): number {
    while (this.#queueHead < this.#queue.length) {
      const job = this.#queue[this.#queueHead] as PoolJob;
      const live = job.sent ? job.future.running() : job.future.state === 'PENDING';
      if (live) break;
      if (!job.sent) this.#start(job); // notifies the cancelled future, forgets the job
      this.#queue[this.#queueHead++] = undefined as unknown as PoolJob;
    }
    return this.queued;
  }

  #liveWorkers(): number {
    let n = 0;
    for (const worker of this.#workers) if (!worker.retiring) n++;
    return n;
  }

  /** Takes up to `n` startable jobs off the queue, dropping cancelled and failed ones. */
  #take(n: number): PoolJob[] {
    const jobs: PoolJob[] = [];
    while (jobs.length < n && this.#queueHead < this.#queue.length) {
      const job = this.#queue[this.#queueHead] as PoolJob;
      this.#queue[this.#queueHead++] = undefined as unknown as PoolJob;
      // A requeued job (its worker died under it) is RUNNING already; it may have been
      // aborted meanwhile, and then there is nothing left to run.
      if (job.sent ? job.future.running() : this.#start(job)) jobs.push(job);
    }
    if (this.#queueHead > 1024 && this.#queueHead * 2 > this.#queue.length) {
      this.#queue.splice(0, this.#queueHead);
      this.#queueHead = 0;
    }
    return jobs;
  }

  /** Moves a job's future to RUNNING; forgets the job if it was cancelled meanwhile. */
  #start(job: PoolJob): boolean {
    const { future } = job;
    if (future.state !== 'PENDING') {
      if (future.cancelled()) future.setRunningOrNotifyCancel();
      this.#jobsByFuture.delete(future);
      return false;
    }
    future.setRunningOrNotifyCancel();
    return true;
  }

  /** Hands `jobs` to `worker`; false if some could not be sent (their futures have failed). */
  #sendTo(worker: PoolWorker, planned: PoolJob[]): boolean {
    let allSent = true;
    const refused = (job: PoolJob): boolean => {
      const detached = detachedTransfer(job);
      if (detached === undefined) return false;
      this.#fail(job, detached);
      allSent = false;
      return true;
    };
    const jobs = planned.filter((job) => !refused(job));
    if (jobs.length === 0) return allSent;
    clearIdle(worker);
    const wire = jobs.map(toWire);
    const transfer = jobs.flatMap((job) => job.transfer ?? []);
    try {
      worker.handle.send({ type: 'run', tasks: this.#definitions(worker, jobs), jobs: wire }, transfer.length > 0 ? transfer : undefined);
      this.#learned(worker, jobs);
      for (const job of jobs) this.#handOver(worker, job);
    } catch {
      // One argument could not be serialized: find which by sending one at a time, and fail
      // only that future (CPython R9.7: the pool stays usable).
      // Two jobs of the batch may transfer one buffer: once the first has gone, the second's
      // is detached.
      for (const job of jobs) {
        if (refused(job)) continue;
        try {
          worker.handle.send({ type: 'run', tasks: this.#definitions(worker, [job]), jobs: [toWire(job)] }, job.transfer);
          this.#learned(worker, [job]);
          this.#handOver(worker, job);
        } catch (error) {
          const reason = error instanceof Error ? error.message : String(error);
          const failure = new TypeError(`an argument could not be sent to the ${this.#options.kind} worker: ${reason}`, {
            cause: error,
          });
          this.#fail(job, failure);
          allSent = false;
        }
      }
    }
    // Whichever job went out first may now be the head (the first of the batch may be the
    // one that could not be sent).
    this.#armTimeout(worker);
    return allSent;
  }

  /** The task definitions `worker` has not seen yet, for the jobs about to go to it. */
  #definitions(worker: PoolWorker, jobs: readonly PoolJob[]): TaskDefinition[] {
    return this.#tasks.unknownTo(worker.knownTasks, jobs.map((job) => job.taskId));
  }

  #learned(worker: PoolWorker, jobs: readonly PoolJob[]): void {
    for (const job of jobs) worker.knownTasks.add(job.taskId);
  }

  #handOver(worker: PoolWorker, job: PoolJob): void {
    job.sent = true;
    job.seq = worker.sent++;
    if (worker.inflight.length === 0) worker.headSince = performance.now();
    worker.inflight.push(job);
  }

  #spawn(): PoolWorker {
    const id = this.#nextWorkerId++;
    // eslint-disable-next-line prefer-const -- assigned after the handle exists
    let worker: PoolWorker;
    const handle = this.#hooks.spawn({
      message: (message) => this.#onMessage(worker, message),
      exit: (exitCode, signal) => this.#onExit(worker, exitCode, signal),
      reclaimable: () => this.#scheduleDispatch(),
      exiting: () => {
        worker.exiting = true;
      },
    });
    worker = {
      id,
      handle,
      inflight: [],
      budget: this.#options.maxTasksPerWorker ?? Infinity,
      ready: false,
      retiring: false,
      exiting: false,
      idleTimer: undefined,
      killedFor: undefined,
      knownTasks: new Set(),
      ref: undefined,
      sent: 0,
      revoked: new Set(),
      headSince: 0,
    };
    this.#workers.add(worker);
    try {
      const reduced = reduceValue(this.#options.initargs, this.#destination);
      const init: ToWorker =
        reduced === undefined
          ? { type: 'init', initializer: this.#options.initializer, initargs: this.#options.initargs }
          : { type: 'init', initializer: this.#options.initializer, initargs: reduced.value as unknown[], revive: reduced.key };
      handle.send(init);
    } catch (error) {
      this.#break(this.#hooks.brokenError(`the ${this.#options.kind} pool's initargs could not be sent to a worker`, error));
    }
    this.#hooks.workerStart(info(worker));
    return worker;
  }

  #onMessage(worker: PoolWorker, message: FromWorker): void {
    switch (message.type) {
      case 'ready':
        worker.ready = true;
        worker.headSince = performance.now();
        this.#startupFailures = 0;
        // The initializer is done: the head job starts now, and so does its clock.
        this.#armTimeout(worker);
        // A worker that is ready with nothing to do may take jobs back from a busy one.
        if (worker.inflight.length === 0) this.#scheduleDispatch();
        return;
      case 'initError':
        this.#break(
          this.#hooks.brokenError(
            `A ${this.#options.kind} initializer failed, the ${this.#options.kind} pool is not usable anymore`,
            deserializeError(message.error),
          ),
        );
        return;
      case 'results':
        // Progress first: a job's last value must reach its future before its result does.
        if (message.progress !== undefined) this.#onProgress(worker, message.progress);
        if (message.results.length === 0 && message.skipped === undefined) return;
        for (const result of message.results) this.#onResult(worker, result);
        // Taken back, as the worker found when it reached them; the agent's answer usually
        // said so first (then they are gone from inflight already).
        for (const seq of message.skipped ?? []) {
          const job = worker.inflight.find((held) => held.seq === seq);
          if (job !== undefined) this.#takeBack(worker, [job], [seq]);
          worker.revoked.delete(seq);
        }
        this.#afterProgress(worker);
        return;
    }
  }

  /** Hands each job's latest progress value to its future (dropped if it is done). */
  #onProgress(worker: PoolWorker, progress: unknown): void {
    if (!Array.isArray(progress)) return;
    for (const entry of progress as unknown[]) {
      if (!Array.isArray(entry)) continue;
      const [id, value] = entry as [unknown, unknown];
      const job = worker.inflight.find((held) => held.id === id);
      if (job !== undefined) setProgress(job.future, value);
    }
  }

  #onResult(worker: PoolWorker, result: JobResult): void {
    const index = worker.inflight.findIndex((job) => job.id === result.id);
    if (index === -1) return;
    const [job] = worker.inflight.splice(index, 1) as [PoolJob];
    clearTimer(job);
    if (index === 0) worker.headSince = performance.now();
    if (result.ms !== undefined) {
      this.#prefetch.record(result.ms);
    }
    if (Number.isFinite(worker.budget)) worker.budget--;
    this.#settle(job, result, this.#origin(worker));
    // killedFor stays set even if this answer beat the SIGKILL: the worker is dying all the
    // same, and its exit must not count as a crash (nor, with 'break', break the pool).
  }

  /** Names the worker in the stack marker of its errors (`[in process 1234]`). */
  #origin(worker: PoolWorker): string {
    const { pid, threadId } = worker.handle;
    if (pid !== undefined) return `process ${pid}`;
    if (threadId !== undefined) return `worker thread ${threadId}`;
    return `${this.#options.kind} worker`;
  }

  /** Completes a job with what its worker sent: a submit's value or error, or a chunk's items. */
  #settle(job: PoolJob, result: JobResult, origin: string): void {
    this.#jobsByFuture.delete(job.future);
    // Aborted or timed-out futures were failed already; their late outcome is dropped.
    if (!job.future.running()) return;
    const errors = new Map<number, unknown>();
    for (const [index, error] of result.errors ?? []) errors.set(index, deserializeError(error, { origin }));
    this.completed += result.values.length - errors.size;
    this.failed += errors.size;
    if (job.batch !== undefined) {
      const chunk: ChunkResult = { values: result.values, errors };
      job.future.setResult(chunk);
    } else if (errors.size > 0) {
      job.future.setException(errors.get(0));
    } else {
      job.future.setResult(result.values[0]);
    }
  }

  /** Fails a job's future as a whole (its worker died, it could not be sent, the pool broke). */
  #fail(job: PoolJob, error: unknown): void {
    clearTimer(job);
    this.#jobsByFuture.delete(job.future);
    if (job.future.done()) return;
    this.failed += job.batch?.items.length ?? 1;
    job.future.setException(error);
  }

  /** Fails a future the parent stops while it runs (abort, timeout); `items` are its tasks. */
  #failRunning(future: Future<unknown>, error: CancelledError | TimeoutError, items: number): void {
    if (!future.running()) return;
    this.failed += items;
    future.setException(error);
  }

  /** After results: recycle a spent worker, arm the next job's clock, dispatch more. */
  #afterProgress(worker: PoolWorker): void {
    if (worker.budget <= 0 && worker.inflight.length === 0) this.#retire(worker);
    else this.#armTimeout(worker);
    // Dispatch also gives an idle worker its idle clock, or retires it when closing.
    this.#dispatch();
  }

  /**
   * Starts the clock of a ready worker's head job (the one running): its timeout, or, once
   * it was stopped, the grace after which its worker is killed. Both start when the job
   * does, not when it was prefetched; each is armed once.
   */
  #armTimeout(worker: PoolWorker): void {
    const head = worker.inflight[0];
    if (head === undefined || !worker.ready || head.timer !== undefined) return;
    if (head.stopped) {
      // The task has seen its signal; if it has not returned after the grace period, the
      // worker goes (and the jobs prefetched behind it are requeued when it exits).
      this.#armGrace(worker, head);
      return;
    }
    const ms = head.timeout;
    if (ms === undefined) return;
    head.timer = startTimer(() => {
      head.timer = undefined;
      this.#stopJob(head, timeoutError(ms));
    }, ms);
  }

  #armIdle(worker: PoolWorker): void {
    const ms = this.#options.idleTimeout;
    if (ms === undefined || worker.idleTimer !== undefined) return;
    worker.idleTimer = startTimer(
      () => {
        worker.idleTimer = undefined;
        if (worker.inflight.length === 0) this.#retire(worker);
      },
      ms,
      { unref: true },
    );
  }

  #retire(worker: PoolWorker): void {
    clearIdle(worker);
    if (worker.retiring) return;
    worker.retiring = true;
    worker.handle.close();
  }

  /**
   * Fails a handed-over job's future with `error` and stops its work: the worker is told
   * (the task's signal aborts, or a job not yet started is dropped there), and the grace
   * clock starts once the job is the one running. A map chunk stops as a whole.
   */
  #stopJob(job: PoolJob, error: CancelledError | TimeoutError): void {
    this.#failRunning(job.future, error, job.batch?.items.length ?? 1);
    if (!job.sent || job.stopped) return;
    const worker = [...this.#workers].find((w) => w.inflight.includes(job));
    // Not on a worker: it is back in the queue (its worker died), where it is dropped.
    if (worker === undefined) return;
    job.stopped = true;
    worker.handle.send({ type: 'abort', id: job.id, seq: job.seq });
    clearTimer(job);
    this.#armTimeout(worker);
    // It runs behind jobs that finished but whose outcomes the worker still holds: a task
    // that blocks its thread keeps them from leaving, and the pool from ever seeing this job
    // at the head. Past the grace period the worker goes, as for a head job, and the jobs
    // ahead of it run again elsewhere.
    if (job.started && worker.inflight[0] !== job) this.#armGrace(worker, job);
  }

  /** Kills `worker` for the stopped `job` unless the job has answered within the abort grace. */
  #armGrace(worker: PoolWorker, job: PoolJob): void {
    job.timer = startTimer(() => {
      if (!worker.inflight.includes(job)) return;
      worker.killedFor = job;
      worker.handle.kill('SIGKILL');
    }, ABORT_GRACE_MS);
  }

  #onExit(worker: PoolWorker, exitCode: number | null, signal: NodeJS.Signals | null): void {
    this.#workers.delete(worker);
    clearIdle(worker);
    const jobs = worker.inflight.splice(0);
    for (const job of jobs) clearTimer(job);
    const exitInfo = { ...info(worker), exitCode, signal };
    this.#hooks.workerExit(exitInfo);
    const expected = worker.retiring && jobs.length === 0;
    if (!expected && !this.#broken) {
      const [head, ...rest] = jobs;
      const killedFor = worker.killedFor;
      const what = exitCode !== null ? `exit code ${exitCode}` : `signal ${signal ?? 'unknown'}`;
      const pid = worker.handle.pid;
      const error = new WorkerExitError(
        `A ${this.#options.kind} worker${pid === undefined ? '' : ` (pid ${pid})`} exited with ${what} while ${worker.ready ? 'running the task' : 'starting'}`,
        { exitCode, signal, ...(pid === undefined ? {} : { pid }), ...(worker.handle.threadId === undefined ? {} : { threadId: worker.handle.threadId }) },
      );
      if (killedFor !== undefined || worker.retiring) {
        // We stopped it: the job it was killed for already failed; the others go back.
        this.#requeueFront(
          jobs.filter((job) => job !== killedFor),
          error,
        );
      } else if (!worker.ready && this.#options.onWorkerExit === 'replace') {
        // It died starting (its initializer, its execArgv): none of its jobs ran, so none is
        // to blame. They wait for the next worker, unless this is a crash loop.
        if (++this.#startupFailures < MAX_STARTUP_FAILURES) this.#requeueFront(jobs, error);
        else this.#break(this.#hooks.brokenError(`${this.#options.kind} workers keep dying while starting (${this.#startupFailures} in a row), the pool is not usable anymore`, error), jobs);
      } else if (this.#options.onWorkerExit === 'break') {
        this.#break(this.#hooks.brokenError(`A ${this.#options.kind} in the ${this.#options.kind} pool was terminated abruptly while the future was running or pending.`, error), jobs);
      } else {
        if (head !== undefined) this.#fail(head, error);
        this.#requeueFront(rest, error);
      }
    }
    if (this.#workers.size === 0 && this.#onAllExited !== undefined) {
      this.#onAllExited();
      this.#onAllExited = undefined;
    }
    if (!this.#broken) this.#dispatch();
  }

  /**
   * Puts jobs a dead worker had not started back at the head of the queue. A job whose
   * arguments were transferred (`submitWith({ transfer })`) cannot go again: its buffers were
   * moved to that worker and went with it, so it fails with the worker's `death`.
   */
  #requeueFront(jobs: PoolJob[], death: WorkerExitError): void {
    const again: PoolJob[] = [];
    for (const job of jobs) {
      if (hasTransfers(job)) this.#fail(job, transfersLost(death));
      else again.push(job);
    }
    this.#queueFront(again);
  }

  /** Puts jobs (taken back, or requeued) at the head of the queue, in their order. */
  #queueFront(jobs: readonly PoolJob[]): void {
    if (jobs.length > 0) this.#queue.splice(this.#queueHead, 0, ...jobs);
  }

  #break(error: BrokenExecutor, extra: PoolJob[] = [], signal: 'SIGTERM' | 'SIGKILL' = 'SIGKILL'): void {
    if (this.#broken) return;
    this.#broken = true;
    this.#brokenError = error;
    const running = [...extra];
    for (const worker of this.#workers) running.push(...worker.inflight.splice(0));
    while (this.#queueHead < this.#queue.length) {
      const job = this.#queue[this.#queueHead++] as PoolJob;
      if (job.sent) running.push(job);
    }
    this.#failJobs(running, error);
    this.#hooks.broken(error);
    this.#killAll(signal);
  }

  #failJobs(jobs: readonly PoolJob[], error: unknown): void {
    for (const job of jobs) this.#fail(job, error);
  }

  /** Idle pools must not keep the parent alive; busy ones, and closing ones, must. */
  #updateRefs(): void {
    for (const worker of this.#workers) {
      const ref = this.#closing || worker.inflight.length > 0;
      if (worker.ref !== ref) {
        worker.ref = ref;
        worker.handle.setRef(ref);
      }
    }
  }
}
