import { Lock, Thread } from '@concurrent/multiprocessing';

const ret = {};
const lock = new Lock();

async function fetchInto(name, ms) {
  await new Promise((resolve) => setTimeout(resolve, ms)); // waiting for IO, as a request would
  await lock.acquire();
  try {
    ret[name] = `fetched in ${ms} ms`;
  } finally {
    lock.release();
  }
}

const threads = [
  new Thread({ target: fetchInto, args: ['a', 20] }),
  new Thread({ target: fetchInto, args: ['b', 10] }),
];
for (const t of threads) t.start();
for (const t of threads) await t.join();
console.log(ret);
