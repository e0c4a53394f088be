/**
 * The wire between a thread that uses a shared object and the thread that owns it: a Unix
 * socket carrying frames, each a fixed binary header and a payload.
 *
 * ```
 *  u32 length of the rest │ u8 op │ u8 flags │ u32 object │ f64 a │ u32 b │ payload (length - 18 bytes)
 * ```
 *
 * `a` and `b` carry the small numbers an operation needs (a sequence number, a request id, a
 * count, a status), so the frequent frames (an item, an acknowledgement) need no serializer
 * of their own: the payload is the item as `encode` (runtime.ts) made it, and the owner of a
 * queue or pipe relays those bytes unparsed. (`a` is a double: sequence numbers never wrap.)
 *
 * Writes are coalesced: frames queued in one turn of the event loop are written into one
 * staging buffer and leave in one `write` at the end of the turn (`process.nextTick`), or as
 * soon as 64 KiB are queued; that is what streams of small items need. A caller that must not
 * wait for that calls {@link FrameSocket.flush}.
 *
 * Between a worker thread and an owner thread of the same process the same frames may go
 * through a shared-memory ring pair instead ({@link FrameSocket.useRing}, ring.ts); the socket
 * then carries nothing and only tells, by closing, that the other side is gone.
 *
 * @module
 */
import type { Socket } from 'node:net';
import { RingPair, type RingSide } from './ring.js';

/** Bytes of a frame's header, its length field included. */
export const HEADER_BYTES = 22;
/** Frames above this size are refused: a corrupt length must not make us allocate gigabytes. */
const MAX_FRAME_BYTES = 2 ** 31;
/**
 * A batch this large is written at once rather than at the end of the turn: a producer whose
 * puts never wait (an unbounded queue, a pipe) runs its whole loop in one turn of microtasks,
 * and the reader would otherwise get nothing until the loop ends, then everything at once.
 * Writing on the way lets the reader work in parallel, and makes {@link FrameSocket.congested}
 * see the socket fill up, so the producer waits instead of buffering without bound.
 */
const EARLY_WRITE_BYTES = 64 * 1024;
/** Frames are written into staging buffers of this size (headers, and payloads up to {@link INLINE_PAYLOAD_BYTES}). */
const STAGE_BYTES = 64 * 1024;
/** A larger payload is written as its own chunk, as it is (a 1 MiB message is not copied again). */
const INLINE_PAYLOAD_BYTES = 4 * 1024;
const EMPTY = Buffer.alloc(0);

/** One frame as read. `payload` is a view into the received bytes. */
export interface Frame {
  readonly op: number;
  readonly flags: number;
  readonly obj: number;
  readonly a: number;
  readonly b: number;
  readonly payload: Buffer;
}

/**
 * A socket that sends and receives frames. `onFrame` is called for every complete frame in
 * order; `onClose` once, when the socket is gone (closed by either side, or failed).
 */
