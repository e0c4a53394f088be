import { setTimeout } from 'node:timers/promises';
import { moduleTasks } from '@concurrent/futures';
import { Event, Process } from '@concurrent/multiprocessing';

const tasks = moduleTasks(new URL('./sync-tasks.mjs', import.meta.url));

const stop = new Event();
const workers = [1, 2].map(() => new Process({ target: tasks.worker, args: [stop] }));
for (const w of workers) w.start();
await setTimeout(100); // let them work
stop.set();
for (const w of workers) await w.join();
console.log(workers.map((w) => w.exitcode));
