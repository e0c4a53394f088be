import { moduleTasks } from '@concurrent/futures';
import { Pool } from '@concurrent/multiprocessing';
const tasks = moduleTasks(new URL('./bench/tasks.mjs', import.meta.url));
const N = 20000;
const items = Array.from({ length: N }, (_, i) => i);
const pool = new Pool(2);
for (let block = 0; block < 4; block++) {
  const ts = [];
  for (let r = 0; r < 10; r++) { const t = performance.now(); await pool.map(tasks.double, items); ts.push(((performance.now() - t) * 1000 / N).toFixed(2)); }
  console.log(ts.join(' '));
}
pool.close(); await pool.join();
