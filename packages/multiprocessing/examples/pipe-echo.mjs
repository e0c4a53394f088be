import { moduleTasks } from '@concurrent/futures';
import { Pipe, Process } from '@concurrent/multiprocessing';

const tasks = moduleTasks(new URL('./sharing-tasks.mjs', import.meta.url));

const [parentEnd, childEnd] = Pipe();
const p = new Process({ target: tasks.echo, args: [childEnd] });
p.start();
parentEnd.send({ hello: 'world' });
console.log(await parentEnd.recv());
parentEnd.close(); // the child's loop ends with EOF
await p.join();
console.log(`exitcode ${p.exitcode}`);
