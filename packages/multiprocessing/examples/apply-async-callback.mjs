import { appendFileSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { moduleTasks } from '@concurrent/futures';
import { Pool } from '@concurrent/multiprocessing';

const tasks = moduleTasks(new URL('./cpu-tasks.mjs', import.meta.url));
const out = join(mkdtempSync(join(tmpdir(), 'mp-example-')), 'results.txt');

const pool = new Pool(2);
for (const n of [10, 20, 30]) {
  pool.applyAsync(tasks.fib, [n], {
    callback: (value) => appendFileSync(out, `fib(${n}) = ${value}\n`),
    errorCallback: (error) => console.error('failed:', error),
  });
}
pool.close();
await pool.join(); // every callback has run by now
console.log(readFileSync(out, 'utf8').trim().split('\n').sort().join('\n'));
