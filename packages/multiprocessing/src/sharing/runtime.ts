/**
 * The object model's machinery in one thread: the object server that serves the objects this
 * thread owns, the links to other owners that this thread's handles use, and how a value
 * crosses (serialized, with the handles inside it reduced).
 *
 * ```
 *  owner thread (created the queue)                       any other thread or process
 *  ┌──────────────────────────────┐                        ┌────────────────────────────┐
 *  │ Queue ──▶ QueueCore ◀─ objects│◀── Unix socket ───────│ Link ◀── Queue (remote)     │
 *  │            ▲   (by id)        │   frames.ts, one per  │  └── receivers (by obj id)  │
 *  │ server: \0concurrent-pid-tid-r│   (client thread,     │                            │
 *  │   Peer per accepted socket    │    owner)             │                            │
 *  └──────────────────────────────┘                        └────────────────────────────┘
 * ```
 *
 * Invariants:
 * - One server per thread, started the first time one of its objects is sent away; its
 *   address is a Linux abstract socket (no file, gone with the process even after SIGKILL),
 *   elsewhere a socket file in the temporary directory, removed at exit.
 * - One link per (this thread, owner), opened the first time a handle to one of that owner's
 *   objects is revived here; all those handles share it.
 * - A link from a worker thread of the owner's own process carries its frames through a
 *   shared-memory ring pair when the owner offered one with the handle (ring.ts); its socket
 *   is still opened, to learn that either side died.
 * - Nothing here keeps the event loop alive by itself: sockets are unref'd, and ref'd only
 *   while some operation of this thread waits ({@link Link.hold}, {@link holdServer}).
 * - The state lives on `globalThis` under a registered symbol, so that two copies of this
 *   package in one thread (src and dist under a test runner, or two installs) share one
 *   server and one set of links.
 *
 * @module
 */
