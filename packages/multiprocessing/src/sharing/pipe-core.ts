/**
 * A pipe as its owner (the thread that called `Pipe()`) keeps it: two ends, each with the
 * messages waiting for it and the one place that holds it.
 *
 * ```
 *  end A holder ──P_SEND──▶ owner: end B's inbox ──P_MSG (window, acked)──▶ end B holder
 *                                    (or read directly when B is held here)
 * ```
 *
 * Invariants:
 * - An end is held in exactly one place: here (`local`), by one remote thread (`remote`, a
 *   Peer), on its way somewhere (`transit`, named by a one-use token), or nowhere (`closed`).
 *   Sending an end on moves it: the sender's handle is done with it (see connection.ts).
 * - An end is closed when its holder closes it, or the holder's connection closes (it exited,
 *   was killed, or its thread ended). Then the other end reads what is left, then EOF.
 * - A remote holder is pushed messages as they come, at most {@link WINDOW_MESSAGES} /
 *   {@link WINDOW_BYTES} unread at once; it acknowledges what it read. Messages pushed and not
 *   read when it sends the end on go back to the front of the inbox, so the next holder reads
 *   them first, in order.
 * - A handle that arrives before the previous holder's handoff (they travel on different
 *   connections) is parked, with whatever it sends, until the handoff names its token.
 *
 * @module
 */
import { BrokenPipeError, OSError } from '../errors.js';
import { Deque } from './deque.js';
import type { Frame } from './frames.js';
import { P_ACK, P_ATTACH, P_CLOSE, P_DEAD, P_EOF, P_HANDOFF, P_MSG, P_SEND, P_VOID } from './ops.js';
import { type Peer, type Served, register } from './runtime.js';
import { Signal } from './signal.js';

/** At most this many messages pushed to a remote holder and not yet read. */
const WINDOW_MESSAGES = 4096;
/** ... and at most this many bytes (one larger message still goes when nothing is unread). */
const WINDOW_BYTES = 8 * 1024 * 1024;

/** A message: serialized value (or raw bytes, see ops.ts flags). */
export interface Message {
  readonly bytes: Buffer;
  readonly flags: number;
}

type Holder =
  | { readonly kind: 'local' }
  | { readonly kind: 'remote'; readonly peer: Peer }
  | { readonly kind: 'transit'; readonly token: string }
  | { readonly kind: 'closed' };

interface Parked {
  /** The peer that attached, or null for a handle of this thread. */
  readonly peer: Peer | null;
  readonly frames: Frame[];
  readonly done?: (attached: boolean) => void;
}

const LOCAL: Holder = { kind: 'local' };
const CLOSED: Holder = { kind: 'closed' };

/** One end of a pipe, at its owner. */
export class EndCore implements Served {
  readonly id: number;
  readonly readable: boolean;
  readonly writable: boolean;
  other!: EndCore;
  holder: Holder = LOCAL;
  /** Messages for this end, not yet pushed (remote holder) or read (local holder). */
  readonly inbox = new Deque<Message>();
  /** Wakes a local holder's waiting recv/poll, and its sends when the other end closes. */
  readonly changed = new Signal();
  #unread = new Deque<{ readonly seq: number; readonly message: Message }>();
  #unreadBytes = 0;
  #seq = 0;
  #eofSent = false;
  readonly #parked = new Map<string, Parked>();

  constructor(readable: boolean, writable: boolean, local: (core: EndCore, state: Record<string, unknown>) => unknown) {
    this.readable = readable;
    this.writable = writable;
    this.id = register(this, (state) => local(this, state));
  }

  get closed(): boolean {
    return this.holder.kind === 'closed';
  }

  /** A message from the other end. */
  deliver(message: Message): void {
    if (this.closed) return;
    this.inbox.push(message);
    this.#pump();
  }

