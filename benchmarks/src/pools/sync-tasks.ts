// What the `sync` case runs in child processes and worker threads: locked increments of a
// shared Value of @concurrent/multiprocessing, and reads of one. The increments report when
// their timed loop began and ended on the system's monotonic clock (the same in every process,
// as Python's perf_counter_ns), so that the case times the increments, not the messages that
// start and stop them.
import type { Event, Lock, Queue, RawValue, Value } from '@concurrent/multiprocessing';

/** Nanoseconds on the monotonic clock that every process of the machine shares. */
const now = (): number => Number(process.hrtime.bigint());

/** `n` increments of `v` under `lock`, after `warmup` untimed ones; starts on `go`, puts `[start, end]` (ns) on `done`. */
export async function addWith(v: Value<'i'>, lock: Lock, n: number, warmup: number, ready: Queue, go: Queue, done: Queue): Promise<void> {
  for (let i = 0; i < warmup; i++) {
    await lock.acquire();
    v.value += 1;
    lock.release();
  }
  await ready.put(1);
  await go.get();
  const start = now();
  for (let i = 0; i < n; i++) {
    await lock.acquire();
    v.value += 1;
    lock.release();
  }
  await done.put([start, now()]);
  // A put returns before the item has left this thread: wait until it has. Without this, a
  // worker thread's item was sometimes never delivered (1 run in about 10; the task had returned).
  await done.joinThread();
}

/** The same under the value's own lock (`getLock()`, an RLock), as Python's `with v.get_lock():`. */
export async function addOwn(v: Value<'i'>, n: number, warmup: number, ready: Queue, go: Queue, done: Queue): Promise<void> {
  for (let i = 0; i < warmup; i++) {
    await v.getLock().acquire();
    v.value += 1;
    v.getLock().release();
  }
  await ready.put(1);
  await go.get();
  const start = now();
  for (let i = 0; i < n; i++) {
    await v.getLock().acquire();
    v.value += 1;
    v.getLock().release();
  }
  await done.put([start, now()]);
  // A put returns before the item has left this thread: wait until it has. Without this, a
  // worker thread's item was sometimes never delivered (1 run in about 10; the task had returned).
  await done.joinThread();
}

/** Reads `v.value` `n` times (after as many untimed); puts µs per read on `report`. */
export async function readMany(v: Value<'i'> | RawValue<'i'>, n: number, report: Queue): Promise<void> {
  let sum = 0;
  for (let i = 0; i < n; i++) sum += v.value;
  const started = performance.now();
  for (let i = 0; i < n; i++) sum += v.value;
  const us = ((performance.now() - started) * 1000) / n;
  await report.put(sum >= 0 ? us : NaN);
}

/**
 * The floor under `eventResponder`: answers `rounds` SIGURGs from the parent with one of its
 * own, no shared memory, no library. Says it listens through `ready`.
 */
export async function signalResponder(rounds: number, ready: Queue<number>): Promise<void> {
  let left = rounds;
  // Signal listeners do not keep a process alive; a timer that never fires does, without waking it.
  const alive = setTimeout(() => undefined, 2 ** 31 - 1);
  const done = new Promise<void>((resolve) => {
    const answer = (): void => {
      process.kill(process.ppid, 'SIGURG');
      if (--left === 0) {
        process.off('SIGURG', answer);
        resolve();
      }
    };
    process.on('SIGURG', answer);
  });
  await ready.put(1);
  await done;
  clearTimeout(alive);
}

/** Answers `rounds` pings: waits for `ping`, clears it, sets `pong`. */
export async function eventResponder(ping: Event, pong: Event, rounds: number): Promise<void> {
  for (let i = 0; i < rounds; i++) {
    await ping.wait();
    ping.clear();
    pong.set();
  }
}
