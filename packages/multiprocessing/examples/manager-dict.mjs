import { moduleTasks } from '@concurrent/futures';
import { Manager, Process } from '@concurrent/multiprocessing';

const tasks = moduleTasks(new URL('./manager-tasks.mjs', import.meta.url));

const manager = await Manager();
try {
  const shared = await manager.dict();
  const ps = [1, 2, 3].map((i) => new Process({ target: tasks.record, args: [shared, i] }));
  for (const p of ps) p.start();
  for (const p of ps) await p.join();
  console.log(Object.fromEntries((await shared.items()).sort()));
} finally {
  await manager.shutdown();
}
