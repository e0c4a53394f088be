// Interleaved rounds, shared by every case of the suite: each round runs every variant once,
// each in a fresh child, in an order that rotates from round to round; warm-up rounds are
// run first and discarded. Comparisons are paired: a ratio is computed inside each round
// (both numbers measured minutes apart at most, under the same background load) and the
// median of those per-round ratios is reported, so a burst of load during one variant's
// turn cannot make it look faster or slower than it is.
import { plural } from '../harness/format.js';
import { median, range } from '../harness/stats.js';
import type { CaseContext, Json, Measurement, Params } from '../harness/types.js';

/** One probe's measurement, tagged with where it ran. */
export type Sample = { readonly round: number; readonly warmup: boolean; readonly variant: string } & {
  readonly [key: string]: Json;
};

/** How a case runs its rounds. */
export interface RoundsPlan {
  readonly variants: readonly string[];
  readonly warmupRounds: number;
  readonly rounds: number;
  /** The probe parameters of a variant. */
  params(variant: string): Params;
  /** A short progress cell for the log line of a round, e.g. `ours 9.10 µs`. */
  describe(variant: string, measurement: Measurement): string;
}

/** `5 measured rounds` (with the discarded warm-up rounds, if any), for the notes. */
export function roundsText(warmupRounds: number, rounds: number): string {
  const warmups = warmupRounds > 0 ? ` after ${plural(warmupRounds, 'discarded warm-up round')}` : '';
  return `${plural(rounds, 'measured round')}${warmups}`;
}

/** Runs the plan's rounds, logging one line per round. */
export async function runRounds(context: CaseContext, plan: RoundsPlan): Promise<Samples> {
  const samples: Sample[] = [];
  const total = plan.warmupRounds + plan.rounds;
  for (let round = 1; round <= total; round++) {
    const warmup = round <= plan.warmupRounds;
    const { variants } = plan;
    const order = variants.map((_, i) => variants[(i + round - 1) % variants.length] as string);
    const line: string[] = [];
    for (const variant of order) {
      const measurement = await context.probe(variant, plan.params(variant));
      samples.push({ round, warmup, variant, ...measurement });
      line.push(plan.describe(variant, measurement));
    }
    context.log(`round ${round}/${total}${warmup ? ' (warm-up, discarded)' : ''}: ${line.join(', ')}`);
  }
  return new Samples(samples);
}

/** The samples of a case, with the statistics the tables need (measured rounds only). */
export class Samples {
  readonly all: readonly Sample[];

  constructor(all: readonly Sample[]) {
    this.all = all;
  }

  /** `key` of `variant` in every measured round, in round order. */
  values(variant: string, key: string): number[] {
    return this.#measured(variant).map((sample) => Number(sample[key]));
  }

  median(variant: string, key: string): number {
    return median(this.values(variant, key));
  }

  /** `1.20–1.43`: the range over measured rounds. */
  spread(variant: string, key: string, digits = 2): string {
    const { min, max } = range(this.values(variant, key));
    return `${min.toFixed(digits)}–${max.toFixed(digits)}`;
  }

  /**
   * The median over measured rounds of `a[key] / b[key]`, each ratio taken within one round.
   * NaN when the two never ran in the same round (the sanity check then reports it).
   */
  paired(a: string, b: string, key: string): number {
    const ratios: number[] = [];
    for (const sample of this.#measured(a)) {
      const other = this.all.find((s) => s.variant === b && s.round === sample.round);
      if (other !== undefined) ratios.push(Number(sample[key]) / Number(other[key]));
    }
    return ratios.length === 0 ? NaN : median(ratios);
  }

  #measured(variant: string): Sample[] {
    return this.all.filter((sample) => !sample.warmup && sample.variant === variant);
  }
}
