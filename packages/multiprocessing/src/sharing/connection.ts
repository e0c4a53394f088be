/**
 * `Pipe()` and `Connection`: the two ends of a message channel that may each live in any
 * process or thread. Mirrors `multiprocessing.Pipe` and `multiprocessing.connection.Connection`.
 *
 * A Connection is a thin face over a port: a {@link LocalPort} when the end is held in the
 * thread that owns the pipe (it reads the inbox directly), a {@link RemotePort} elsewhere (it
 * talks to the owner over this thread's link; messages are pushed to it). See pipe-core.ts
 * for who holds an end, and when the other side reads EOF.
 *
 * @module
 */
import { randomBytes } from 'node:crypto';
import { REDUCE, type Reducible, type Reduction } from '@concurrent/futures/internal';
import { BufferTooShort, EOFError, OSError } from '../errors.js';
import { checkTimeout } from '../validate.js';
import { Deque } from './deque.js';
import type { Frame } from './frames.js';
import { F_BYTES, P_ACK, P_ATTACH, P_CLOSE, P_DEAD, P_EOF, P_HANDOFF, P_MSG, P_SEND, P_VOID } from './ops.js';
import { brokenPipe, type EndCore, type Message, movedError, newPipeCore } from './pipe-core.js';
import { builtModule, decode, encode, holdServer, type Link, linkTo, noteTransit, type Receiver, releaseServer, runtime, serverAddress } from './runtime.js';
import { type Keeper, Signal, waitFor } from './signal.js';

/** What a pipe end is on the wire. */
export interface EndState {
  readonly k: 'end';
  /** The owner's server address. */
  readonly a: string;
  /** The end's id at its owner. */
  readonly o: number;
  /** The one-use token that lets the receiver take the end over. */
  readonly t: string;
  readonly r: boolean;
  readonly w: boolean;
}

/** @internal How a Connection reaches its end. */
export interface Port {
  readonly readable: boolean;
  readonly writable: boolean;
  /** Why the port cannot be used any more (closed here, or sent on), if so. */
  readonly done: OSError | undefined;
  send(message: Message): void;
  /** The next message, `undefined` at EOF; waits at most `timeoutMs` (then `null`). */
  next(timeoutMs: number | undefined): Promise<Message | undefined | null>;
  close(): void;
  reduce(): EndState;
}

/** A remote reader sends its acknowledgement at least every this many messages (a quarter of the owner's window). */
const ACK_EVERY = 1024;

const SERVER_KEEPER: Keeper = { hold: holdServer, release: releaseServer };

function newToken(): string {
  return randomBytes(9).toString('base64url');
}

/** An end held in the thread that owns the pipe. */
class LocalPort implements Port {
  readonly #core: EndCore;
  #done: OSError | undefined;

  constructor(core: EndCore) {
    this.#core = core;
  }

  get readable(): boolean {
    return this.#core.readable;
  }

  get writable(): boolean {
    return this.#core.writable;
  }

  get done(): OSError | undefined {
    return this.#done ?? (this.#core.closed ? new OSError('handle is closed') : undefined);
  }

