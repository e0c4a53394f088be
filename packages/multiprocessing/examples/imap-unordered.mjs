import { moduleTasks } from '@concurrent/futures';
import { Pool } from '@concurrent/multiprocessing';

const tasks = moduleTasks(new URL('./cpu-tasks.mjs', import.meta.url));

function* numbers(n) {
  for (let i = 0; i < n; i++) yield i; // read lazily: never all in memory
}

const pool = new Pool(2);
let total = 0;
for await (const square of pool.imapUnordered(tasks.square, numbers(100_000), { chunksize: 1_000 })) {
  total += square;
}
console.log(total);
pool.close();
await pool.join();
