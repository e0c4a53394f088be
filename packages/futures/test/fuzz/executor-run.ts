/**
 * Runs one fuzz program on a fresh executor and checks, as it goes, what the contract says
 * must hold at once (a cancel's answer, an abort's effect, shutdown's cancellations,
 * terminate's failures, submits that must throw), then, after the finale, that everything
 * settled within the bound and ended as allowed (executor-checks.ts).
 *
 * ```
 *  program ─▶ ops (sync checks, pins) ─▶ finale (gate / terminate) ─▶ settle (bounded) ─▶ final checks
 *                 ▲ 'submit' events attribute every future to its op or map chunk
 * ```
 *
 * @module
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Executor, Future, Task, WorkerInfo } from '../../src/index.js';
import * as futures from '../../src/index.js';
import { type Gate, Scratch } from '../fixtures/harness.js';
import type { Behaviour, Spec } from '../fixtures/hostile-tasks.mjs';
import { checkFinal } from './executor-checks.js';
import { startMap } from './executor-maps.js';
import { type ExecutorTarget, hostile, stoppable } from './executor-targets.js';
import { CAPTURED_VALUE, type Environment, type ErrorClasses, errorRule, cancelledRule, instanceRule, type Unit } from './outcomes.js';
import { countFaults, hasDeaths, hasHangs, mayStopWorkers, type ProgramFigures } from './program-facts.js';
import type { ExecOp, ExecProgram, TaskFn, Transfer } from './program.js';
import { type Attribution, awaited, type Awaited, bounded, DISPOSE_BOUND_MS, isOurChild, type MapRun, settleAll, settleBound, type Tracked, Violations } from './tracking.js';
import { type ArgKind, isSendable, makeArg, snapshot } from './values.js';

// Functions shipped by source to worker and process pools: one self-contained, one that
// captures a variable of this module (declared here: an imported one would be rewritten by
// the test runner's transform into a helper the function reaches for instead).
const CAPTURED = CAPTURED_VALUE;
const sourceEcho = (_spec: unknown, arg: unknown): unknown => arg;
const closureEcho = (_spec: unknown, arg: unknown): unknown => [arg, CAPTURED];
function boundTarget(this: unknown, _spec: unknown, arg: unknown): unknown {
  return arg;
}
const boundEcho = boundTarget.bind(null);

const TASK_FNS: Record<TaskFn, Task<[Spec, unknown], unknown>> = { ref: hostile.act, source: sourceEcho, closure: closureEcho, bound: boundEcho };

/** Runs `program` on a new executor of `target`; throws listing every violation found. */
export async function runExecutorProgram(target: ExecutorTarget, program: ExecProgram): Promise<ProgramFigures> {
  const scratch = await Scratch.create();
  const run = new ExecutorRun(target, program, scratch);
  let summary = '';
  try {
    await run.run();
  } finally {
    summary = run.summary();
    await run.dispose();
    await scratch.remove();
  }
  if (run.violations.list.length > 0) {
    throw new Error(`${target.name}: ${run.violations.list.length} violation(s):\n- ${run.violations.list.join('\n- ')}\n${summary}`);
  }
  return { operations: program.ops.length + 1, faults: countFaults(program) };
}

export class ExecutorRun {
  readonly violations = new Violations();
  readonly tracked: Tracked[] = [];
  readonly maps: MapRun[] = [];
  readonly promises: Awaited[] = [];
  readonly starts: WorkerInfo[] = [];
  readonly exits: WorkerInfo[] = [];
  readonly brokenEvents: unknown[] = [];
  readonly executor: Executor;
  readonly errors: ErrorClasses;
  shutdownCalled = false;
  gateOpened = false;
  /** The finale completed: the executor is shut down and its workers are gone. */
  finaleDone = false;
  readonly #byFuture = new Map<Future<unknown>, Tracked>();
  readonly #controllers: { readonly controller: AbortController; readonly tracked: Tracked | undefined; readonly reason: Error }[] = [];
  readonly #gate: Gate;
  #attribution: Attribution | undefined;
  #shared: Uint8Array | undefined;

