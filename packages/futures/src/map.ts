import { CancelledError, TimeoutError } from './errors.js';
import { type Future, outcome } from './future.js';
import { startTimer } from './internal/timer.js';
import { checkOptionKeys, checkOptionsObject, checkPositiveInteger, describe, normalizeTimeout } from './internal/validate.js';
import { whenDone } from './wait.js';

/** Options of `Executor.map` and `Executor.starmap`. */
export interface MapOptions {
  /** Milliseconds, counted from the call, for the whole iteration. */
  timeout?: number | undefined;
  /** Items sent to a worker per batch (worker and process pools); results stay per item. */
  chunksize?: number | undefined;
  /** At most this many chunks in flight; the input is then read lazily. */
  buffersize?: number | undefined;
}

/** The value of a chunk's future: each item's value, unless `errors` has what it threw. */
export interface ChunkResult {
  readonly values: readonly unknown[];
  readonly errors: ReadonlyMap<number, unknown>;
}

/**
 * Internal: a batch submitted as one task (worker and process pools): its future's value is
 * a {@link ChunkResult}, or its error fails every item.
 */
export class Chunk {
  /** The next item to hand out. */
  next = 0;
  constructor(
    readonly future: Future<unknown>,
    readonly size: number,
  ) {}
}

/** A run of map/starmap input: single arguments (map) or argument arrays (starmap, `spread`). */
export interface Batch {
  readonly items: readonly unknown[];
  readonly spread: boolean;
}

/** The arguments of one item of a batch. */
export function itemArgs(batch: Batch, index: number): unknown[] {
  const item = batch.items[index];
  return batch.spread ? (item as unknown[]) : [item];
}

/**
 * What `map` and `starmap` return: an async iterator over the results in input order, plus
 * `toArray()` to collect them all. It is also awaitable: `await executor.map(...)` is
 * `await executor.map(...).toArray()`, the array that `multiprocessing.Pool.map` resolves to
 * (decision 0012).
 */
export interface MapIterable<R> extends AsyncIterableIterator<R>, PromiseLike<R[]> {
  /**
   * Every remaining result, in input order; throws what iterating would throw, at the same
   * point. Cheaper than `for await` when chunks are sent whole (worker and process pools
   * with `chunksize`): a chunk's values are copied at once instead of one promise per item.
   * The name and shape follow the async iterator helpers' `toArray()`.
   *
   * @example
   * ```ts
   * const squares = await pool.map(tasks.square, numbers, { chunksize: 256 }).toArray();
   * ```
   */
  toArray(): Promise<R[]>;
  /**
   * Makes the iterator awaitable: `await executor.map(fn, xs)` collects the results, as
   * `toArray()` does (Python's `list(ex.map(fn, xs))`), instead of handing back the iterator.
   * The first `then` starts the collection and later ones share it, so awaiting twice gives
   * the same array; results already taken with `next()` are not in it. Consequence of being
   * thenable: returning the iterator from an `async` function, or resolving a promise with
   * it, collects it too (TypeScript types that as `R[]`).
   *
   * @example
   * ```ts
   * const lengths = await executor.map(async (w: string) => w.length, words); // number[]
   * ```
   */
  then<A = R[], B = never>(
    onfulfilled?: ((value: R[]) => A | PromiseLike<A>) | null,
    onrejected?: ((reason: unknown) => B | PromiseLike<B>) | null,
  ): Promise<A | B>;
  /** Stops early: what has not started is cancelled. */
  return(): Promise<IteratorResult<R, undefined>>;
}

/** Internal: submits one batch: one future per item, or one chunk. */
export type SubmitBatch<R> = (batch: Batch) => Future<R>[] | Chunk;

/** A failure that belongs to a position in the output: the input or a submit threw there. */
class Failure {
  constructor(readonly error: unknown) {}
}

type Entry<R> = Future<R> | Chunk | Failure;

/** Internal: the options of map/starmap, validated at call time as CPython does. */
export interface CheckedMapOptions {
  deadline: number | undefined;
  chunksize: number;
  buffersize: number | undefined;
}

const MAP_OPTION_KEYS: readonly string[] = ['timeout', 'chunksize', 'buffersize'];