import { randomBytes } from 'node:crypto';
import { unlinkSync } from 'node:fs';
import { connect, createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { types } from 'node:util';
import { deserialize, serialize } from 'node:v8';
import { threadId } from 'node:worker_threads';
import { builtUrl, enableReduction, onBeforeExit, onBeforeOutcome, REDUCE, reduceValue, reviveValue } from '@concurrent/futures/internal';
import { BrokenPipeError } from '../errors.js';
import { type Frame, FrameSocket } from './frames.js';
import { F_BUFFER, F_JSON, F_REDUCED, L_RING, P_DEAD } from './ops.js';
import { claimOffer, declineOffer, makeOffer, type Offers, type RingOffer, takeClaimed } from './ring.js';

/** An object this thread owns and serves, as its server sees it. */
export interface Served {
  onFrame(peer: Peer, frame: Frame): void;
  /** The peer's connection closed: whatever it held is released. */
  onPeerClosed(peer: Peer): void;
}

/** One accepted connection: another thread or process using objects of this thread. */
export class Peer {
  readonly wire: FrameSocket;
  /** The objects this peer used: they hear when it goes. */
  readonly touched = new Set<Served>();
  readonly id: number;
  static #count = 0;

  constructor(wire: FrameSocket) {
    this.wire = wire;
    this.id = ++Peer.#count;
  }
}

/** What a handle registers on its link to hear from its owner. */
export interface Receiver {
  onFrame(frame: Frame): void;
  /** The owner is gone (exited, or never reachable): fail what waits, refuse what comes. */
  onOwnerGone(error: BrokenPipeError): void;
}

/** This thread's connection to one owner. */
export class Link {
  readonly address: string;
  readonly wire: FrameSocket;
  readonly receivers = new Map<number, Receiver>();
  #holds = 0;
  #gone: BrokenPipeError | undefined;

  /** `ring`: an offer this thread claimed, for a link from a worker thread of the owner's process (ring.ts). */
  constructor(address: string, ring?: RingOffer) {
    this.address = address;
    const socket = connect({ path: address });
    socket.unref();
    this.wire = new FrameSocket(
      socket,
      (frame) => this.receivers.get(frame.obj)?.onFrame(frame),
      (error) => this.#lost(error),
    );
    if (ring !== undefined) {
      // Through the socket, which the owner reads first; everything after goes by the ring.
      this.wire.send(L_RING, 0, ring.i);
      this.wire.flush();
      this.wire.useRing(ring.b, 'handle');
    }
  }

  /** Why the link is gone, if it is. */
  get gone(): BrokenPipeError | undefined {
    return this.#gone;
  }

  /** Sends what is queued, ends this side, and resolves once the owner has closed the link. */
  finish(): Promise<void> {
    const { wire } = this;
    if (wire.closed) return Promise.resolve();
    const closed = new Promise<void>((resolve) => wire.socket.once('close', () => resolve()));
    // Waited for by an exiting process, whose other handles may all be gone.
    wire.socket.ref();
    wire.end();
    return closed;
  }

  /** An operation of this thread waits on this owner: keep the event loop alive. */
  hold(): void {
    if (this.#holds++ === 0 && this.#gone === undefined) this.wire.socket.ref();
  }

  release(): void {
    if (--this.#holds === 0 && this.#gone === undefined) this.wire.socket.unref();
  }

  #lost(error: Error | undefined): void {
    const state = runtime();
    if (state.links.get(this.address) === this) state.links.delete(this.address);
    const [, pid, tid] = /concurrent-(\d+)-(\d+)-/.exec(this.address) ?? [];
    const who = pid === undefined ? this.address : `process ${pid}${tid === '0' ? '' : `, thread ${tid}`}`;
    this.#gone = new BrokenPipeError(`the owner of this object (${who}) has exited or closed the connection`, error === undefined ? undefined : { cause: error });
    for (const receiver of [...this.receivers.values()]) receiver.onOwnerGone(this.#gone);
    this.receivers.clear();
  }
}

interface State {
  address: string | undefined;
  server: Server | undefined;
  readonly objects: Map<number, Served>;
  /** What a reviver in this thread returns for an object of this thread (by id). */
  readonly locals: Map<number, (state: Record<string, unknown>) => unknown>;
  nextId: number;
  serverHolds: number;
  readonly links: Map<string, Link>;
  /** Revived handles of this thread, so that one object has one handle here. */
  readonly handles: Map<string, unknown>;
  /** Ring pairs offered to worker threads and not yet taken up (ring.ts). */
  readonly offers: Offers;
  nextOfferId: number;
}

const SLOT = Symbol.for('@concurrent/multiprocessing.sharing');
type Global = typeof globalThis & { [SLOT]?: State };

/** This thread's state (made on first use). */
export function runtime(): State {
  const g = globalThis as Global;
  let state = g[SLOT];
  if (state === undefined) {
    state = g[SLOT] = {
      address: undefined,
      server: undefined,
      objects: new Map(),
      locals: new Map(),
      nextId: 0,
      serverHolds: 0,
      links: new Map(),
      handles: new Map(),
      offers: new Map(),
      nextOfferId: 0,
    };
    const links = state.links;
    // In a pool's worker, a task's last put or send waits in its link for the end of the turn
    // (frames.ts), and the job's outcome may leave before that, in the turn the job finished:
    // a pool that shuts down on it terminates the worker thread, and the item is lost (the
    // launch test's consumer thread: its result never came, and the program hung). Written
    // before the outcome, it is in the ring or the kernel when the thread goes.
    onBeforeOutcome(() => {
      for (const link of links.values()) link.wire.flush();
    });
    // A pool's worker process that the pool lets go (shutdown, idle timeout, maxTasksPerChild)
    // ends its links as an exiting Process child does (flushLinks): an owner that writes to it
    // as it exits would otherwise lose its last acknowledgements and puts. A thread with no
    // link gets here only if it used the runtime; flushLinks then returns at once.
    onBeforeExit(() => flushLinks());
  }
  return state;
}


function newAddress(): string {
  const name = `concurrent-${process.pid}-${threadId}-${randomBytes(6).toString('hex')}`;
  // Abstract sockets have no file: nothing to remove, even when the process is killed.
  return process.platform === 'linux' ? `\0${name}` : join(tmpdir(), `${name}.sock`);
}

/** This thread's server address, starting the server on first use. */
export function serverAddress(): string {
  const state = runtime();
  if (state.address !== undefined) return state.address;
  const address = newAddress();
  const server = createServer({ noDelay: true }, (socket) => {
    socket.unref();
    const peer: Peer = new Peer(
      new FrameSocket(
        socket,
        (frame) => {
          if (frame.op === L_RING) {
            const buffer = takeClaimed(state.offers, frame.a);
            if (buffer !== undefined) peer.wire.useRing(buffer, 'owner');
            return;
          }
          const served = state.objects.get(frame.obj);
          if (served === undefined) {
            peer.wire.send(P_DEAD, frame.obj);
            return;
          }
          peer.touched.add(served);
          served.onFrame(peer, frame);
        },
        () => {
          for (const served of peer.touched) served.onPeerClosed(peer);
          peer.touched.clear();
        },
      ),
    );
  });
  // A failure to listen (it should not happen with a fresh random name) leaves every client
  // with a refused connection, which fails their operations: say why here too.
  server.on('error', (error) => console.error('@concurrent/multiprocessing: object server failed:', error));
  // listen() binds synchronously for a Unix socket: the address works once this returns.
  server.listen(address);
  if (state.serverHolds === 0) server.unref();
  if (!address.startsWith('\0')) {
    process.once('exit', () => {
      try {
        unlinkSync(address);
      } catch {
        // Already gone.
      }
    });
  }
  state.address = address;
  state.server = server;
  return address;
}

/**
 * Registers an object this thread owns, to be served once it is sent away; `local` makes the
 * handle a reviver in this same thread returns (an object that came back home).
 */
export function register(served: Served, local: (state: Record<string, unknown>) => unknown): number {
  // Only a program that makes shared objects pays for the argument walk of every submit
  // (reduction.ts), not every program that imports this package.
  enableReduction();
  const state = runtime();
  const id = ++state.nextId;
  state.objects.set(id, served);
  state.locals.set(id, local);
  return id;
}

/** An operation on an object of this thread waits: keep the event loop alive if others may answer. */
export function holdServer(): void {
  const state = runtime();
  if (state.serverHolds++ === 0) state.server?.ref();
}

export function releaseServer(): void {
  const state = runtime();
  if (--state.serverHolds === 0) state.server?.unref();
}

let transits: (() => void)[] | undefined;

/**
 * Runs `reduce` and collects, for every pipe end it sent on, how to void that transfer (close
 * the end if it never arrived). `Process` calls these when its child exits: a child that dies
 * before it took its end over must not leave the other end waiting forever.
 */
export function collectTransits<T>(reduce: () => T): { value: T; voids: (() => void)[] } {
  const outer = transits;
  const voids: (() => void)[] = [];
  transits = voids;
  try {
    return { value: reduce(), voids };
  } finally {
    transits = outer;
  }
}

/** Called by a pipe end as it is reduced (see {@link collectTransits}). */
export function noteTransit(voidIt: () => void): void {
  transits?.push(voidIt);
}

/**
 * This thread's link to `address`, connecting on first use. `ring`: an offer of shared memory
 * from that owner (this is one of its process's worker threads), taken if the link is new.
 */
export function linkTo(address: string, ring?: RingOffer): Link {
  const state = runtime();
  let link = state.links.get(address);
  if (link === undefined) {
    link = new Link(address, ring !== undefined && claimOffer(ring) ? ring : undefined);
    state.links.set(address, link);
  } else if (ring !== undefined) {
    declineOffer(ring);
  }
  return link;
}

/**
 * A ring pair to offer along with a handle to an object of this thread that goes to a worker
 * thread of this process (ring.ts); none when too many offers are out.
 */
export function offerRing(): RingOffer | undefined {
  const state = runtime();
  // The server must exist for the claimer's L_RING to reach it.
  serverAddress();
  return makeOffer(state.offers, () => ++state.nextOfferId);
}

/**
 * Resolves once everything this thread has sent to other owners has reached them (or
 * `limitMs` passed): a process about to exit calls it so that its last puts and
 * acknowledgements are not lost. Each link is half-closed and the owner's close awaited:
 * flushing into the kernel is not enough, since an owner that writes to a process which has
 * exited gets EPIPE, and Node then destroys its socket without reading what is left in it.
 * Ending our side first lets the owner read everything up to our end, then close.
 */
export async function flushLinks(limitMs = 5_000): Promise<void> {
  if (runtime().links.size === 0) return;
  // Let this turn's queued work (a send at the end of the target) reach the sockets first.
  await new Promise((resolve) => setImmediate(resolve));
  const links = [...runtime().links.values()];
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    Promise.all(links.map((link) => link.finish())),
    new Promise<void>((resolve) => {
      timer = setTimeout(resolve, limitMs);
      timer.unref();
    }),
  ]);
  clearTimeout(timer);
}

/**
 * A received Buffer at least this large is handed out as it arrived, not copied: such a frame
 * spans several reads, so the reader assembled it into memory of its own (frames.ts), and
 * holding it does not hold other messages' bytes. A smaller one is copied out of the read.
 */
const OWN_BUFFER_BYTES = 64 * 1024;

/** Above this many nodes a value is not checked for the JSON path (the check would cost more than it saves). */
const JSON_NODE_BUDGET = 64;

/**
 * Nodes left of `budget` after walking `value`, or -1 when JSON would not carry it exactly as
 * structured clone does: only finite numbers (not -0), strings, booleans, null, and arrays
 * (dense, no other properties) and plain objects of those, no cycle (the budget ends one).
 * Anything else (undefined, NaN, a Date, a Map, a typed array, a handle with `[REDUCE]`, a
 * function, a Proxy) sends the value the general way, which also reports what cannot be cloned.
 * (A getter of a plain object runs twice, here and in `JSON.stringify`; structured clone runs
 * it once.)
 */
function jsonExact(value: unknown, budget: number): number {
  if (--budget < 0) return -1;
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return budget;
    case 'number':
      return Number.isFinite(value) && !Object.is(value, -0) ? budget : -1;
    case 'object': {
      if (value === null) return budget;
      const proto: unknown = Object.getPrototypeOf(value);
      if (proto === Array.prototype) {
        const array = value as unknown[];
        // Named properties beside the items travel by structured clone, not by JSON.
        if (array.length > budget || Object.keys(array).length !== array.length) return -1;
        for (const item of array) if ((budget = jsonExact(item, budget)) < 0) return -1;
        return budget;
      }
      // A Proxy passes for a plain object, but structured clone refuses it: take the v8 way, which says so.
      if ((proto !== Object.prototype && proto !== null) || REDUCE in value || types.isProxy(value)) return -1;
      const record = value as Record<string, unknown>;
      for (const key in record) {
        // for-in would also list inherited keys: a plain object has none unless someone
        // extended Object.prototype; then take the general way rather than guess.
        if (!Object.hasOwn(record, key)) return -1;
        if ((budget = jsonExact(record[key], budget)) < 0) return -1;
      }
      return budget;
    }
    default:
      return -1;
  }
}

