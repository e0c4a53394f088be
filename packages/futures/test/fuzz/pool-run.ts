/**
 * Runs one fuzz program on a fresh `Pool` or `ThreadPool` and checks it: what must hold at
 * once (calls refused after `close()`/`terminate()`, results failed by `terminate()`), then,
 * after the finale, that every result, promise and `imap` iteration settled within the bound
 * and as the pool's contract allows, callbacks ran once and before `ready()`, and no child
 * outlives the pool.
 *
 * @module
 */
import { setTimeout as sleep } from 'node:timers/promises';
import * as futures from '../../dist/index.js';
import type { WorkerInfo } from '../../dist/index.js';
import { type AsyncResult, type BasePool, type IMapIterator, ValueError } from '../../../multiprocessing/dist/index.js';
import { type Gate, Scratch } from '../fixtures/harness.js';
import type { Behaviour, Spec } from '../fixtures/hostile-tasks.mjs';
import type { Environment, ErrorClasses, Outcome, Unit } from './outcomes.js';
import { checkPoolFinal } from './pool-checks.js';
import { countPoolFaults, hasDeaths, hasHangs, type ProgramFigures } from './program-facts.js';
import { type PoolOp, type PoolProgram, type PoolTarget, poolHostile } from './pool-program.js';
import type { Consume, Item } from './program.js';
import { awaited, type Awaited, bounded, DISPOSE_BOUND_MS, isOurChild, settleAll, settleBound, Violations } from './tracking.js';
import { type ArgKind, isSendable, makeArg, show, snapshot } from './values.js';

/** One result the program asked for: an apply/map promise or an AsyncResult. */
export interface PoolResult {
  readonly label: string;
  readonly units: readonly Unit[];
  /** A map's result is the array of its items' values. */
  readonly many: boolean;
  readonly async: AsyncResult<unknown> | undefined;
  outcome: Outcome | undefined;
  /** The pool was terminated while this was not ready: CancelledError is allowed (or pinned). */
  terminated: 'pinned' | 'allowed' | undefined;
  /** Made on a pool that was not running: the promise must reject with this. */
  refused: ((error: unknown) => boolean) | undefined;
  callbacks: { readonly calls: { readonly ok: boolean; readonly value: unknown; readonly readyThen: boolean }[] } | undefined;
  gets: { readonly readyBefore: boolean; readonly outcome: Outcome }[];
}

export interface ImapRun {
  readonly label: string;
  readonly ordered: boolean;
  readonly chunksize: number;
  readonly units: readonly Unit[];
  readonly events: ({ readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly error: unknown })[];
  end: 'done' | 'returned' | 'unread' | undefined;
}


/** Runs `program` on a new pool of `target`; throws listing every violation found. */
export async function runPoolProgram(target: PoolTarget, program: PoolProgram): Promise<ProgramFigures> {
  const scratch = await Scratch.create();
  const run = new PoolRun(target, program, scratch.gate());
  let summary = '';
  try {
    await run.run();
  } finally {
    summary = run.summary();
    await run.dispose();
    await scratch.remove();
  }
  if (run.violations.list.length > 0) throw new Error(`${target.name}: ${run.violations.list.length} violation(s):\n- ${run.violations.list.join('\n- ')}\n${summary}`);
  return { operations: program.ops.length + 1, faults: countPoolFaults(program) };
}

export class PoolRun {
  readonly violations = new Violations();
  readonly results: PoolResult[] = [];
  readonly imaps: ImapRun[] = [];
  readonly promises: Awaited[] = [];
  readonly starts: WorkerInfo[] = [];
  readonly exits: WorkerInfo[] = [];
  readonly pool: BasePool;
  readonly errors: ErrorClasses;
  state: 'RUN' | 'CLOSE' | 'TERMINATE' = 'RUN';
  gateOpened = false;
  #stopped = false;

  constructor(
    readonly target: PoolTarget,
    readonly program: PoolProgram,
    readonly gate: Gate,
  ) {
    this.errors = { ...futures, Broken: target.Broken };
    this.pool = target.make(program.config);
    this.pool.on('workerStart', (info) => this.starts.push(info));
    this.pool.on('workerExit', (info) => this.exits.push(info));
    this.pool.on('callbackError', (error) => this.violations.add(`callbackError: ${String(error)}`));
  }

