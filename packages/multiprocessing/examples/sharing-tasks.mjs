// The functions the Pipe and Queue examples run in child processes.

/** Sends back every message until the other end closes. */
export async function echo(conn) {
  for await (const message of conn) conn.send(message);
}

/** Squares numbers from `tasks` onto `results` until the sentinel `null`. */
export async function squarer(tasks, results) {
  for (;;) {
    const n = await tasks.get();
    if (n === null) break;
    await results.put(n * n);
  }
}

/** Takes words from a JoinableQueue forever, counting letters into `counts`, marking each done. */
export async function counter(words, counts) {
  for (;;) {
    const word = await words.get();
    await counts.put([word, word.length]);
    words.taskDone();
  }
}
