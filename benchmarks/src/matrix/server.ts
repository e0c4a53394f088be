// The loopback HTTP server of the IO and mixed workloads (fixtures/latency-server.mjs), run
// by the parent in a child process of its own: serving never competes with a probe's event
// loop, and the same server outlives every probe child. It binds 127.0.0.1 on a port the OS
// picks and exits when its IPC channel closes, so even a SIGKILLed benchmark leaves no server.
import { fork } from 'node:child_process';
import type { Resources } from '../harness/resources.js';
import { fixture } from '../pools/paths.js';

/** How long the server may take to report its port. */
const START_TIMEOUT_MS = 10_000;

function isPortMessage(value: unknown): value is { port: number } {
  return typeof value === 'object' && value !== null && typeof (value as { port?: unknown }).port === 'number';
}

/**
 * Starts the server, registered in `resources` (stopped with them).
 *
 * @returns its port and pid.
 * @throws (rejects) if it exits or does not report a port within START_TIMEOUT_MS.
 */
export function startServer(resources: Resources): Promise<{ port: number; pid: number }> {
  const child = fork(fixture('latency-server.mjs'), [], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'], execArgv: [] });
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
  resources.add('loopback HTTP server', child, async (hard) => {
    if (child.exitCode === null && child.signalCode === null) child.kill(hard ? 'SIGKILL' : 'SIGTERM');
    await exited;
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the HTTP server did not start within ${START_TIMEOUT_MS} ms`)), START_TIMEOUT_MS);
    child.once('message', (message) => {
      clearTimeout(timer);
      if (isPortMessage(message) && child.pid !== undefined) resolve({ port: message.port, pid: child.pid });
      else reject(new Error(`the HTTP server sent ${JSON.stringify(message)} instead of its port`));
    });
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`the HTTP server exited before it listened (code ${String(code)}, signal ${String(signal)})`));
    });
  });
}