  close(): void {
    if (this.closed) return;
    this.holder = CLOSED;
    this.inbox.drain();
    this.#unread.drain();
    this.#unreadBytes = 0;
    for (const [token, parked] of this.#parked) this.#refuse(token, parked);
    this.changed.wake();
    this.other.#pump();
  }

  /** The local holder sends this end on: it becomes `transit` under `token`. */
  handOff(token: string): void {
    this.holder = { kind: 'transit', token };
    this.#eofSent = false;
    this.changed.wake();
    this.#unpark(token);
  }

  /** A handle of this thread revived from `token`: resolves true once it holds the end. */
  attachLocal(token: string): Promise<boolean> {
    if (this.closed) return Promise.resolve(false);
    return new Promise((resolve) => {
      this.#parked.set(token, { peer: null, frames: [], done: resolve });
      if (this.holder.kind === 'transit' && this.holder.token === token) this.#unpark(token);
    });
  }

  /** The transfer named `token` never arrived: if the end still waits for it, it is closed. */
  voidTransit(token: string): void {
    if (this.holder.kind === 'transit' && this.holder.token === token) this.close();
  }

  onFrame(peer: Peer, frame: Frame): void {
    if (frame.op === P_VOID) {
      this.voidTransit(frame.payload.toString('latin1'));
      return;
    }
    if (frame.op === P_ATTACH) {
      const token = frame.payload.toString('latin1');
      if (this.closed) {
        peer.wire.send(P_DEAD, this.id);
        return;
      }
      this.#parked.set(token, { peer, frames: [] });
      if (this.holder.kind === 'transit' && this.holder.token === token) this.#unpark(token);
      return;
    }
    if (this.holder.kind !== 'remote' || this.holder.peer !== peer) {
      // Not the holder: a parked handle's frames wait for it; anything else is stale (sent
      // by a holder that has since handed the end on) and means nothing now.
      for (const parked of this.#parked.values()) if (parked.peer === peer) parked.frames.push(frame);
      return;
    }
    this.#handle(frame);
  }

  onPeerClosed(peer: Peer): void {
    for (const [token, parked] of this.#parked) if (parked.peer === peer) this.#parked.delete(token);
    if (this.holder.kind === 'remote' && this.holder.peer === peer) this.close();
  }

  #handle(frame: Frame): void {
    switch (frame.op) {
      case P_SEND:
        this.other.deliver({ bytes: frame.payload, flags: frame.flags });
        break;
      case P_ACK:
        while ((this.#unread.peek()?.seq ?? Infinity) <= frame.a) this.#unreadBytes -= this.#unread.shift()!.message.bytes.length;
        this.#pump();
        break;
      case P_CLOSE:
        this.close();
        break;
      case P_HANDOFF: {
        // What was pushed and not read goes back to the front, in order, for the next holder.
        const unread = this.#unread.drain();
        this.#unreadBytes = 0;
        for (let i = unread.length - 1; i >= 0; i--) if (unread[i]!.seq > frame.a) this.inbox.unshift(unread[i]!.message);
        this.handOff(frame.payload.toString('latin1'));
        break;
      }
      default:
        break;
    }
  }

  #unpark(token: string): void {
    const parked = this.#parked.get(token);
    if (parked === undefined) return;
    this.#parked.delete(token);
    if (parked.peer === null) {
      this.holder = LOCAL;
      parked.done?.(true);
    } else {
      this.holder = { kind: 'remote', peer: parked.peer };
      for (const frame of parked.frames) if (this.holder.kind === 'remote') this.#handle(frame);
    }
    this.#pump();
  }

  #refuse(token: string, parked: Parked): void {
    this.#parked.delete(token);
    if (parked.peer === null) parked.done?.(false);
    else parked.peer.wire.send(P_DEAD, this.id);
  }

  /** Moves messages on to a remote holder, and tells it EOF once the other end is closed and all is pushed. */
  #pump(): void {
    const holder = this.holder;
    if (holder.kind === 'local') {
      this.changed.wake();
      return;
    }
    if (holder.kind !== 'remote') return;
    const wire = holder.peer.wire;
    while (this.inbox.length > 0 && (this.#unread.length === 0 || (this.#unread.length < WINDOW_MESSAGES && this.#unreadBytes < WINDOW_BYTES))) {
      const message = this.inbox.shift()!;
      const seq = ++this.#seq;
      this.#unread.push({ seq, message });
      this.#unreadBytes += message.bytes.length;
      wire.send(P_MSG, this.id, seq, 0, message.flags, message.bytes);
    }
    if (this.inbox.length === 0 && this.other.closed && !this.#eofSent) {
      this.#eofSent = true;
      wire.send(P_EOF, this.id);
    }
  }
}

/** Makes the two ends of a new pipe. */
export function newPipeCore(duplex: boolean, local: (core: EndCore, state: Record<string, unknown>) => unknown): [EndCore, EndCore] {
  // Python's Pipe(False) is (reader, writer).
  const a = new EndCore(true, duplex, local);
  const b = new EndCore(duplex, true, local);
  a.other = b;
  b.other = a;
  return [a, b];
}

/** The error of a send to a pipe whose other end is closed. */
export function brokenPipe(): BrokenPipeError {
  return new BrokenPipeError('the other end of the pipe is closed');
}

/** The error of a handle that was sent to another process or thread. */
export function movedError(what: string): OSError {
  return new OSError(`${what} was sent to another process or thread: use it there (handle is closed here)`);
}