  send(message: Message): void {
    if (this.#core.other.closed) throw brokenPipe();
    this.#core.other.deliver(message);
  }

  async next(timeoutMs: number | undefined): Promise<Message | undefined | null> {
    const core = this.#core;
    const ready = (): boolean => {
      if (this.done !== undefined) throw this.done;
      return core.inbox.length > 0 || core.other.closed;
    };
    if (!(await waitFor(core.changed, ready, timeoutMs, SERVER_KEEPER))) return null;
    return core.inbox.shift();
  }

  close(): void {
    this.#core.close();
  }

  reduce(): EndState {
    const token = newToken();
    const state: EndState = { k: 'end', a: serverAddress(), o: this.#core.id, t: token, r: this.readable, w: this.writable };
    this.#done = movedError('this Connection');
    this.#core.handOff(token);
    const core = this.#core;
    noteTransit(() => core.voidTransit(token));
    return state;
  }
}

/** An end held in a thread other than the pipe's owner. */
class RemotePort implements Port, Receiver {
  readonly readable: boolean;
  readonly writable: boolean;
  readonly #link: Link;
  readonly #id: number;
  readonly #received = new Deque<{ readonly seq: number; readonly message: Message }>();
  readonly #changed = new Signal();
  #read = 0;
  #unflushed = 0;
  /** The owner said: no more messages will come (the other end is closed), or this end is dead. */
  #eof = false;
  #broken: Error | undefined;
  #done: OSError | undefined;

  constructor(link: Link, state: EndState) {
    this.#link = link;
    this.#id = state.o;
    this.readable = state.r;
    this.writable = state.w;
    if (link.gone !== undefined) {
      this.onOwnerGone(link.gone);
      return;
    }
    link.receivers.set(this.#id, this);
    link.wire.send(P_ATTACH, this.#id, 0, 0, 0, Buffer.from(state.t, 'latin1'));
  }

  get done(): OSError | undefined {
    return this.#done;
  }

  onFrame(frame: Frame): void {
    if (frame.op === P_MSG) this.#received.push({ seq: frame.a, message: { bytes: frame.payload, flags: frame.flags } });
    else if (frame.op === P_EOF || frame.op === P_DEAD) this.#eof = true;
    this.#changed.wake();
  }

  onOwnerGone(error: Error): void {
    this.#eof = true;
    this.#broken = error;
    this.#changed.wake();
  }

  send(message: Message): void {
    if (this.#broken !== undefined) throw this.#broken;
    // EOF from the owner means the other end is closed: nobody will read this.
    if (this.#eof) throw brokenPipe();
    this.#link.wire.send(P_SEND, this.#id, 0, 0, message.flags, message.bytes);
  }

  async next(timeoutMs: number | undefined): Promise<Message | undefined | null> {
    const ready = (): boolean => {
      if (this.#done !== undefined) throw this.#done;
      return this.#received.length > 0 || this.#eof;
    };
    if (!(await waitFor(this.#changed, ready, timeoutMs, this.#link))) return null;
    const next = this.#received.shift();
    if (next === undefined) {
      if (this.#broken !== undefined) throw new EOFError('the pipe is gone: its owner exited', { cause: this.#broken });
      return undefined;
    }
    this.#read = next.seq;
    this.#link.wire.ack(P_ACK, this.#id, this.#read);
    // As for queues: a long burst read in one turn sends its acknowledgement on the way.
    if (++this.#unflushed >= ACK_EVERY) {
      this.#unflushed = 0;
      this.#link.wire.flush();
    } else if (this.#unflushed === 1) {
      process.nextTick(() => (this.#unflushed = 0));
    }
    return next.message;
  }

  close(): void {
    if (this.#done !== undefined) return;
    this.#done = new OSError('handle is closed');
    this.#link.receivers.delete(this.#id);
    this.#link.wire.send(P_CLOSE, this.#id);
    this.#changed.wake();
  }

  reduce(): EndState {
    if (this.#broken !== undefined) throw this.#broken;
    const token = newToken();
    // Messages pushed here and not read go back to the owner's inbox for the next holder.
    this.#link.wire.send(P_HANDOFF, this.#id, this.#read, 0, 0, Buffer.from(token, 'latin1'));
    this.#link.receivers.delete(this.#id);
    this.#received.drain();
    this.#done = movedError('this Connection');
    this.#changed.wake();
    const link = this.#link;
    const id = this.#id;
    noteTransit(() => link.wire.send(P_VOID, id, 0, 0, 0, Buffer.from(token, 'latin1')));
    return { k: 'end', a: this.#link.address, o: this.#id, t: token, r: this.readable, w: this.writable };
  }
}

/** A port whose end could not be taken over (closed, or the transfer was void). */
class DeadPort implements Port {
  readonly readable: boolean;
  readonly writable: boolean;
  readonly done = new OSError('handle is closed');

  constructor(state: EndState) {
    this.readable = state.r;
    this.writable = state.w;
  }

  send(): void {
    throw this.done;
  }

  next(): Promise<undefined> {
    return Promise.resolve(undefined);
  }

  close(): void {}

  reduce(): EndState {
    throw this.done;
  }
}

/**
 * One end of a {@link Pipe}. Mirrors `multiprocessing.connection.Connection`: `send`/`recv`
 * carry any structured-clonable value (and queues and other pipe ends inside it), `sendBytes`
 * / `recvBytes` raw bytes; `recv` resolves EOFError once the other end is closed and every
 * message sent before has been read.
 *
 * An end can be passed to another process or thread (Process args, pool tasks, or inside a
 * message): it then *moves* there, and this object is closed (`OSError` on use). The process
 * that created the pipe keeps no hidden copy, so when the other end's holder closes it or exits,
 * `recv()` here ends with EOFError.
 *
 * @example
 * ```ts
 * const [parentEnd, childEnd] = Pipe();
 * const p = new Process({ target: tasks.echo, args: [childEnd] });
 * p.start();
 * parentEnd.send({ hello: 'world' });
 * console.log(await parentEnd.recv());
 * ```
 */
export class Connection implements Reducible, AsyncIterable<unknown> {
  #port: Port;

  /** @internal Made by {@link Pipe} and by the reviver: there is no public constructor in Python either. */
  constructor(port: Port) {
    this.#port = port;
  }

  /** Whether this end is closed (also after it was sent to another process or thread). Mirrors `Connection.closed`. */
  get closed(): boolean {
    return this.#port.done !== undefined;
  }

  /** Whether this end can receive. Mirrors `Connection.readable`. */
  get readable(): boolean {
    return this.#port.readable;
  }

  /** Whether this end can send. Mirrors `Connection.writable`. */
  get writable(): boolean {
    return this.#port.writable;
  }

  /**
   * Sends a value to the other end (structured clone; queues and pipe ends inside travel as
   * handles). Does not wait: like a stream's write, it buffers. Mirrors `Connection.send`.
   *
   * @throws TypeError when the value cannot be cloned (nothing is sent; the pipe keeps
   *   working); OSError when this end is closed or write-only the other way; BrokenPipeError
   *   when the other end is known to be closed.
   * @example
   * ```ts
   * conn.send({ id: 1, data: new Uint8Array([1, 2]) });
   * ```
   */
  send(value: unknown): void {
    this.#checkWritable();
    const { bytes, flags } = encode(value, 'the message');
    this.#port.send({ bytes, flags });
  }

  /**
   * Sends raw bytes: `size` bytes of `buffer` from `offset` (default: all). Mirrors `Connection.send_bytes`.
   *
   * @throws RangeError for an offset or size outside the buffer; as {@link send} otherwise.
   */
  sendBytes(buffer: ArrayBufferView | ArrayBuffer, offset = 0, size?: number): void {
    this.#checkWritable();
    const view = ArrayBuffer.isView(buffer) ? Buffer.from(buffer.buffer, buffer.byteOffset, buffer.byteLength) : Buffer.from(buffer);
    if (!Number.isInteger(offset) || offset < 0 || offset > view.length) throw new RangeError(`Expected \`offset\` to be an integer from 0 to ${view.length}, got ${offset}`);
    const length = size ?? view.length - offset;
    if (!Number.isInteger(length) || length < 0 || offset + length > view.length) throw new RangeError(`Expected \`size\` to be an integer from 0 to ${view.length - offset}, got ${size}`);
    // A copy: the caller may reuse its buffer at once.
    this.#port.send({ bytes: Buffer.from(view.subarray(offset, offset + length)), flags: F_BYTES });
  }

  /**
   * The next value from the other end, waiting for it. Mirrors `Connection.recv`. A message
   * sent with `sendBytes` arrives as a Buffer.
   *
   * @throws (rejects) EOFError once the other end is closed (or its holder exited) and every
   *   message before has been read; OSError when this end is closed or cannot read.
   * @example
   * ```ts
   * const message = await conn.recv();
   * ```
   */
  async recv(): Promise<unknown> {
    const message = await this.#next();
    return (message.flags & F_BYTES) !== 0 ? message.bytes : decode(message.bytes, message.flags);
  }

  /**
   * The next message as bytes (a value sent with `send` arrives serialized). Mirrors
   * `Connection.recv_bytes`.
   *
   * @throws (rejects) OSError `'bad message length'` when the message is longer than
   *   `maxLength` (the end is then closed, as in Python); as {@link recv} otherwise.
   */
  async recvBytes(maxLength?: number): Promise<Buffer> {
    if (maxLength !== undefined && (!Number.isInteger(maxLength) || maxLength < 0)) {
      throw new RangeError(`Expected \`maxLength\` to be a non-negative integer, got ${maxLength}`);
    }
    const message = await this.#next();
    if (maxLength !== undefined && message.bytes.length > maxLength) {
      this.close();
      throw new OSError('bad message length');
    }
    return message.bytes;
  }

  /**
   * Reads the next message into `buffer` at byte `offset`; returns its length. Mirrors
   * `Connection.recv_bytes_into`.
   *
   * @throws (rejects) BufferTooShort (with the message in `.bytes`) when it does not fit.
   */
  async recvBytesInto(buffer: ArrayBufferView | ArrayBuffer, offset = 0): Promise<number> {
    const target = ArrayBuffer.isView(buffer) ? new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength) : new Uint8Array(buffer);
    if (!Number.isInteger(offset) || offset < 0 || offset > target.length) throw new RangeError(`Expected \`offset\` to be an integer from 0 to ${target.length}, got ${offset}`);
    const message = await this.#next();
    if (message.bytes.length > target.length - offset) throw new BufferTooShort(message.bytes);
    target.set(message.bytes, offset);
    return message.bytes.length;
  }

  /**
   * Whether there is something to read (a message, or EOF), waiting up to `timeout` ms for
   * it: `0` (the default) checks without waiting, `null` waits as long as it takes. Mirrors
   * `Connection.poll`.
   */
  async poll(timeout: number | null = 0): Promise<boolean> {
    this.#checkReadable();
    const ms = timeout === null ? undefined : checkTimeout(timeout);
    const peeked = await this.#port.next(ms ?? undefined);
    if (peeked === null) return false;
    // next() took it: put it back in front, through a one-message lookahead.
    if (peeked !== undefined) this.#port = new Lookahead(this.#port, peeked);
    return true;
  }

  /** Closes this end: the other end reads what was sent, then EOF. Idempotent. Mirrors `Connection.close`. */
  close(): void {
    this.#port.close();
  }

  /** Every message until EOF. */
  async *[Symbol.asyncIterator](): AsyncIterator<unknown> {
    for (;;) {
      let value: unknown;
      try {
        value = await this.recv();
      } catch (error) {
        if (error instanceof EOFError) return;
        throw error;
      }
      yield value;
    }
  }

  /** `await using conn = ...` closes it at the end of the block. */
  [Symbol.asyncDispose](): Promise<void> {
    this.close();
    return Promise.resolve();
  }

  /** @internal How the end travels: it moves, and this object is closed. */
  [REDUCE](): Reduction {
    if (this.#port.done !== undefined) throw this.#port.done;
    return { module: builtModule('sharing/revive.js'), reviver: 'revive', state: this.#port.reduce() };
  }

  toString(): string {
    return `<Connection ${this.readable ? 'r' : ''}${this.writable ? 'w' : ''}${this.closed ? ' closed' : ''}>`;
  }

  async #next(): Promise<Message> {
    this.#checkReadable();
    const message = await this.#port.next(undefined);
    if (message === undefined) throw new EOFError();
    if (message === null) throw new Error('unreachable: a wait without timeout timed out');
    return message;
  }

  #checkReadable(): void {
    if (this.#port.done !== undefined) throw this.#port.done;
    if (!this.#port.readable) throw new OSError('connection is write-only');
  }

  #checkWritable(): void {
    if (this.#port.done !== undefined) throw this.#port.done;
    if (!this.#port.writable) throw new OSError('connection is read-only');
  }
}

/** A port with one message taken by `poll()` and given back first. */
class Lookahead implements Port {
  readonly #inner: Port;
  #first: Message | undefined;

  constructor(inner: Port, first: Message) {
    this.#inner = inner;
    this.#first = first;
  }

  get readable(): boolean {
    return this.#inner.readable;
  }

  get writable(): boolean {
    return this.#inner.writable;
  }

  get done(): OSError | undefined {
    return this.#inner.done;
  }

  send(message: Message): void {
    this.#inner.send(message);
  }

  next(timeoutMs: number | undefined): Promise<Message | undefined | null> {
    const first = this.#first;
    if (first === undefined) return this.#inner.next(timeoutMs);
    this.#first = undefined;
    return Promise.resolve(first);
  }

  close(): void {
    this.#first = undefined;
    this.#inner.close();
  }

  reduce(): EndState {
    if (this.#first !== undefined) throw new OSError('cannot send a Connection on after poll() saw a message it has not read: recv() it first');
    return this.#inner.reduce();
  }
}

/**
 * A new pipe: two connected ends. Duplex by default (each end sends and receives);
 * `Pipe(false)` returns `[receiveOnly, sendOnly]`, as Python's `Pipe(duplex=False)` returns
 * `(r, w)`. Mirrors `multiprocessing.Pipe`.
 *
 * @example
 * ```ts
 * const [a, b] = Pipe();
 * a.send('ping');
 * console.log(await b.recv()); // 'ping'
 * ```
 */
export function Pipe(duplex = true): [Connection, Connection] {
  if (typeof duplex !== 'boolean') throw new TypeError(`Expected \`duplex\` to be a boolean, got ${typeof duplex}`);
  const [a, b] = newPipeCore(duplex, reviveHere);
  return [new Connection(new LocalPort(a)), new Connection(new LocalPort(b))];
}

/** An end of a pipe of this thread that came back here. */
async function reviveHere(core: EndCore, state: Record<string, unknown>): Promise<Connection> {
  const end = state as unknown as EndState;
  const attached = await core.attachLocal(end.t);
  return new Connection(attached ? new LocalPort(core) : new DeadPort(end));
}

/** The reviver's part for pipe ends (see revive.ts). */
export function reviveEnd(state: EndState): Connection | Promise<Connection> {
  const local = state.a === runtime().address ? runtime().locals.get(state.o) : undefined;
  if (local !== undefined) return local(state as unknown as Record<string, unknown>) as Promise<Connection>;
  return new Connection(new RemotePort(linkTo(state.a), state));
}
