import { moduleTasks } from '@concurrent/futures';
import { c_bool, c_double, Lock, Process, SharedArray, Structure, Value } from '@concurrent/multiprocessing';

const tasks = moduleTasks(new URL('./sharedctypes-tasks.mjs', import.meta.url));

class Point extends Structure {
  static fields = [['x', c_double], ['y', c_double]];
}

const lock = new Lock();
const n = new Value('i', 7);
const b = new Value(c_bool, false, { lock: false });
const s = new SharedArray('c', 'hello world', { lock });
const arr = new SharedArray('i', [...Array(5).keys()]); // range(5)
const A = new SharedArray(Point, [[1.875, -6.25], [-5.75, 2.0]], { lock });

const p = new Process({ target: tasks.modify, args: [n, b, s, arr, A] });
p.start();
await p.join();

console.log(n.value);
console.log(b.value);
console.log(s.value);
console.log(arr.slice());
console.log(A.toArray().map((a) => [a.x, a.y]));
