/**
 * A queue as its owner (the thread that created it) keeps it: the items, who waits to put
 * and to get, and which items each remote consumer holds and has not yet taken.
 *
 * ```
 *  producers                         owner                               consumers
 *  local put ──────────────▶ ┌───────────────────────┐ ── local get (takes at once)
 *  remote Q_PUT (answered ─▶ │ items (serialized, in │ ── Q_ITEM ─▶ remote consumer's buffer
 *   when bounded)            │  order) │ unacked per │ ◀─ Q_ACK (taken) / Q_RETURN (not taken)
 *                            │ consumer│ maxsize     │ ◀─ Q_WANT (window) ── Q_RECLAIM ─▶
 *                            └───────────────────────┘
 * ```
 *
 * Invariants:
 * - An item is *taken* when a local get returns it, or when a remote consumer acknowledges it
 *   (it does so in the turn its get returned it). Until then it counts toward `maxsize` and
 *   `qsize()`, and if the consumer's connection closes (it exited, was killed) the item goes
 *   back to the front of the queue for the others: a dead consumer loses nothing it had not
 *   handed to its user.
 * - A remote consumer that asked (Q_WANT) is pushed up to its window of items, so a stream
 *   costs no round trip per item. Items pushed to a consumer that does not get them do not
 *   strand others: a consumer or local get that waits while the queue is empty makes the owner
 *   reclaim, after {@link RECLAIM_DELAY_MS}, the items other consumers hold untaken.
 * - Local waiting gets are served before remote windows, items in order.
 * - A put that finds no room waits (local) or is parked (remote, answered when it gets in); room
 *   goes to parked remote puts first, in order, then to local waiters.
 *
 * @module
 */
import { serialize } from 'node:v8';
import { Deque } from './deque.js';
import type { Frame } from './frames.js';
import { FULL, OK, Q_ACK, Q_CANCEL, Q_GETNOW, Q_ITEM, Q_JOIN, Q_PUT, Q_RECLAIM, Q_RETURN, Q_SIZE, Q_TASK_DONE, Q_WANT, REPLY } from './ops.js';
import type { Message } from './pipe-core.js';
import { type Peer, type Served, register } from './runtime.js';
import { Signal } from './signal.js';

/** How long a getter waits on an empty queue before items held untaken by other consumers are reclaimed. */
export const RECLAIM_DELAY_MS = 10;
/**
 * With more than one remote consumer, each is pushed at most this many items ahead (fewer than
 * it asks for): a big window is what a lone consumer's stream needs, but between several it
 * strands items with one while another idles (until a reclaim, {@link RECLAIM_DELAY_MS} later).
 */
const SHARED_WINDOW = 128;
/** At most this many bytes pushed to one consumer and not taken (one larger item still goes). */
const WINDOW_BYTES = 1024 * 1024;

interface Consumer {
  readonly peer: Peer;
  /** How many items it may hold untaken (0: push nothing). */
  window: number;
  readonly unacked: Deque<{ readonly seq: number; readonly item: Message }>;
  bytes: number;
  seq: number;
  reclaiming: boolean;
}

interface ParkedPut {
  readonly peer: Peer;
  readonly request: number;
  readonly item: Message;
}

export class QueueCore implements Served {
  readonly id: number;
  readonly maxsize: number;
  readonly joinable: boolean;
  /** Wakes local waiters (get, put, join): each re-checks. */
  readonly changed = new Signal();
  /** Local gets waiting now: they are served before remote windows. */
  localGetters = 0;
  readonly #items = new Deque<Message>();
  readonly #consumers = new Map<Peer, Consumer>();
  #unacked = 0;
  readonly #parkedPuts = new Deque<ParkedPut>();
  #unfinished = 0;
  #joiners: { readonly peer: Peer; readonly request: number }[] = [];
  #reclaimTimer: NodeJS.Timeout | undefined;
  /**
   * The last dispatch stopped because no remote consumer had room in its window. Room comes
   * back only with an event that dispatches again (an ack, a want, a return, a close), so a put
   * meanwhile need not look at every consumer: a producer far ahead of its consumers puts
   * thousands of items while their windows are full.
   */
  #windowsFull = false;