export function checkMapOptions(options: MapOptions | undefined, owner = 'map()'): CheckedMapOptions {
  if (options === undefined || options === null) return { deadline: undefined, chunksize: 1, buffersize: undefined };
  // Python's `ex.map(fn, xs, ys)` zips several iterables; here the third argument is options.
  checkOptionsObject(options, owner, 'for a function of several arguments, pass argument arrays to starmap()');
  checkOptionKeys(options, MAP_OPTION_KEYS, owner);
  const timeout = normalizeTimeout(options.timeout);
  return {
    deadline: timeout === undefined ? undefined : performance.now() + timeout,
    chunksize: options.chunksize === undefined ? 1 : checkPositiveInteger(options.chunksize, 'chunksize'),
    buffersize: options.buffersize === undefined ? undefined : checkPositiveInteger(options.buffersize, 'buffersize'),
  };
}

/** A map item as it is, a starmap item as an argument array. */
function toEntry(item: unknown, star: boolean): unknown {
  if (!star) return item;
  if (Array.isArray(item)) return item;
  if (item !== null && item !== undefined && typeof (item as Partial<Iterable<unknown>>)[Symbol.iterator] === 'function') {
    return [...(item as Iterable<unknown>)];
  }
  throw new TypeError(`starmap() items must be argument arrays, got ${describe(item)}`);
}

/**
 * The iterator behind `Executor.map`/`starmap`: results in input order.
 *
 * Without `buffersize` the whole input is submitted at once (a sync iterable during the
 * call, as CPython does; an async one in the background). With `buffersize` at most that
 * many chunks are in flight and the input is pulled as results are consumed, so infinite
 * inputs work. An item's error ends the iteration and cancels whatever has not started; so
 * do the timeout and leaving the loop early.
 */
export class MapIterator<R> implements MapIterable<R> {
  readonly #submitBatch: SubmitBatch<R>;
  readonly #star: boolean;
  readonly #deadline: number | undefined;
  readonly #chunksize: number;
  /** Items (not chunks) that may be in flight. */
  readonly #capacity: number;
  readonly #syncSource: Iterator<unknown> | undefined;
  readonly #asyncSource: AsyncIterator<unknown> | undefined;
  #sourceDone = false;
  #pumping = false;
  /** Set when the iteration ends while the pump is inside the async source's next(). */
  #closeAfterPump = false;
  #queue: (Entry<R> | undefined)[] = [];
  #head = 0;
  /** Items submitted and not yet handed out (what `#capacity` bounds). */
  #items = 0;
  #finished = false;
  #wakers: (() => void)[] = [];
  /** next() calls run one at a time, in call order. */
  #tail: Promise<unknown> = Promise.resolve();
  /** next() calls that had to wait and have not settled yet. */
  #waitingSteps = 0;
  /** The collection that `then` started: every `await` of the iterator shares it. */
  #collected: Promise<R[]> | undefined;

