/**
 * Waiting for a condition without blocking the event loop: a waiter re-checks its condition
 * whenever the object it waits on {@link Signal.wake}s, until it holds or the timeout passes.
 * While a waiter waits, `hold` keeps the event loop alive (see runtime.ts: nothing else does).
 *
 * @module
 */

export class Signal {
  #waiting: (() => void)[] = [];

  get waiting(): number {
    return this.#waiting.length;
  }

  /** Resolves at the next {@link wake}. */
  next(): Promise<void> {
    return new Promise((resolve) => this.#waiting.push(resolve));
  }

  /** Wakes every waiter (each re-checks its own condition). */
  wake(): void {
    if (this.#waiting.length === 0) return;
    const waiting = this.#waiting;
    this.#waiting = [];
    for (const resolve of waiting) resolve();
  }
}

/** What keeps the event loop alive while a waiter waits. */
export interface Keeper {
  hold(): void;
  release(): void;
}

/**
 * Resolves `true` once `ready()` holds (checked now and after every wake of `signal`), or
 * `false` once `timeoutMs` passed (`undefined`: no limit). `ready` may throw to end the wait
 * with its error (the object was closed, its owner is gone).
 */
export async function waitFor(signal: Signal, ready: () => boolean, timeoutMs: number | undefined, keeper: Keeper): Promise<boolean> {
  if (ready()) return true;
  if (timeoutMs !== undefined && timeoutMs <= 0) return false;
  let timedOut = false;
  let timer: NodeJS.Timeout | undefined;
  let wakeTimer: (() => void) | undefined;
  const expired =
    timeoutMs === undefined
      ? undefined
      : new Promise<void>((resolve) => {
          wakeTimer = resolve;
          timer = setTimeout(() => {
            timedOut = true;
            resolve();
          }, timeoutMs);
        });
  keeper.hold();
  try {
    for (;;) {
      await (expired === undefined ? signal.next() : Promise.race([signal.next(), expired]));
      if (ready()) return true;
      if (timedOut) return false;
    }
  } finally {
    keeper.release();
    clearTimeout(timer);
    wakeTimer?.();
  }
}
