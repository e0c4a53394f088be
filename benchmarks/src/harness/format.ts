import type { Verdict } from './types.js';

const MIB = 1024 * 1024;

/** `2.41 µs` */
export function micros(us: number): string {
  return `${us.toFixed(us < 10 ? 2 : 1)} µs`;
}

/** `1.012 s` */
export function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(3)} s`;
}

/** `1.87×` */
export function times(ratio: number): string {
  return `${ratio.toFixed(2)}×`;
}

/** `5.21 MiB` */
export function mebibytes(bytes: number): string {
  return `${(bytes / MIB).toFixed(2)} MiB`;
}

/** `+12.0 KiB` / `-3.5 KiB`: a change in heap size, signed. */
export function kibibytesDelta(bytes: number): string {
  return `${bytes < 0 ? '-' : '+'}${(Math.abs(bytes) / 1024).toFixed(1)} KiB`;
}

/** `100k`, `1M`: a task count as people say it. */
export function count(n: number): string {
  if (n >= 1_000_000 && n % 1_000_000 === 0) return `${n / 1_000_000}M`;
  if (n >= 1_000 && n % 1_000 === 0) return `${n / 1_000}k`;
  return String(n);
}

/** `met` when the condition holds, else `not met`. */
export function verdict(ok: boolean): Verdict {
  return ok ? 'met' : 'not met';
}

/** `1 round`, `7 rounds`. */
export function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}