  get environment(): Environment {
    const { config } = this.program;
    return {
      errors: this.errors,
      inProcess: this.target.caps.inProcess,
      transfers: false,
      gateOpened: this.gateOpened,
      taskTimeout: false,
      deaths: hasDeaths(this.program),
      stops: hasDeaths(this.program),
      onWorkerExit: 'replace',
      initializerBreaks: config.initializer === 'fail' || config.initializer === 'exit',
    };
  }

  async run(): Promise<void> {
    for (const [index, op] of this.program.ops.entries()) await this.#op(index, op);
    await this.#finale();
    const left = await settleAll([], this.promises, settleBound(this.program));
    if (left.length > 0) {
      this.violations.add(`not settled within the bound after the last operation: ${left.join('; ')}`);
      return;
    }
    await checkPoolFinal(this);
  }

  async dispose(): Promise<void> {
    this.gate.open();
    if (!this.#stopped && (await bounded(this.pool.terminate(), DISPOSE_BOUND_MS)) === 'timeout') {
      this.violations.add(`dispose: terminate() did not resolve within ${DISPOSE_BOUND_MS / 1000} s`);
    }
    for (const info of this.starts) if (info.pid !== undefined && isOurChild(info.pid)) process.kill(info.pid, 'SIGKILL');
  }

  summary(): string {
    return `results: ${this.results.length} (${this.results.filter((r) => r.outcome === undefined).length} unsettled); workers started ${this.starts.length}, exited ${this.exits.length}`;
  }

