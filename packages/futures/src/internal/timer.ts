/** The largest delay `setTimeout` honours; larger ones fire after 1 ms. */
const MAX_TIMER_DELAY_MS = 2 ** 31 - 1;

/** A cancellable timer that also works for delays longer than 24.8 days. */
export interface Timer {
  clear(): void;
}

/**
 * Runs `fn` after `ms` milliseconds (`unref`: without keeping the process alive). Unlike `setTimeout`, a delay over 2^31-1 ms is
 * honoured (by chaining) instead of silently becoming 1 ms.
 */
export function startTimer(fn: () => void, ms: number, options: { unref?: boolean } = {}): Timer {
  let handle: NodeJS.Timeout;
  const arm = (remaining: number): void => {
    if (remaining > MAX_TIMER_DELAY_MS) {
      handle = setTimeout(() => arm(remaining - MAX_TIMER_DELAY_MS), MAX_TIMER_DELAY_MS);
    } else {
      handle = setTimeout(fn, remaining);
    }
    // An unref'd timer (idle timeouts) never keeps the process alive by itself.
    if (options.unref === true) handle.unref();
  };
  arm(ms);
  return { clear: () => clearTimeout(handle) };
}
