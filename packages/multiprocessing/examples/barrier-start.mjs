import { moduleTasks } from '@concurrent/futures';
import { Barrier, Process, Queue } from '@concurrent/multiprocessing';

const tasks = moduleTasks(new URL('./sync-tasks.mjs', import.meta.url));

const start = new Barrier(3);
const results = new Queue();
const runners = [1, 2].map(() => new Process({ target: tasks.runner, args: [start, results] }));
for (const r of runners) r.start();
const mine = await start.wait(); // released when all three have arrived
const indices = [mine, await results.get(), await results.get()];
for (const r of runners) await r.join();
console.log(indices.sort());
