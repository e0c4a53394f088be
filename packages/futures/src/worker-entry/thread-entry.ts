/**
 * The module tinypool loads in every WorkerThreadPoolExecutor thread; tinypool calls its
 * default export for each message it carries, which is only ever `init`.
 *
 * `init` brings this thread's end of a MessageChannel of ours, and everything after it
 * crosses that channel: jobs and aborts in, results out. A tinypool task returns as soon as
 * `init` is taken, so a thread that dies never leaves a tinypool promise pending (tinypool's
 * thread runtime would wait forever), and a job that cannot be sent fails at once in the
 * parent instead of inside tinypool (see thread-handle.ts).
 */
import type { MessagePort } from 'node:worker_threads';
import { Claims } from './claims.js';
import { isToWorker } from './protocol.js';
import { Runner } from './runner.js';

let runner: Runner | undefined;

// A task that calls process.exit() (or throws an uncaught error) ends this thread, maybe in
// the turn in which earlier jobs finished, whose outcomes still wait for the end-of-turn
// flush. Without this, the pool would blame the first of them for the exit and run the job
// that really exited again on a new thread (as process-child.ts does for children). A
// worker thread runs its 'exit' listeners, and what they post on a MessagePort still
// arrives. An out-of-memory death runs no JavaScript: the pool then blames the oldest job
// it has no answer for.
process.on('exit', () => {
  try {
    runner?.flush();
  } catch {
    // Exiting anyway: an outcome that cannot be sent is one the pool reports as the exit.
  }
});

/** What the pool's thread handle sends through tinypool: `init`, with the channel's port. */
interface Envelope {
  readonly message: unknown;
  readonly port?: MessagePort;
}

export default function handle(envelope: Envelope): null {
  const { message, port } = envelope;
  if (!isToWorker(message) || message.type !== 'init') {
    throw new TypeError('@concurrent/futures: a worker thread expects only init from tinypool');
  }
  if (port === undefined) throw new TypeError('@concurrent/futures: init without a channel port');
  if (runner !== undefined) throw new TypeError('@concurrent/futures: a second init in one worker thread');
  // The pool shares the claims buffer with this thread directly, and takes back jobs itself.
  const claims = message.claims === undefined ? undefined : new Claims(message.claims);
  const started = new Runner((reply, transfer) => port.postMessage(reply, transfer), 'advanced', claims);
  runner = started;
  started.handle(message);
  // Jobs posted before this thread had its port waited in the channel; they arrive now,
  // after init, in the order they were sent.
  port.on('message', (next: unknown) => {
    if (isToWorker(next)) started.handle(next);
  });
  return null;
}