  constructor(
    submitBatch: SubmitBatch<R>,
    items: Iterable<unknown> | AsyncIterable<unknown>,
    star: boolean,
    options: CheckedMapOptions,
  ) {
    this.#submitBatch = submitBatch;
    this.#star = star;
    this.#deadline = options.deadline;
    this.#chunksize = options.chunksize;
    this.#capacity = options.buffersize === undefined ? Infinity : options.buffersize * options.chunksize;
    if (typeof (items as Partial<Iterable<unknown>>)[Symbol.iterator] === 'function') {
      this.#syncSource = (items as Iterable<unknown>)[Symbol.iterator]();
    } else {
      this.#asyncSource = (items as AsyncIterable<unknown>)[Symbol.asyncIterator]();
    }
    this.#fill(true);
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  next(): Promise<IteratorResult<R, undefined>> {
    // The common case, a result that is already there, is answered without the queue of
    // steps: two promise hops less per item, which is most of an item's cost in a chunk.
    if (this.#waitingSteps === 0) {
      try {
        const ready = this.#takeReady();
        if (ready !== undefined) return Promise.resolve(ready);
      } catch (error) {
        return Promise.reject(error);
      }
    }
    this.#waitingSteps++;
    const step = this.#tail.then(() => this.#step());
    const settled = (): void => {
      this.#waitingSteps--;
    };
    this.#tail = step.then(settled, settled);
    return step;
  }

  async toArray(): Promise<R[]> {
    const results: R[] = [];
    for (;;) {
      if (this.#waitingSteps === 0 && this.#takeChunk(results)) continue;
      const next = await this.next();
      if (next.done === true) return results;
      results.push(next.value);
    }
  }

  then<A = R[], B = never>(
    onfulfilled?: ((value: R[]) => A | PromiseLike<A>) | null,
    onrejected?: ((reason: unknown) => B | PromiseLike<B>) | null,
  ): Promise<A | B> {
    this.#collected ??= this.toArray();
    return this.#collected.then(onfulfilled, onrejected);
  }

  /**
   * Appends the rest of the head chunk to `results` at once, if it finished with no item
   * errors; `false` otherwise (then `next()` takes it item by item, errors included).
   */
  #takeChunk(results: R[]): boolean {
    const head = this.#queue[this.#head];
    if (this.#finished || !(head instanceof Chunk) || !head.future.done()) return false;
    const { state, failed, value } = outcome(head.future);
    if (state !== 'FINISHED' || failed) return false;
    const { values, errors } = value as ChunkResult;
    if (errors.size > 0) return false;
    for (let i = head.next; i < head.size; i++) results.push(values[i] as R);
    this.#items -= head.size - head.next;
    head.next = head.size;
    this.#shift();
    this.#fill(false);
    return true;
  }

  return(): Promise<IteratorResult<R, undefined>> {
    this.#finish();
    return Promise.resolve({ done: true, value: undefined });
  }

  get #entries(): number {
    return this.#queue.length - this.#head;
  }

  /**
   * The next result if it can be had now, `undefined` if it must be waited for. Throws the
   * error due at this position (an item's, a cancellation, the timeout) and ends the map.
   */
  #takeReady(): IteratorResult<R, undefined> | undefined {
    if (this.#finished) return { done: true, value: undefined };
    if (this.#entries === 0) {
      if (this.#sourceDone) {
        this.#finish();
        return { done: true, value: undefined };
      }
      this.#checkDeadline();
      return undefined; // an async source has not delivered the next item yet
    }
    const entry = this.#queue[this.#head] as Entry<R>;
    if (entry instanceof Failure) {
      this.#finish();
      throw entry.error;
    }
    const future = entry instanceof Chunk ? entry.future : entry;
    if (!future.done()) {
      this.#checkDeadline();
      return undefined;
    }
    const { state, failed, value, error } = outcome(future);
    if (state === 'CANCELLED') {
      this.#finish();
      throw new CancelledError();
    }
    if (failed) {
      this.#finish();
      throw error;
    }
    let item: unknown = value;
    if (entry instanceof Chunk) {
      const index = entry.next++;
      if (entry.next === entry.size) this.#shift();
      const { values, errors } = value as ChunkResult;
      if (errors.has(index)) {
        this.#finish();
        throw errors.get(index);
      }
      item = values[index];
    } else {
      this.#shift();
    }
    this.#items--;
    this.#fill(false);
    return { done: false, value: item as R };
  }

  #checkDeadline(): void {
    if (this.#deadline !== undefined && performance.now() >= this.#deadline) {
      this.#finish();
      throw new TimeoutError('map() timed out');
    }
  }

