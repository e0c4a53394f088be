/**
 * The wire between a worker thread and an owner thread of the same process, in shared memory:
 * two single-producer single-consumer byte rings in one `SharedArrayBuffer`, one each way,
 * carrying the same frames as the socket (frames.ts). A frame crosses in a copy into the ring
 * and a copy out, and a batch wakes the reader at most once, instead of a `write` and an
 * epoll wake-up per batch (decision 0016).
 *
 * ```
 *  owner thread                                   worker thread (a handle's link)
 *  reduce(q, 'thread') ── offer: SAB ─────────▶   revive: claim the offer (compare-and-swap)
 *  server ◀── socket: L_RING(offer id) ────────── Link (the socket stays: it closes when a side dies)
 *  Peer.wire ◀══ ring "up" (handle → owner) ═════ Link.wire
 *  Peer.wire ══▶ ring "down" (owner → handle) ══▶ Link.wire
 * ```
 *
 * Invariants:
 * - The socket is what tells a side that the other has gone (a terminated thread's socket is
 *   closed by the runtime, as a killed process's is by the kernel). The rings live as long as
 *   someone holds the buffer, so a side that learns of the other's death first reads what is
 *   left in its incoming ring, then reports the close: an owner sees a dead consumer's last
 *   acknowledgements before it gives that consumer's items back.
 * - A writer publishes bytes by moving the write index (after copying them in), a reader frees
 *   room by moving the read index (after copying them out); each index has one writer, so a
 *   side stopped anywhere (worker.terminate()) leaves a consistent ring.
 * - A reader waits with `Atomics.waitAsync`, which does not keep the event loop alive: the
 *   socket, ref'd while an operation waits (runtime.ts `Link.hold`), does that, as before. A
 *   writer notifies only when the reader has said it waits, so a busy stream costs no wake-up
 *   per batch.
 * - An offer is claimed at most once (compare-and-swap on its state word). A recipient that
 *   already has a link to the owner declines it, and the owner offers it again; an owner
 *   never has more than {@link MAX_OFFERS} offers out (then a handle travels without one),
 *   and withdraws only stale ones (a recipient that finds its offer withdrawn, or none, uses
 *   the socket alone: slower, never wrong).
 *
 * @module
 */

/** Bytes of each ring's data (a power of two). */
const RING_BYTES = 256 * 1024;
/** Bytes before each ring's data: its indexes and flags, on a cache line of their own. */
const RING_HEADER_BYTES = 64;
/** Bytes before the first ring: the offer's state word. */
const OFFER_HEADER_BYTES = 64;
const OFFER_BYTES = OFFER_HEADER_BYTES + 2 * (RING_HEADER_BYTES + RING_BYTES);
/**
 * At most this many bytes are handed on per read, then the thread takes a turn. An owner fed
 * a whole ring of puts at once (256 KiB, thousands of items) would otherwise accept them all
 * before it reads the consumer's acknowledgements on another ring, and the consumer, its
 * window read, would wait idle meanwhile.
 */
const READ_BYTES = 32 * 1024;
/** At most this many offers out and not claimed at once, per owner thread (each holds {@link OFFER_BYTES}). */
const MAX_OFFERS = 16;
/** An offer out this long is withdrawn when a new one is needed (see {@link makeOffer}). */
const STALE_OFFER_MS = 60_000;

// Int32 slots of a ring's header.
/** Bytes written so far (mod 2^32), moved by the writer once the bytes are in. */
const W = 0;
/** Bytes read so far (mod 2^32), moved by the reader once the bytes are out. */
const R = 1;
/** 1 while the reader waits on {@link W}. */
const READER_WAITS = 2;
/** 1 while the writer waits on {@link R} for room. */
const WRITER_WAITS = 3;

// Values of an offer's state word.
const OFFERED = 0;
const CLAIMED = 1;
const DECLINED = 2;
const WITHDRAWN = 3;

type WaitResult = { readonly async: false; readonly value: 'not-equal' | 'timed-out' } | { readonly async: true; readonly value: Promise<'ok' | 'timed-out'> };
/** `Atomics.waitAsync` (in Node since 16; its type is in TypeScript's es2024 lib, above this package's target). */
const waitAsync = (Atomics as unknown as { waitAsync(this: void, array: Int32Array, index: number, value: number): WaitResult }).waitAsync;

/** Which end of the rings a side holds. */
export type RingSide = 'owner' | 'handle';

/** An offer as it travels in a handle's reduced state. */
export interface RingOffer {
  /** The offer's id at its owner. */
  readonly i: number;
  readonly b: SharedArrayBuffer;
}

