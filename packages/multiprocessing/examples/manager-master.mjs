// The master of the seed article's distributed example: it serves a task queue and a result
// queue over TCP; workers on other hosts connect with the address and the authkey.
import { execFile } from 'node:child_process';
import { BaseManager, Queue } from '@concurrent/multiprocessing';

class QueueManager extends BaseManager {}
const taskQueue = new Queue();
const resultQueue = new Queue();
QueueManager.register('getTaskQueue', () => taskQueue);
QueueManager.register('getResultQueue', () => resultQueue);

const manager = new QueueManager({ address: ['127.0.0.1', 0], authkey: 'abc' });
await manager.start();
const [host, port] = manager.address;

for (let n = 0; n < 10; n++) await taskQueue.put(n);
// Here the worker is a node process on this host; elsewhere: `node manager-worker.mjs master-host 5000`.
const worker = execFile(process.execPath, [new URL('./manager-worker.mjs', import.meta.url).pathname, host, String(port)]);
worker.stdout.pipe(process.stdout);

let sum = 0;
for (let n = 0; n < 10; n++) sum += await resultQueue.get({ timeout: 30_000 });
console.log(`result: 10 tasks squared by the worker, sum ${sum}`);
await new Promise((resolve) => worker.on('exit', resolve));
await manager.shutdown();
