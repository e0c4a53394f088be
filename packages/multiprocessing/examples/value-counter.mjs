import { moduleTasks } from '@concurrent/futures';
import { Process, Value } from '@concurrent/multiprocessing';

const tasks = moduleTasks(new URL('./value-tasks.mjs', import.meta.url));

const counter = new Value('i', 0); // typecodes as Python's array module: b B h H i I l L q Q f d
const ps = Array.from({ length: 10 }, () => new Process({ target: tasks.addMany, args: [counter, 1_000] }));
for (const p of ps) p.start();
for (const p of ps) await p.join();
console.log(counter.value);
