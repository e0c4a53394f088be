// The raw BullMQ worker process of the distributed case: BullMQ's own `Worker` with a
// trivial processor (the job's `x` back) or fib(the job's `n`), what a user of BullMQ writes,
// without our executor. The probe starts it as
//   node --import ./distributed-watch.js ./distributed-raw-worker.js <redis url> <queue> <concurrency> identity|fib
// It prints RAW_WORKER_READY once its Worker is connected, and closes on SIGTERM.
import { pathToFileURL } from 'node:url';
import { Worker } from 'bullmq';
import { fib } from './tasks.js';

export const RAW_WORKER_READY = 'raw-bullmq-worker: ready';

async function main(url: string, queue: string, concurrency: number, task: string): Promise<void> {
  const { hostname, port } = new URL(url);
  const worker = new Worker<{ x?: number; n?: number }, number>(
    queue,
    // BullMQ wants a processor that returns a promise.
    task === 'fib' ? (job) => Promise.resolve(fib(job.data.n ?? NaN)) : (job) => Promise.resolve(job.data.x ?? NaN),
    { connection: { host: hostname, port: Number(port), maxRetriesPerRequest: null }, concurrency },
  );
  worker.on('error', (error) => console.error(`raw-bullmq-worker: ${error.message}`));
  await worker.waitUntilReady();
  console.log(RAW_WORKER_READY);
  process.on('SIGTERM', () => void worker.close().then(() => process.exit(0)));
}

// Run as a script only (the probe imports RAW_WORKER_READY from here).
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [url, queue, concurrency, task] = process.argv.slice(2);
  if (url === undefined || queue === undefined || concurrency === undefined || task === undefined) {
    console.error('usage: distributed-raw-worker.js <redis url> <queue> <concurrency> identity|fib');
    process.exit(2);
  }
  await main(url, queue, Number(concurrency), task);
}
