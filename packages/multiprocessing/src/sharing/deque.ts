/**
 * A double-ended queue on a ring buffer: O(1) at both ends, and its memory shrinks back
 * when it empties (a queue that once held a million items must not keep their slots).
 *
 * @module
 */
const MIN_CAPACITY = 16;
/**
 * It shrinks only above this capacity (8 KiB of slots): a queue's items and a consumer's window
 * grow and empty by hundreds at each batch, and shrinking at every ebb then growing back at the
 * next batch was a tenth of an owner thread's time relaying a stream between worker threads.
 */
const SHRINK_ABOVE = 1024;

export class Deque<T> {
  #ring: (T | undefined)[] = new Array<T | undefined>(MIN_CAPACITY);
  #head = 0;
  #length = 0;

  get length(): number {
    return this.#length;
  }

  push(item: T): void {
    if (this.#length === this.#ring.length) this.#resize(this.#ring.length * 2);
    this.#ring[(this.#head + this.#length) & (this.#ring.length - 1)] = item;
    this.#length++;
  }

  unshift(item: T): void {
    if (this.#length === this.#ring.length) this.#resize(this.#ring.length * 2);
    this.#head = (this.#head - 1) & (this.#ring.length - 1);
    this.#ring[this.#head] = item;
    this.#length++;
  }

  shift(): T | undefined {
    if (this.#length === 0) return undefined;
    const item = this.#ring[this.#head];
    this.#ring[this.#head] = undefined;
    this.#head = (this.#head + 1) & (this.#ring.length - 1);
    this.#length--;
    if (this.#ring.length > SHRINK_ABOVE && this.#length <= this.#ring.length >>> 2) this.#resize(this.#ring.length >>> 1);
    return item;
  }

  peek(): T | undefined {
    return this.#length === 0 ? undefined : this.#ring[this.#head];
  }

  /** Removes the first item that matches; returns it. */
  remove(match: (item: T) => boolean): T | undefined {
    for (let i = 0; i < this.#length; i++) {
      const item = this.#ring[(this.#head + i) & (this.#ring.length - 1)] as T;
      if (match(item)) {
        const rest = this.drain();
        rest.splice(i, 1);
        for (const kept of rest) this.push(kept);
        return item;
      }
    }
    return undefined;
  }

  /** Takes every item out, in order. */
  drain(): T[] {
    const items: T[] = [];
    while (this.#length > 0) items.push(this.shift() as T);
    return items;
  }

  *[Symbol.iterator](): IterableIterator<T> {
    for (let i = 0; i < this.#length; i++) yield this.#ring[(this.#head + i) & (this.#ring.length - 1)] as T;
  }

  #resize(capacity: number): void {
    const ring = new Array<T | undefined>(capacity);
    for (let i = 0; i < this.#length; i++) ring[i] = this.#ring[(this.#head + i) & (this.#ring.length - 1)];
    this.#ring = ring;
    this.#head = 0;
  }
}
