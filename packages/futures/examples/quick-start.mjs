// Runnable quick-start (Node 20+): `node packages/futures/examples/quick-start.mjs` after a build.
import { ThreadPoolExecutor, asCompleted, wait, FIRST_COMPLETED, TimeoutError } from '@concurrent/futures';

// Something IO-bound: a fake fetch that takes `ms` milliseconds.
const fetchAfter = (name, ms) => new Promise((resolve) => setTimeout(() => resolve(`${name} (${ms} ms)`), ms));

const executor = new ThreadPoolExecutor({ maxWorkers: 2 }); // at most 2 at once
try {
  // submit() returns a Future at once: a handle with state, cancel(), result(timeout).
  const futures = [
    executor.submit(fetchAfter, 'slow', 60),
    executor.submit(fetchAfter, 'fast', 10),
    executor.submit(fetchAfter, 'queued', 20), // waits for a free slot
  ];

  // wait() returns when the first one completes; nothing is cancelled by waiting.
  const { done, notDone } = await wait(futures, { returnWhen: FIRST_COMPLETED });
  console.log(`first completed: ${done.size} done, ${notDone.size} not done`);

  // asCompleted() hands out the futures themselves, in completion order.
  for await (const future of asCompleted(futures)) console.log('completed:', await future);

  // result(timeout) rejects with TimeoutError; the future itself is unaffected.
  const slow = executor.submit(fetchAfter, 'late', 50);
  await slow.result(5).catch((error) => console.log('timed out waiting:', error instanceof TimeoutError));
  console.log('and later:', await slow);

  // A done-callback reads its future synchronously: Python's `f.result()` there is `f.resultNow()`.
  const squared = executor.submit((x) => x * x, 7);
  squared.addDoneCallback((f) => console.log('callback:', f.resultNow()));
  await squared;

  // map() gives results in input order: `for await` them one by one, or await them all.
  const lengths = await executor.map(async (word) => word.length, ['one', 'three', 'fifteen']);
  console.log('map:', lengths.join(' '));
} finally {
  // Waits for running work. TypeScript (and plain JS on Node 24+) can write `await using`.
  await executor.shutdown();
}
