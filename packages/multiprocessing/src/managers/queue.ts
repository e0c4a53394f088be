/**
 * The queues a `SyncManager` serves (`Queue`, `JoinableQueue`): Python's manager queues are
 * `queue.Queue` objects in the server, and so are these, on the server's event loop. They are
 * callers' objects (primitives.ts): a `get()` or `put()` waiting for a client whose connection
 * closed is dropped, so an item put later goes to a live consumer, not to the dead one.
 *
 * @module
 */
import { Empty, Full, ValueError } from '../errors.js';
import { Deque } from '../sharing/deque.js';
import { checkBlock, type GetOptions, type PutOptions } from '../sharing/queues.js';
import { type Caller, Line, RELEASE_CALLER, take, WITH_CALLER } from './primitives.js';

export class ServedQueue {
  readonly [WITH_CALLER] = true;
  readonly #items = new Deque<unknown>();
  readonly #maxsize: number;
  /** Getters waiting for an item, putters waiting for room. */
  readonly #getters = new Line();
  readonly #putters = new Line();

  constructor(maxsize = 0) {
    if (!Number.isInteger(maxsize)) throw new TypeError('Expected `maxsize` to be an integer');
    this.#maxsize = maxsize;
  }

  async put(caller: Caller, item: unknown, options?: PutOptions): Promise<void> {
    const { block, timeoutMs } = checkBlock(options, 'Queue.put');
    const room = (): boolean => this.#maxsize <= 0 || this.#items.length < this.#maxsize;
    if (!(await take(this.#putters, caller, block ? timeoutMs : 0, room, () => this.#items.push(item)))) throw new Full();
    this.added();
    this.#getters.wake();
  }

  async get(caller: Caller, options?: GetOptions): Promise<unknown> {
    const { block, timeoutMs } = checkBlock(options, 'Queue.get');
    let item: unknown;
    if (!(await take(this.#getters, caller, block ? timeoutMs : 0, () => this.#items.length > 0, () => (item = this.#items.shift())))) throw new Empty();
    this.#putters.wake();
    return item;
  }

  putNowait(caller: Caller, item: unknown): Promise<void> {
    return this.put(caller, item, { block: false });
  }

  getNowait(caller: Caller): Promise<unknown> {
    return this.get(caller, { block: false });
  }

  qsize(_caller: Caller): number {
    return this.#items.length;
  }

  empty(_caller: Caller): boolean {
    return this.#items.length === 0;
  }

  full(_caller: Caller): boolean {
    return this.#maxsize > 0 && this.#items.length >= this.#maxsize;
  }

  /** JoinableQueue counts what was put. */
  protected added(): void {}

  [RELEASE_CALLER](caller: Caller): void {
    this.#getters.drop(caller);
    this.#putters.drop(caller);
  }
}

export class ServedJoinableQueue extends ServedQueue {
  #unfinished = 0;
  readonly #joiners = new Line();

  protected override added(): void {
    this.#unfinished++;
  }

  taskDone(_caller: Caller): void {
    if (this.#unfinished <= 0) throw new ValueError('task_done() called too many times');
    if (--this.#unfinished === 0) this.#joiners.wake(Infinity);
  }

  async join(caller: Caller): Promise<void> {
    // false: the caller is gone (dropped), and nobody waits for the answer.
    while (this.#unfinished > 0) if (!(await this.#joiners.wait(caller, undefined))) return;
  }

  override [RELEASE_CALLER](caller: Caller): void {
    super[RELEASE_CALLER](caller);
    this.#joiners.drop(caller);
  }
}
