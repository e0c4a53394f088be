/**
 * The main module of every ProcessPoolExecutor child (started with child_process.fork).
 *
 * The child lives exactly as long as its IPC channel: when the pool closes the channel, or
 * the parent dies (even by SIGKILL, which closes the channel), the child exits (after the
 * bounded before-exit hooks of before-exit.ts, if a package registered any); a child busy
 * in a task is stopped by its agent thread (child-agent.ts), which also gives back jobs the
 * parent takes back before they start. Output goes to the parent's stdout/stderr.
 */
import { runBeforeExit } from '../internal/before-exit.js';
import { startAgent } from './child-agent.js';
import { claimBuffer, Claims } from './claims.js';
import { isToWorker } from './protocol.js';
import { Runner } from './runner.js';

const send = process.send?.bind(process);
if (send === undefined) {
  console.error('@concurrent/futures: process-child.js must be started by a ProcessPoolExecutor (no IPC channel)');
  process.exit(1);
}

function ignoreSendError(): void {
  // The parent is gone or letting this child go: the child exits on 'disconnect'.
}

const mode = process.env.CONCURRENT_FUTURES_SERIALIZATION === 'json' ? 'json' : 'advanced';
// The runner claims every job from the first one on, so that the agent, once it serves the
// parent, never gives back a job that already ran.
const claims = claimBuffer();
const runner = new Runner(
  (message) => {
    // After a disconnect there is no one to tell. The callback takes the error of a write
    // that the disconnect overtakes (EPIPE), which would otherwise be an unhandled 'error'
    // event that kills the child with code 1 as it is let go.
    if (process.connected) send(message, undefined, undefined, ignoreSendError);
  },
  mode,
  new Claims(claims),
);

let watching = false;
process.on('message', (message: unknown) => {
  if (!isToWorker(message)) return;
  // The agent starts with the first user code (an initializer or a job), before it runs:
  // started at boot, its thread would compete with this child's start-up for the cores.
  if (!watching && (message.type === 'run' || (message.type === 'init' && message.initializer !== null))) {
    watching = true;
    startAgent(claims);
  }
  runner.handle(message);
});

// The pool closes the channel to stop an idle child; a dead parent closes it too. Hooks that
// another package registered (before-exit.ts: multiprocessing ends its links, so that owners
// read this child's last frames) run first, for a bounded time; without any, the child exits
// in this turn. A kill or a crash runs none of this.
process.on('disconnect', () => {
  const exiting = runBeforeExit();
  if (exiting === undefined) process.exit(0);
  else void exiting.then(() => process.exit(0));
});

// A task that calls process.exit() (or throws an uncaught error) may end the child in the
// turn in which earlier jobs finished, whose outcomes still wait for the end-of-turn flush.
// Without this, the pool would blame the first of them for the exit, and run the job that
// really exited again on a new child. Best effort: a small message leaves in this call, but
// process.exit() drops one still being written (a large result); and a SIGKILL or
// out-of-memory death runs no JavaScript at all. The pool then blames the oldest job it has
// no answer for.
process.on('exit', () => {
  try {
    runner.flush();
  } catch {
    // Exiting anyway: an outcome that cannot be sent is one the pool reports as the exit.
  }
});
