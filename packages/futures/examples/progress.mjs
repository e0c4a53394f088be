// Runnable progress example (Node 20+): `node packages/futures/examples/progress.mjs` after a build.
import { ProcessPoolExecutor, moduleTasks } from '@concurrent/futures';

const tasks = moduleTasks(new URL('./progress-tasks.mjs', import.meta.url));
const pool = new ProcessPoolExecutor({ maxWorkers: 2 });
try {
  const future = pool.submit(tasks.countPrimes, 200_000);
  // A callback sees each value that reaches the future, in order...
  let last;
  future.addProgressCallback((fraction) => (last = fraction));
  // ...and an async iterator sees the latest one, until the future is done.
  for await (const fraction of future.progress()) process.stderr.write(`\r${Math.round(fraction * 100)} %`);
  process.stderr.write('\n');
  console.log('last progress:', last);
  console.log('primes below 200,000:', await future);
} finally {
  await pool.shutdown();
}
