// What the `sharing` case runs in child processes and worker threads: the other side of a
// Pipe or Queue of @concurrent/multiprocessing.
import type { Connection, JoinableQueue, Queue } from '@concurrent/multiprocessing';

/** Echoes every message until EOF. */
export async function echo(conn: Connection): Promise<void> {
  for await (const message of conn) conn.send(message);
}

/** Reads `n`, then `n` messages, then answers 'done'; again until EOF. */
export async function sink(conn: Connection): Promise<void> {
  for await (const n of conn) {
    for (let i = 0; i < (n as number); i++) await conn.recv();
    conn.send('done');
  }
}

/** Takes `n`, then `n` items, then puts 'done'; again until `null`. */
export async function queueSink(q: Queue, done: Queue): Promise<void> {
  for (;;) {
    const n = await q.get();
    if (n === null) return;
    for (let i = 0; i < (n as number); i++) await q.get();
    await done.put('done');
  }
}

/** Takes items and marks each done, until `null`. */
export async function joinableWorker(q: JoinableQueue): Promise<void> {
  for (;;) {
    const item = await q.get();
    q.taskDone();
    if (item === null) return;
  }
}

/** Puts `n` small objects, then waits until the queue has them all. */
export async function produce(q: Queue, n: number): Promise<void> {
  for (let i = 0; i < n; i++) await q.put({ i });
  await q.joinThread();
}
