/**
 * The lazy iterators behind `imap` and `imapUnordered`. Mirrors
 * `multiprocessing.pool.IMapIterator` and `IMapUnorderedIterator`.
 *
 * ```
 *  input ─▶ chunks of `chunksize` ─▶ at most `buffersize` chunks in flight ─▶ results
 *    ▲                                                                          │
 *    └──────────── pulled again only when a chunk has been fully handed out ◀───┘
 * ```
 *
 * Unlike CPython, whose task handler reads the whole input at once (an infinite input never
 * gets going, a huge one sits in memory), the input is read as results are consumed: at any
 * time, items read from the input and not yet handed to the consumer number at most
 * `buffersize × chunksize`. The window is topped up at the start of `next()`, so that bound
 * holds exactly from the consumer's point of view. `Pool.join()` lifts the bound (see
 * {@link IMapIterator.drain}), because Python's `join` waits for all submitted work.
 *
 * Errors follow CPython (R10.8–R10.10): with `chunksize` 1 an item's error is thrown at its
 * place and iteration may go on; with larger chunks a failing chunk throws and ends the
 * iteration; an error thrown by the input itself comes after the results of the items before
 * it, then the iteration ends.
 *
 * @module
 */
import { TimeoutError } from '@concurrent/futures';
import type { ChunkRun } from './chunks.js';
import { checkTimeout, describe, sleepFor } from './validate.js';

/** Internal: how an iterator gets its chunks run (the pool checks its state first). */
export type SubmitChunk = (items: unknown[]) => ChunkRun;

/** Internal: the iterator's settings, already checked. */
export interface IMapSettings {
  readonly chunksize: number;
  /** Chunks in flight at most. */
  readonly buffersize: number;
  /** `true` for imap (input order), `false` for imapUnordered (completion order). */
  readonly ordered: boolean;
  /** Items are argument arrays (starmap-style). */
  readonly star: boolean;
  /** What the iterator is, for messages (`'imap(square)'`). */
  readonly description: string;
}

type ChunkOutcome = { readonly ok: true; readonly values: unknown[] } | { readonly ok: false; readonly error: unknown };

interface Entry {
  readonly run: ChunkRun;
  outcome: ChunkOutcome | undefined;
  /** The next value to hand out. */
  next: number;
}

/** A thrown value kept for later (an input error, the pool terminated). */
interface Pending {
  readonly error: unknown;
}

/** An item as the task takes it: itself (map) or an argument array (starmap). */
function toItem(item: unknown, star: boolean): unknown {
  if (!star || Array.isArray(item)) return item;
  if (item !== null && item !== undefined && typeof (item as Partial<Iterable<unknown>>)[Symbol.iterator] === 'function') {
    return [...(item as Iterable<unknown>)];
  }
  throw new TypeError(`starmap items must be argument arrays, got ${describe(item)}`);
}

function closeQuietly(source: Iterator<unknown> | AsyncIterator<unknown> | undefined): void {
  try {
    const result = source?.return?.();
    if (result instanceof Promise) result.catch(() => undefined);
  } catch {
    // The iteration is ending anyway; an error from closing the input has nowhere to go.
  }
}

/**
 * The results of `imap` / `imapUnordered`, as an async iterator: use it with `for await`.
 * `next(timeout)` takes an optional timeout in milliseconds, as Python's
 * `IMapIterator.next(timeout)` does, but resolves to `{ value, done }` as every JavaScript
 * iterator does (Python's returns the value, and raises `StopIteration` at the end). Leaving a
 * `for await` early cancels the chunks that have not started and stops reading the input.
 *
 * @example
 * ```ts
 * const results = pool.imap(tasks.square, numbers(), { chunksize: 100 });
 * const { value: first } = await results.next(1_000); // TimeoutError if nothing within 1 s
 * for await (const square of results) console.log(square);
 * ```
 */
export class IMapIterator<R> implements AsyncIterableIterator<R> {
  readonly #submit: SubmitChunk;
  readonly #settings: IMapSettings;
  readonly #sync: Iterator<unknown> | undefined;
  readonly #async: AsyncIterator<unknown> | undefined;
  /** Ordered: submitted chunks in input order. Unordered: settled chunks in completion order. */
  #queue: (Entry | undefined)[] = [];
  #head = 0;
  /** Chunks submitted and not yet fully handed out: what `buffersize` bounds. */
  #inFlight = 0;
  readonly #unsettled = new Set<Entry>();
  #sourceDone = false;
  #pumping = false;
  #draining = false;
  #finished = false;
  /** An input or submit error, thrown once every chunk submitted before it is handed out. */
  #endError: Pending | undefined;
  /** The pool was terminated: thrown at the next `next()`, then the iteration is over. */
  #fatal: Pending | undefined;
  #waiters: (() => void)[] = [];
  readonly #submitted: Promise<void>;
  #markSubmitted: () => void = () => {};
  readonly #ended: Promise<void>;
  #markEnded: () => void = () => {};