  async #step(): Promise<IteratorResult<R, undefined>> {
    for (;;) {
      const ready = this.#takeReady();
      if (ready !== undefined) return ready;
      const remaining = this.#deadline === undefined ? undefined : this.#deadline - performance.now();
      const head = this.#queue[this.#head];
      if (head !== undefined && !(head instanceof Failure)) {
        if (!(await whenDone(head instanceof Chunk ? head.future : head, remaining))) {
          this.#finish();
          throw new TimeoutError('map() timed out');
        }
        continue;
      }
      await new Promise<void>((resolve) => {
        const timer = remaining === undefined ? undefined : startTimer(resolve, remaining);
        this.#wakers.push(() => {
          timer?.clear();
          resolve();
        });
      });
    }
  }

  #shift(): void {
    this.#queue[this.#head++] = undefined;
    if (this.#head > 1024 && this.#head * 2 > this.#queue.length) {
      this.#queue = this.#queue.slice(this.#head);
      this.#head = 0;
    }
  }

  #wake(): void {
    const wakers = this.#wakers;
    this.#wakers = [];
    for (const wake of wakers) wake();
  }

  /**
   * Submits input until `capacity` items are in flight. A sync source is read right here;
   * an async one by a background pump. At construction, a submit error is thrown to the
   * caller of map() (shut-down executor); later ones take the position where they occurred.
   */
  #fill(atCall: boolean): void {
    if (this.#sourceDone || this.#finished) return;
    if (this.#asyncSource !== undefined) {
      if (!this.#pumping) void this.#pump(this.#asyncSource);
      return;
    }
    const source = this.#syncSource as Iterator<unknown>;
    while (!this.#sourceDone && this.#items < this.#capacity) {
      const chunk: unknown[] = [];
      let failure: Failure | undefined;
      while (chunk.length < this.#chunksize) {
        try {
          const next = source.next();
          if (next.done === true) {
            this.#sourceDone = true;
            break;
          }
          chunk.push(toEntry(next.value, this.#star));
        } catch (error) {
          failure = new Failure(error);
          break;
        }
      }
      this.#submit(chunk, atCall && this.#entries === 0);
      if (failure !== undefined) this.#fail(failure);
    }
  }

  async #pump(source: AsyncIterator<unknown>): Promise<void> {
    this.#pumping = true;
    try {
      while (!this.#sourceDone && !this.#finished && this.#items < this.#capacity) {
        const chunk: unknown[] = [];
        let failure: Failure | undefined;
        while (chunk.length < this.#chunksize) {
          try {
            const next = await source.next();
            if (this.#finished) return;
            if (next.done === true) {
              this.#sourceDone = true;
              break;
            }
            chunk.push(toEntry(next.value, this.#star));
          } catch (error) {
            failure = new Failure(error);
            break;
          }
        }
        this.#submit(chunk, false);
        if (failure !== undefined) this.#fail(failure);
        this.#wake();
      }
    } finally {
      this.#pumping = false;
      if (this.#closeAfterPump) closeQuietly(source);
    }
  }

  #submit(chunk: unknown[], rethrow: boolean): void {
    if (chunk.length === 0) return;
    try {
      const submitted = this.#submitBatch({ items: chunk, spread: this.#star });
      if (submitted instanceof Chunk) this.#queue.push(submitted);
      else for (const future of submitted) this.#queue.push(future);
      this.#items += chunk.length;
    } catch (error) {
      if (rethrow) {
        this.#sourceDone = true;
        this.#finished = true;
        closeQuietly(this.#syncSource);
        throw error;
      }
      this.#fail(new Failure(error));
    }
  }

  /** Records a failure at the current end of the output and stops reading input. */
  #fail(failure: Failure): void {
    this.#queue.push(failure);
    if (!this.#sourceDone) {
      this.#sourceDone = true;
      // An async source too: #fail runs in the pump between two of its next() calls, so it
      // is suspended at a yield and can be closed now (its `finally` runs).
      closeQuietly(this.#syncSource ?? this.#asyncSource);
    }
  }

  #finish(): void {
    if (this.#finished) return;
    this.#finished = true;
    for (let i = this.#head; i < this.#queue.length; i++) {
      const entry = this.#queue[i];
      if (entry instanceof Chunk) entry.future.cancel();
      else if (entry !== undefined && !(entry instanceof Failure)) entry.cancel();
    }
    this.#queue = [];
    this.#head = 0;
    if (!this.#sourceDone) {
      this.#sourceDone = true;
      if (this.#syncSource !== undefined) closeQuietly(this.#syncSource);
      // An async source that the pump is reading is closed by the pump once its next() settles.
      else if (this.#pumping) this.#closeAfterPump = true;
      else closeQuietly(this.#asyncSource);
    }
    this.#wake();
  }
}

function closeQuietly(source: Iterator<unknown> | AsyncIterator<unknown> | undefined): void {
  try {
    const result = source?.return?.();
    if (result instanceof Promise) result.catch(() => undefined);
  } catch {
    // The caller is already finishing; an error from closing the input has nowhere to go.
  }
}
