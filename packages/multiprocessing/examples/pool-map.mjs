import { moduleTasks } from '@concurrent/futures';
import { Pool } from '@concurrent/multiprocessing';

const tasks = moduleTasks(new URL('./cpu-tasks.mjs', import.meta.url));

const pool = new Pool(2);
const results = await pool.map(tasks.fib, [20, 21, 22, 23, 24, 25]);
console.log(results);
pool.close();
await pool.join();
