// Peak memory of a probe. The probe's own process: process.resourceUsage().maxRSS (peak
// resident set, KiB), which also covers worker threads (they share the process). Child
// processes: VmHWM ("high water mark" of the resident set) in /proc/<pid>/status, read just
// before the pool is shut down; Linux only (elsewhere the children's peak is not reported).
import { readFileSync } from 'node:fs';

/** Peak RSS of this process so far, KiB (worker threads included). */
export function ownPeakRssKiB(): number {
  return process.resourceUsage().maxRSS;
}

/** Peak RSS of process `pid`, KiB; undefined where /proc is not available or the process is gone. */
export function childPeakRssKiB(pid: number): number | undefined {
  try {
    const match = /^VmHWM:\s+(\d+)\s+kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match?.[1] === undefined ? undefined : Number(match[1]);
  } catch {
    return undefined;
  }
}
