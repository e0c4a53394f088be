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
 * of their own: the payload is the item as `v8.serialize` made it, and the owner of a queue or
 * pipe relays those bytes unparsed. (`a` is a double: sequence numbers never wrap.)
 *
 * Writes are coalesced: frames queued in one turn of the event loop leave in one `write` at
 * the end of the turn (`process.nextTick`), which is what streams of small items need; a
 * caller that must not wait for that (an acknowledgement before the item is handed out)
 * calls {@link FrameSocket.flush}.
 *
 * @module
 */
import type { Socket } from 'node:net';

/** Bytes of a frame's header, its length field included. */
export const HEADER_BYTES = 22;
/** Frames above this size are refused: a corrupt length must not make us allocate gigabytes. */
const MAX_FRAME_BYTES = 2 ** 31;
/** Above this much queued in a turn, frames are written as separate chunks instead of copied into one. */
const COALESCE_LIMIT_BYTES = 256 * 1024;
/**
 * A batch this large is written at once rather than at the end of the turn: a producer whose
 * puts never wait (an unbounded queue, a pipe) runs its whole loop in one turn of microtasks,
 * and the reader would otherwise get nothing until the loop ends, then everything at once.
 * Writing on the way lets the reader work in parallel, and makes {@link FrameSocket.congested}
 * see the socket fill up, so the producer waits instead of buffering without bound.
 */
const EARLY_WRITE_BYTES = 64 * 1024;
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

function header(op: number, flags: number, obj: number, a: number, b: number, payloadBytes: number): Buffer {
  const head = Buffer.allocUnsafe(HEADER_BYTES);
  head.writeUInt32LE(HEADER_BYTES - 4 + payloadBytes, 0);
  head.writeUInt8(op, 4);
  head.writeUInt8(flags, 5);
  head.writeUInt32LE(obj, 6);
  head.writeDoubleLE(a, 10);
  head.writeUInt32LE(b, 18);
  return head;
}

/**
 * A socket that sends and receives frames. `onFrame` is called for every complete frame in
 * order; `onClose` once, when the socket is gone (closed by either side, or failed).
 */
export class FrameSocket {
  readonly socket: Socket;
  #out: Buffer[] = [];
  #outBytes = 0;
  #scheduled = false;
  #in: Buffer[] = [];
  #inBytes = 0;
  /** Bytes needed before the next frame can be cut: its length field, then the whole frame. */
  #need = 4;
  #closed = false;
  /** Acknowledgement frames queued in this batch, by op and object: updated in place. */
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
    socket.on('data', (chunk: Buffer) => this.#onData(chunk));
    let failure: Error | undefined;
    socket.on('error', (error) => (failure = error));
    socket.on('close', () => {
      this.#closed = true;
      this.#out = [];
      this.#outBytes = 0;
      this.#onClose(failure);
    });
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Queues a frame; it leaves at the end of this turn (or at the next {@link flush}). */
  send(op: number, obj: number, a = 0, b = 0, flags = 0, payload: Buffer = EMPTY): void {
    if (this.#closed) return;
    this.#queue(header(op, flags, obj, a, b, payload.length), payload);
  }

  #queue(head: Buffer, payload: Buffer): void {
    this.#out.push(head);
    if (payload.length > 0) this.#out.push(payload);
    this.#outBytes += HEADER_BYTES + payload.length;
    if (this.#outBytes >= EARLY_WRITE_BYTES) {
      this.flush();
    } else if (!this.#scheduled) {
      this.#scheduled = true;
      process.nextTick(this.#flushTick);
    }
  }

  /**
   * Queues an acknowledgement ("up to `a`"): if one for the same op and object is still in
   * this batch, it is raised to `a` instead of adding a frame. Being queued at once, it leaves
   * before anything the caller sends after it.
   */
  ack(op: number, obj: number, a: number, add = false): void {
    if (this.#closed) return;
    const key = op * 2 ** 32 + obj;
    const queued = this.#acks.get(key);
    if (queued !== undefined) {
      // `add`: a count (tasks done) rather than a position.
      queued.writeDoubleLE(add ? queued.readDoubleLE(10) + a : a, 10);
      return;
    }
    const head = header(op, 0, obj, a, 0, 0);
    // Registered first: a batch written early (see #queue) clears the map, and the frame with it.
    this.#acks.set(key, head);
    this.#queue(head, EMPTY);
  }

  /** Writes what is queued now. */
  flush(): void {
    const out = this.#out;
    this.#acks.clear();
    if (out.length === 0 || this.#closed) return;
    const bytes = this.#outBytes;
    this.#out = [];
    this.#outBytes = 0;
    if (out.length === 1) {
      this.socket.write(out[0]!);
    } else if (bytes <= COALESCE_LIMIT_BYTES) {
      // One copy into one chunk beats a writev of many tiny chunks.
      this.socket.write(Buffer.concat(out, bytes));
    } else {
      this.socket.cork();
      for (const chunk of out) this.socket.write(chunk);
      this.socket.uncork();
    }
  }

  /** Whether the socket holds more than its high-water mark unsent (a producer should wait). */
  get congested(): boolean {
    return this.socket.writableNeedDrain;
  }

  /** Resolves once everything queued so far has been handed to the kernel (or the socket is gone). */
  drained(): Promise<void> {
    this.flush();
    if (this.#closed || this.socket.writableLength === 0) return Promise.resolve();
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

  /** Sends what is queued, then closes our side. */
  end(): void {
    this.flush();
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
        op: data.readUInt8(offset + 4),
        flags: data.readUInt8(offset + 5),
        obj: data.readUInt32LE(offset + 6),
        a: data.readDoubleLE(offset + 10),
        b: data.readUInt32LE(offset + 18),
        payload: data.subarray(offset + HEADER_BYTES, offset + 4 + length),
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
