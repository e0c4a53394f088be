/**
 * The items a queue's owner holds and has not pushed to anyone, kept so that every consumer
 * sees the items in the order they arrived.
 *
 * Each item is numbered on arrival (`g`). An item is *in order* for a consumer (a remote
 * handle, or the owner thread's own gets taken together) when it is numbered above everything
 * that consumer was given before. Items come back in two ways:
 * - taken back from a live consumer that sat on them ({@link QueueItems.giveBack}): they keep
 *   their number, in order for consumers that have not gone past it (among them always the one
 *   they came from);
 * - left by a consumer that died or closed its handle: they are *orphans*, in order for anyone
 *   (and first, being the oldest): out of order rather than lost.
 *
 * Which consumer gets what is the owner's rule (queue-core.ts): pushed ahead only in order, and
 * out of order only to a get that waits with nothing in order for it.
 *
 * ```
 *  take(after) ──▶ orphans ─▶ back (sorted by g; those above `after`) ─▶ fresh
 * ```
 *
 * Fresh items are numbered above every item ever pushed, so they qualify for everyone: while
 * nothing has come back, taking is a shift of the fresh deque.
 *
 * @module
 */
import { Deque } from './deque.js';
import type { Message } from './pipe-core.js';

/** One item, as its owner tracks it from arrival to being taken. */
export class Entry {
  /** Arrival number (1, 2, ...). */
  readonly g: number;
  readonly item: Message;
  /** Its consumer's sequence number while pushed to one. */
  seq = 0;
  /** Left by a consumer that went: anyone may take it. */
  orphan = false;

  constructor(g: number, item: Message) {
    this.g = g;
    this.item = item;
  }
}

export class QueueItems {
  readonly #fresh = new Deque<Entry>();
  /** Taken back from live consumers, sorted by `g`. */
  #back: Entry[] = [];
  readonly #orphans = new Deque<Entry>();

  get length(): number {
    return this.#fresh.length + this.#back.length + this.#orphans.length;
  }

  push(entry: Entry): void {
    this.#fresh.push(entry);
  }

  /** Items come back from a consumer: in order by number, or as orphans. */
  giveBack(entries: readonly Entry[], orphans: boolean): void {
    if (entries.length === 0) return;
    if (orphans) {
      for (const entry of entries) {
        entry.orphan = true;
        this.#orphans.push(entry);
      }
      return;
    }
    const back = this.#back.concat(entries.filter((entry) => !entry.orphan));
    back.sort((a, b) => a.g - b.g);
    this.#back = back;
    for (const entry of entries) if (entry.orphan) this.#orphans.push(entry);
  }

  /** The oldest item in order for a consumer that was given items up to number `after`, taken out; none if there is none. */
  take(after: number): Entry | undefined {
    if (this.#orphans.length > 0) return this.#orphans.shift();
    const back = this.#back;
    if (back.length > 0) {
      const i = this.#firstAbove(after);
      if (i === 0) return back.shift();
      if (i < back.length) return back.splice(i, 1)[0];
    }
    return this.#fresh.shift();
  }

  /** The oldest item, in order for the consumer or not, taken out. */
  takeOldest(): Entry | undefined {
    if (this.#orphans.length > 0) return this.#orphans.shift();
    return this.#back.length > 0 ? this.#back.shift() : this.#fresh.shift();
  }

  /** How many items a consumer that was given items up to number `after` may take. */
  countFor(after: number): number {
    return this.#orphans.length + this.#back.length - this.#firstAbove(after) + this.#fresh.length;
  }

  /** Index of the first taken-back item numbered above `after`. */
  #firstAbove(after: number): number {
    const back = this.#back;
    let low = 0;
    let high = back.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (back[mid]!.g > after) high = mid;
      else low = mid + 1;
    }
    return low;
  }
}