/**
 * A value as it crosses. Plain data (the common case: numbers, strings, small records) goes as
 * JSON text: `v8.serialize` builds a native serializer per call and costs several times more
 * (about 2 µs against 0.3 µs for `{ i: 1 }` here, and as much again to read it), which was most
 * of a stream's cost per item. A Buffer goes as its bytes: v8 would copy it into the
 * serialized form and out again on the other side (two copies of a 1 MiB message per hop).
 * Anything else is reduced (handles inside become their wire form) and serialized by v8.
 */
export function encode(value: unknown, what: string): { bytes: Buffer; flags: number } {
  let flags = 0;
  try {
    if (jsonExact(value, JSON_NODE_BUDGET) >= 0) return { bytes: Buffer.from(JSON.stringify(value)), flags: F_JSON };
    // A copy all the same: the message may leave after the caller has changed its buffer.
    if (Buffer.isBuffer(value)) return { bytes: Buffer.from(value), flags: F_BUFFER };
    const reduced = reduceValue(value, 'process');
    if (reduced !== undefined) {
      // The key travels beside the value: only the wire forms made here are revived.
      value = [reduced.key, reduced.value];
      flags = F_REDUCED;
    }
    return { bytes: serialize(value), flags };
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new TypeError(`${what} could not be sent: ${reason}`, { cause: error });
  }
}

/**
 * The value again; handles inside are revived (which may take a module import, hence the
 * promise). `allow`, when given, decides which revivers a handle may name (see `reviveValue`).
 */
export function decode(bytes: Buffer, flags: number, allow?: (module: string, reviver: string) => boolean): unknown {
  if ((flags & F_JSON) !== 0) return JSON.parse(bytes.toString());
  if ((flags & F_BUFFER) !== 0) return bytes.length >= OWN_BUFFER_BYTES ? bytes : Buffer.from(bytes);
  const value: unknown = deserialize(bytes);
  if ((flags & F_REDUCED) === 0) return value;
  const [key, reduced] = value as [string, unknown];
  return reviveValue(reduced, key, allow);
}

/**
 * The URL of a module of this package's built JavaScript, also when this code runs from `src`
 * under a test runner: a reviver runs in another process or worker, which needs real JS.
 */
export function builtModule(path: string): string {
  return builtUrl(new URL('..', import.meta.url), path).href;
}
