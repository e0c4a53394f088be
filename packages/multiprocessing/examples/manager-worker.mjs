// A worker of the seed article's distributed example: connects to the master, takes tasks
// until the task queue stays empty, and puts each result back.
import { BaseManager, Empty } from '@concurrent/multiprocessing';

const [host = '127.0.0.1', port = '5000'] = process.argv.slice(2);
class QueueManager extends BaseManager {}
QueueManager.register('getTaskQueue');
QueueManager.register('getResultQueue');

const manager = new QueueManager({ address: [host, Number(port)], authkey: 'abc' });
await manager.connect();
const tasks = await manager.getTaskQueue();
const results = await manager.getResultQueue();
let done = 0;
for (;;) {
  let n;
  try {
    n = await tasks.get({ timeout: 1_000 });
  } catch (error) {
    if (error instanceof Empty) break;
    throw error;
  }
  await results.put(n * n);
  done++;
}
console.log(`worker: ${done} tasks done`);
