import { moduleTasks } from '@concurrent/futures';
import { Condition, Process, RawValue } from '@concurrent/multiprocessing';

const tasks = moduleTasks(new URL('./sync-tasks.mjs', import.meta.url));

const cond = new Condition();
const stock = new RawValue('i', 0);
const taken = new RawValue('i', 0);
const consumers = [1, 2].map(() => new Process({ target: tasks.consume, args: [cond, stock, taken, 50] }));
for (const c of consumers) c.start();
for (let i = 0; i < 100; i++) {
  await cond.acquire();
  try {
    stock.value += 1;
    cond.notify();
  } finally {
    cond.release();
  }
}
for (const c of consumers) await c.join();
console.log(taken.value, stock.value);
