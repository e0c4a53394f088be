// The only thing a `--quick` run asserts: every number is finite (and every measurement
// positive). Speed is never asserted; a slow CI machine must not fail the build.

/** Collects insane numbers instead of throwing, so a run reports all of them at once. */
export class Sanity {
  readonly #issues: string[] = [];

  /** Every value a probe measured must be finite and > 0 (times, sizes, counts). */
  checkMeasurement(where: string, values: Readonly<Record<string, number>>): void {
    for (const [key, value] of Object.entries(values)) {
      if (!Number.isFinite(value) || value <= 0) this.#issues.push(`${where}: ${key} = ${value} (want finite and > 0)`);
    }
  }

  /** Derived numbers (ratios, growth) must be finite; growth may be negative. */
  checkSummary(where: string, values: Readonly<Record<string, number>>): void {
    for (const [key, value] of Object.entries(values)) {
      if (!Number.isFinite(value)) this.#issues.push(`${where}: ${key} = ${value} (want finite)`);
    }
  }

  get issues(): readonly string[] {
    return this.#issues;
  }
}
