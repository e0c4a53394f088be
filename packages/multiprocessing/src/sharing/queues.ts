/**
 * `Queue`, `JoinableQueue` and `SimpleQueue`: one queue, usable from any process or thread
 * it is passed to. Mirrors `multiprocessing.Queue`, `multiprocessing.JoinableQueue` and
 * `multiprocessing.SimpleQueue`. The queue lives in the thread that created it (queue-core.ts);
 * a handle elsewhere talks to it (queue-ports.ts).
 *
 * @module
 */
import { type Destination, REDUCE, type Reducible, type Reduction } from '@concurrent/futures/internal';
import { declineOffer } from './ring.js';
import { checkOptions, checkTimeout, describe } from '../validate.js';
import { QueueCore } from './queue-core.js';
import { LocalQueuePort, type QueuePort, type QueueState, type QueueType, RemoteQueuePort } from './queue-ports.js';
import { builtModule, decode, encode, linkTo, runtime } from './runtime.js';

/** Options of {@link Queue.put}. Mirrors the `block` and `timeout` parameters of `Queue.put`. */
export interface PutOptions {
  /** `false`: fail with `Full` at once instead of waiting for room. Default `true`. */
  block?: boolean | undefined;
  /** Wait at most this many ms for room, then fail with `Full`. Default: no limit. */
  timeout?: number | undefined;
}

/** Options of {@link Queue.get}. Mirrors the `block` and `timeout` parameters of `Queue.get`. */
export interface GetOptions {
  /** `false`: fail with `Empty` at once instead of waiting for an item. Default `true`. */
  block?: boolean | undefined;
  /** Wait at most this many ms for an item, then fail with `Empty`. Default: no limit. */
  timeout?: number | undefined;
}

const BLOCK_KEYS = ['block', 'timeout'];

/** Set by the reviver just before it constructs a handle: the port it talks through. */
let adopting: QueuePort | undefined;

const BLOCK_FOREVER = { block: true, timeoutMs: undefined } as const;

export function checkBlock(options: PutOptions | GetOptions | undefined, what: string): { block: boolean; timeoutMs: number | undefined } {
  if (options === undefined) return BLOCK_FOREVER;
  const opts = checkOptions(options, what, BLOCK_KEYS);
  if (opts.block !== undefined && typeof opts.block !== 'boolean') throw new TypeError(`Expected \`block\` to be a boolean, got ${describe(opts.block)}`);
  return { block: opts.block ?? true, timeoutMs: checkTimeout(opts.timeout) };
}

function newPort(maxsize: number, type: QueueType, self: () => unknown): QueuePort {
  const port = adopting;
  adopting = undefined;
  if (port !== undefined) return port;
  return new LocalQueuePort(new QueueCore(maxsize, type === 'joinable', self));
}

function checkMaxsize(maxsize: unknown): number {
  if (typeof maxsize !== 'number' || !(Number.isInteger(maxsize) || maxsize === Infinity)) {
    throw new TypeError(`Expected \`maxsize\` to be an integer (0 or less: no limit), got ${describe(maxsize)}`);
  }
  return maxsize === Infinity ? 0 : maxsize;
}

/**
 * A FIFO queue shared by every process and thread it is passed to (as `Process` args, pool
 * task arguments and `initargs`, or inside a message): each item is taken exactly once, items
 * of one producer come out in the order it put them. Mirrors `multiprocessing.Queue`.
 *
 * Items cross by structured clone (queues and pipe ends inside travel as handles). The
 * methods that block in Python return promises. `maxsize` (default 0: no limit) bounds the
 * items put and not yet taken, across all processes: `put` waits for room.
 *
 * @example
 * ```ts
 * const q = new Queue<number>();
 * const p = new Process({ target: tasks.consume, args: [q] });
 * p.start();
 * for (let i = 0; i < 10; i++) await q.put(i);
 * await q.put(null); // a sentinel: the consumer stops
 * await p.join();
 * ```
 */
export class Queue<T = unknown> implements Reducible {
  readonly #port: QueuePort;

