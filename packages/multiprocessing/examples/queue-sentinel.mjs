import { moduleTasks } from '@concurrent/futures';
import { Process, Queue } from '@concurrent/multiprocessing';

const tasks = moduleTasks(new URL('./sharing-tasks.mjs', import.meta.url));

const todo = new Queue();
const results = new Queue();
const workers = [1, 2].map(() => new Process({ target: tasks.squarer, args: [todo, results] }));
for (const w of workers) w.start();
for (let n = 1; n <= 100; n++) await todo.put(n);
for (const _ of workers) await todo.put(null); // one sentinel per worker
let total = 0;
for (let i = 0; i < 100; i++) total += await results.get();
for (const w of workers) await w.join();
console.log(total);
