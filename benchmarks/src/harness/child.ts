// Each measurement runs in a fresh child process: the parent forks this package's own entry
// (dist/main.js) with `--child <suite>/<case>/<probe> --params <json>`, the child runs that
// one probe and sends back a single message. Nothing the probe did (JIT tiers, heap shape,
// pending GC work) can leak into the next measurement.
//
//   parent (main.js)                       child (main.js --child ...)
//   runProbe(id, params) --- fork -------> runChildProbe(): look the probe up, run it
//                        <--- IPC -------- { progress: { done, total } }  (any number, optional)
//                        <--- IPC -------- { ok: true, measurement } | { ok: false, error }
//
// Stopping: the parent keeps every live child (stopProbes() ends them on Ctrl-C); a child
// that gets SIGINT/SIGTERM or loses its parent (the IPC channel closes) stops, hard, whatever
// its probe started (pools, servers, Python) and exits, so nothing outlives the benchmark.
//
// Run a child by hand (no IPC: the reply is printed to stdout), e.g. to profile it:
//   node --expose-gc --cpu-prof benchmarks/dist/main.js \
//        --child foundation/throughput/ours --params '{"n":100000,"maxWorkers":100}'
import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { stopEverything } from './resources.js';
import type { Measurement, Params, Probe } from './types.js';

/** The entry the children run: this package's dist/main.js. */
const ENTRY = fileURLToPath(new URL('../main.js', import.meta.url));

/** Every child can force a full GC between warm-up and measurement. */
const CHILD_EXEC_ARGV = ['--expose-gc'];

type Reply = { ok: true; measurement: Measurement } | { ok: false; error: string };

/** A progress report from a running probe: `done` of `total` units (tasks) finished. */
export interface Progress {
  readonly done: number;
  readonly total: number;
}

/** How long a child gets after SIGTERM to stop what it started before it is SIGKILLed. */
const STOP_GRACE_MS = 3_000;

/** Probe children running now (parent side). */
const liveChildren = new Set<ChildProcess>();

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isMeasurement(value: unknown): value is Measurement {
  return isRecord(value) && Object.values(value).every((v) => typeof v === 'number');
}

function isProgressMessage(value: unknown): value is { progress: Progress } {
  if (!isRecord(value) || !isRecord(value['progress'])) return false;
  const { done, total } = value['progress'];
  return typeof done === 'number' && typeof total === 'number';
}

function isReply(value: unknown): value is Reply {
  if (!isRecord(value)) return false;
  if (value['ok'] === true) return isMeasurement(value['measurement']);
  return value['ok'] === false && typeof value['error'] === 'string';
}

function isParams(value: unknown): value is Params {
  return isRecord(value) && Object.values(value).every((v) => typeof v === 'number' || typeof v === 'string');
}

/** Options of {@link runProbe}. */
export interface RunProbeOptions {
  /** Extra node flags for the child, e.g. `['--cpu-prof', '--cpu-prof-dir=prof']`. */
  readonly execArgv?: readonly string[] | undefined;
  /** Called with every progress report the probe sends (see {@link sendProgress}). */
  readonly onProgress?: ((progress: Progress) => void) | undefined;
}

/**
 * Parent side: runs probe `id` (`<suite>/<case>/<probe>`) in a fresh child process.
 *
 * @throws (rejects) if the child fails, exits without replying, or replies garbage.
 */
export function runProbe(id: string, params: Params, options: RunProbeOptions = {}): Promise<Measurement> {
  return new Promise((resolve, reject) => {
    const child = fork(ENTRY, ['--child', id, '--params', JSON.stringify(params)], {
      execArgv: [...CHILD_EXEC_ARGV, ...(options.execArgv ?? [])],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    liveChildren.add(child);
    let reply: unknown;
    child.on('message', (message) => {
      if (isProgressMessage(message)) options.onProgress?.(message.progress);
      else reply = message;
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      liveChildren.delete(child);
      if (!isReply(reply)) {
        const how = signal === null ? `code ${String(code)}` : `signal ${signal}`;
        reject(new Error(`probe ${id} exited (${how}) without a valid reply`));
      } else if (!reply.ok) {
        reject(new Error(`probe ${id} failed: ${reply.error}`));
      } else {
        resolve(reply.measurement);
      }
    });
  });
}

/**
 * Parent side: stops every probe child still running: SIGTERM (the child then stops what its
 * probe started), SIGKILL after {@link STOP_GRACE_MS}. Resolves once all have exited.
 */
export async function stopProbes(): Promise<void> {
  await Promise.all(
    [...liveChildren].map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
          child.once('exit', () => {
            clearTimeout(timer);
            resolve();
          });
          child.kill('SIGTERM');
        }),
    ),
  );
}

/**
 * Child side: reports progress to the parent (a no-op when the child was started by hand).
 * Callers throttle: each report is an IPC message.
 */
export function sendProgress(progress: Progress): void {
  if (process.send !== undefined && process.connected) process.send({ progress });
}

/** Child side: on a signal or a lost parent, stop what the probe started, then exit. */
function exitWhenStopped(): void {
  let stopping = false;
  const stop = (code: number): void => {
    if (stopping) return;
    stopping = true;
    void stopEverything().finally(() => process.exit(code));
  };
  process.once('SIGINT', () => stop(130));
  process.once('SIGTERM', () => stop(143));
  // The parent died (even by SIGKILL, which closes the channel): no one will read the reply.
  process.once('disconnect', () => stop(1));
}

/**
 * Child side: parses `--params`, runs the probe, replies over IPC (or prints the reply when
 * started by hand), and exits. Exits explicitly so a stray handle cannot hang the parent.
 */
export async function runChildProbe(id: string, paramsText: string, find: (id: string) => Probe | undefined): Promise<never> {
  exitWhenStopped();
  let reply: Reply;
  try {
    const probe = find(id);
    if (probe === undefined) throw new Error(`no probe named ${id}`);
    const params: unknown = JSON.parse(paramsText);
    if (!isParams(params)) throw new TypeError(`--params must be a flat JSON object of numbers and strings, got ${paramsText}`);
    reply = { ok: true, measurement: await probe(params) };
  } catch (error) {
    reply = { ok: false, error: error instanceof Error ? (error.stack ?? error.message) : String(error) };
  }
  const send = process.send?.bind(process);
  if (send === undefined) {
    process.stdout.write(`${JSON.stringify(reply)}\n`);
  } else {
    await new Promise<void>((resolve) => send(reply, undefined, undefined, () => resolve()));
  }
  process.exit(reply.ok ? 0 : 1);
}
