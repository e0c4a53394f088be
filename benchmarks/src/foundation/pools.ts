// The two things the foundation suite compares, behind one tiny interface so that every
// workload is written once: our ThreadPoolExecutor and bare p-limit, which it is built on.
// The wrapper is one monomorphic call per task on both sides, so it costs both the same.
import { ThreadPoolExecutor } from '@concurrent/futures';
import pLimit from 'p-limit';

/** Which implementation a probe runs. */
export type Impl = 'ours' | 'p-limit';

/** Runs async tasks at most `maxWorkers` at once. */
export interface Pool {
  /** Schedules `task`; the result is awaitable (a Future or a Promise). */
  submit<R>(task: () => Promise<R>): PromiseLike<R>;
  /** Releases the pool once everything submitted has settled. */
  close(): Promise<void>;
}

/** A fresh pool of the given implementation. */
export function makePool(impl: Impl, maxWorkers: number): Pool {
  if (impl === 'ours') {
    const executor = new ThreadPoolExecutor({ maxWorkers });
    return { submit: (task) => executor.submit(task), close: () => executor.shutdown() };
  }
  const limit = pLimit(maxWorkers);
  return { submit: (task) => limit(task), close: () => Promise.resolve() };
}

/**
 * Submits one trivial async task per item (`async () => i`), then awaits them all: the
 * workload of the throughput and memory cases, exactly the shape
 * `Promise.all(items.map((i) => limit(async () => i)))`.
 *
 * @returns milliseconds spent submitting, and in all (submitting plus awaiting).
 */
export async function submitAllTrivial(pool: Pool, items: readonly number[]): Promise<{ submitMs: number; totalMs: number }> {
  const start = performance.now();
  // eslint-disable-next-line @typescript-eslint/require-await -- the workload is a trivial *async* function
  const pending = items.map((i) => pool.submit(async () => i));
  const submitted = performance.now();
  await Promise.all(pending);
  const end = performance.now();
  return { submitMs: submitted - start, totalMs: end - start };
}
