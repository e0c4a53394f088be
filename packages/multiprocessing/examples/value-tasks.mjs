// The functions the Value and SharedArray examples run in child processes.

/** Adds 1 to `counter` `n` times, each under the counter's own lock. */
export async function addMany(counter, n) {
  for (let i = 0; i < n; i++) {
    await counter.getLock().acquire();
    try {
      counter.value += 1;
    } finally {
      counter.getLock().release();
    }
  }
}