  constructor(
    readonly target: ExecutorTarget,
    readonly program: ExecProgram,
    readonly scratch: Scratch,
  ) {
    this.#gate = scratch.gate();
    this.errors = { ...futures, Broken: target.Broken };
    this.executor = target.make(program.config);
    const { executor } = this;
    executor.on('submit', (future) => this.#onSubmit(future));
    executor.on('start', (future) => this.#byFuture.get(future)?.events.push('start'));
    executor.on('done', (future) => this.#byFuture.get(future)?.events.push('done'));
    executor.on('workerStart', (info) => this.starts.push(info));
    executor.on('workerExit', (info) => this.exits.push(info));
    executor.on('broken', (error) => this.brokenEvents.push(error));
    // A done-callback never throws here; a report would be a bug in this file.
    executor.on('callbackError', (error) => this.violations.add(`callbackError: ${String(error)}`));
  }

  get environment(): Environment {
    const { config } = this.program;
    return {
      errors: this.errors,
      inProcess: this.target.caps.inProcess,
      transfers: this.target.caps.transfers,
      gateOpened: this.gateOpened,
      taskTimeout: config.taskTimeout !== undefined,
      deaths: hasDeaths(this.program),
      stops: mayStopWorkers(this.program),
      onWorkerExit: config.onWorkerExit ?? 'replace',
      initializerBreaks: config.initializer === 'fail' || config.initializer === 'exit',
    };
  }

  async run(): Promise<void> {
    for (const [index, op] of this.program.ops.entries()) {
      await this.#op(index, op);
    }
    await this.#finale();
    const bound = settleBound(this.program);
    const left = await settleAll(this.tracked, this.promises, bound);
    if (left.length > 0) {
      this.violations.add(`not settled ${bound / 1000} s after the last operation: ${left.join('; ')}`);
      return;
    }
    await checkFinal(this);
  }

  /** Whatever happened, no worker, child or hanging task survives the program. */
  async dispose(): Promise<void> {
    this.#gate.open();
    const pool = stoppable(this.executor);
    if (!this.finaleDone) {
      const stopped = pool !== undefined ? pool.terminateWorkers() : this.executor.shutdown({ cancelFutures: true });
      if ((await bounded(stopped, DISPOSE_BOUND_MS)) === 'timeout') this.violations.add(`dispose: the executor did not stop within ${DISPOSE_BOUND_MS / 1000} s of being told to`);
    }
    for (const info of this.starts) {
      if (info.pid !== undefined && isOurChild(info.pid)) process.kill(info.pid, 'SIGKILL');
    }
  }

  summary(): string {
    const stats = stoppable(this.executor)?.stats;
    return `futures: ${this.tracked.length} (${this.tracked.filter((t) => !t.future.done()).length} not done); workers started ${this.starts.length}, exited ${this.exits.length}${stats === undefined ? '' : `; stats ${JSON.stringify(stats)}`}`;
  }

  // ─── futures ──────────────────────────────────────────────────────────────

  #onSubmit(future: Future<unknown>): void {
    const attribution = this.#attribution;
    let tracked: Tracked;
    if (attribution === undefined) {
      this.violations.add('a future was submitted outside any operation of the program');
      tracked = this.#track(future, '(unattributed)', [], false, undefined, 0);
    } else if (attribution.kind === 'unit') {
      tracked = this.#track(future, attribution.unit.label, [attribution.unit], false, undefined, 0);
    } else {
      const { run } = attribution;
      const start = run.nextStart;
      // The event-loop executor makes one future per item; pools one per chunk.
      const end = this.target.caps.inProcess ? start + 1 : attribution.upTo;
      run.nextStart = end;
      const units = run.units.slice(start, end);
      const label = `op ${run.index} (map) items ${start}..${end - 1}`;
      tracked = this.#track(future, label, units, units.length > 1, run, start);
      run.futures.push(tracked);
    }
    tracked.events.push('submit');
  }

  #track(future: Future<unknown>, label: string, units: readonly Unit[], chunk: boolean, map: MapRun | undefined, start: number): Tracked {
    const tracked: Tracked = { future, label, units, chunk, map, start, events: [], doneCalls: 0, stateAtDone: undefined, pinned: undefined };
    this.tracked.push(tracked);
    this.#byFuture.set(future, tracked);
    future.addDoneCallback((done) => {
      tracked.doneCalls++;
      tracked.stateAtDone ??= done.state;
    });
    return tracked;
  }

  /** Names the op (or map) that owns the futures submitted next (see #onSubmit). */
  attribute(attribution: Attribution | undefined): void {
    this.#attribution = attribution;
  }

  /** The error map() must throw now, if any: it checks shutdown itself, then submits (broken). */
  mapRefusal(items: number): ((error: unknown) => boolean) | undefined {
    if (this.shutdownCalled) return (e) => e instanceof this.errors.ExecutorShutdownError;
    if (this.brokenEvents.length > 0 && items > 0) return (e) => e instanceof this.errors.Broken;
    return undefined;
  }

  unit(label: string, fn: TaskFn, task: Behaviour, arg: ArgKind, argValue: unknown, timeout: boolean, transfer: Transfer): Unit {
    // A reused transfer buffer may be detached already (worker threads); nothing to copy then.
    const expected = isSendable(arg) && !(transfer === 'reuse' && this.target.caps.transfers) ? snapshot(argValue) : undefined;
    return { label, fn, task, arg, argValue, expected, timeout, transfer };
  }

  spec(task: Behaviour): Spec {
    return { ...task, gate: this.#gate.path, guardPid: process.pid };
  }

  // ─── operations ───────────────────────────────────────────────────────────

  /** The error a submit must throw now, or undefined if it must not throw. */
  #mustThrow(fn: TaskFn): ((error: unknown) => boolean) | undefined {
    if (fn === 'bound' && !this.target.caps.inProcess) return (e) => e instanceof TypeError && /bound/.test(e.message);
    if (this.brokenEvents.length > 0) return (e) => e instanceof this.errors.Broken;
    if (this.shutdownCalled) return (e) => e instanceof this.errors.ExecutorShutdownError;
    return undefined;
  }

  /** Calls `submit` and checks whether it threw as it must; returns the future, if any. */
  #submitChecked(where: string, fn: TaskFn, unit: Unit, call: () => Future<unknown>): Future<unknown> | undefined {
    const expected = this.#mustThrow(fn);
    this.#attribution = { kind: 'unit', unit };
    try {
      const future = call();
      if (expected !== undefined) this.violations.add(`${where}: returned a future where the call must throw`);
      return future;
    } catch (error) {
      if (expected === undefined || !expected(error)) this.violations.add(`${where}: threw ${String(error)} unexpectedly`);
      return undefined;
    } finally {
      this.#attribution = undefined;
    }
  }

