// Formatting this suite needs beyond harness/format.ts.

/** `12.3 ms`, `0.84 ms` */
export function millis(ms: number): string {
  return `${ms.toFixed(ms < 10 ? 2 : 1)} ms`;
}

/** `2 workers` */
export function workersLabel(n: number): string {
  return `${n} worker${n === 1 ? '' : 's'}`;
}
