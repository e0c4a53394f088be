/**
 * How a queue handle reaches its queue: {@link LocalQueuePort} in the owner's thread (it calls
 * the QueueCore directly), {@link RemoteQueuePort} anywhere else (it talks to the owner over
 * this thread's link). The public classes (queues.ts) only choose one.
 *
 * A remote consumer keeps a window of items pushed ahead once it has asked for one, so a stream
 * costs no round trip per item; it acknowledges, at the end of the turn, the items its gets
 * returned. The window follows its user: none at first, one item once a get comes back quickly
 * ({@link SLOW_USER_MS}), doubling each time such a get finds nothing held (up to
 * {@link CONSUMER_WINDOW}), and none again once the user is slow to come back. A slow consumer
 * so holds nothing between its gets that another consumer waits for (queue-core.ts). A get
 * that waits tells the owner so (Q_WANT's b): it then gets the oldest item, in order or not. A remote producer's put on an unbounded queue does not wait
 * for an answer (Python's feeder thread does the same); on a bounded queue each put is answered,
 * so that `maxsize` holds across processes.
 *
 * @module
 */
import { performance } from 'node:perf_hooks';
import { deserialize } from 'node:v8';
import type { Destination } from '@concurrent/futures/internal';
import { type BrokenPipeError, Empty, Full, OSError, ValueError } from '../errors.js';
import { Deque } from './deque.js';
import type { Frame } from './frames.js';
import { FULL, Q_ACK, Q_CANCEL, Q_GETNOW, Q_ITEM, Q_JOIN, Q_PUT, Q_RECLAIM, Q_RETURN, Q_SIZE, Q_TAKEN_BACK, Q_TASK_DONE, Q_WANT, REPLY, RETURN_DETACH } from './ops.js';
import type { Message } from './pipe-core.js';
import type { QueueCore } from './queue-core.js';
import type { RingOffer } from './ring.js';
import { holdServer, type Link, offerRing, type Receiver, releaseServer, runtime, serverAddress } from './runtime.js';
import { type Keeper, Signal, waitFor } from './signal.js';

/**
 * At most this many items a remote consumer asks to hold ahead, untaken. The owner gives a
 * consumer this many while it is the queue's only remote consumer; with several it gives each
 * fewer (queue-core.ts, `SHARED_WINDOW`), so that no consumer sits on items another could take.
 */
export const CONSUMER_WINDOW = 1024;
/**
 * A user that comes back for its next item this long after the last one is slow: it holds no
 * items ahead, and each of its gets asks for one. A round trip to the owner is tens of
 * microseconds, a few percent of this; and items it held while it worked would be kept from
 * the others, or reach them out of order.
 */
const SLOW_USER_MS = 2;
/**
 * The same through a shared-memory ring (ring.ts): each refill there costs the owner and the
 * consumer a wake-up each, and a lone consumer that emptied a window of 1,024 waited for one
 * every few hundred items of a stream.
 */
const RING_CONSUMER_WINDOW = 4096;

/** What a queue is on the wire. */
export interface QueueState {
  readonly k: 'queue';
  readonly a: string;
  readonly o: number;
  /** maxsize */
  readonly m: number;
  /** 'queue' | 'joinable' | 'simple' */
  readonly t: QueueType;
  /** Shared memory for the receiving worker thread's link to the owner, if it has none yet (ring.ts). */
  readonly r?: RingOffer;
}

export type QueueType = 'queue' | 'joinable' | 'simple';

/** @internal */
export interface QueuePort {
  readonly maxsize: number;
  put(item: Message, block: boolean, timeoutMs: number | undefined): Promise<void>;
  get(block: boolean, timeoutMs: number | undefined): Promise<Message>;
  /** An item now if one is at hand (else undefined: call {@link get}). @throws when the handle is closed. */
  tryGet(): Message | undefined;
  size(): Promise<number>;
  taskDone(): void;
  join(): Promise<void>;
  close(): void;
  joinThread(): Promise<void>;
  reduce(type: QueueType, destination: Destination): QueueState;
}

/** A consumer flushes its acknowledgement early only after this many gets (fewer: the end of the turn is soon enough). */
const ACK_AT_LEAST = 16;

const SERVER_KEEPER: Keeper = { hold: holdServer, release: releaseServer };
const DONE = Promise.resolve();

function closedForPut(): ValueError {
  return new ValueError('Queue is closed');
}

function tooManyTaskDone(): ValueError {
  return new ValueError('task_done() called too many times');
}

export class LocalQueuePort implements QueuePort {
  readonly #core: QueueCore;
  #closed = false;

  constructor(core: QueueCore) {
    this.#core = core;
  }

  get maxsize(): number {
    return this.#core.maxsize;
  }

