import { moduleTasks } from '@concurrent/futures';
import { Pool } from '@concurrent/multiprocessing';

const tasks = moduleTasks(new URL('./cpu-tasks.mjs', import.meta.url));

const pool = new Pool(2);
console.log(await pool.map(tasks.CalculateFib.fib, [20, 21, 22]));
pool.close();
await pool.join();
