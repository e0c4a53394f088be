import { Queue } from '@concurrent/multiprocessing';
import { MyProcess } from './my-process.mjs';

const results = new Queue();
const ps = [1, 2, 3].map((n) => new MyProcess(results, n));
for (const p of ps) p.start();
for (const p of ps) await p.join();
const lines = [];
for (const _ of ps) lines.push(await results.get());
console.log(lines.sort().join('\n'));
