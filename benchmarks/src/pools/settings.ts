// What every case of the pools suite shares.

/** Workers per pool: the targets were set on a 2-core machine with 2 workers. */
export const WORKERS = 2;

/** A probe that takes longer than this fails (its pools killed) instead of hanging the run. */
export const PROBE_DEADLINE_MS = 120_000;

/**
 * Rounds of a case: `measured` rounds in a full run, one in a `--quick` smoke run. No whole
 * round is run just to be discarded: every probe warms itself up in its own child (an
 * unmeasured pass of its workload, or an unmeasured pool) before it measures, and the rounds
 * this saves keep a full run of the suite near 3 minutes on a 2-core machine.
 */
export function roundCounts(quick: boolean, measured: number): { warmupRounds: number; rounds: number } {
  return { warmupRounds: 0, rounds: quick ? 1 : measured };
}
