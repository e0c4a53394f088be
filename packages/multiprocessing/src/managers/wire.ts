/**
 * The wire between a manager's server and its clients: length-prefixed messages over a TCP or
 * Unix socket, and the mutual HMAC challenge-response on the `authkey` that both sides pass
 * before a single byte of a request is decoded (CPython's `deliver_challenge` and
 * `answer_challenge`, with SHA-256).
 *
 * ```
 *  u32 length (little-endian) │ body (length bytes)
 * ```
 *
 * A length above the limit closes the connection before anything is allocated for it: before
 * the handshake the limit is {@link HANDSHAKE_MAX_BYTES}, after it the manager's
 * `maxMessageBytes`.
 *
 * @module
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Socket } from 'node:net';
import { AuthenticationError } from '../errors.js';

/** No handshake message is longer: a peer that announces more is not one of ours. */
export const HANDSHAKE_MAX_BYTES = 256;
/** The default limit of one request or reply, after the handshake. */
export const DEFAULT_MAX_MESSAGE_BYTES = 64 * 1024 * 1024;
/** A peer that has not finished the handshake by then is dropped. */
export const HANDSHAKE_TIMEOUT_MS = 10_000;
/** Messages a peer may send ahead while the handshake waits for one: more is a protocol error. */
const MAX_QUEUED = 4;

const CHALLENGE = Buffer.from('#CHALLENGE#{sha256}');
const WELCOME = Buffer.from('#WELCOME#');
const FAILURE = Buffer.from('#FAILURE#');
const NONCE_BYTES = 32;

/**
 * A socket that carries whole messages. Until {@link MessageSocket.listen} is called, messages
 * wait (at most a few) for {@link MessageSocket.next}: the handshake reads them one by one.
 */
export class MessageSocket {
  readonly socket: Socket;
  #limit = HANDSHAKE_MAX_BYTES;
  #chunks: Buffer[] = [];
  #have = 0;
  /** The body length of the message being read, once its header is in. */
  #length = -1;
  #queued: Buffer[] = [];
  #waiting: { resolve: (message: Buffer) => void; reject: (error: Error) => void } | undefined;
  #onMessage: ((message: Buffer) => void) | undefined;
  #closed: Error | undefined;
  readonly #onCloseCallbacks: ((error: Error) => void)[] = [];

