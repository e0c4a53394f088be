// A progress bar per workload, on stderr (stdout stays the report). On a terminal it redraws
// one line in place; when stderr is not a terminal, or under CI, it prints plain lines
// instead (one per finished round), so that logs stay readable.
//
//   fib(31) ×48   [##########..........]  50%  11/21 runs  ProcessPoolExecutor ×2, round 2/3

/** Width of the bar, in characters. */
const BAR_WIDTH = 24;
/** Minimum time between two redraws, ms: a terminal needs no more, and redraws cost the parent. */
const REDRAW_MS = 80;

export interface ProgressOptions {
  /** Redraw in place (a terminal) or print plain lines. */
  readonly interactive: boolean;
  readonly stream: NodeJS.WritableStream;
}

/** Whether stderr is an interactive terminal outside CI: the default for {@link ProgressOptions.interactive}. */
export function interactiveStderr(): boolean {
  const ci = process.env['CI'];
  return process.stderr.isTTY === true && (ci === undefined || ci === '' || ci === 'false');
}

/** `[#####.....]`: `fraction` (0–1) of `width` cells filled. */
export function bar(fraction: number, width = BAR_WIDTH): string {
  const filled = Math.max(0, Math.min(width, Math.round(fraction * width)));
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`;
}

/** The progress of one workload: `runs` probe children, each reporting its own tasks. */
export class ProgressBar {
  readonly #label: string;
  readonly #runs: number;
  readonly #options: ProgressOptions;
  readonly #started = performance.now();
  #finishedRuns = 0;
  #current = 0;
  #what = '';
  #lastDraw = 0;

  constructor(label: string, runs: number, options: ProgressOptions) {
    this.#label = label;
    this.#runs = runs;
    this.#options = options;
    this.#draw(true);
  }

  /** A probe child starts: `what` it measures. */
  startRun(what: string): void {
    this.#what = what;
    this.#current = 0;
    this.#draw(true);
  }

  /** The running child reports `done` of `total` tasks (from its executor's `done` events). */
  update(done: number, total: number): void {
    this.#current = total > 0 ? Math.min(1, done / total) : 0;
    this.#draw(false);
  }

  /** The running child finished. */
  endRun(): void {
    this.#finishedRuns++;
    this.#current = 0;
    this.#draw(false);
  }

  /** A plain line for logs (printed as is when not interactive; above the bar otherwise). */
  log(line: string): void {
    const { stream, interactive } = this.#options;
    if (interactive) {
      stream.write(`\r\x1b[K  ${line}\n`);
      this.#draw(true);
    } else {
      stream.write(`  ${line}\n`);
    }
  }

  /** The workload is done: leaves a final line with the elapsed time. */
  finish(): void {
    const seconds = ((performance.now() - this.#started) / 1000).toFixed(1);
    const line = `${this.#label}  ${bar(1)} 100%  ${this.#runs}/${this.#runs} runs in ${seconds} s`;
    this.#options.stream.write(this.#options.interactive ? `\r\x1b[K${line}\n` : `${line}\n`);
  }

  /** Clears the bar's line (before other output, e.g. on Ctrl-C). */
  clear(): void {
    if (this.#options.interactive) this.#options.stream.write('\r\x1b[K');
  }

  #draw(force: boolean): void {
    if (!this.#options.interactive) return;
    const now = performance.now();
    if (!force && now - this.#lastDraw < REDRAW_MS) return;
    this.#lastDraw = now;
    const fraction = (this.#finishedRuns + this.#current) / this.#runs;
    const percent = `${Math.floor(fraction * 100)}%`.padStart(4);
    const runs = `${this.#finishedRuns}/${this.#runs} runs`;
    const line = `${this.#label}  ${bar(fraction)} ${percent}  ${runs}  ${this.#what}`;
    // A line longer than the terminal wraps, and \r would then redraw only its last part.
    const columns = (this.#options.stream as { columns?: number }).columns ?? 120;
    this.#options.stream.write(`\r\x1b[K${line.slice(0, Math.max(20, columns - 1))}`);
  }
}
