import { moduleTasks } from '@concurrent/futures';
import { JoinableQueue, Process, Queue } from '@concurrent/multiprocessing';

const tasks = moduleTasks(new URL('./sharing-tasks.mjs', import.meta.url));

const words = new JoinableQueue();
const counts = new Queue();
for (let i = 0; i < 2; i++) {
  // Daemon workers loop forever; they are stopped when the program ends.
  new Process({ target: tasks.counter, args: [words, counts], daemon: true }).start();
}
for (const word of ['alpha', 'beta', 'gamma', 'delta']) await words.put(word);
await words.join(); // every word was taken and marked done
const letters = new Map();
while (!(await counts.empty())) {
  const [word, n] = await counts.get();
  letters.set(word, n);
}
console.log([...letters].sort());