  async put(item: Message, block: boolean, timeoutMs: number | undefined): Promise<void> {
    if (this.#closed) throw closedForPut();
    const core = this.#core;
    // Room is taken inside the check, so that two woken waiters never both take the last slot.
    const ready = (): boolean => {
      if (!core.hasRoom()) return false;
      core.accept(item);
      return true;
    };
    // Most puts find room: no waiter (an async call and its promises) for them.
    if (ready()) return;
    if (!(await waitFor(core.changed, ready, block ? timeoutMs : 0, SERVER_KEEPER))) throw new Full();
  }

  tryGet(): Message | undefined {
    if (this.#closed) throw new OSError('handle is closed');
    return this.#core.take();
  }

  async get(block: boolean, timeoutMs: number | undefined): Promise<Message> {
    const core = this.#core;
    const now = !block || timeoutMs === 0;
    let got: Message | undefined;
    const ready = (): boolean => {
      if (this.#closed) throw new OSError('handle is closed');
      got = core.take(now);
      return got !== undefined;
    };
    if (ready()) return got!;
    core.localGetters++;
    try {
      if (!(await waitFor(core.changed, ready, block ? timeoutMs : 0, SERVER_KEEPER))) throw new Empty();
    } finally {
      core.localGetters--;
    }
    return got!;
  }

  size(): Promise<number> {
    return Promise.resolve(this.#core.size);
  }

  taskDone(): void {
    if (!this.#core.taskDone(1)) throw tooManyTaskDone();
  }

  async join(): Promise<void> {
    await waitFor(this.#core.changed, () => this.#core.unfinished === 0, undefined, SERVER_KEEPER);
  }

  close(): void {
    this.#closed = true;
    this.#core.changed.wake();
  }

  joinThread(): Promise<void> {
    return Promise.resolve();
  }

  reduce(type: QueueType, destination: Destination): QueueState {
    const state: QueueState = { k: 'queue', a: serverAddress(), o: this.#core.id, m: this.#core.maxsize, t: type };
    // A worker thread of this process can share memory with this thread: its link then
    // carries frames through a ring instead of the socket. Only the owner can offer one (the
    // ring is between the two threads), so a handle passed on from elsewhere uses the socket.
    const ring = destination === 'thread' ? offerRing() : undefined;
    return ring === undefined ? state : { ...state, r: ring };
  }
}

interface Request {
  resolve(status: number, payload: Buffer): void;
  reject(error: Error): void;
}

export class RemoteQueuePort implements QueuePort, Receiver {
  readonly maxsize: number;
  readonly #link: Link;
  readonly #id: number;
  readonly #key: string;
  readonly #received = new Deque<{ readonly seq: number; readonly item: Message }>();
  readonly #changed = new Signal();
  readonly #requests = new Map<number, Request>();
  #nextRequest = 0;
  /** Seq of the last item handed to the user. */
  #read = 0;
  /** The window the owner has for us (what we last asked for; 0 after a reclaim). */
  #told = 0;
  /** Q_RETURNs sent and not yet answered (Q_TAKEN_BACK): items arriving meanwhile were given back on their way. */
  #returning = 0;
  /** We told the owner that a get waits, and no item has come since. */
  #waitingTold = false;
  /** How many items we hold ahead between gets (see the module's comment). */
  #target = 0;
  /** When a get last returned an item (performance.now()), and whether the user took long to come back since the one before. */
  #lastGot = Number.NEGATIVE_INFINITY;
  #slow = true;
  /** Checks that the user came back within {@link SLOW_USER_MS} while items are held or pushed here. */
  #idleTimer: NodeJS.Timeout | undefined;
  readonly #onIdle = (): void => this.#checkIdle();
  #pendingGets = 0;
  /** Items this handle's gets returned, and taskDone() calls it made (JoinableQueue). */
  #gotten = 0;
  #tasksDone = 0;
  /** Items taken since the acknowledgement last left. */
  #unflushed = 0;
  #closed = false;
  #broken: BrokenPipeError | undefined;

  constructor(link: Link, state: QueueState, key: string) {
    this.#link = link;
    this.#id = state.o;
    this.maxsize = state.m;
    this.#key = key;
    if (link.gone !== undefined) this.#broken = link.gone;
    else link.receivers.set(this.#id, this);
  }

  onFrame(frame: Frame): void {
    switch (frame.op) {
      case Q_ITEM:
        // The owner no longer counts us as waiting once it pushed an item, kept or not.
        this.#waitingTold = false;
        // Given back (Q_RETURN) while it was on the way.
        if (this.#returning > 0) break;
        this.#received.push({ seq: frame.a, item: { bytes: frame.payload, flags: frame.flags } });
        if (this.#pendingGets === 0) this.#watchIdle(SLOW_USER_MS);
        this.#changed.wake();
        break;
      case Q_TAKEN_BACK:
        this.#returning--;
        break;
      case Q_RECLAIM:
        this.#told = 0;
        this.#waitingTold = false;
        this.#giveBack(frame.a, false);
        if (this.#pendingGets > 0) this.#tell(Math.max(1, this.#target), true);
        break;
      case REPLY: {
        const request = this.#requests.get(frame.a);
        this.#requests.delete(frame.a);
        request?.resolve(frame.b, frame.payload);
        break;
      }
      default:
        break;
    }
  }

  onOwnerGone(error: BrokenPipeError): void {
    this.#broken = error;
    for (const request of this.#requests.values()) request.reject(error);
    this.#requests.clear();
    this.#changed.wake();
  }

  put(item: Message, block: boolean, timeoutMs: number | undefined): Promise<void> {
    try {
      this.#check(true);
    } catch (error) {
      return Promise.reject(error);
    }
    if (this.maxsize > 0) return this.#putBounded(item, block, timeoutMs);
    // Unbounded: nothing to wait for but the socket itself (a slow owner pushes back). Not an
    // async function: a stream of puts that never wait pays for no promise of its own.
    const wire = this.#link.wire;
    wire.send(Q_PUT, this.#id, 0, 1, item.flags, item.bytes);
    if (!wire.congested) return DONE;
    this.#link.hold();
    return wire.uncongested().finally(() => this.#link.release());
  }

  async #putBounded(item: Message, block: boolean, timeoutMs: number | undefined): Promise<void> {
    const wait = block && timeoutMs !== 0;
    const { id, reply } = this.#request(Q_PUT, wait ? 1 : 0, item);
    let status: number;
    if (!wait || timeoutMs === undefined) {
      ({ status } = await reply);
    } else {
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)));
      const first = await Promise.race([reply, late]);
      clearTimeout(timer);
      if (first === undefined) {
        // Ask the owner to give up the put: it answers FULL, or OK if the item got in meanwhile.
        this.#link.wire.send(Q_CANCEL, this.#id, id);
      }
      ({ status } = await reply);
    }
    if (status === FULL) throw new Full();
  }

  tryGet(): Message | undefined {
    if (this.#closed) throw new OSError('handle is closed');
    const now = performance.now();
    this.#slow = now - this.#lastGot >= SLOW_USER_MS;
    if (this.#slow && this.#target > 0) {
      this.#target = 0;
      if (this.#pendingGets === 0) this.#tell(0, false);
    }
    return this.#takeHeld(now, 0);
  }

  /** The next item held here, if any, handed to the user; `otherGets`: gets of this handle that still wait. */
  #takeHeld(now: number, otherGets: number): Message | undefined {
    const next = this.#received.shift();
    if (next === undefined) return undefined;
    // A slow user holds nothing ahead: told before the acknowledgement, which makes room.
    if (this.#target === 0 && this.#told > 0 && otherGets === 0) this.#tell(0, false);
    else if (this.#told > 0) this.#watchIdle(SLOW_USER_MS);
    this.#lastGot = now;
    this.#read = next.seq;
    this.#gotten++;
    this.#scheduleAck();
    return next.item;
  }

  async get(block: boolean, timeoutMs: number | undefined): Promise<Message> {
    let got: Message | undefined;
    const take = (): boolean => {
      if (this.#closed) throw new OSError('handle is closed');
      got = this.#takeHeld(performance.now(), this.#pendingGets - 1);
      if (got !== undefined) return true;
      if (this.#broken !== undefined) throw this.#broken;
      this.#tell(Math.max(1, this.#target), true);
      return false;
    };
    if (take()) return got!;
    if (!block || timeoutMs === 0) {
      // Ask the owner for one item now; it comes (if any) before the answer.
      await this.#request(Q_GETNOW, 0).reply;
      if (take()) return got!;
      throw new Empty();
    }
    // A user that keeps up and still finds nothing held may be waiting on its window.
    if (!this.#slow) this.#target = Math.min(Math.max(1, this.#target * 2), this.#maxWindow());
    this.#pendingGets++;
    try {
      if (!(await waitFor(this.#changed, take, timeoutMs, this.#link))) throw new Empty();
    } finally {
      // A get that gave up no longer waits: the owner must not reclaim items for it.
      if (--this.#pendingGets === 0 && this.#waitingTold) this.#tell(this.#told, false);
    }
    return got!;
  }

  async size(): Promise<number> {
    this.#check(false);
    const { payload } = await this.#request(Q_SIZE, 0).reply;
    return deserialize(payload) as number;
  }

  taskDone(): void {
    this.#check(false);
    // Counted per handle: the owner cannot answer synchronously, and Python raises at the call.
    if (this.#tasksDone >= this.#gotten) throw tooManyTaskDone();
    this.#tasksDone++;
    this.#link.wire.ack(Q_TASK_DONE, this.#id, 1, true);
  }

  async join(): Promise<void> {
    this.#check(false);
    await this.#request(Q_JOIN, 0).reply;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#broken === undefined) this.#giveBack(0, true);
    this.#link.receivers.delete(this.#id);
    if (runtime().handles.get(this.#key) !== undefined) runtime().handles.delete(this.#key);
    this.#changed.wake();
  }

  /** Resolves once the owner has every item this thread put (a round trip after them: one connection keeps order). */
  async joinThread(): Promise<void> {
    if (this.#broken !== undefined) return;
    await this.#request(Q_SIZE, 0).reply.catch(() => undefined);
  }

  reduce(type: QueueType): QueueState {
    this.#check(false);
    return { k: 'queue', a: this.#link.address, o: this.#id, m: this.maxsize, t: type };
  }

  #check(forPut: boolean): void {
    if (this.#closed) throw forPut ? closedForPut() : new OSError('handle is closed');
    if (this.#broken !== undefined) throw this.#broken;
  }

  #maxWindow(): number {
    return this.#link.wire.viaRing ? RING_CONSUMER_WINDOW : CONSUMER_WINDOW;
  }

  #watchIdle(ms: number): void {
    if (this.#idleTimer !== undefined) return;
    this.#idleTimer = setTimeout(this.#onIdle, ms);
    this.#idleTimer.unref();
  }

  /**
   * The user has not come back for {@link SLOW_USER_MS} (it stopped, or works long on its last
   * item): hold nothing for it. What it holds goes back before other consumers run past those
   * items, so they can still take them in order.
   */
  #checkIdle(): void {
    this.#idleTimer = undefined;
    // A get that waits holds nothing: it takes what comes (and watches again after).
    if (this.#closed || this.#broken !== undefined || this.#pendingGets > 0) return;
    const idle = performance.now() - this.#lastGot;
    if (idle < SLOW_USER_MS) {
      this.#watchIdle(SLOW_USER_MS - idle);
      return;
    }
    this.#target = 0;
    this.#tell(0, false);
    if (this.#received.length > 0) this.#giveBack(0, false);
  }

  /** Tells the owner our window, and whether a get waits with nothing held, when either changed. */
  #tell(window: number, waiting: boolean): void {
    if (this.#broken !== undefined || (window === this.#told && waiting === this.#waitingTold)) return;
    this.#told = window;
    this.#waitingTold = waiting;
    this.#link.wire.send(Q_WANT, this.#id, window, waiting ? 1 : 0);
  }

  /**
   * Gives back the items pushed here and not handed out, from seq `from` on (the owner asks
   * for those another consumer may take in order; all of them when the user stopped or the
   * handle closes: `detach`, and no more pushes). Those still on the way go back too: kept,
   * they would reach the user after these older ones came back to the owner.
   */
  #giveBack(from: number, detach: boolean): void {
    const start = Math.max(from, this.#read + 1);
    for (const entry of this.#received.drain()) if (entry.seq < start) this.#received.push(entry);
    this.#link.wire.send(Q_RETURN, this.#id, start, 0, detach ? RETURN_DETACH : 0);
    if (!detach) this.#returning++;
  }

  #scheduleAck(): void {
    // Queued now (one frame per batch, raised in place), so it leaves before anything this
    // thread sends after the get returned: a consumer that exits right after still has its
    // items counted as taken.
    this.#link.wire.ack(Q_ACK, this.#id, this.#read);
    // Half of what was here read in one turn: send the acknowledgement now, so the owner
    // refills the window while the rest is read, instead of the stream stopping at each
    // window's end. (Half of what is held, not of the window asked for: the owner may give less.)
    if (++this.#unflushed >= this.#target / 2 || (this.#unflushed >= ACK_AT_LEAST && this.#received.length <= this.#unflushed)) {
      this.#unflushed = 0;
      this.#link.wire.flush();
    } else if (this.#unflushed === 1) {
      process.nextTick(() => (this.#unflushed = 0));
    }
  }

  #request(op: number, b: number, item?: Message): { id: number; reply: Promise<{ status: number; payload: Buffer }> } {
    const id = ++this.#nextRequest;
    this.#link.hold();
    const reply = new Promise<{ status: number; payload: Buffer }>((resolve, reject) => {
      this.#requests.set(id, { resolve: (status, payload) => resolve({ status, payload }), reject });
    }).finally(() => this.#link.release());
    this.#link.wire.send(op, this.#id, id, b, item?.flags ?? 0, item?.bytes);
    return { id, reply };
  }
}