/** The owner thread's offers not yet claimed (or claimed, until the claimer's L_RING arrives), and when each was last offered. */
export type Offers = Map<number, { readonly buffer: SharedArrayBuffer; since: number }>;

function offerWord(buffer: SharedArrayBuffer): Int32Array {
  return new Int32Array(buffer, 0, 1);
}

/**
 * An offer for one more handle's link (a declined one again, if any), or none when too many
 * are out. The oldest are the likeliest to be claimed next (a burst of pool submits reduces
 * them first), so none is withdrawn before {@link STALE_OFFER_MS}: only a reduction that
 * never arrived (a cancelled task) leaves an offer out that long.
 */
export function makeOffer(offers: Offers, nextId: () => number): RingOffer | undefined {
  const now = Date.now();
  for (const [id, offer] of offers) {
    if (Atomics.compareExchange(offerWord(offer.buffer), 0, DECLINED, OFFERED) === DECLINED) {
      offer.since = now;
      return { i: id, b: offer.buffer };
    }
  }
  // A claimed offer stays until its claimer's L_RING arrives (forgetting it first would leave
  // that thread writing into a ring no one reads), so only the others count and may go.
  let out = 0;
  for (const [id, offer] of offers) {
    if (Atomics.load(offerWord(offer.buffer), 0) === CLAIMED) continue;
    if (now - offer.since >= STALE_OFFER_MS && Atomics.compareExchange(offerWord(offer.buffer), 0, OFFERED, WITHDRAWN) === OFFERED) offers.delete(id);
    else out++;
  }
  if (out >= MAX_OFFERS) return undefined;
  const buffer = new SharedArrayBuffer(OFFER_BYTES);
  const id = nextId();
  offers.set(id, { buffer, since: now });
  return { i: id, b: buffer };
}

/** Takes the offer for this thread's new link; false if another took it or the owner withdrew it. */
export function claimOffer(offer: RingOffer): boolean {
  return Atomics.compareExchange(offerWord(offer.b), 0, OFFERED, CLAIMED) === OFFERED;
}

/** This thread needs no ring (it has a link already): the owner may offer this one again. */
export function declineOffer(offer: RingOffer): void {
  Atomics.compareExchange(offerWord(offer.b), 0, OFFERED, DECLINED);
}

/** The buffer of a claimed offer, which the owner stops offering; undefined if `id` is not one. */
export function takeClaimed(offers: Offers, id: number): SharedArrayBuffer | undefined {
  const offer = offers.get(id);
  if (offer === undefined || Atomics.load(offerWord(offer.buffer), 0) !== CLAIMED) return undefined;
  offers.delete(id);
  return offer.buffer;
}

/** One ring of the pair, as one side sees it. */
class Ring {
  readonly header: Int32Array;
  readonly data: Uint8Array;

  constructor(buffer: SharedArrayBuffer, index: number) {
    const at = OFFER_HEADER_BYTES + index * (RING_HEADER_BYTES + RING_BYTES);
    this.header = new Int32Array(buffer, at, RING_HEADER_BYTES / 4);
    this.data = new Uint8Array(buffer, at + RING_HEADER_BYTES, RING_BYTES);
  }
}

/**
 * One side of a ring pair: writes go into the outgoing ring (what does not fit waits here, in
 * order), and every byte that arrives in the incoming ring is handed to `onData`.
 */
export class RingPair {
  readonly #out: Ring;
  readonly #in: Ring;
  readonly #onData: (chunk: Buffer) => void;
  #pending: Buffer[] = [];
  #pendingBytes = 0;
  #drainWaiters: (() => void)[] = [];
  #writerWaits = false;
  #closed = false;
  readonly #listen = (): void => this.#readLoop();

