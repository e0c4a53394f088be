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
 *   `qsize()`, and if the consumer's connection closes (it exited, was killed) the item comes
 *   back for the others: a dead consumer loses nothing it had not handed to its user.
 * - A remote consumer that asked (Q_WANT) is pushed up to its window of items, so a stream
 *   costs no round trip per item. Its window follows its user (queue-ports.ts): none between
 *   the gets of a slow user, so a slow consumer holds nothing another could take.
 * - Items are numbered on arrival (queue-items.ts). A window is only ever pushed items in order
 *   for its consumer (numbered above all it was given), so each consumer sees each producer's
 *   items in order and a consumer that took its sentinel is never pushed one put before it.
 * - Items pushed to a consumer that does not get them do not strand others. A consumer whose
 *   user stops gives them back by itself (queue-ports.ts); and when a get waits with nothing in
 *   order for it (a consumer tells when its user waits: Q_WANT's b), the owner reclaims, after
 *   {@link RECLAIM_DELAY_MS}, what others hold untaken in order for it.
 * - No item is overtaken for good. An item given back waits for a consumer it is in order for,
 *   but becomes an orphan, which anyone may take, once it is in order for no consumer (the
 *   others ran past it: a sentinel must not go ahead of it) or after
 *   {@link OUT_OF_ORDER_AFTER_MS}; so do the items of a consumer that died or closed its handle.
 *   A get that does not wait takes the oldest item at once. These are the only ways a consumer
 *   sees a producer's items out of order.
 * - Local waiting gets are served before remote windows.
 * - A put that finds no room waits (local) or is parked (remote, answered when it gets in); room
 *   goes to parked remote puts first, in order, then to local waiters.
 *
 * @module
 */
import { performance } from 'node:perf_hooks';
import { serialize } from 'node:v8';
import { Deque } from './deque.js';
import type { Frame } from './frames.js';
import { FULL, OK, Q_ACK, Q_CANCEL, Q_GETNOW, Q_ITEM, Q_JOIN, Q_PUT, Q_RECLAIM, Q_RETURN, Q_SIZE, Q_TAKEN_BACK, Q_TASK_DONE, Q_WANT, REPLY, RETURN_DETACH } from './ops.js';
import type { Message } from './pipe-core.js';
import { Entry, OUT_OF_ORDER_AFTER_MS, QueueItems } from './queue-items.js';
import { type Peer, type Served, register } from './runtime.js';
import { Signal } from './signal.js';

/** How long a getter waits with nothing in order for it before items held untaken by other consumers (in order for it) are reclaimed. */
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
  /** Pushed and not yet taken, by `seq`. */
  unacked: Deque<Entry>;
  bytes: number;
  seq: number;
  /** The highest arrival number it took. */
  taken: number;
  /** The highest arrival number it was given (taken or held): it may be pushed only items above. */
  given: number;
  /** Its user waits in a get with nothing held (from its Q_WANT until an item is pushed to it). */
  waiting: boolean;
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
  readonly #items = new QueueItems();
  /** Arrival number of the last item accepted. */
  #arrived = 0;
  /** The highest arrival number this thread's own gets took (they count as one consumer). */
  #localGiven = 0;
  readonly #consumers = new Map<Peer, Consumer>();
  #unacked = 0;
  readonly #parkedPuts = new Deque<ParkedPut>();
  #unfinished = 0;
  #joiners: { readonly peer: Peer; readonly request: number }[] = [];
  #hungerTimer: NodeJS.Timeout | undefined;
  readonly #onHunger = (): void => {
    this.#hungerTimer = undefined;
    this.#hunger();
  };
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
    this.#items.push(new Entry(++this.#arrived, item));
    if (this.#windowsFull && this.localGetters === 0) return;
    this.#dispatch();
  }

  /** A local get takes the first item in order for this thread; `now` (it does not wait): else the oldest. */
  take(now = false): Message | undefined {
    const items = this.#items;
    this.#orphanOverdue();
    const entry = items.take(this.#localGiven) ?? (now ? items.takeOldest() : undefined);
    if (entry === undefined) {
      this.#scheduleHunger();
      return undefined;
    }
    if (!entry.orphan && entry.g > this.#localGiven) this.#localGiven = entry.g;
    this.#freed();
    return entry.item;
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
        consumer.waiting = frame.b === 1;
        consumer.reclaiming = false;
        this.#dispatch();
        break;
      }
      case Q_ACK: {
        const consumer = this.#consumers.get(peer);
        if (consumer === undefined) break;
        let freed = 0;
        while ((consumer.unacked.peek()?.seq ?? Infinity) <= frame.a) {
          const entry = consumer.unacked.shift()!;
          consumer.bytes -= entry.item.bytes.length;
          if (!entry.orphan && entry.g > consumer.taken) consumer.taken = entry.g;
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
        // Everything pushed to it from seq a on, held or on the way (flags: and it is done).
        const consumer = this.#consumers.get(peer);
        if (consumer === undefined) break;
        const detach = frame.flags === RETURN_DETACH;
        this.#giveBack(consumer, frame.a, detach);
        consumer.reclaiming = false;
        if (detach) {
          // What it still holds below `a` it took (the acknowledgement came first).
          this.#unacked -= consumer.unacked.length;
          this.#consumers.delete(peer);
        } else {
          peer.wire.send(Q_TAKEN_BACK, this.id);
        }
        this.#dispatch();
        this.#admit();
        break;
      }
      case Q_GETNOW: {
        const consumer = this.#consumer(peer);
        if (this.#items.length > this.localGetters) {
          // A get that does not wait takes the oldest item if none is in order for it.
          this.#orphanOverdue();
          const entry = this.#items.take(consumer.given) ?? this.#items.takeOldest();
          if (entry !== undefined) this.#push(consumer, entry);
        }
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
      this.#giveBack(consumer, 0, true);
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
      consumer = { peer, window: 0, unacked: new Deque(), bytes: 0, seq: 0, taken: 0, given: 0, waiting: false, reclaiming: false };
      this.#consumers.set(peer, consumer);
    }
    return consumer;
  }

  /**
   * The items pushed to `consumer` from seq `from` on come back (those before stay pushed): as
   * orphans when it is gone, else numbered, for consumers that may take them in order.
   */
  #giveBack(consumer: Consumer, from: number, gone: boolean): void {
    const kept = new Deque<Entry>();
    const back: Entry[] = [];
    let given = consumer.taken;
    for (const entry of consumer.unacked) {
      if (entry.seq >= from) {
        back.push(entry);
        continue;
      }
      kept.push(entry);
      if (!entry.orphan && entry.g > given) given = entry.g;
    }
    consumer.unacked = kept;
    consumer.given = given;
    consumer.bytes = 0;
    for (const entry of kept) consumer.bytes += entry.item.bytes.length;
    this.#unacked -= back.length;
    this.#items.giveBack(back, gone, performance.now());
  }

  #push(consumer: Consumer, entry: Entry): void {
    entry.seq = ++consumer.seq;
    if (!entry.orphan && entry.g > consumer.given) consumer.given = entry.g;
    consumer.waiting = false;
    consumer.unacked.push(entry);
    const { item } = entry;
    consumer.bytes += item.bytes.length;
    this.#unacked++;
    consumer.peer.wire.send(Q_ITEM, this.id, entry.seq, 0, item.flags, item.bytes);
  }

  /**
   * Hands items to waiting local gets first, then fills remote windows with items in order,
   * least-loaded first.
   */
  #dispatch(): void {
    const items = this.#items;
    this.#orphanOverdue();
    if (this.localGetters > 0 && items.length > 0) this.changed.wake();
    const shared = this.#consumers.size > 1;
    while (items.length > this.localGetters) {
      let best: Consumer | undefined;
      let room = false;
      for (const consumer of this.#consumers.values()) {
        const window = shared ? Math.min(consumer.window, SHARED_WINDOW) : consumer.window;
        if (consumer.unacked.length >= window || (consumer.unacked.length > 0 && consumer.bytes >= WINDOW_BYTES)) continue;
        room = true;
        if (best !== undefined && consumer.unacked.length >= best.unacked.length) continue;
        if (items.hasFor(consumer.given)) best = consumer;
      }
      if (best !== undefined) {
        this.#push(best, items.take(best.given)!);
      } else {
        // No room anywhere: only an event that makes room dispatches again, so a put meanwhile
        // need not. Room, but nothing in order for it: a get there may wait.
        this.#windowsFull = !room;
        if (room) this.#scheduleHunger();
        return;
      }
    }
    this.#windowsFull = false;
    if (items.length === 0) this.#scheduleHunger();
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

  #scheduleHunger(delay = RECLAIM_DELAY_MS): void {
    if (this.#hungerTimer !== undefined || (this.#unacked === 0 && this.#items.length === 0)) return;
    this.#hungerTimer = setTimeout(this.#onHunger, delay);
    this.#hungerTimer.unref();
  }

  /**
   * A get waits with nothing in order for it: asks the consumers that hold items untaken for
   * those in order for it (from the first one on). Items given back and waiting for a consumer
   * they are in order for are handed on when {@link OUT_OF_ORDER_AFTER_MS} has passed.
   */
  #hunger(): void {
    const items = this.#items;
    let after = Infinity;
    if (this.localGetters > 0 && !items.hasFor(this.#localGiven)) after = this.#localGiven;
    for (const consumer of this.#consumers.values()) {
      if (consumer.waiting && !items.hasFor(consumer.given)) after = Math.min(after, consumer.given);
    }
    if (after === Infinity) return;
    for (const holder of this.#consumers.values()) {
      if (holder.unacked.length === 0 || holder.reclaiming) continue;
      for (const entry of holder.unacked) {
        if (entry.orphan || entry.g > after) {
          holder.reclaiming = true;
          holder.window = 0;
          holder.peer.wire.send(Q_RECLAIM, this.id, entry.seq);
          break;
        }
      }
    }
    const oldest = items.oldestBack;
    if (oldest === undefined) return;
    const left = oldest + OUT_OF_ORDER_AFTER_MS - performance.now();
    if (left > 0) {
      this.#scheduleHunger(left);
    } else {
      this.#dispatch();
      this.changed.wake();
    }
  }

  /**
   * Items given back that no consumer may take in order any more (each was given a later one),
   * or that waited {@link OUT_OF_ORDER_AFTER_MS} for one that may, become orphans: anyone may
   * take them. A get here that waits counts as a consumer.
   */
  #orphanOverdue(): void {
    if (!this.#items.hasBack) return;
    let upTo = this.localGetters > 0 ? this.#localGiven : Infinity;
    for (const consumer of this.#consumers.values()) if (consumer.given < upTo) upTo = consumer.given;
    this.#items.orphanUpTo(upTo, performance.now() - OUT_OF_ORDER_AFTER_MS);
  }
}
