#!/usr/bin/env node
/**
 * `concurrent-worker`: runs a worker of a DistributedExecutor's queue until SIGTERM or SIGINT,
 * then lets its running jobs finish (a second signal abandons them: BullMQ runs them again
 * elsewhere once they stall).
 *
 * ```sh
 * npx concurrent-worker --connection redis://10.0.0.5:6379 --queue fib --concurrency 8 --executor process
 * ```
 *
 * @module
 */
import { parseArgs } from 'node:util';
import { type ExecutorKind, startWorker } from './worker.js';

const USAGE = `usage: concurrent-worker --connection redis://host:port --queue NAME [--concurrency N] [--executor loop|thread|process] [--root DIR] [--lock-duration MS] [--stalled-interval MS]`;

const { values } = parseArgs({
  options: {
    connection: { type: 'string' },
    queue: { type: 'string' },
    concurrency: { type: 'string' },
    executor: { type: 'string' },
    root: { type: 'string' },
    'lock-duration': { type: 'string' },
    'stalled-interval': { type: 'string' },
    help: { type: 'boolean' },
  },
});
if (values.help === true) {
  console.log(USAGE);
  process.exit(0);
}
if (values.connection === undefined || values.queue === undefined) {
  console.error(USAGE);
  process.exit(2);
}
const worker = await startWorker({
  connection: values.connection,
  queue: values.queue,
  ...(values.concurrency === undefined ? {} : { concurrency: Number(values.concurrency) }),
  ...(values.executor === undefined ? {} : { executor: values.executor as ExecutorKind }),
  ...(values.root === undefined ? {} : { root: values.root }),
  ...(values['lock-duration'] === undefined ? {} : { lockDurationMs: Number(values['lock-duration']) }),
  ...(values['stalled-interval'] === undefined ? {} : { stalledIntervalMs: Number(values['stalled-interval']) }),
});
console.log(`concurrent-worker: taking jobs of '${values.queue}' (${worker.executor.name}, ${String(worker.executor.maxWorkers)} at once)`);
let signals = 0;
const stop = (): void => {
  signals++;
  void worker.close({ force: signals > 1 }).then(() => process.exit(0));
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