  constructor(socket: Socket) {
    this.socket = socket;
    socket.setNoDelay?.(true);
    socket.on('data', (chunk: Buffer) => this.#onData(chunk));
    let failure: Error | undefined;
    socket.on('error', (error) => (failure = error));
    socket.on('close', () => this.#close(failure ?? new Error('the connection closed')));
  }

  /** Whether the connection is gone (closed by either side, or failed). */
  get closed(): boolean {
    return this.#closed !== undefined;
  }

  /** Called once, when the connection is gone. */
  onClose(callback: (error: Error) => void): void {
    if (this.#closed !== undefined) callback(this.#closed);
    else this.#onCloseCallbacks.push(callback);
  }

  /** The largest message accepted from now on. */
  setLimit(bytes: number): void {
    this.#limit = bytes;
  }

  /** The next message (handshake use only). Rejects when the connection closes first. */
  next(): Promise<Buffer> {
    const message = this.#queued.shift();
    if (message !== undefined) return Promise.resolve(message);
    if (this.#closed !== undefined) return Promise.reject(this.#closed);
    return new Promise((resolve, reject) => (this.#waiting = { resolve, reject }));
  }

  /** From now on every message goes to `onMessage`, those already queued first. */
  listen(onMessage: (message: Buffer) => void): void {
    this.#onMessage = onMessage;
    for (const message of this.#queued.splice(0)) onMessage(message);
  }

  send(body: Buffer): void {
    const header = Buffer.allocUnsafe(4);
    header.writeUInt32LE(body.length, 0);
    this.sendFrame(Buffer.concat([header, body]));
  }

  /** Sends a message whose 4-byte length is already in front (protocol.ts `pack`). */
  sendFrame(frame: Buffer): void {
    if (this.#closed === undefined) this.socket.write(frame);
  }

  /** Closes at once, dropping what was not read. */
  destroy(reason?: Error): void {
    this.socket.destroy();
    this.#close(reason ?? new Error('the connection was closed'));
  }

  #onData(chunk: Buffer): void {
    this.#chunks.push(chunk);
    this.#have += chunk.length;
    while (this.#closed === undefined) {
      if (this.#length < 0) {
        if (this.#have < 4) return;
        this.#length = this.#take(4).readUInt32LE(0);
        if (this.#length > this.#limit) {
          this.destroy(new Error(`a message of ${String(this.#length)} bytes is over the limit of ${String(this.#limit)}`));
          return;
        }
      }
      if (this.#have < this.#length) return;
      const body = this.#take(this.#length);
      this.#length = -1;
      this.#deliver(body);
    }
  }

  /** The first `n` bytes received, removed. */
  #take(n: number): Buffer {
    // An empty message: nothing to take (and maybe no chunk left to take it from).
    if (n === 0) return Buffer.alloc(0);
    const first = this.#chunks[0]!;
    let out: Buffer;
    if (first.length >= n) {
      out = first.subarray(0, n);
      if (first.length === n) this.#chunks.shift();
      else this.#chunks[0] = first.subarray(n);
    } else {
      out = Buffer.allocUnsafe(n);
      let at = 0;
      while (at < n) {
        const head = this.#chunks[0]!;
        const part = Math.min(head.length, n - at);
        head.copy(out, at, 0, part);
        at += part;
        if (part === head.length) this.#chunks.shift();
        else this.#chunks[0] = head.subarray(part);
      }
    }
    this.#have -= n;
    return out;
  }

  #deliver(body: Buffer): void {
    if (this.#onMessage !== undefined) {
      this.#onMessage(body);
    } else if (this.#waiting !== undefined) {
      const waiting = this.#waiting;
      this.#waiting = undefined;
      waiting.resolve(body);
    } else if (this.#queued.length < MAX_QUEUED) {
      this.#queued.push(body);
    } else {
      this.destroy(new Error('the peer sent too much before the handshake ended'));
    }
  }

  #close(error: Error): void {
    if (this.#closed !== undefined) return;
    this.#closed = error;
    this.#chunks = [];
    this.#queued = [];
    this.#waiting?.reject(error);
    this.#waiting = undefined;
    for (const callback of this.#onCloseCallbacks.splice(0)) callback(error);
  }
}

function digest(authkey: Buffer, message: Buffer): Buffer {
  return createHmac('sha256', authkey).update(message).digest();
}

/** Sends a fresh challenge and checks the answer; tells the peer the verdict. */
async function deliverChallenge(connection: MessageSocket, authkey: Buffer): Promise<void> {
  const challenge = Buffer.concat([CHALLENGE, randomBytes(NONCE_BYTES)]);
  connection.send(challenge);
  const answer = await connection.next();
  const expected = digest(authkey, challenge);
  if (answer.length !== expected.length || !timingSafeEqual(answer, expected)) {
    connection.send(FAILURE);
    throw new AuthenticationError('digest received was wrong');
  }
  connection.send(WELCOME);
}

/** Answers the peer's challenge; throws if the peer refused the answer. */
async function answerChallenge(connection: MessageSocket, authkey: Buffer): Promise<void> {
  const challenge = await connection.next();
  if (challenge.length !== CHALLENGE.length + NONCE_BYTES || !challenge.subarray(0, CHALLENGE.length).equals(CHALLENGE)) {
    throw new AuthenticationError('the peer did not send a challenge: not a manager of this library');
  }
  connection.send(digest(authkey, challenge));
  const verdict = await connection.next();
  if (!verdict.equals(WELCOME)) throw new AuthenticationError('digest sent was rejected (wrong authkey)');
}

/** Runs `step` unless the handshake's time runs out first (then the connection is dropped). */
async function timed(connection: MessageSocket, step: () => Promise<void>): Promise<void> {
  const timer = setTimeout(() => connection.destroy(new AuthenticationError('the handshake took too long')), HANDSHAKE_TIMEOUT_MS);
  timer.unref();
  try {
    await step();
  } finally {
    clearTimeout(timer);
  }
}

/** The server's side of the handshake: the client proves its key, then the server proves its own. */
export function serverHandshake(connection: MessageSocket, authkey: Buffer): Promise<void> {
  return timed(connection, async () => {
    await deliverChallenge(connection, authkey);
    await answerChallenge(connection, authkey);
  });
}

/** The client's side: the mirror of {@link serverHandshake}. */
export function clientHandshake(connection: MessageSocket, authkey: Buffer): Promise<void> {
  return timed(connection, async () => {
    await answerChallenge(connection, authkey);
    await deliverChallenge(connection, authkey);
  });
}
