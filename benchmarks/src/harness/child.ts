// Each measurement runs in a fresh child process: the parent forks this package's own entry
// (dist/main.js) with `--child <suite>/<case>/<probe> --params <json>`, the child runs that
// one probe and sends back a single message. Nothing the probe did (JIT tiers, heap shape,
// pending GC work) can leak into the next measurement.
//
//   parent (main.js)                       child (main.js --child ...)
//   runProbe(id, params) --- fork -------> runChildProbe(): look the probe up, run it
//                        <--- IPC -------- { ok: true, measurement } | { ok: false, error }
//
// Run a child by hand (no IPC: the reply is printed to stdout), e.g. to profile it:
//   node --expose-gc --cpu-prof benchmarks/dist/main.js \
//        --child foundation/throughput/ours --params '{"n":100000,"maxWorkers":100}'
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Measurement, Params, Probe } from './types.js';

/** The entry the children run: this package's dist/main.js. */
const ENTRY = fileURLToPath(new URL('../main.js', import.meta.url));

/** Every child can force a full GC between warm-up and measurement. */
const CHILD_EXEC_ARGV = ['--expose-gc'];

type Reply = { ok: true; measurement: Measurement } | { ok: false; error: string };

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isMeasurement(value: unknown): value is Measurement {
  return isRecord(value) && Object.values(value).every((v) => typeof v === 'number');
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
    let reply: unknown;
    child.on('message', (message) => (reply = message));
    child.on('error', reject);
    child.on('exit', (code, signal) => {
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
 * Child side: parses `--params`, runs the probe, replies over IPC (or prints the reply when
 * started by hand), and exits. Exits explicitly so a stray handle cannot hang the parent.
 */
export async function runChildProbe(id: string, paramsText: string, find: (id: string) => Probe | undefined): Promise<never> {
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
