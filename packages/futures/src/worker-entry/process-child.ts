/**
 * The main module of every ProcessPoolExecutor child (started with child_process.fork).
 *
 * The child lives exactly as long as its IPC channel: when the pool closes the channel, or
 * the parent dies (even by SIGKILL, which closes the channel), the child exits. Output
 * goes to the parent's stdout/stderr.
 */
import { isToWorker } from './protocol.js';
import { Runner } from './runner.js';

const send = process.send?.bind(process);
if (send === undefined) {
  console.error('@concurrent/futures: process-child.js must be started by a ProcessPoolExecutor (no IPC channel)');
  process.exit(1);
}

const mode = process.env.CONCURRENT_FUTURES_SERIALIZATION === 'json' ? 'json' : 'advanced';
const runner = new Runner((message) => {
  send(message);
}, mode);

process.on('message', (message: unknown) => {
  if (isToWorker(message)) runner.handle(message);
});

// The pool closes the channel to stop an idle child; a dead parent closes it too.
process.on('disconnect', () => process.exit(0));