  async #op(index: number, op: ExecOp): Promise<void> {
    const where = `op ${index} (${op.op})`;
    switch (op.op) {
      case 'submit': {
        const argValue = makeArg(op.arg);
        const unit = this.unit(`op ${index} (submit ${op.fn} ${op.task.do})`, op.fn, op.task, op.arg, argValue, false, 'none');
        const spec = this.spec(op.task);
        this.#submitChecked(where, op.fn, unit, () => this.executor.submit(TASK_FNS[op.fn], spec, argValue));
        return;
      }
      case 'burst':
        for (let k = 0; k < op.count; k++) {
          const argValue = makeArg(op.arg);
          const unit = this.unit(`op ${index} (burst ${k + 1}/${op.count} ${op.task.do})`, 'ref', op.task, op.arg, argValue, false, 'none');
          this.#submitChecked(where, 'ref', unit, () => this.executor.submit(hostile.act, this.spec(op.task), argValue));
        }
        return;
      case 'submitWith':
        this.#submitWith(index, where, op);
        return;
      case 'map':
        startMap(this, index, where, op);
        return;
      case 'cancel': {
        const tracked = this.tracked[op.target % Math.max(1, this.tracked.length)];
        if (tracked === undefined) return;
        const before = tracked.future.state;
        const answer = tracked.future.cancel();
        const after = tracked.future.state;
        if (answer !== (before === 'PENDING' || before === 'CANCELLED')) this.violations.add(`${where}: cancel() of a ${before} future answered ${answer}`);
        if (answer && after !== 'CANCELLED') this.violations.add(`${where}: cancel() answered true, the future is ${after}`);
        if (answer) tracked.pinned ??= { why: `cancelled by ${where}`, rule: cancelledRule };
        return;
      }
      case 'abort':
        this.#abort(where, op.target);
        return;
      case 'sleep':
        await sleep(op.ms);
        return;
      case 'shutdown': {
        const pending = op.cancelFutures ? this.tracked.filter((t) => t.future.state === 'PENDING') : [];
        this.shutdownCalled = true;
        const promise = this.executor.shutdown({ wait: op.wait, cancelFutures: op.cancelFutures });
        this.#pinCancelled(where, pending);
        this.promises.push(awaited(where, op.wait ? promise.then(() => this.#checkDrained(where)) : promise));
        return;
      }
      case 'terminate':
        // Not awaited: the program goes on while the workers stop (the promise is tracked).
        void this.#terminate(where, op.signal);
        return;
    }
  }

  #submitWith(index: number, where: string, op: Extract<ExecOp, { op: 'submitWith' }>): void {
    let argValue: unknown;
    let transfer: ArrayBuffer[] | object[] | undefined;
    let arg = op.arg;
    switch (op.transfer) {
      case 'none':
        argValue = makeArg(op.arg);
        break;
      case 'fresh':
        argValue = new Uint8Array([1, 2, 3, index]);
        transfer = [(argValue as Uint8Array).buffer];
        arg = 'typed';
        break;
      case 'reuse':
        this.#shared ??= new Uint8Array([9, 8, 7]);
        argValue = this.#shared;
        transfer = [this.#shared.buffer];
        arg = 'typed';
        break;
      case 'invalid':
        argValue = 1;
        transfer = [{}];
        arg = 'number';
        break;
    }
    const label = `op ${index} (submitWith ${op.task.do}${op.signal ? ' +signal' : ''}${op.timeout === undefined ? '' : ` timeout ${op.timeout}`}${op.transfer === 'none' ? '' : ` transfer ${op.transfer}`})`;
    const unit = this.unit(label, 'ref', op.task, arg, argValue, op.timeout !== undefined, op.transfer);
    const controller = op.signal ? new AbortController() : undefined;
    const options = {
      ...(controller === undefined ? {} : { signal: controller.signal }),
      ...(op.timeout === undefined ? {} : { timeout: op.timeout }),
      ...(transfer === undefined ? {} : { transfer: transfer as ArrayBuffer[] }),
    };
    const spec = this.spec(op.task);
    const future = this.#submitChecked(where, 'ref', unit, () => this.executor.submitWith(options, hostile.act, spec, argValue));
    if (controller !== undefined) {
      this.#controllers.push({ controller, tracked: future === undefined ? undefined : this.#byFuture.get(future), reason: new Error(`fuzz abort (${where})`) });
    }
  }

  #abort(where: string, target: number): void {
    const entry = this.#controllers[target % Math.max(1, this.#controllers.length)];
    if (entry === undefined) return;
    const { tracked, reason } = entry;
    const before = tracked?.future.state;
    entry.controller.abort(reason);
    if (tracked === undefined || before === undefined) return;
    const after = tracked.future.state;
    if (entry.controller.signal.reason !== reason) return; // aborted before, by an earlier op: no effect now
    if (before === 'PENDING') {
      if (after !== 'CANCELLED') this.violations.add(`${where}: aborting a PENDING future left it ${after}`);
      tracked.pinned ??= { why: `aborted while PENDING by ${where}`, rule: cancelledRule };
    } else if (before === 'RUNNING') {
      if (after !== 'FINISHED') this.violations.add(`${where}: aborting a RUNNING future left it ${after} (must fail at once)`);
      tracked.pinned ??= {
        why: `aborted while RUNNING by ${where}`,
        rule: errorRule('CancelledError caused by the abort reason', (e) => e instanceof this.errors.CancelledError && e.cause === reason),
      };
    } else if (after !== before) {
      this.violations.add(`${where}: aborting a ${before} future changed it to ${after}`);
    }
  }

  /** shutdown({ cancelFutures }) cancels, synchronously, every future that had not started. */
  #pinCancelled(where: string, pending: readonly Tracked[]): void {
    for (const tracked of pending) {
      if (tracked.future.state !== 'CANCELLED') this.violations.add(`${where}: ${tracked.label} was PENDING and is ${tracked.future.state} after cancelFutures`);
      tracked.pinned ??= { why: `cancelled by ${where}`, rule: cancelledRule };
    }
  }

