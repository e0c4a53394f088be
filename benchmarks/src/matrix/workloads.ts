// The matrix's workloads: what one task does, how many tasks a run has (full and --quick),
// and how a task is run through an executor or directly (the sequential baseline). The
// tasks themselves are in tasks.ts, shared by every executor.
import { type Executor, moduleTasks } from '@concurrent/futures';
import { numberParam } from '../harness/probe-kit.js';
import type { Params } from '../harness/types.js';
import { count } from '../harness/format.js';
import * as direct from './tasks.js';

/** How a workload spends its time: decides what "ideal" means for it (see report.ts). */
export type WorkloadKind = 'cpu' | 'io' | 'mixed' | 'tiny';

export type WorkloadName = 'fib' | 'hash' | 'http' | 'timers' | 'mixed' | 'tiny';

/** A workload bound to one run's parameters, inside a probe child. */
export interface BoundWorkload {
  /** Tasks in the timed pass. */
  readonly n: number;
  /** Runs task `i` on `executor`. */
  submit(executor: Executor, i: number): PromiseLike<unknown>;
  /** Runs task `i` in this thread (a value, or a promise for the IO tasks). */
  direct(i: number): unknown;
  /** Whether `value` is what task `i` must return. */
  check(value: unknown, i: number): boolean;
}

export interface Workload {
  readonly name: WorkloadName;
  readonly kind: WorkloadKind;
  /** `fib(31) ×48`, from the run's parameters. */
  label(params: Params): string;
  /** One line on what a task does, for the notes. */
  readonly description: string;
  /** Whether tasks talk to the loopback HTTP server (its port is then in the parameters). */
  readonly needsServer: boolean;
  /** The run's parameters (sizes are smaller in a --quick smoke run). */
  params(quick: boolean): Params;
  bind(params: Params): BoundWorkload;
}

/** The tasks as typed TaskRefs: every executor, ThreadPoolExecutor included, runs these. */
export const tasks = moduleTasks<typeof import('./tasks.js')>(new URL('./tasks.js', import.meta.url));

/** Binds a workload whose every task returns the same value. */
function uniform(
  n: number,
  submit: (executor: Executor) => PromiseLike<unknown>,
  run: () => unknown,
  expected: unknown,
): BoundWorkload {
  return { n, submit: (executor) => submit(executor), direct: () => run(), check: (value) => value === expected };
}

/** Server latency (ms) of the IO and mixed tasks: long next to dispatch, short enough to run many. */
const LATENCY_MS = 10;

const fib: Workload = {
  name: 'fib',
  kind: 'cpu',
  label: (p) => `fib(${numberParam(p, 'fib')}) ×${numberParam(p, 'n')}`,
  description: 'recursive Fibonacci, pure JavaScript',
  needsServer: false,
  params: (quick) => (quick ? { n: 16, fib: 24 } : { n: 48, fib: 31 }),
  bind(p) {
    const k = numberParam(p, 'fib');
    return uniform(numberParam(p, 'n'), (e) => e.submit(tasks.fib, k), () => direct.fib(k), direct.fib(k));
  },
};

const hash: Workload = {
  name: 'hash',
  kind: 'cpu',
  label: (p) => `sha256 ${numberParam(p, 'kib')} KiB ×${numberParam(p, 'rounds')}, ×${numberParam(p, 'n')}`,
  description: 'node:crypto SHA-256 over a buffer, chained rounds (native code, but on the calling thread)',
  needsServer: false,
  params: (quick) => (quick ? { n: 16, kib: 64, rounds: 16 } : { n: 48, kib: 64, rounds: 256 }),
  bind(p) {
    const bytes = numberParam(p, 'kib') * 1024;
    const rounds = numberParam(p, 'rounds');
    const expected = direct.hash(bytes, rounds);
    return uniform(numberParam(p, 'n'), (e) => e.submit(tasks.hash, bytes, rounds), () => direct.hash(bytes, rounds), expected);
  },
};

const httpGets: Workload = {
  name: 'http',
  kind: 'io',
  label: (p) => `GET ${numberParam(p, 'ms')} ms ×${numberParam(p, 'n')}`,
  description: 'an HTTP GET to the loopback server, which answers after a fixed latency with 1 KiB',
  needsServer: true,
  params: (quick) => (quick ? { n: 16, ms: 2, bytes: 1024 } : { n: 48, ms: LATENCY_MS, bytes: 1024 }),
  bind(p) {
    const port = numberParam(p, 'port');
    const ms = numberParam(p, 'ms');
    const bytes = numberParam(p, 'bytes');
    return uniform(
      numberParam(p, 'n'),
      (e) => e.submit(tasks.fetchBody, port, ms, bytes),
      () => direct.fetchBody(port, ms, bytes),
      bytes,
    );
  },
};

const timers: Workload = {
  name: 'timers',
  kind: 'io',
  label: (p) => `sleep ${numberParam(p, 'ms')} ms ×${numberParam(p, 'n')}`,
  description: 'a timer wait (setTimeout), the purest IO-bound task',
  needsServer: false,
  params: (quick) => (quick ? { n: 16, ms: 2 } : { n: 48, ms: LATENCY_MS }),
  bind(p) {
    const ms = numberParam(p, 'ms');
    return uniform(numberParam(p, 'n'), (e) => e.submit(tasks.sleep, ms), () => direct.sleep(ms), ms);
  },
};

const mixed: Workload = {
  name: 'mixed',
  kind: 'mixed',
  label: (p) =>
    `GET ${numberParam(p, 'ms')} ms + sha256 ${numberParam(p, 'kib')} KiB ×${numberParam(p, 'rounds')}, ×${numberParam(p, 'n')}`,
  description: 'an HTTP GET (fixed latency) whose body is then hashed (CPU work on what came back)',
  needsServer: true,
  params: (quick) =>
    quick ? { n: 12, ms: 2, kib: 64, rounds: 4 } : { n: 32, ms: LATENCY_MS, kib: 256, rounds: 40 },
  bind(p) {
    const port = numberParam(p, 'port');
    const ms = numberParam(p, 'ms');
    const bytes = numberParam(p, 'kib') * 1024;
    const rounds = numberParam(p, 'rounds');
    return uniform(
      numberParam(p, 'n'),
      (e) => e.submit(tasks.fetchAndHash, port, ms, bytes, rounds),
      () => direct.fetchAndHash(port, ms, bytes, rounds),
      direct.expectedBodyHash(bytes, rounds),
    );
  },
};

const tiny: Workload = {
  name: 'tiny',
  kind: 'tiny',
  label: (p) => `identity ×${count(numberParam(p, 'n'))}`,
  description: 'a trivial task (returns its argument): all of its cost is dispatch, the per-task overhead',
  needsServer: false,
  params: (quick) => ({ n: quick ? 1_000 : 10_000 }),
  bind(p) {
    return {
      n: numberParam(p, 'n'),
      submit: (e, i) => e.submit(tasks.identity, i),
      direct: (i) => direct.identity(i),
      check: (value, i) => value === i,
    };
  },
};

/** Every workload, in the order a run takes them (and the table lists them). */
export const WORKLOADS: readonly Workload[] = [fib, hash, httpGets, timers, mixed, tiny];