  #unit(label: string, task: Behaviour, arg: ArgKind): Unit {
    const argValue = makeArg(arg);
    return { label, fn: 'ref', task, arg, argValue, expected: isSendable(arg) ? snapshot(argValue) : undefined, timeout: false, transfer: 'none' };
  }

  #spec(task: Behaviour): Spec {
    return { ...task, gate: this.gate.path, guardPid: process.pid };
  }

  /** The error a call must throw (or reject with) now; `maybe` if a break may or may not have happened yet. */
  #refusal(): { must: (e: unknown) => boolean } | { maybe: (e: unknown) => boolean } | undefined {
    if (this.state !== 'RUN') return { must: (e) => e instanceof ValueError && e.message === 'Pool not running' };
    const env = this.environment;
    if (env.initializerBreaks || env.deaths) return { maybe: (e) => e instanceof this.errors.Broken };
    return undefined;
  }

  /** Makes a call that returns a result or throws; checks the throw against `#refusal`. */
  #call<T>(where: string, call: () => T): T | undefined {
    const refusal = this.#refusal();
    try {
      const value = call();
      if (refusal !== undefined && 'must' in refusal) this.violations.add(`${where}: returned where it must throw`);
      return value;
    } catch (error) {
      const accept = refusal === undefined ? undefined : 'must' in refusal ? refusal.must : refusal.maybe;
      if (accept === undefined || !accept(error)) this.violations.add(`${where}: threw ${show(error)} unexpectedly`);
      return undefined;
    }
  }

  #result(label: string, units: readonly Unit[], many: boolean, async: AsyncResult<unknown> | undefined, promise: Promise<unknown>): PoolResult {
    const result: PoolResult = { label, units, many, async, outcome: undefined, terminated: undefined, refused: undefined, callbacks: undefined, gets: [] };
    this.results.push(result);
    const settled = promise.then(
      (value) => {
        result.outcome = { state: 'FINISHED', ok: true, value };
      },
      (error: unknown) => {
        result.outcome = { state: 'FINISHED', ok: false, error };
      },
    );
    this.promises.push(awaited(label, settled));
    return result;
  }

  #callbacks(result: { current: PoolResult | undefined }, log: NonNullable<PoolResult['callbacks']>['calls']): { callback: (v: unknown) => void; errorCallback: (e: unknown) => void } {
    return {
      callback: (value) => log.push({ ok: true, value, readyThen: result.current?.async?.ready() ?? false }),
      errorCallback: (error) => log.push({ ok: false, value: error, readyThen: result.current?.async?.ready() ?? false }),
    };
  }

  async #op(index: number, op: PoolOp): Promise<void> {
    const where = `op ${index} (${op.op})`;
    switch (op.op) {
      case 'apply': {
        const unit = this.#unit(`op ${index} (apply ${op.task.do} ${op.arg})`, op.task, op.arg);
        const refusal = this.#refusal();
        // apply() never throws; a refused call is a rejected promise.
        const result = this.#result(unit.label, [unit], false, undefined, this.pool.apply(poolHostile.act, [this.#spec(op.task), unit.argValue]));
        if (refusal !== undefined && 'must' in refusal) result.refused = refusal.must;
        return;
      }
      case 'applyAsync': {
        const unit = this.#unit(`op ${index} (applyAsync ${op.task.do} ${op.arg})`, op.task, op.arg);
        const holder: { current: PoolResult | undefined } = { current: undefined };
        const log: NonNullable<PoolResult['callbacks']>['calls'] = [];
        const options = op.callbacks ? this.#callbacks(holder, log) : undefined;
        const async = this.#call(where, () => this.pool.applyAsync(poolHostile.act, [this.#spec(op.task), unit.argValue], options));
        if (async === undefined) return;
        holder.current = this.#result(unit.label, [unit], false, async, async.get());
        if (op.callbacks) holder.current.callbacks = { calls: log };
        return;
      }
      case 'map':
        this.#map(index, where, op);
        return;
      case 'imap':
        this.#imap(index, where, op);
        return;
      case 'get': {
        const asyncs = this.results.filter((r) => r.async !== undefined);
        const result = asyncs[op.target % Math.max(1, asyncs.length)];
        if (result?.async === undefined) return;
        const readyBefore = result.async.ready();
        const outcome = await result.async.get(op.ms).then(
          (value): Outcome => ({ state: 'FINISHED', ok: true, value }),
          (error: unknown): Outcome => ({ state: 'FINISHED', ok: false, error }),
        );
        result.gets.push({ readyBefore, outcome });
        return;
      }
      case 'sleep':
        await sleep(op.ms);
        return;
      case 'close':
        this.pool.close();
        if (this.state === 'RUN') this.state = 'CLOSE';
        return;
      case 'join': {
        const running = this.state === 'RUN';
        const promise = this.pool.join();
        if (running) {
          this.promises.push(awaited(where, promise.then(
            () => this.violations.add(`${where}: join() before close() resolved`),
            (error: unknown) => {
              if (!(error instanceof ValueError && error.message === 'Pool is still running')) this.violations.add(`${where}: join() before close() rejected with ${show(error)}`);
            },
          )));
        } else {
          this.promises.push(awaited(where, promise.then(() => this.#checkJoined(where))));
        }
        return;
      }
      case 'terminate':
        // Not awaited: the program goes on while the workers stop (the promise is tracked).
        void this.#terminate(where);
        return;
    }
  }

  #map(index: number, where: string, op: Extract<PoolOp, { op: 'map' }>): void {
    const units = op.items.map((item: Item, i) => this.#unit(`op ${index} (map) item ${i} (${item.task.do} ${item.arg})`, item.task, item.arg));
    const label = `op ${index} (${op.star ? 'star' : ''}map${op.async ? 'Async' : ''} of ${units.length})`;
    const options = op.chunksize === undefined ? undefined : { chunksize: op.chunksize };
    const items = units.map((unit) => ({ spec: this.#spec(unit.task), arg: unit.argValue }));
    const starItems = items.map(({ spec, arg }): [Spec, unknown] => [spec, arg]);
    if (!op.async) {
      const refusal = this.#refusal();
      const promise = op.star ? this.pool.starmap(poolHostile.act, starItems, options) : this.pool.map(poolHostile.actOn, items, options);
      const result = this.#result(label, units, true, undefined, promise);
      if (refusal !== undefined && 'must' in refusal) result.refused = refusal.must;
      return;
    }
    const async = this.#call(where, () => (op.star ? this.pool.starmapAsync(poolHostile.act, starItems, options) : this.pool.mapAsync(poolHostile.actOn, items, options)));
    if (async !== undefined) this.#result(label, units, true, async, async.get());
  }

  #imap(index: number, where: string, op: Extract<PoolOp, { op: 'imap' }>): void {
    const units = op.items.map((item: Item, i) => this.#unit(`op ${index} (imap) item ${i} (${item.task.do} ${item.arg})`, item.task, item.arg));
    const label = `op ${index} (imap${op.ordered ? '' : 'Unordered'} of ${units.length}, chunksize ${op.chunksize ?? 1})`;
    const options = { ...(op.chunksize === undefined ? {} : { chunksize: op.chunksize }), ...(op.buffersize === undefined ? {} : { buffersize: op.buffersize }) };
    const items = units.map((unit) => ({ spec: this.#spec(unit.task), arg: unit.argValue }));
    const iterator = this.#call(where, () => (op.ordered ? this.pool.imap(poolHostile.actOn, items, options) : this.pool.imapUnordered(poolHostile.actOn, items, options)));
    if (iterator === undefined) return;
    const run: ImapRun = { label, ordered: op.ordered, chunksize: op.chunksize ?? 1, units, events: [], end: undefined };
    this.imaps.push(run);
    this.promises.push(awaited(label, this.#consume(run, iterator, op.consume)));
  }

  async #consume(run: ImapRun, iterator: IMapIterator<unknown>, consume: Consume): Promise<void> {
    if (consume.how === 'none') {
      run.end = 'unread';
      return;
    }
    const limit = consume.how === 'take' ? consume.n : Infinity;
    // Every item gives at most one event, plus one error that ends the iteration.
    for (let reads = 0; run.events.length < limit; reads++) {
      if (reads > run.units.length + 1) {
        this.violations.add(`${run.label}: more than ${run.units.length + 1} results from ${run.units.length} items`);
        break;
      }
      try {
        const next = await iterator.next();
        if (next.done === true) {
          run.end = 'done';
          return;
        }
        run.events.push({ ok: true, value: next.value });
      } catch (error) {
        run.events.push({ ok: false, error });
      }
    }
    await iterator.return();
    run.end = 'returned';
  }

  #terminate(where: string): Promise<void> {
    const open = this.results.filter((r) => r.async !== undefined && !r.async.ready());
    const unsettled = this.results.filter((r) => r.outcome === undefined);
    this.state = 'TERMINATE';
    const promise = this.pool.terminate();
    this.#stopped = true;
    for (const result of unsettled) result.terminated ??= 'allowed';
    for (const result of open) {
      // An AsyncResult not ready fails with CancelledError at once (CPython leaves it pending).
      if (result.async?.ready() !== true) this.violations.add(`${where}: ${result.label} is not ready right after terminate()`);
      result.terminated = 'pinned';
    }
    this.promises.push(awaited(where, promise.then(() => this.#checkStopped(where))));
    return promise;
  }

  /** When terminate() resolves, every worker has exited (Pool; ThreadPool's run on). */
  #checkStopped(where: string): void {
    if (this.exits.length !== this.starts.length) this.violations.add(`${where}: resolved with ${this.starts.length - this.exits.length} worker(s) not exited`);
  }

  /** When join() resolves, all results are ready and every worker has exited. */
  #checkJoined(where: string): void {
    const notReady = this.results.filter((r) => r.async !== undefined && !r.async.ready());
    if (notReady.length > 0) this.violations.add(`${where}: join() resolved with ${notReady.map((r) => r.label).join(', ')} not ready`);
    this.#checkStopped(where);
  }

  async #finale(): Promise<void> {
    const { finale } = this.program;
    const where = `finale (${finale})`;
    const stops = finale !== 'closeJoin';
    if (!stops) {
      this.gate.open();
      this.gateOpened = true;
    }
    if (this.state === 'RUN' && (this.gateOpened || !hasHangs(this.program))) {
      const unit = this.#unit('liveness check (a plain apply after the program)', { do: 'echo' }, 'number');
      this.#result(unit.label, [unit], false, undefined, this.pool.apply(poolHostile.act, [this.#spec({ do: 'echo' }), unit.argValue]));
    }
    if (stops) {
      const stopped = finale === 'dispose' ? this.#dispose(where) : this.#terminate(where);
      // A ThreadPool cannot stop what runs on the event loop: let it end, then join.
      const joined = stopped.then(async () => {
        this.gate.open();
        await this.pool.join();
        this.#checkJoined(`${where} join`);
      });
      this.promises.push(awaited(`${where} join`, joined));
    } else {
      this.pool.close();
      if (this.state === 'RUN') this.state = 'CLOSE';
      this.promises.push(awaited(`${where} join`, this.pool.join().then(() => this.#checkJoined(`${where} join`))));
    }
  }

  #dispose(where: string): Promise<void> {
    const open = this.results.filter((r) => r.async !== undefined && !r.async.ready());
    for (const result of this.results) if (result.outcome === undefined) result.terminated ??= 'allowed';
    this.state = 'TERMINATE';
    const promise = this.pool[Symbol.asyncDispose]();
    this.#stopped = true;
    for (const result of open) {
      if (result.async?.ready() !== true) this.violations.add(`${where}: ${result.label} is not ready right after dispose`);
      result.terminated = 'pinned';
    }
    this.promises.push(awaited(where, promise.then(() => this.#checkStopped(where))));
    return promise;
  }
}
