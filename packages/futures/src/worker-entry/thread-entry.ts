/**
 * The module tinypool loads in every WorkerThreadPoolExecutor thread; tinypool calls its
 * default export once per message.
 *
 * Tinypool carries messages *into* the thread (init, run, abort). Results go back over a
 * MessagePort of our own, handed over with `init`: a tinypool task returns as soon as the
 * message is taken, so jobs are answered one by one as they finish, and a thread that dies
 * never leaves a tinypool promise pending (tinypool's thread runtime would wait forever).
 */
import type { MessagePort } from 'node:worker_threads';
import { isToWorker } from './protocol.js';
import { Runner } from './runner.js';

let runner: Runner | undefined;

/** What the pool's thread handle sends: a protocol message, with the port on `init`. */
interface Envelope {
  readonly message: unknown;
  readonly port?: MessagePort;
}

export default function handle(envelope: Envelope): null {
  const { message, port } = envelope;
  if (!isToWorker(message)) throw new TypeError('@concurrent/futures: unexpected message in a worker thread');
  if (message.type === 'init') {
    if (port === undefined) throw new TypeError('@concurrent/futures: init without a result port');
    runner = new Runner((reply) => port.postMessage(reply), 'advanced');
  }
  if (runner === undefined) throw new TypeError('@concurrent/futures: a message arrived before init');
  runner.handle(message);
  return null;
}
