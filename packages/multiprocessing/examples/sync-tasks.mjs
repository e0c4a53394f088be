// The functions the Barrier, Event and Condition examples run in child processes.

/** Waits at the start line with the others, then runs (here: reports its arrival index). */
export async function runner(start, results) {
  const index = await start.wait(); // everyone leaves together
  await results.put(index);
}

/** Works in steps of 10 ms until `stop` is set. */
export async function worker(stop) {
  while (!(await stop.wait(10))) {
    // one step of work
  }
}

/** Takes `n` items, waiting under `cond` until the producer has made one. */
export async function consume(cond, stock, taken, n) {
  for (let i = 0; i < n; i++) {
    await cond.acquire();
    try {
      await cond.waitFor(() => stock.value > 0);
      stock.value -= 1;
      taken.value += 1;
    } finally {
      cond.release();
    }
  }
}