  constructor(buffer: SharedArrayBuffer, side: RingSide, onData: (chunk: Buffer) => void) {
    const up = new Ring(buffer, 0);
    const down = new Ring(buffer, 1);
    this.#out = side === 'handle' ? up : down;
    this.#in = side === 'handle' ? down : up;
    this.#onData = onData;
    // Not from here: the owner switches while it parses the socket frame that asked for it.
    queueMicrotask(this.#listen);
  }

  /** Bytes written and not yet in the ring (it is full). */
  get unsent(): number {
    return this.#pendingBytes;
  }

  write(chunks: readonly Buffer[]): void {
    if (this.#closed) return;
    for (const chunk of chunks) {
      if (chunk.length === 0) continue;
      this.#pending.push(chunk);
      this.#pendingBytes += chunk.length;
    }
    this.#pump();
  }

  /** Calls `callback` once nothing waits to enter the ring (or the pair is closed). */
  whenDrained(callback: () => void): void {
    if (this.#closed || this.#pendingBytes === 0) callback();
    else this.#drainWaiters.push(callback);
  }

  /**
   * The other side is gone (its socket closed): hands on what is left in the incoming ring,
   * then stops. Bytes not yet in the outgoing ring are dropped, as a socket drops them.
   */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    while (this.#read()) {
      // Each read hands on everything there was; the other side may still have been writing.
    }
    this.#pending = [];
    this.#pendingBytes = 0;
    // Our own waits end now rather than hold the buffer until it is collected.
    Atomics.notify(this.#in.header, W);
    Atomics.notify(this.#out.header, R);
    const waiters = this.#drainWaiters;
    this.#drainWaiters = [];
    for (const waiter of waiters) waiter();
  }

  #pump(): void {
    const { header, data } = this.#out;
    for (;;) {
      let w = Atomics.load(header, W);
      const r = Atomics.load(header, R);
      let room = RING_BYTES - ((w - r) | 0);
      let wrote = false;
      while (room > 0 && this.#pending.length > 0) {
        const chunk = this.#pending[0]!;
        const n = Math.min(room, chunk.length);
        const at = w & (RING_BYTES - 1);
        const first = Math.min(n, RING_BYTES - at);
        data.set(first === chunk.length ? chunk : chunk.subarray(0, first), at);
        if (n > first) data.set(chunk.subarray(first, n), 0);
        w = (w + n) | 0;
        room -= n;
        this.#pendingBytes -= n;
        wrote = true;
        if (n === chunk.length) this.#pending.shift();
        else this.#pending[0] = chunk.subarray(n);
      }
      if (wrote) {
        Atomics.store(header, W, w);
        if (Atomics.load(header, READER_WAITS) !== 0) Atomics.notify(header, W);
      }
      if (this.#pending.length === 0) {
        const waiters = this.#drainWaiters;
        this.#drainWaiters = [];
        for (const waiter of waiters) waiter();
        return;
      }
      if (this.#writerWaits) return;
      // Full: wait for the reader to make room. The flag first, then the wait compares the
      // index, so a reader that moves it in between either sees the flag or changes the value.
      Atomics.store(header, WRITER_WAITS, 1);
      const wait = waitAsync(header, R, r);
      if (!wait.async) {
        Atomics.store(header, WRITER_WAITS, 0);
        continue;
      }
      this.#writerWaits = true;
      void wait.value.then(() => {
        this.#writerWaits = false;
        Atomics.store(header, WRITER_WAITS, 0);
        if (!this.#closed) this.#pump();
      });
      return;
    }
  }

  /** Hands on what is in the incoming ring now, up to {@link READ_BYTES}; false if there was nothing. */
  #read(): boolean {
    const { header, data } = this.#in;
    const r = Atomics.load(header, R);
    const n = Math.min((Atomics.load(header, W) - r) | 0, READ_BYTES);
    if (n === 0) return false;
    const w = (r + n) | 0;
    const chunk = Buffer.allocUnsafe(n);
    const at = r & (RING_BYTES - 1);
    const first = Math.min(n, RING_BYTES - at);
    chunk.set(data.subarray(at, at + first), 0);
    if (n > first) chunk.set(data.subarray(0, n - first), first);
    Atomics.store(header, R, w);
    if (Atomics.load(header, WRITER_WAITS) !== 0) Atomics.notify(header, R);
    this.#onData(chunk);
    return true;
  }

  #readLoop(): void {
    if (this.#closed) return;
    const header = this.#in.header;
    this.#read();
    // Straight to the wait: when the writer is slower (the common case) it sleeps at once,
    // without a turn of the event loop to find the ring empty. The flag first, then the wait
    // compares the index, so a writer that moves it in between either sees the flag or
    // changes the value.
    Atomics.store(header, READER_WAITS, 1);
    const wait = waitAsync(header, W, Atomics.load(header, R));
    if (!wait.async) {
      Atomics.store(header, READER_WAITS, 0);
      // More came meanwhile: read it at the next turn, so that a writer that never pauses
      // cannot starve this thread's timers and sockets (the one that reports a death).
      setImmediate(this.#listen);
      return;
    }
    void wait.value.then(() => {
      Atomics.store(header, READER_WAITS, 0);
      this.#readLoop();
    });
  }
}
