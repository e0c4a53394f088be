/**
 * The client side of a manager: one authenticated connection per manager address and thread,
 * and the proxies that call methods of the server's objects through it. Mirrors
 * `multiprocessing.managers.BaseProxy` and `AutoProxy`.
 *
 * A proxy holds one reference to its object: taken when the object was made for it, or when
 * the proxy arrived in this thread (as a `Process` argument, a task argument, inside a
 * message), and given back when the proxy is garbage-collected or this thread's connection
 * closes. A proxy that is sent away also takes a reference for the trip, kept while the sender
 * stays connected, so that the object outlives the sender's own proxy however late the
 * receiver revives it.
 *
 * @module
 */
import { connect } from 'node:net';
import { inspect } from 'node:util';
import { type Destination, enableReduction, REDUCE, type Reducible, type Reduction } from '@concurrent/futures/internal';
import { processAuthkey } from '../current-process.js';
import { BrokenPipeError, OSError, ValueError } from '../errors.js';
import { builtModule } from '../sharing/runtime.js';
import { FAILED, fromWireError, NEW_OBJECT, onManagerWire, pack, type Reply, type WireError, unpack } from './protocol.js';
import { type Address, localServer, type ServedToken } from './server.js';
import { clientHandshake, DEFAULT_MAX_MESSAGE_BYTES, MessageSocket } from './wire.js';

/** `host:port`, or the socket path (an abstract one shown with `@`). */
export function describeAddress(address: Address): string {
  if (typeof address === 'string') return address.startsWith('\0') ? `@${address.slice(1)}` : address;
  return `${address[0]}:${String(address[1])}`;
}

/** An authenticated connection to one manager. */
class Client {
  readonly #connection: MessageSocket;
  readonly #where: string;
  readonly #pending = new Map<number, { resolve: (reply: Reply) => void; reject: (error: Error) => void }>();
  #nextId = 1;
  #gone: Error | undefined;
  /** Replies are handled in the order they came (a revival may take a module import). */
  #chain: Promise<void> = Promise.resolve();

  readonly #maxMessageBytes: number;