export class FrameSocket {
  readonly socket: Socket;
  /**
   * What is queued: whole chunks sealed so far, then the region [#start, #pos) of #stage.
   * Frames are written straight into the staging buffer, so a batch of small frames costs
   * no allocation per frame and no copy into one chunk at the end; the regions handed to the
   * socket are never written again (a full stage is replaced, not reused).
   */
  #out: Buffer[] = [];
  #stage = Buffer.allocUnsafeSlow(0);
  #start = 0;
  #pos = 0;
  #outBytes = 0;
  #scheduled = false;
  #in: Buffer[] = [];
  #inBytes = 0;
  /** Bytes needed before the next frame can be cut: its length field, then the whole frame. */
  #need = 4;
  #closed = false;
  /** Our side is ended ({@link end}): what is sent after is dropped, as a socket drops it once closed. */
  #ended = false;
  /** Set once frames go through shared memory (ring.ts); the socket then only tells of a close. */
  #ring: RingPair | undefined;
  /** Acknowledgement frames queued in this batch, by op and object: their header (a view into the stage), updated in place. */
  readonly #acks = new Map<number, Buffer>();
  readonly #onFrame: (frame: Frame) => void;
  readonly #onClose: (error: Error | undefined) => void;
  readonly #flushTick = (): void => {
    this.#scheduled = false;
    this.flush();
  };

  constructor(socket: Socket, onFrame: (frame: Frame) => void, onClose: (error: Error | undefined) => void) {
    this.socket = socket;
    this.#onFrame = onFrame;
    this.#onClose = onClose;
    socket.setNoDelay?.(true);
    socket.on('data', (chunk: Buffer) => {
      if (this.#ring === undefined) this.#onData(chunk);
    });
    let failure: Error | undefined;
    socket.on('error', (error) => (failure = error));
    socket.on('close', () => {
      // What the other side put in the ring before it went is read before the close is told:
      // an owner must see a dead consumer's last acknowledgements before giving its items back.
      this.#ring?.close();
      this.#closed = true;
      this.#out = [];
      this.#start = this.#pos;
      this.#outBytes = 0;
      this.#onClose(failure);
    });
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Whether frames go through shared memory (see {@link useRing}); tests look. */
  get viaRing(): boolean {
    return this.#ring !== undefined;
  }

  /**
   * From now on frames go both ways through the ring pair in `buffer` (ring.ts), and the
   * socket only tells when the other side is gone. What is queued and not yet written goes
   * through the ring too; the caller has flushed what must go by the socket.
   */
  useRing(buffer: SharedArrayBuffer, side: RingSide): void {
    if (this.#closed || this.#ring !== undefined) return;
    this.#ring = new RingPair(buffer, side, (chunk) => this.#onData(chunk));
  }

  /** Queues a frame; it leaves at the end of this turn (or at the next {@link flush}). */
  send(op: number, obj: number, a = 0, b = 0, flags = 0, payload: Buffer = EMPTY): void {
    if (this.#closed || this.#ended) return;
    this.#queue(op, flags, obj, a, b, payload);
  }

  /** Writes the frame into the stage; returns its header's offset there. */
  #queue(op: number, flags: number, obj: number, a: number, b: number, payload: Buffer): number {
    const inline = payload.length <= INLINE_PAYLOAD_BYTES;
    const room = HEADER_BYTES + (inline ? payload.length : 0);
    if (this.#pos + room > this.#stage.length) {
      this.#seal();
      this.#stage = Buffer.allocUnsafeSlow(Math.max(STAGE_BYTES, room));
      this.#start = this.#pos = 0;
    }
    const stage = this.#stage;
    const at = this.#pos;
    stage.writeUInt32LE(HEADER_BYTES - 4 + payload.length, at);
    stage[at + 4] = op;
    stage[at + 5] = flags;
    stage.writeUInt32LE(obj, at + 6);
    stage.writeDoubleLE(a, at + 10);
    stage.writeUInt32LE(b, at + 18);
    this.#pos = at + HEADER_BYTES;
    if (inline) {
      stage.set(payload, this.#pos);
      this.#pos += payload.length;
    } else {
      this.#seal();
      this.#out.push(payload);
    }
    this.#outBytes += HEADER_BYTES + payload.length;
    if (this.#outBytes >= EARLY_WRITE_BYTES) {
      this.flush();
    } else if (!this.#scheduled) {
      this.#scheduled = true;
      process.nextTick(this.#flushTick);
    }
    return at;
  }

  /** Moves the stage's queued region to the chunk list. */
  #seal(): void {
    if (this.#pos > this.#start) this.#out.push(this.#stage.subarray(this.#start, this.#pos));
    this.#start = this.#pos;
  }

  /**
   * Queues an acknowledgement ("up to `a`"): if one for the same op and object is still in
   * this batch, it is raised to `a` instead of adding a frame. Being queued at once, it leaves
   * before anything the caller sends after it.
   */
  ack(op: number, obj: number, a: number, add = false): void {
    if (this.#closed || this.#ended) return;
    const key = op * 2 ** 32 + obj;
    const queued = this.#acks.get(key);
    if (queued !== undefined) {
      // `add`: a count (tasks done) rather than a position.
      queued.writeDoubleLE(add ? queued.readDoubleLE(10) + a : a, 10);
      return;
    }
    // The header is in the stage now current (#queue may have started a new one for it)...
    const at = this.#queue(op, 0, obj, a, 0, EMPTY);
    // ...unless it left at once (an early write clears the map).
    if (this.#outBytes > 0) this.#acks.set(key, this.#stage.subarray(at, at + HEADER_BYTES));
  }

  /** Writes what is queued now. */
  flush(): void {
    this.#acks.clear();
    if (this.#closed) return;
    this.#seal();
    const out = this.#out;
    if (out.length === 0) return;
    this.#out = [];
    this.#outBytes = 0;
    if (this.#ring !== undefined) {
      this.#ring.write(out);
    } else if (out.length === 1) {
      this.socket.write(out[0]!);
    } else {
      this.socket.cork();
      for (const chunk of out) this.socket.write(chunk);
      this.socket.uncork();
    }
  }

  /** Whether the socket holds more than its high-water mark unsent (a producer should wait). */
  get congested(): boolean {
    return this.#ring === undefined ? this.socket.writableNeedDrain : this.#ring.unsent > 0;
  }

  /** Resolves once everything queued so far has been handed to the kernel (or the socket is gone). */
  drained(): Promise<void> {
    this.flush();
    if (this.#closed || (this.#ring === undefined ? this.socket.writableLength : this.#ring.unsent) === 0) return Promise.resolve();
    return this.#drainEvent();
  }

  /**
   * Resolves once the socket is no longer {@link congested} (or is gone), without writing what
   * is queued: a producer that waits here keeps filling its batch, which leaves in one write
   * (early, or at the end of the turn). Flushing at every wait would leave in tiny writes, one
   * per wake-up of a producer that outruns its reader.
   */
  uncongested(): Promise<void> {
    if (this.#closed || !this.congested) return Promise.resolve();
    return this.#drainEvent();
  }

  #drainEvent(): Promise<void> {
    const ring = this.#ring;
    if (ring !== undefined) return new Promise((resolve) => ring.whenDrained(resolve));
    return new Promise((resolve) => {
      const done = (): void => {
        this.socket.off('drain', done);
        this.socket.off('close', done);
        resolve();
      };
      this.socket.on('drain', done);
      this.socket.on('close', done);
    });
  }

  /**
   * Sends what is queued, then closes our side. Frames sent after are dropped: written after
   * the end, they would fail the socket, and the other side, writing to a socket that is gone,
   * would lose what it had not yet read of ours.
   */
  end(): void {
    this.flush();
    this.#ended = true;
    if (!this.#closed) this.socket.end();
  }

  destroy(): void {
    this.socket.destroy();
  }

  #onData(chunk: Buffer): void {
    this.#in.push(chunk);
    this.#inBytes += chunk.length;
    if (this.#inBytes < this.#need) return;
    const data = this.#in.length === 1 ? this.#in[0]! : Buffer.concat(this.#in, this.#inBytes);
    this.#in = [];
    this.#inBytes = 0;
    let offset = 0;
    this.#need = 4;
    while (data.length - offset >= 4) {
      const length = data.readUInt32LE(offset);
      if (length < HEADER_BYTES - 4 || length > MAX_FRAME_BYTES) {
        this.socket.destroy(new Error(`@concurrent/multiprocessing: corrupt frame (length ${length})`));
        return;
      }
      if (data.length - offset - 4 < length) {
        this.#need = length + 4;
        break;
      }
      const frame: Frame = {
        op: data[offset + 4]!,
        flags: data[offset + 5]!,
        obj: data.readUInt32LE(offset + 6),
        a: data.readDoubleLE(offset + 10),
        b: data.readUInt32LE(offset + 18),
        // Most frames without a payload are acknowledgements: no view to make for them.
        payload: length === HEADER_BYTES - 4 ? EMPTY : data.subarray(offset + HEADER_BYTES, offset + 4 + length),
      };
      offset += 4 + length;
      this.#onFrame(frame);
      if (this.#closed) return;
    }
    if (offset < data.length) {
      // A large frame arrives in many chunks: keep them as a list until it is whole, so the
      // bytes are copied once instead of once per chunk.
      this.#in.push(offset === 0 ? data : data.subarray(offset));
      this.#inBytes = data.length - offset;
    }
  }
}
