/**
 * The items a queue's owner holds and has not pushed to anyone, kept so that every consumer
 * sees the items in the order they arrived, and so that no item is overtaken for good.
 *
 * Each item is numbered on arrival (`g`). An item is *in order* for a consumer (a remote
 * handle, or the owner thread's own gets taken together) when it is numbered above everything
 * that consumer was given before. Items come back in two ways:
 * - given back by a live consumer that sat on them ({@link QueueItems.giveBack}): they keep their
 *   number, in order for the consumers that have not run past it (among them the one they came
 *   from), and wait for one of those;
 * - left by a consumer that died or closed its handle: they are *orphans*, in order for anyone.
 *
 * An item given back becomes an orphan too once it is in order for no consumer
 * ({@link QueueItems.orphanUpTo}) or has waited {@link OUT_OF_ORDER_AFTER_MS}: otherwise newer
 * items (a sentinel) would go ahead of it for ever.
 *
 * A consumer takes the oldest item it may: the first orphan, given-back item above what it was
 * given, or fresh item, whichever is numbered lowest (so a consumer that gets an orphan, say a
 * sentinel, has had the older items it may take first).
 *
 * ```
 *  take(after) ──▶ lowest g of: orphans[0] │ back above `after` (sorted by g) │ fresh[0]
 * ```
 *
 * Fresh items are numbered above every item ever pushed, so they are in order for everyone:
 * while nothing has come back, taking is a shift of the fresh deque.
 *
 * @module
 */
import { Deque } from './deque.js';
import type { Message } from './pipe-core.js';

/**
 * How long an item given back waits for a consumer it is in order for (the one that gave it
 * back, whose user may come back) before anyone may take it, out of order.
 */
export const OUT_OF_ORDER_AFTER_MS = 100;

/** One item, as its owner tracks it from arrival to being taken. */
export class Entry {
  /** Arrival number (1, 2, ...). */
  readonly g: number;
  readonly item: Message;
  /** Its consumer's sequence number while pushed to one. */
  seq = 0;
  /** Anyone may take it (its consumer went, or it waited too long to be taken in order). */
  orphan = false;
  /** When it was given back (performance.now()), while it waits among the given back. */
  back = 0;

  constructor(g: number, item: Message) {
    this.g = g;
    this.item = item;
  }
}

export class QueueItems {
  readonly #fresh = new Deque<Entry>();
  /** Given back by live consumers, sorted by `g`. */
  #back: Entry[] = [];
  /** Sorted by `g`. */
  #orphans: Entry[] = [];

  get length(): number {
    return this.#fresh.length + this.#back.length + this.#orphans.length;
  }

  /** Whether items given back wait for a consumer they are in order for. */
  get hasBack(): boolean {
    return this.#back.length > 0;
  }

  /** When the longest-waiting item given back came back; undefined if none waits. */
  get oldestBack(): number | undefined {
    let oldest: number | undefined;
    for (const entry of this.#back) if (oldest === undefined || entry.back < oldest) oldest = entry.back;
    return oldest;
  }

  push(entry: Entry): void {
    this.#fresh.push(entry);
  }

  /** Items come back from a consumer at `now`: in order by number, or as orphans. */
  giveBack(entries: readonly Entry[], orphans: boolean, now: number): void {
    if (entries.length === 0) return;
    const back: Entry[] = [];
    const orphaned: Entry[] = [];
    for (const entry of entries) {
      if (orphans || entry.orphan) {
        entry.orphan = true;
        orphaned.push(entry);
      } else {
        entry.back = now;
        back.push(entry);
      }
    }
    if (back.length > 0) this.#back = sorted(this.#back, back);
    if (orphaned.length > 0) this.#orphans = sorted(this.#orphans, orphaned);
  }

  /**
   * Items given back become orphans when no consumer may take them in order (numbered at most
   * `upTo`, the least any consumer was given), or when they came back at `before` or earlier.
   */
  orphanUpTo(upTo: number, before: number): void {
    const back = this.#back;
    if (back.length === 0) return;
    const kept: Entry[] = [];
    const orphaned: Entry[] = [];
    for (const entry of back) {
      if (entry.g <= upTo || entry.back <= before) {
        entry.orphan = true;
        orphaned.push(entry);
      } else {
        kept.push(entry);
      }
    }
    if (orphaned.length === 0) return;
    this.#back = kept;
    this.#orphans = sorted(this.#orphans, orphaned);
  }

  /** The oldest item in order for a consumer that was given items up to number `after`, taken out; none if there is none. */
  take(after: number): Entry | undefined {
    const back = this.#back;
    const orphans = this.#orphans;
    // While nothing came back, the fresh deque alone.
    if (back.length === 0 && orphans.length === 0) return this.#fresh.shift();
    const i = back.length === 0 ? 0 : this.#firstAbove(after);
    return this.#lowest(orphans[0], back[i], i);
  }

  /** The oldest item, in order for the consumer or not, taken out. */
  takeOldest(): Entry | undefined {
    return this.#lowest(this.#orphans[0], this.#back[0], 0);
  }

  /** Takes out the lowest numbered of the first orphan, given-back item `i` and first fresh item. */
  #lowest(orphan: Entry | undefined, back: Entry | undefined, i: number): Entry | undefined {
    const fresh = this.#fresh.peek();
    let g = fresh?.g ?? Infinity;
    if (orphan !== undefined && orphan.g < g) g = orphan.g;
    if (back !== undefined && back.g < g) g = back.g;
    if (g === Infinity) return undefined;
    if (orphan?.g === g) return this.#orphans.shift();
    if (back?.g === g) return i === 0 ? this.#back.shift() : this.#back.splice(i, 1)[0];
    return this.#fresh.shift();
  }

  /** Whether a consumer that was given items up to number `after` may take one in order. */
  hasFor(after: number): boolean {
    return this.#orphans.length > 0 || this.#fresh.length > 0 || (this.#back.length > 0 && this.#firstAbove(after) < this.#back.length);
  }

  /** Index of the first item given back numbered above `after`. */
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

/** `into` and `more` merged, sorted by `g`. */
function sorted(into: readonly Entry[], more: readonly Entry[]): Entry[] {
  return into.concat(more).sort((a, b) => a.g - b.g);
}
