/**
 * How many jobs a busy worker may hold ahead of the one it runs (decision 0007).
 *
 * `'auto'` sizes it by time: small tasks need a deep queue (an idle child woken by every
 * message costs more than the task), long ones a shallow one (what is handed over can no
 * longer be cancelled, and waits behind its worker while another may be idle).
 *
 * @module
 */
import { AUTO_PREFETCH_START, AUTO_PREFETCH_WINDOW_MS, MAX_PREFETCH } from './options.js';

/** The weight of the newest run time in the moving average. */
const RUN_TIME_SMOOTHING = 0.2;

export class Prefetch {
  readonly #fixed: number | undefined;
  /** Moving average of the jobs' run time in the workers, ms; NaN before the first. */
  #runMs = Number.NaN;

  constructor(setting: number | 'auto') {
    this.#fixed = setting === 'auto' ? undefined : setting;
  }

  /** A job ran for `ms` in its worker. */
  record(ms: number): void {
    this.#runMs = Number.isNaN(this.#runMs) ? ms : this.#runMs + RUN_TIME_SMOOTHING * (ms - this.#runMs);
  }

  /** The recent jobs' average run time in the workers, ms; NaN before the first. */
  get expectedMs(): number {
    return this.#runMs;
  }

  /** Jobs a busy worker may hold ahead of the one it runs, now. */
  get depth(): number {
    if (this.#fixed !== undefined) return this.#fixed;
    if (Number.isNaN(this.#runMs)) return AUTO_PREFETCH_START;
    return Math.max(1, Math.min(MAX_PREFETCH, Math.floor(AUTO_PREFETCH_WINDOW_MS / this.#runMs)));
  }
}