  /** When shutdown({ wait: true }) resolves, all work is done and every worker has exited. */
  #checkDrained(where: string): void {
    const notDone = this.tracked.filter((t) => !t.future.done());
    if (notDone.length > 0) this.violations.add(`${where}: resolved with ${notDone.map((t) => t.label).join(', ')} not done`);
    if (this.exits.length !== this.starts.length) this.violations.add(`${where}: resolved with ${this.starts.length - this.exits.length} worker(s) not exited`);
  }

  /** terminateWorkers()/killWorkers() fail, synchronously, everything not done with the Broken error. */
  #terminate(where: string, signal: 'SIGTERM' | 'SIGKILL'): Promise<void> {
    const pool = stoppable(this.executor);
    if (pool === undefined) throw new Error(`${where}: ${this.target.name} cannot terminate (generator bug)`);
    const open = this.tracked.filter((t) => !t.future.done());
    this.shutdownCalled = true;
    const promise = signal === 'SIGKILL' && pool.killWorkers !== undefined ? pool.killWorkers() : pool.terminateWorkers();
    const rule = instanceRule('Broken (terminated)', this.errors.Broken);
    for (const tracked of open) {
      if (tracked.future.state !== 'FINISHED') this.violations.add(`${where}: ${tracked.label} is ${tracked.future.state} right after terminate`);
      tracked.pinned ??= { why: `failed by ${where}`, rule };
    }
    this.promises.push(awaited(where, promise.then(() => this.#checkDrained(where))));
    return promise;
  }

  // ─── finale ───────────────────────────────────────────────────────────────

  async #finale(): Promise<void> {
    const { finale } = this.program;
    const where = `finale (${finale})`;
    const stops = finale === 'terminate' || finale === 'kill';
    if (!stops) {
      this.#gate.open();
      this.gateOpened = true;
    }
    // The executor, unless shut down or broken, still runs a plain task (when nothing that
    // could hold every worker forever is left).
    if (!this.shutdownCalled && this.brokenEvents.length === 0 && (this.gateOpened || !hasHangs(this.program))) {
      const unit = this.unit('liveness check (a plain task after the program)', 'ref', { do: 'echo' }, 'number', 42, false, 'none');
      this.#submitChecked(`${where} liveness`, 'ref', unit, () => this.executor.submit(hostile.act, this.spec({ do: 'echo' }), 42));
    }
    let promise: Promise<void>;
    if (stops) {
      promise = this.#terminate(where, finale === 'kill' ? 'SIGKILL' : 'SIGTERM');
    } else if (finale === 'dispose') {
      this.shutdownCalled = true;
      promise = this.executor[Symbol.asyncDispose]().then(() => this.#checkDrained(where));
      this.promises.push(awaited(where, promise));
    } else {
      const pending = finale === 'shutdownCancel' ? this.tracked.filter((t) => t.future.state === 'PENDING') : [];
      this.shutdownCalled = true;
      promise = this.executor.shutdown({ wait: true, cancelFutures: finale === 'shutdownCancel' });
      this.#pinCancelled(where, pending);
      this.promises.push(awaited(where, promise.then(() => this.#checkDrained(where))));
    }
    void promise.then(() => {
      this.finaleDone = true;
    }, () => undefined);
  }
}

