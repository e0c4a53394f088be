import { ThreadPoolExecutor } from '@concurrent/futures';
import pLimit from 'p-limit';
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
async function ours(n) {
  const pool = new ThreadPoolExecutor({ maxWorkers: 100 });
  const t0 = performance.now(); let first;
  const ps = []; for (let i = 0; i < n; i++) ps.push(pool.submit(() => { first ??= performance.now(); return sleep(10); }));
  const t1 = performance.now();
  await Promise.all(ps); const t2 = performance.now(); await pool.shutdown();
  return [t1 - t0, first - t0, t2 - t0, performance.now() - t0].map((x) => x.toFixed(1)).join(' ');
}
async function pl(n) {
  const limit = pLimit(100);
  const t0 = performance.now(); let first;
  const ps = []; for (let i = 0; i < n; i++) ps.push(limit(() => { first ??= performance.now(); return sleep(10); }));
  const t1 = performance.now();
  await Promise.all(ps); const t2 = performance.now();
  return [t1 - t0, first - t0, t2 - t0].map((x) => x.toFixed(1)).join(' ');
}
await ours(1000); await pl(1000);
for (let i = 0; i < 3; i++) { console.log('ours submit/first/all/shutdown', await ours(10000)); console.log('plimit submit/first/all', await pl(10000)); }
