import { Process } from '@concurrent/multiprocessing';

function greet(name) {
  console.log(`hello ${name}`);
}

const p = new Process({ target: greet, args: ['bob'] });
p.start();
await p.join();
console.log(`exitcode ${p.exitcode}`);
