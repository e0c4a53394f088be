// Python's ProcessPoolExecutor as a reference: fixtures/pools.py runs the workload and prints
// its timings as one JSON line. Python is started in a process group of its own, with a stdin
// it watches: a failed probe kills the whole group, and if this process dies, the script sees
// its stdin close and kills its group itself, so no Python worker outlives the benchmark.
import { spawn, spawnSync } from 'node:child_process';
import { fixture } from './paths.js';
import type { Resources } from '../harness/resources.js';

/**
 * Which Python pool: concurrent.futures' ProcessPoolExecutor (the default) or
 * ThreadPoolExecutor, or multiprocessing.Pool.
 */
export type PythonPool = 'process' | 'thread' | 'multiprocessing';

/** What the script is asked to run (see fixtures/pools.py). */
export type PythonWorkload =
  | {
      readonly workload: 'tiny';
      readonly n: number;
      readonly warmup: number;
      readonly workers: number;
      readonly pool?: PythonPool;
    }
  | {
      readonly workload: 'map';
      readonly n: number;
      readonly warmup: number;
      readonly workers: number;
      /** null: the pool's default (multiprocessing.Pool.map computes one). */
      readonly chunksize: number | null;
      readonly pool?: PythonPool;
    };

/** The script's timings, in milliseconds. */
export interface PythonTimings {
  /** Constructor to the first result. */
  readonly startupMs: number;
  /** The unmeasured pass. */
  readonly warmupMs: number;
  /** The timed pass. */
  readonly totalMs: number;
}

let cachedVersion: string | null | undefined;

/** `3.11.7` when `python3` is on the PATH with concurrent.futures; undefined otherwise. */
export function pythonVersion(): string | undefined {
  if (cachedVersion === undefined) {
    const probe = spawnSync('python3', ['-c', 'import concurrent.futures, sys; print(sys.version.split()[0])'], {
      encoding: 'utf8',
      timeout: 10_000,
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    cachedVersion = probe.status === 0 ? probe.stdout.trim() : null;
  }
  return cachedVersion ?? undefined;
}

function isTimings(value: unknown): value is PythonTimings {
  if (typeof value !== 'object' || value === null) return false;
  const record = value as Record<string, unknown>;
  return ['startupMs', 'warmupMs', 'totalMs'].every((key) => typeof record[key] === 'number');
}

/**
 * Runs the Python script for `workload` and returns its timings.
 *
 * @throws (rejects) if python3 cannot start, exits non-zero, or prints no timings.
 */
export function runPython(resources: Resources, workload: PythonWorkload): Promise<PythonTimings> {
  const child = spawn('python3', [fixture('pools.py'), JSON.stringify({ ...workload, watchStdin: true })], {
    detached: true,
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const exited = new Promise<number | null>((resolve) => {
    child.once('close', (code) => resolve(code));
    // A failed spawn emits 'error' and possibly no 'close'.
    child.once('error', () => resolve(null));
  });
  // Closing stdin after Python exited may raise EPIPE on the stream: nothing to report.
  child.stdin.on('error', () => undefined);
  resources.add('python3', child, async (hard) => {
    const { pid } = child;
    if (hard && pid !== undefined && child.exitCode === null && child.signalCode === null) {
      try {
        process.kill(-pid, 'SIGKILL'); // the group: Python and its pool's workers
      } catch {
        // Gone already.
      }
    }
    child.stdin.end();
    await exited;
  });
  let stdout = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => (stdout += chunk));
  return new Promise<PythonTimings>((resolve, reject) => {
    child.once('error', (error) => reject(new Error(`python3 could not be started: ${error.message}`)));
    void exited.then((code) => {
      const line = stdout.trim().split('\n').at(-1) ?? '';
      let parsed: unknown;
      try {
        parsed = JSON.parse(line);
      } catch {
        parsed = undefined;
      }
      if (code === 0 && isTimings(parsed)) resolve(parsed);
      else reject(new Error(`python3 pools.py exited with ${String(code)} and printed ${JSON.stringify(stdout.slice(-500))}`));
    });
  });
}