  /** Made by the pools' `imap` and `imapUnordered`. */
  constructor(submit: SubmitChunk, items: Iterable<unknown> | AsyncIterable<unknown>, settings: IMapSettings) {
    this.#submit = submit;
    this.#settings = settings;
    this.#submitted = new Promise((resolve) => (this.#markSubmitted = resolve));
    this.#ended = new Promise((resolve) => (this.#markEnded = resolve));
    if (typeof (items as Partial<Iterable<unknown>>)[Symbol.iterator] === 'function') {
      this.#sync = (items as Iterable<unknown>)[Symbol.iterator]();
    } else {
      this.#async = (items as AsyncIterable<unknown>)[Symbol.asyncIterator]();
    }
    // CPython starts the work at the call, not at the first next().
    this.#fill();
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  /**
   * The next result, as `{ value, done: false }`, or `{ value: undefined, done: true }` at
   * the end (where Python raises `StopIteration`). Mirrors `IMapIterator.next(timeout)`,
   * which returns the value itself.
   *
   * @param timeout - milliseconds to wait at most; then it rejects with `TimeoutError` and
   *   the iteration goes on (the next call waits for the same result).
   * @throws the item's error, the input's error, or `TimeoutError`.
   * @example
   * ```ts
   * const { value, done } = await results.next(500);
   * ```
   */
  async next(timeout?: number): Promise<IteratorResult<R, undefined>> {
    const ms = checkTimeout(timeout);
    this.#fill();
    const timer = ms === undefined ? undefined : sleepFor(ms);
    let expired = false;
    void timer?.promise.then(() => {
      expired = true;
      this.#wake();
    });
    try {
      for (;;) {
        const ready = this.#take();
        if (ready !== undefined) return ready;
        if (expired) throw new TimeoutError(`${this.#settings.description}: no result within ${ms} ms`);
        await new Promise<void>((resolve) => this.#waiters.push(resolve));
      }
    } finally {
      timer?.cancel();
    }
  }

  /** Stops: cancels chunks that have not started and closes the input. */
  return(): Promise<IteratorResult<R, undefined>> {
    this.#finish();
    return Promise.resolve({ done: true, value: undefined });
  }

  /** Internal (Pool.join): reads the rest of the input now, with no bound, as CPython does. */
  drain(): void {
    this.#draining = true;
    this.#fill();
  }

  /** Internal (Pool.join): resolves once the whole input is submitted, or the iteration ended. */
  whenSubmitted(): Promise<void> {
    return this.#submitted;
  }

  /** Internal (Pool.terminate): resolves once the iteration is over (read to its end, or left). */
  whenEnded(): Promise<void> {
    return this.#ended;
  }

  /** Internal (Pool.terminate): fails the iteration with `error` and stops everything. */
  abort(error: unknown): void {
    if (this.#finished) return;
    this.#fatal = { error };
    this.#finished = true;
    this.#stop();
    this.#markEnded();
  }

  /** The next result if there is one now, `undefined` to wait; throws an error due now. */
  #take(): IteratorResult<R, undefined> | undefined {
    if (this.#fatal !== undefined) {
      const { error } = this.#fatal;
      this.#fatal = undefined;
      this.#finish();
      throw error;
    }
    if (this.#finished) return { done: true, value: undefined };
    const entry = this.#queue[this.#head];
    if (entry?.outcome !== undefined) {
      const { outcome } = entry;
      if (!outcome.ok) {
        this.#handedOut();
        // chunksize 1: the error takes its item's place and iteration may go on (R10.8);
        // a failing larger chunk ends it.
        if (this.#settings.chunksize > 1) this.#finish();
        throw outcome.error;
      }
      const value = outcome.values[entry.next++];
      if (entry.next >= outcome.values.length) this.#handedOut();
      return { done: false, value: value as R };
    }
    if (this.#inFlight > 0) return undefined;
    if (this.#endError !== undefined) {
      const { error } = this.#endError;
      this.#finish();
      throw error;
    }
    if (this.#sourceDone) {
      this.#finish();
      return { done: true, value: undefined };
    }
    return undefined; // an async input has not delivered its next items yet
  }

  #handedOut(): void {
    this.#queue[this.#head++] = undefined;
    this.#inFlight--;
    if (this.#head > 1024 && this.#head * 2 > this.#queue.length) {
      this.#queue = this.#queue.slice(this.#head);
      this.#head = 0;
    }
  }

  #room(): boolean {
    return this.#draining || this.#inFlight < this.#settings.buffersize;
  }

  /** Submits input until the window is full: here for a sync input, by the pump for an async one. */
  #fill(): void {
    if (this.#sourceDone || this.#finished) return;
    if (this.#async !== undefined) {
      if (!this.#pumping) void this.#pump(this.#async);
      return;
    }
    const source = this.#sync as Iterator<unknown>;
    const { chunksize, star } = this.#settings;
    while (!this.#sourceDone && this.#room()) {
      const chunk: unknown[] = [];
      let failure: Pending | undefined;
      while (chunk.length < chunksize) {
        try {
          const next = source.next();
          if (next.done === true) {
            this.#sourceDone = true;
            break;
          }
          chunk.push(toItem(next.value, star));
        } catch (error) {
          failure = { error };
          break;
        }
      }
      this.#submitChunk(chunk);
      if (failure !== undefined) this.#endWith(failure);
    }
    if (this.#sourceDone) this.#markSubmitted();
  }

  async #pump(source: AsyncIterator<unknown>): Promise<void> {
    this.#pumping = true;
    const { chunksize, star } = this.#settings;
    try {
      while (!this.#sourceDone && !this.#finished && this.#room()) {
        const chunk: unknown[] = [];
        let failure: Pending | undefined;
        while (chunk.length < chunksize) {
          try {
            const next = await source.next();
            if (this.#finished) return;
            if (next.done === true) {
              this.#sourceDone = true;
              break;
            }
            chunk.push(toItem(next.value, star));
          } catch (error) {
            failure = { error };
            break;
          }
        }
        this.#submitChunk(chunk);
        if (failure !== undefined) this.#endWith(failure);
        this.#wake();
      }
    } finally {
      this.#pumping = false;
      // return() during an await above: the input is closed now that it is not busy.
      if (this.#finished) closeQuietly(source);
      if (this.#sourceDone || this.#finished) this.#markSubmitted();
      this.#wake();
    }
  }

  #submitChunk(items: unknown[]): void {
    if (items.length === 0 || this.#endError !== undefined) return;
    let run: ChunkRun;
    try {
      run = this.#submit(items);
    } catch (error) {
      // The pool cannot take more (broken, terminated): that error comes at this position.
      this.#endWith({ error });
      return;
    }
    const entry: Entry = { run, outcome: undefined, next: 0 };
    this.#inFlight++;
    this.#unsettled.add(entry);
    if (this.#settings.ordered) this.#queue.push(entry);
    run.promise.then(
      (values) => this.#settled(entry, { ok: true, values }),
      (error: unknown) => this.#settled(entry, { ok: false, error }),
    );
  }

  #settled(entry: Entry, outcome: ChunkOutcome): void {
    if (!this.#unsettled.delete(entry)) return; // the iteration ended meanwhile
    entry.outcome = outcome;
    if (!this.#settings.ordered) this.#queue.push(entry);
    this.#wake();
  }

  /** No more input: `failure` is thrown after the results of everything submitted before it. */
  #endWith(failure: Pending): void {
    this.#endError ??= failure;
    if (!this.#sourceDone) {
      this.#sourceDone = true;
      // Called between two reads of the input (never during one), so it can be closed now.
      closeQuietly(this.#sync ?? this.#async);
    }
    this.#markSubmitted();
  }

  #stop(): void {
    for (const entry of this.#unsettled) entry.run.cancel();
    this.#unsettled.clear();
    this.#queue = [];
    this.#head = 0;
    this.#inFlight = 0;
    if (!this.#sourceDone) {
      this.#sourceDone = true;
      if (this.#sync !== undefined) closeQuietly(this.#sync);
      else if (!this.#pumping) closeQuietly(this.#async); // else the pump closes it (finally)
    }
    this.#markSubmitted();
    this.#wake();
  }

  #finish(): void {
    if (this.#finished) return;
    this.#finished = true;
    this.#stop();
    this.#markEnded();
  }

  #wake(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const wake of waiters) wake();
  }
}
