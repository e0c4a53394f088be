// Everything a probe starts (pools, child processes, threads, the matrix's HTTP server) is
// registered here and stopped when the probe ends: gently after success, hard after a
// failure, and hard as well if a probe hangs past its deadline. A pool that never stops is a
// benchmark bug, so a gentle stop that takes too long is reported (and the thing is then
// stopped hard). On Ctrl-C, SIGTERM or a lost parent, stopEverything() stops whatever is live
// in this process hard (see harness/child.ts and main.ts).

/** Stops one thing. `hard`: kill now (the probe failed) instead of letting it drain. */
export type Stop = (hard: boolean) => Promise<void> | void;

/** How long a gentle stop may take before the thing is stopped hard. */
const GENTLE_STOP_MS = 10_000;

function within(ms: number, work: Promise<void>): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  return Promise.race([work.then(() => true), timeout]).finally(() => clearTimeout(timer));
}

/** Every Resources of a withResources() still running in this process. */
const live = new Set<Resources>();

/**
 * Stops, hard, everything registered by every withResources() still running in this process:
 * what a signal handler calls before the process exits.
 */
export async function stopEverything(): Promise<void> {
  await Promise.all([...live].map((resources) => resources.stopAll(true).catch(() => undefined)));
}

/** The things one probe started, stopped last-started first. */
export class Resources {
  readonly #stops: { what: string; stop: Stop }[] = [];
  /** Set once stopAll ran: a probe abandoned at its deadline may still be starting things. */
  #closed = false;

  /** Registers `value` (named `what` in errors) with the function that stops it; returns it. */
  add<T>(what: string, value: T, stop: Stop): T {
    if (this.#closed) void Promise.resolve().then(() => stop(true)).catch(() => undefined);
    else this.#stops.push({ what, stop });
    return value;
  }

  /**
   * Stops everything registered, even when one stop fails.
   *
   * @throws AggregateError listing every stop that failed or had to be forced.
   */
  async stopAll(hard: boolean): Promise<void> {
    this.#closed = true;
    const errors: unknown[] = [];
    for (let entry = this.#stops.pop(); entry !== undefined; entry = this.#stops.pop()) {
      const { what, stop } = entry;
      try {
        if (hard) {
          await stop(true);
        } else if (!(await within(GENTLE_STOP_MS, Promise.resolve(stop(false))))) {
          errors.push(new Error(`${what} did not stop within ${GENTLE_STOP_MS} ms; stopped hard`));
          await stop(true);
        }
      } catch (error) {
        errors.push(error);
      }
    }
    if (errors.length > 0) {
      throw new AggregateError(errors, `stopping what the probe started failed: ${errors.map(String).join('; ')}`);
    }
  }
}

/**
 * Runs `body` with a {@link Resources} and stops whatever it registered when it settles, or
 * when `deadlineMs` passes first (the probe then fails instead of hanging the benchmark;
 * `Infinity`: no deadline).
 *
 * @throws (rejects) what `body` threw, or a deadline Error; stop failures after a success.
 */
export async function withResources<T>(deadlineMs: number, body: (resources: Resources) => Promise<T>): Promise<T> {
  const resources = new Resources();
  live.add(resources);
  const work = body(resources);
  // After a deadline, the abandoned body may still reject while its pools are being killed.
  work.catch(() => undefined);
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    // setTimeout would treat Infinity as 1 ms.
    if (Number.isFinite(deadlineMs)) {
      timer = setTimeout(() => reject(new Error(`the probe did not finish within ${deadlineMs} ms`)), deadlineMs);
    }
  });
  let result: T;
  try {
    result = await Promise.race([work, deadline]);
  } catch (error) {
    await resources.stopAll(true).catch(() => undefined);
    live.delete(resources);
    throw error;
  } finally {
    clearTimeout(timer);
  }
  try {
    await resources.stopAll(false);
  } finally {
    live.delete(resources);
  }
  return result;
}
