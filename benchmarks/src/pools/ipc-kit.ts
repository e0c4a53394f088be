// What the cases that measure @concurrent/multiprocessing's shared objects (sharing, sync) share:
// a child Process that the probe's resources stop, and a run of their Python fixture.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { TaskRef } from '@concurrent/futures';
import { Process } from '@concurrent/multiprocessing';
import type { Resources } from '../harness/resources.js';
import { fixture } from './paths.js';
import { PROBE_DEADLINE_MS } from './settings.js';

const run = promisify(execFile);

/** Starts a child Process that the probe's resources kill and join if it is still there. */
export function startProcess<A extends unknown[]>(resources: Resources, target: TaskRef<A, unknown>, args: A): Process<A> {
  const child = new Process<A>({ target, args });
  child.start();
  resources.add(child.name, child, async () => {
    if (child.isAlive()) child.kill();
    await child.join();
  });
  return child;
}

/** Runs `fixtures/<script>` with one JSON argument and parses the JSON line it prints. */
export async function runPythonFixture<T>(script: string, request: Record<string, unknown>): Promise<T> {
  const { stdout } = await run('python3', [fixture(script), JSON.stringify(request)], { timeout: PROBE_DEADLINE_MS, killSignal: 'SIGKILL' });
  return JSON.parse(stdout) as T;
}