  constructor(maxsize: number, joinable: boolean, local: () => unknown) {
    this.maxsize = maxsize;
    this.joinable = joinable;
    this.id = register(this, local);
  }

  /** Items not yet taken, here and pushed to consumers. */
  get size(): number {
    return this.#items.length + this.#unacked;
  }

  get unfinished(): number {
    return this.#unfinished;
  }

  hasRoom(): boolean {
    return this.maxsize <= 0 || this.size + this.#parkedPuts.length < this.maxsize;
  }

  /** Adds an item (the caller checked the room). */
  accept(item: Message): void {
    if (this.joinable) this.#unfinished++;
    this.#items.push(item);
    if (this.#windowsFull && this.localGetters === 0) return;
    this.#dispatch();
  }

  /** A local get takes the first item, if any. */
  take(): Message | undefined {
    const item = this.#items.shift();
    if (item !== undefined) this.#freed();
    else this.#scheduleReclaim();
    return item;
  }

  /** @returns false when there were more task_done calls than items. */
  taskDone(count: number): boolean {
    if (count > this.#unfinished) return false;
    this.#unfinished -= count;
    if (this.#unfinished === 0) {
      for (const { peer, request } of this.#joiners) peer.wire.send(REPLY, this.id, request, OK);
      this.#joiners = [];
      this.changed.wake();
    }
    return true;
  }

  onFrame(peer: Peer, frame: Frame): void {
    switch (frame.op) {
      case Q_PUT: {
        const item = { bytes: frame.payload, flags: frame.flags };
        if (this.hasRoom()) {
          this.accept(item);
          if (frame.a !== 0) peer.wire.send(REPLY, this.id, frame.a, OK);
        } else if (frame.b === 0) {
          peer.wire.send(REPLY, this.id, frame.a, FULL);
        } else {
          this.#parkedPuts.push({ peer, request: frame.a, item });
        }
        break;
      }
      case Q_CANCEL: {
        const parked = this.#parkedPuts.remove((put) => put.peer === peer && put.request === frame.a);
        // Not parked any more: it got in, and its OK is on the way.
        if (parked !== undefined) {
          peer.wire.send(REPLY, this.id, frame.a, FULL);
          this.#admit();
        }
        break;
      }
      case Q_WANT: {
        const consumer = this.#consumer(peer);
        consumer.window = frame.a;
        consumer.reclaiming = false;
        this.#dispatch();
        break;
      }
      case Q_ACK: {
        const consumer = this.#consumers.get(peer);
        if (consumer === undefined) break;
        let freed = 0;
        while ((consumer.unacked.peek()?.seq ?? Infinity) <= frame.a) {
          consumer.bytes -= consumer.unacked.shift()!.item.bytes.length;
          freed++;
        }
        this.#unacked -= freed;
        if (freed > 0) {
          this.#freed();
          this.#dispatch();
        }
        break;
      }
      case Q_RETURN: {
        const consumer = this.#consumers.get(peer);
        if (consumer === undefined) break;
        this.#giveBack(consumer, frame.a, frame.b === 0 ? Infinity : frame.b);
        consumer.reclaiming = false;
        if (frame.b === 0) this.#consumers.delete(peer);
        this.#dispatch();
        this.#admit();
        break;
      }
      case Q_GETNOW: {
        if (this.#items.length > this.localGetters) this.#push(this.#consumer(peer), this.#items.shift()!);
        peer.wire.send(REPLY, this.id, frame.a, OK);
        break;
      }
      case Q_TASK_DONE:
        this.taskDone(Math.min(frame.a, this.#unfinished));
        break;
      case Q_JOIN:
        if (this.#unfinished === 0) peer.wire.send(REPLY, this.id, frame.a, OK);
        else this.#joiners.push({ peer, request: frame.a });
        break;
      case Q_SIZE:
        peer.wire.send(REPLY, this.id, frame.a, OK, 0, serialize(this.size));
        break;
      default:
        break;
    }
  }

  onPeerClosed(peer: Peer): void {
    const consumer = this.#consumers.get(peer);
    if (consumer !== undefined) {
      this.#giveBack(consumer, 0, Infinity);
      this.#consumers.delete(peer);
    }
    const parked = this.#parkedPuts.drain();
    for (const put of parked) if (put.peer !== peer) this.#parkedPuts.push(put);
    this.#joiners = this.#joiners.filter((joiner) => joiner.peer !== peer);
    this.#dispatch();
    this.#admit();
  }

  #consumer(peer: Peer): Consumer {
    let consumer = this.#consumers.get(peer);
    if (consumer === undefined) {
      consumer = { peer, window: 0, unacked: new Deque(), bytes: 0, seq: 0, reclaiming: false };
      this.#consumers.set(peer, consumer);
    }
    return consumer;
  }

  /** Items of `consumer` with seq in (after, upTo] go back to the front of the queue, in order. */
  #giveBack(consumer: Consumer, after: number, upTo: number): void {
    const kept: { seq: number; item: Message }[] = [];
    const back: Message[] = [];
    for (const entry of consumer.unacked.drain()) {
      if (entry.seq > after && entry.seq <= upTo) back.push(entry.item);
      else if (entry.seq > upTo) kept.push(entry);
      // seq <= after: taken (its ack is on the way).
      else this.#unacked--;
    }
    consumer.bytes = 0;
    for (const entry of kept) {
      consumer.unacked.push(entry);
      consumer.bytes += entry.item.bytes.length;
    }
    this.#unacked -= back.length;
    for (let i = back.length - 1; i >= 0; i--) this.#items.unshift(back[i]!);
  }

  #push(consumer: Consumer, item: Message): void {
    const seq = ++consumer.seq;
    consumer.unacked.push({ seq, item });
    consumer.bytes += item.bytes.length;
    this.#unacked++;
    consumer.peer.wire.send(Q_ITEM, this.id, seq, 0, item.flags, item.bytes);
  }

  /** Hands items to waiting local gets first, then fills remote windows, least-loaded first. */
  #dispatch(): void {
    if (this.localGetters > 0 && this.#items.length > 0) this.changed.wake();
    const shared = this.#consumers.size > 1;
    while (this.#items.length > this.localGetters) {
      let best: Consumer | undefined;
      for (const consumer of this.#consumers.values()) {
        const window = shared ? Math.min(consumer.window, SHARED_WINDOW) : consumer.window;
        if (consumer.unacked.length >= window || (consumer.unacked.length > 0 && consumer.bytes >= WINDOW_BYTES)) continue;
        if (best === undefined || consumer.unacked.length < best.unacked.length) best = consumer;
      }
      if (best === undefined) {
        this.#windowsFull = true;
        return;
      }
      this.#push(best, this.#items.shift()!);
    }
    this.#windowsFull = false;
    if (this.#items.length === 0) this.#scheduleReclaim();
  }

  /** An item was taken: room for a parked or waiting put. */
  #freed(): void {
    this.#admit();
    this.changed.wake();
  }

  #admit(): void {
    while (this.#parkedPuts.length > 0 && (this.maxsize <= 0 || this.size < this.maxsize)) {
      const put = this.#parkedPuts.shift()!;
      this.accept(put.item);
      put.peer.wire.send(REPLY, this.id, put.request, OK);
    }
    this.changed.wake();
  }

  #hungry(): boolean {
    if (this.localGetters > 0) return true;
    for (const consumer of this.#consumers.values()) if (consumer.window > 0 && consumer.unacked.length === 0) return true;
    return false;
  }

  #scheduleReclaim(): void {
    if (this.#reclaimTimer !== undefined || this.#unacked === 0) return;
    this.#reclaimTimer = setTimeout(() => {
      this.#reclaimTimer = undefined;
      if (this.#items.length > 0 || !this.#hungry()) return;
      for (const consumer of this.#consumers.values()) {
        if (consumer.unacked.length === 0 || consumer.reclaiming) continue;
        consumer.reclaiming = true;
        consumer.window = 0;
        consumer.peer.wire.send(Q_RECLAIM, this.id);
      }
    }, RECLAIM_DELAY_MS);
    this.#reclaimTimer.unref();
  }
}