  /**
   * @param maxsize - the most items not yet taken; 0 or less (the default): no limit.
   * @throws TypeError for a maxsize that is not an integer.
   */
  constructor(maxsize = 0) {
    this.#port = newPort(adopting === undefined ? checkMaxsize(maxsize) : 0, this.#type(), () => this);
  }

  /** The bound given at creation (0: none). */
  get maxsize(): number {
    return this.#port.maxsize;
  }

  /**
   * Puts `item` on the queue, waiting for room if the queue is bounded and full. Mirrors `Queue.put`.
   *
   * @throws (rejects) Full when there is no room and `block` is false or `timeout` passed;
   *   TypeError when the item cannot be cloned (nothing is put; the queue keeps working);
   *   ValueError `'Queue is closed'` after `close()`; BrokenPipeError when the queue's owner has exited.
   * @example
   * ```ts
   * await q.put(job);
   * await q.put(job, { timeout: 1_000 }); // Full after 1 s without room
   * ```
   */
  put(item: T, options?: PutOptions): Promise<void> {
    // Not an async function: a stream of puts that never wait (a remote put on an unbounded
    // queue answers with one shared resolved promise) pays for no promise of its own.
    try {
      const { block, timeoutMs } = checkBlock(options, 'Queue.put');
      return this.#port.put(encode(item, 'the item'), block, timeoutMs);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** `put(item, { block: false })`. Mirrors `Queue.put_nowait`. */
  putNowait(item: T): Promise<void> {
    return this.put(item, { block: false });
  }

  /**
   * Takes the next item, waiting for one. Mirrors `Queue.get`.
   *
   * @throws (rejects) Empty when there is none and `block` is false or `timeout` passed;
   *   OSError after `close()`; BrokenPipeError when the queue's owner has exited.
   * @example
   * ```ts
   * const job = await q.get();
   * const maybe = await q.get({ timeout: 100 }).catch((error) => { if (error instanceof Empty) return undefined; throw error; });
   * ```
   */
  get(options?: GetOptions): Promise<T> {
    try {
      const { block, timeoutMs } = checkBlock(options, 'Queue.get');
      // An item at hand is taken now, as the first step of the wait would take it: a
      // consumer of a stream pays for one promise per item instead of three.
      const ready = this.#port.tryGet();
      if (ready !== undefined) return Promise.resolve(decode(ready.bytes, ready.flags) as T | Promise<T>);
      return this.#port.get(block, timeoutMs).then((item) => decode(item.bytes, item.flags) as T | Promise<T>);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** `get({ block: false })`. Mirrors `Queue.get_nowait`. */
  getNowait(): Promise<T> {
    return this.get({ block: false });
  }

  /**
   * How many items are put and not yet taken (a snapshot: others may change it at once).
   * Mirrors `Queue.qsize`; a promise, because the queue may live in another process.
   */
  qsize(): Promise<number> {
    return this.#port.size();
  }

  /** Whether `qsize()` is 0 (a snapshot). Mirrors `Queue.empty`. */
  async empty(): Promise<boolean> {
    return (await this.#port.size()) === 0;
  }

  /** Whether the queue is bounded and at its `maxsize` (a snapshot). Mirrors `Queue.full`. */
  async full(): Promise<boolean> {
    return this.maxsize > 0 && (await this.#port.size()) >= this.maxsize;
  }

  /**
   * This handle puts and gets no more (the queue itself lives on for its other handles); items
   * pushed ahead to this handle and not taken go back to the queue. Mirrors `Queue.close`.
   */
  close(): void {
    this.#port.close();
  }

  /**
   * Resolves once the queue has every item this thread put. A put from another process or
   * thread returns before its item reached the queue (Python's feeder thread does the same),
   * so a producer that reports "done" by another way than this queue (a pool task's result, a
   * message on another pipe) awaits this first, or a consumer may see its "done" before its
   * last items. A `Process` child's items are delivered before it exits without it. Mirrors
   * `Queue.join_thread` (which Python allows only after `close()`; here it works any time).
   */
  joinThread(): Promise<void> {
    return this.#port.joinThread();
  }

  /**
   * Kept for Python's API; nothing waits for buffered items at exit here except a `Process`
   * child's own flush, which this does not change. Mirrors `Queue.cancel_join_thread`.
   */
  cancelJoinThread(): void {}

  /** @internal How the queue travels: as a handle to this same queue. */
  [REDUCE](destination: Destination): Reduction {
    return { module: builtModule('sharing/revive.js'), reviver: 'revive', state: this.#port.reduce(this.#type(), destination) };
  }

  /** @internal */
  protected get port(): QueuePort {
    return this.#port;
  }

  #type(): QueueType {
    return this instanceof JoinableQueue ? 'joinable' : 'queue';
  }
}

/**
 * A {@link Queue} that counts unfinished tasks: every `put` adds one, every `taskDone()`
 * takes one off, and `join()` waits until none is left. Mirrors `multiprocessing.JoinableQueue`.
 *
 * @example
 * ```ts
 * const q = new JoinableQueue<string>();
 * // consumers: for (;;) { const job = await q.get(); ...; q.taskDone(); }
 * for (const job of jobs) await q.put(job);
 * await q.join(); // every job was taken and marked done
 * ```
 */
export class JoinableQueue<T = unknown> extends Queue<T> {
  /**
   * Marks one item taken with `get()` as done. Mirrors `JoinableQueue.task_done`.
   *
   * @throws ValueError `'task_done() called too many times'` when more items were marked done
   *   than were put (in another process than the queue's owner: than that handle took).
   */
  taskDone(): void {
    this.port.taskDone();
  }

  /** Resolves once every item put has been marked done. Mirrors `JoinableQueue.join`. */
  join(): Promise<void> {
    return this.port.join();
  }
}

/**
 * An unbounded queue with only `put`, `get`, `empty` and `close`. Mirrors
 * `multiprocessing.SimpleQueue` (here it is as fast as {@link Queue}: the same queue underneath).
 *
 * @example
 * ```ts
 * const q = new SimpleQueue<string>();
 * await q.put('hello');
 * console.log(await q.get());
 * ```
 */
export class SimpleQueue<T = unknown> implements Reducible {
  readonly #port: QueuePort;

  constructor() {
    this.#port = newPort(0, 'simple', () => this);
  }

  /** Puts `item`. Mirrors `SimpleQueue.put`. @throws as {@link Queue.put}. */
  async put(item: T): Promise<void> {
    await this.#port.put(encode(item, 'the item'), true, undefined);
  }

  /** Takes the next item, waiting for one. Mirrors `SimpleQueue.get`. @throws as {@link Queue.get}. */
  async get(): Promise<T> {
    const item = await this.#port.get(true, undefined);
    return (await decode(item.bytes, item.flags)) as T;
  }

  /** Whether no item is waiting (a snapshot). Mirrors `SimpleQueue.empty`. */
  async empty(): Promise<boolean> {
    return (await this.#port.size()) === 0;
  }

  /** This handle puts and gets no more. Mirrors `SimpleQueue.close`. */
  close(): void {
    this.#port.close();
  }

  /** @internal */
  [REDUCE](destination: Destination): Reduction {
    return { module: builtModule('sharing/revive.js'), reviver: 'revive', state: this.#port.reduce('simple', destination) };
  }
}

/** The reviver's part for queues (see revive.ts): one handle per queue per thread. */
export function reviveQueue(state: QueueState): unknown {
  const here = runtime();
  if (state.a === here.address) {
    const local = here.locals.get(state.o);
    if (local !== undefined) {
      if (state.r !== undefined) declineOffer(state.r);
      return local(state as unknown as Record<string, unknown>);
    }
  }
  const key = `${state.a}#${state.o}`;
  const known = here.handles.get(key);
  if (known !== undefined) {
    // This thread has its link to the owner already (a handle has one only through it).
    if (state.r !== undefined) declineOffer(state.r);
    return known;
  }
  adopting = new RemoteQueuePort(linkTo(state.a, state.r), state, key);
  const handle = state.t === 'simple' ? new SimpleQueue() : state.t === 'joinable' ? new JoinableQueue() : new Queue();
  here.handles.set(key, handle);
  return handle;
}