  constructor(connection: MessageSocket, where: string, maxMessageBytes: number) {
    this.#connection = connection;
    this.#where = where;
    this.#maxMessageBytes = maxMessageBytes;
    connection.socket.unref();
    connection.listen((body) => this.#receive(body));
    connection.onClose((error) => {
      this.#gone = new BrokenPipeError(`the manager at ${where} is gone (${error.message}): its objects cannot be reached`, { cause: error });
      for (const { reject } of this.#pending.values()) reject(this.#gone);
      this.#pending.clear();
    });
  }

  get closed(): boolean {
    return this.#gone !== undefined;
  }

  /** Sends a request; resolves with the reply's `[status, value]` (a failure rejects). */
  request(op: string, ...rest: unknown[]): Promise<unknown> {
    if (this.#gone !== undefined) return Promise.reject(this.#gone);
    const id = this.#nextId++;
    let body: Buffer;
    try {
      body = pack([id, op, ...rest], 'the arguments');
    } catch (error) {
      return Promise.reject(error);
    }
    // Refused here: the server would close the connection, and with it let go of every lock
    // and reference this process holds.
    if (body.length - 4 > this.#maxMessageBytes) {
      return Promise.reject(new ValueError(`the request (${String(body.length - 4)} bytes) is over the manager's maxMessageBytes (${String(this.#maxMessageBytes)})`));
    }
    // A connection keeps the program alive only while it waits for a reply.
    if (this.#pending.size === 0) this.#connection.socket.ref();
    const reply = new Promise<Reply>((resolve, reject) => this.#pending.set(id, { resolve, reject }));
    this.#connection.sendFrame(body);
    return reply.then(([, status, value]) => {
      if (status === FAILED) throw fromWireError(value as WireError, this.#where);
      return status === NEW_OBJECT ? { [NEW]: value as ServedToken } : value;
    });
  }

  /** Sends a request whose answer nobody waits for (a decref at garbage collection). */
  notify(op: string, ...rest: unknown[]): void {
    if (this.#gone !== undefined) return;
    this.request(op, ...rest).catch(() => undefined);
  }

  close(): void {
    this.#connection.destroy(new Error('closed by this process'));
  }

  #receive(body: Buffer): void {
    let value: unknown;
    try {
      value = unpack(body);
    } catch (error) {
      this.#connection.destroy(error as Error);
      return;
    }
    this.#chain = this.#chain
      .then(async () => {
        const reply = (await value) as Reply;
        const waiter = this.#pending.get(reply[0]);
        if (waiter === undefined) return;
        this.#pending.delete(reply[0]);
        if (this.#pending.size === 0) this.#connection.socket.unref();
        waiter.resolve(reply);
      })
      .catch((error: unknown) => this.#connection.destroy(error as Error));
  }
}

/** Marks a reply that made a new managed object. */
const NEW: unique symbol = Symbol('new object');

/** Connections of this thread, by address and key. */
const clients = new Map<string, Promise<Client>>();
/** The key each address was last reached with: a proxy that arrives without one uses it. */
const keys = new Map<string, Buffer>();

function clientKey(address: Address, authkey: Buffer): string {
  return `${describeAddress(address)}\n${authkey.toString('hex')}`;
}

/** Opens (or reuses) this thread's connection to the manager at `address`. */
export function clientFor(address: Address, authkey: Buffer, maxMessageBytes = DEFAULT_MAX_MESSAGE_BYTES): Promise<Client> {
  const key = clientKey(address, authkey);
  const existing = clients.get(key);
  if (existing !== undefined) {
    return existing.then((client) => {
      if (!client.closed) return client;
      if (clients.get(key) === existing) clients.delete(key);
      return clientFor(address, authkey, maxMessageBytes);
    });
  }
  const opening = open(address, authkey, maxMessageBytes);
  clients.set(key, opening);
  keys.set(describeAddress(address), authkey);
  opening.catch(() => {
    if (clients.get(key) === opening) clients.delete(key);
  });
  return opening;
}

async function open(address: Address, authkey: Buffer, maxMessageBytes: number): Promise<Client> {
  const where = describeAddress(address);
  const socket = typeof address === 'string' ? connect(address) : connect(address[1], address[0]);
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', (error: NodeJS.ErrnoException) => {
      reject(new OSError(`cannot connect to the manager at ${where}: ${error.code ?? error.message}`, { cause: error }));
    });
  });
  const connection = new MessageSocket(socket);
  try {
    await clientHandshake(connection, authkey);
  } catch (error) {
    connection.destroy();
    if ((error as Error).name === 'AuthenticationError') throw error;
    throw new OSError(`the manager at ${where} closed the connection during the handshake: ${(error as Error).message}`, { cause: error });
  }
  connection.setLimit(maxMessageBytes);
  return new Client(connection, where, maxMessageBytes);
}

/** Closes this thread's connections (tests; a manager's shutdown closes its own). */
export function closeClients(address?: Address): void {
  for (const [key, client] of clients) {
    if (address !== undefined && !key.startsWith(`${describeAddress(address)}\n`)) continue;
    clients.delete(key);
    void client.then((c) => c.close(), () => undefined);
  }
}

interface Held {
  readonly address: Address;
  readonly authkey: Buffer;
  readonly id: number;
}

// A proxy that is collected gives its reference back, over this thread's open connection only:
// with none (the manager shut down, or the connection closed and the server dropped this
// process's references already) there is nothing to give back, and opening a connection at
// garbage-collection time could keep the program waiting on a host that is gone.
const collected = new FinalizationRegistry<Held>(({ address, authkey, id }) => {
  void clients.get(clientKey(address, authkey))?.then((client) => client.notify('decref', id), () => undefined);
});

/** What a proxy is on the wire. */
export interface ProxyState {
  readonly token: ServedToken;
  readonly address: Address;
  /** Hex; left out on a manager's own wire (the receiver uses the key it connected with). */
  readonly authkey?: string;
  /** The proxy class's name among {@link PROXY_BASES}, for the receiver to pick the same. */
  readonly base: string;
}

/**
 * A proxy: calls the methods of one object in a manager's server. Every exposed method is a
 * method of the proxy returning a promise of the result (Python's `_callmethod`).
 *
 * @example
 * ```ts
 * const shared = await manager.dict<string, number>();
 * await shared.set('a', 1);
 * console.log(await shared.get('a')); // 1
 * ```
 */
export class BaseProxy implements Reducible {
  readonly #token: ServedToken;
  readonly #address: Address;
  readonly #authkey: Buffer;
  /** This thread's connection to the manager, once a call has opened it. */
  #client: Client | undefined;

  /** @internal Made by managers and revivers: holds one reference to the object already. */
  constructor(token: ServedToken, address: Address, authkey: Buffer) {
    this.#token = token;
    this.#address = address;
    this.#authkey = authkey;
    enableReduction();
    collected.register(this, { address, authkey, id: token.id });
  }

  /** The object's token: typeid, id, exposed methods. Python's `_token`. */
  get _token(): ServedToken {
    return this.#token;
  }

  /** The manager's address. Python's `_address`. */
  get _address(): Address {
    return this.#address;
  }

  /**
   * Calls `method` of the object with `args` in the server. Python's `_callmethod`.
   *
   * @example
   * ```ts
   * await proxy._callMethod('set', ['a', 1]);
   * ```
   */
  async _callMethod(method: string, args: readonly unknown[] = []): Promise<unknown> {
    let client = this.#client;
    if (client === undefined || client.closed) client = this.#client = await clientFor(this.#address, this.#authkey);
    const value = await client.request('call', this.#token.id, method, args);
    if (typeof value === 'object' && value !== null && NEW in value) {
      return makeProxy((value as { [NEW]: ServedToken })[NEW], this.#address, this.#authkey);
    }
    return value;
  }

  /** @internal How it travels: the token and the address; a reference is taken for the trip. */
  [REDUCE](_destination: Destination): Reduction {
    void clientFor(this.#address, this.#authkey).then((client) => client.notify('transit', this.#token.id), () => undefined);
    const base = Object.entries(PROXY_BASES).find(([, Base]) => Object.getPrototypeOf(this.constructor) === Base)?.[0] ?? 'BaseProxy';
    const state: ProxyState = { token: this.#token, address: this.#address, base, ...(onManagerWire() ? {} : { authkey: this.#authkey.toString('hex') }) };
    return { module: builtModule('managers/proxy.js'), reviver: 'reviveProxy', state };
  }

  [inspect.custom](): string {
    return `<${this.constructor.name} of '${this.#token.typeid}' ${String(this.#token.id)} at ${describeAddress(this.#address)}>`;
  }
}

/** Client-side helpers of lock-like proxies. */
export class AcquirerProxy extends BaseProxy {
  /**
   * Acquires, and returns a handle whose `release()` (or the end of an `await using` block)
   * releases. Rejects with an error if not acquired within `timeout` ms.
   *
   * @example
   * ```ts
   * { await using _ = await lock.hold(); await counter.set((await counter.get()) + 1); }
   * ```
   */
  async hold(options: { timeout?: number } = {}): Promise<AsyncDisposable & { release(): Promise<void> }> {
    const acquired = (await this._callMethod('acquire', [options.timeout === undefined ? {} : { timeout: options.timeout }])) as boolean;
    if (!acquired) throw new OSError(`not acquired within ${String(options.timeout)} ms`);
    let held = true;
    const release = async (): Promise<void> => {
      if (!held) return;
      held = false;
      await this._callMethod('release');
    };
    return { release, [Symbol.asyncDispose]: release };
  }
}

/** Condition's client side: `waitFor` runs the predicate here, between waits (as Python's proxy does). */
export class ConditionProxyBase extends AcquirerProxy {
  /**
   * Waits until `predicate()` is true (it is checked first, then after every notify), or
   * `timeout` ms passed; the predicate's last result. The lock must be held, as for `wait`.
   *
   * @example
   * ```ts
   * await cond.acquire(); await cond.waitFor(async () => (await items.len()) > 0); await cond.release();
   * ```
   */
  async waitFor(predicate: () => unknown, timeout?: number | null): Promise<unknown> {
    const deadline = timeout === undefined || timeout === null ? Infinity : performance.now() + timeout;
    let result = await predicate();
    while (!result) {
      const left = deadline - performance.now();
      if (left <= 0) break;
      await this._callMethod('wait', [left === Infinity ? null : left]);
      result = await predicate();
    }
    return result;
  }
}

/** An iterator in the server (a manager Pool's `imap`): `next()` there, `for await` here. */
export class IteratorProxyBase extends BaseProxy implements AsyncIterable<unknown> {
  async *[Symbol.asyncIterator](): AsyncIterator<unknown> {
    for (;;) {
      const step = (await this._callMethod('next')) as IteratorResult<unknown>;
      if (step.done === true) return;
      yield step.value;
    }
  }
}

/** The proxy bases a typeid may use, by name (the name travels in a proxy's state). */
export const PROXY_BASES: Readonly<Record<string, typeof BaseProxy>> = { BaseProxy, AcquirerProxy, ConditionProxyBase, IteratorProxyBase };

/** Base classes chosen per typeid by the managers that register them. */
const basesByTypeid = new Map<string, typeof BaseProxy>();

export function setProxyBase(typeid: string, base: typeof BaseProxy): void {
  basesByTypeid.set(typeid, base);
}

const classes = new Map<typeof BaseProxy, Map<string, typeof BaseProxy>>();

/** A class over `base` with one method per exposed name (Python's `MakeProxyType`). */
function proxyClass(base: typeof BaseProxy, exposed: readonly string[]): typeof BaseProxy {
  let byExposed = classes.get(base);
  if (byExposed === undefined) classes.set(base, (byExposed = new Map<string, typeof BaseProxy>()));
  const key = exposed.join(',');
  let Class = byExposed.get(key);
  if (Class === undefined) {
    Class = class AutoProxy extends base {};
    for (const name of exposed) {
      if (name in Class.prototype) continue;
      Object.defineProperty(Class.prototype, name, {
        value: function (this: BaseProxy, ...args: unknown[]) {
          return this._callMethod(name, args);
        },
        writable: true,
        configurable: true,
      });
    }
    byExposed.set(key, Class);
  }
  return Class;
}

/** The proxy of a token (holding the reference already taken for it). */
export function makeProxy(token: ServedToken, address: Address, authkey: Buffer, base?: typeof BaseProxy): BaseProxy {
  const Class = proxyClass(base ?? basesByTypeid.get(token.typeid) ?? BaseProxy, token.exposed);
  return new Class(token, address, authkey);
}

/** Makes an object of `typeid` in the manager at `address` and returns its proxy. */
export async function createObject(address: Address, authkey: Buffer, maxMessageBytes: number | undefined, typeid: string, args: readonly unknown[]): Promise<BaseProxy> {
  const client = await clientFor(address, authkey, maxMessageBytes);
  const reply = await client.request('create', typeid, args);
  if (typeof reply !== 'object' || reply === null || !(NEW in reply)) throw new TypeError(`the manager at ${describeAddress(address)} did not make a '${typeid}'`);
  return makeProxy((reply as { [NEW]: ServedToken })[NEW], address, authkey);
}

/** The reviver (see `[REDUCE]`): a proxy in this thread, holding a reference of its own. */
export function reviveProxy(state: ProxyState): BaseProxy {
  enableReduction();
  const authkey = state.authkey !== undefined ? Buffer.from(state.authkey, 'hex') : (keys.get(describeAddress(state.address)) ?? Buffer.from(processAuthkey(), 'hex'));
  // A proxytype registered here (by the same manager class) wins over the base named on the wire.
  const base = basesByTypeid.get(state.token.typeid) ?? PROXY_BASES[state.base] ?? BaseProxy;
  const server = localServer(state.token.server);
  if (server !== undefined) {
    // In the server itself (a proxy stored in a managed dict, say): the server keeps the
    // object for as long as it runs.
    server.keep(state.token.id);
  } else {
    void clientFor(state.address, authkey).then((client) => client.notify('incref', state.token.id), () => undefined);
  }
  return makeProxy(state.token, state.address, authkey, base);
}
