/**
 * A manager's server: it owns objects made by the callables registered for each typeid and
 * runs their methods for clients that proved they know the `authkey` (wire.ts). Mirrors
 * `multiprocessing.managers.Server`.
 *
 * Each connection is a *caller*: the references it holds (one per proxy it made or received)
 * and what it holds of the synchronization objects (primitives.ts) are let go when it closes,
 * so a client that dies leaves nothing held and its objects can be collected. A request never
 * waits for another: a `get()` blocked on an empty queue does not hold up the next request.
 *
 * @module
 */
import { randomUUID } from 'node:crypto';
import { createServer, type Server as NetServer, type Socket } from 'node:net';
import { AttributeError, ValueError } from '../errors.js';
import { FAILED, NEW_OBJECT, OK, pack, type Request, type Token, toWireError, unpack } from './protocol.js';
import { type Caller, RELEASE_CALLER, WITH_CALLER } from './primitives.js';
import { DEFAULT_MAX_MESSAGE_BYTES, MessageSocket, serverHandshake } from './wire.js';

/** Where a manager listens: `[host, port]` (TCP; port 0 picks a free one) or a Unix socket path. */
export type Address = string | readonly [host: string, port: number];

/** What the server knows of a typeid. */
export interface ServedType {
  /** Makes a new object; absent for a typeid that clients only name (then it cannot be created). */
  readonly create?: ((...args: unknown[]) => unknown) | undefined;
  /** The methods a proxy may call; default: every public method of the object. */
  readonly exposed?: readonly string[] | undefined;
  /** Methods whose result becomes a managed object of the given typeid (its proxy is returned). */
  readonly methodToTypeid?: Readonly<Record<string, string>> | undefined;
}

/** A server-side token: the client's, plus the server it came from. */
export interface ServedToken extends Token {
  /** The server's random id: a proxy revived inside its own server finds its object by it. */
  readonly server: string;
}

interface Entry {
  readonly object: unknown;
  readonly typeid: string;
  readonly exposed: ReadonlySet<string>;
  readonly methodToTypeid: Readonly<Record<string, string>>;
  refs: number;
}

type Releasable = { [RELEASE_CALLER]: (caller: Caller) => void };

interface CallerState {
  readonly caller: Caller;
  readonly connection: MessageSocket;
  /** References this caller holds, by object id. */
  readonly refs: Map<number, number>;
  /** References taken for proxies this caller sent away: they outlive it for a while (TRANSIT_GRACE_MS). */
  readonly transit: Map<number, number>;
  /** Objects with something to let go when the caller goes. */
  readonly touched: Set<Releasable>;
  /** Requests start in the order they came (a revival may take a module import). */
  chain: Promise<void>;
}

/**
 * How long a reference taken for a proxy's trip outlives the connection of the process that
 * sent it: a child that puts a proxy on a queue and exits leaves it usable for the process that
 * takes it off within this time.
 */
const TRANSIT_GRACE_MS = 60_000;

/** Servers running in this thread, by id. */
const servers = new Map<string, Server>();

/** The server with this id if it runs in this thread. */
export function localServer(id: string): Server | undefined {
  return servers.get(id);
}

/** The public methods of an object: its own and its prototypes' function-valued properties, except `_…`. */
function publicMethods(object: unknown): string[] {
  const names = new Set<string>();
  for (let proto: unknown = object; proto !== null && proto !== Object.prototype && (typeof proto === 'object' || typeof proto === 'function'); proto = Object.getPrototypeOf(proto)) {
    for (const name of Object.getOwnPropertyNames(proto)) {
      if (name === 'constructor' || name.startsWith('_')) continue;
      const descriptor = Object.getOwnPropertyDescriptor(proto, name);
      if (descriptor !== undefined && typeof descriptor.value === 'function') names.add(name);
    }
  }
  return [...names];
}

export interface ServerOptions {
  /** The largest request accepted after the handshake (bytes). Default 64 MiB. */
  readonly maxMessageBytes?: number | undefined;
}

/**
 * Serves the objects of a manager. Made by `BaseManager.getServer()` (or in the manager's own
 * process by `start()`); `serveForever()` keeps this process serving until `shutdown()`.
 */
export class Server {
  /** A random id, in every token this server hands out. */
  readonly id = randomUUID();
  readonly #registry: ReadonlyMap<string, ServedType>;
  readonly #authkey: Buffer;
  readonly #maxMessageBytes: number;
  readonly #objects = new Map<number, Entry>();
  readonly #callers = new Set<CallerState>();
  #nextId = 1;
  #nextCaller = 1;
  #net: NetServer | undefined;
  #address: Address | undefined;
  #stopped: (() => void) | undefined;
  readonly #done: Promise<void>;
  #shuttingDown = false;
  /** Timers that let go of the trip references of callers that left. */
  readonly #graces = new Set<NodeJS.Timeout>();

  constructor(registry: ReadonlyMap<string, ServedType>, authkey: Buffer, options: ServerOptions = {}) {
    this.#registry = registry;
    this.#authkey = authkey;
    this.#maxMessageBytes = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
    this.#done = new Promise((resolve) => (this.#stopped = resolve));
  }

  /** The address it listens on (a TCP port 0 resolved); undefined before `listen()`. */
  get address(): Address | undefined {
    return this.#address;
  }

  /** The number of objects it holds (for tests and `debugInfo`). */
  get objectCount(): number {
    return this.#objects.size;
  }

  /** Starts listening (not keeping this process alive: see {@link Server.serveForever}). */
  async listen(address: Address): Promise<Address> {
    if (this.#net !== undefined) throw new Error('the server is already listening');
    const net = createServer((socket) => this.#accept(socket));
    this.#net = net;
    await new Promise<void>((resolve, reject) => {
      net.once('error', reject);
      if (typeof address === 'string') net.listen(address, resolve);
      else net.listen(address[1], address[0], resolve);
    });
    net.on('error', () => undefined);
    net.unref();
    const bound = net.address();
    this.#address = typeof address === 'string' || bound === null || typeof bound === 'string' ? address : [address[0], bound.port];
    servers.set(this.id, this);
    return this.#address;
  }

  /**
   * Serves until {@link Server.shutdown} (a client's `shutdown()` included), keeping the
   * process alive meanwhile; listens first at `address` if it does not yet. Mirrors
   * `Server.serve_forever`.
   *
   * @example
   * ```ts
   * await new QueueManager({ address: ['0.0.0.0', 5000], authkey }).getServer().serveForever();
   * ```
   */
  async serveForever(address?: Address): Promise<void> {
    if (this.#net === undefined) {
      if (address === undefined) throw new TypeError('serveForever(): the server listens nowhere yet: give an address');
      await this.listen(address);
    }
    this.#net!.ref();
    await this.#done;
  }

  /** Stops listening, drops every client and every object. */
  shutdown(): void {
    if (this.#shuttingDown) return;
    this.#shuttingDown = true;
    servers.delete(this.id);
    this.#net?.close();
    for (const state of [...this.#callers]) state.connection.destroy();
    for (const timer of this.#graces) clearTimeout(timer);
    this.#graces.clear();
    this.#objects.clear();
    this.#stopped?.();
  }

  /** Registers `object` and returns its token, with one reference held by `holder` (or by the server itself). */
  register(object: unknown, typeid: string, holder?: CallerState): ServedToken {
    const spec = this.#registry.get(typeid);
    const exposed = spec?.exposed ?? publicMethods(object);
    const id = this.#nextId++;
    this.#objects.set(id, { object, typeid, exposed: new Set(exposed), methodToTypeid: spec?.methodToTypeid ?? {}, refs: 1 });
    if (holder !== undefined) holder.refs.set(id, (holder.refs.get(id) ?? 0) + 1);
    return { typeid, id, exposed, server: this.id };
  }

  /** The object a token of this server names (a proxy revived in the server's own thread). */
  referent(id: number): unknown {
    const entry = this.#objects.get(id);
    if (entry === undefined) throw new ReferenceError(`the manager holds no object ${String(id)} (it was released)`);
    return entry.object;
  }

  /** A reference the server itself keeps (a proxy stored inside another managed object). */
  keep(id: number): void {
    const entry = this.#objects.get(id);
    if (entry !== undefined) entry.refs++;
  }

  #accept(socket: Socket): void {
    const connection = new MessageSocket(socket);
    if (this.#shuttingDown) {
      connection.destroy();
      return;
    }
    const state: CallerState = { caller: this.#nextCaller++, connection, refs: new Map(), transit: new Map(), touched: new Set(), chain: Promise.resolve() };
    this.#callers.add(state);
    connection.onClose(() => this.#leave(state));
    serverHandshake(connection, this.#authkey).then(
      () => {
        connection.setLimit(this.#maxMessageBytes);
        connection.listen((body) => this.#receive(state, body));
      },
      () => {
        // A wrong key, garbage, or a peer that went: end after the verdict left, and serve on.
        socket.end();
        setTimeout(() => connection.destroy(), 1_000).unref();
      },
    );
  }

  #receive(state: CallerState, body: Buffer): void {
    let request: unknown;
    try {
      request = unpack(body);
    } catch {
      // Not a message of ours (the peer knew the key, but speaks something else).
      state.connection.destroy(new Error('a request could not be read'));
      return;
    }
    state.chain = state.chain.then(
      async () => {
        this.#dispatch(state, await request);
      },
      () => undefined,
    ).catch(() => state.connection.destroy(new Error('a request could not be revived')));
  }

  #dispatch(state: CallerState, request: unknown): void {
    if (!Array.isArray(request) || typeof request[0] !== 'number' || typeof request[1] !== 'string') {
      state.connection.destroy(new Error('a request was malformed'));
      return;
    }
    const id = request[0];
    let result: Promise<readonly [number, unknown]>;
    try {
      result = Promise.resolve(this.#run(state, request as unknown as Request));
    } catch (error) {
      result = Promise.reject(error);
    }
    result.then(
      ([status, value]) => this.#reply(state, id, status, value),
      (error: unknown) => this.#reply(state, id, FAILED, toWireError(error)),
    );
  }

  #reply(state: CallerState, id: number, status: number, value: unknown): void {
    if (state.connection.closed) return;
    let body: Buffer;
    try {
      // A method that returns nothing (set, put, release: the common case) replies without a
      // value: `undefined` is not JSON, and would send the reply the slow way (v8's serializer).
      body = pack(value === undefined ? [id, status] : [id, status, value], 'the result');
      // Too big for the client to take: that call fails, not the whole connection (and with it
      // every lock and reference the client holds).
      if (body.length - 4 > this.#maxMessageBytes) {
        throw new ValueError(`the result (${String(body.length - 4)} bytes) is over the manager's maxMessageBytes (${String(this.#maxMessageBytes)})`);
      }
    } catch (error) {
      body = pack([id, FAILED, toWireError(error)], 'an error');
    }
    state.connection.sendFrame(body);
  }

  /** Runs one request: `[status, value]`. */
  async #run(state: CallerState, request: Request): Promise<readonly [number, unknown]> {
    switch (request[1]) {
      case 'call': {
        const [, , objectId, method, args] = request;
        const entry = this.#entry(objectId);
        if (typeof method !== 'string' || !entry.exposed.has(method)) {
          throw new AttributeError(`method ${typeof method === 'string' ? `'${method}'` : `(a ${typeof method})`} of '${entry.typeid}' is not exposed`);
        }
        const object = entry.object as Record<string, unknown>;
        const fn = object[method];
        if (typeof fn !== 'function') throw new AttributeError(`'${entry.typeid}' object has no method '${method}'`);
        const list = Array.isArray(args) ? (args as unknown[]) : [];
        let value: unknown;
        if ((object as { [WITH_CALLER]?: boolean })[WITH_CALLER] === true) {
          state.touched.add(object as unknown as Releasable);
          value = await (fn as (...a: unknown[]) => unknown).call(object, state.caller, ...list);
        } else {
          value = await (fn as (...a: unknown[]) => unknown).apply(object, list);
        }
        const typeid = entry.methodToTypeid[method];
        if (typeid !== undefined) return [NEW_OBJECT, this.register(value, typeid, state)];
        return [OK, value];
      }
      case 'create': {
        const [, , typeid, args] = request;
        const spec = typeof typeid === 'string' ? this.#registry.get(typeid) : undefined;
        if (spec?.create === undefined) throw new TypeError(`the manager cannot make a '${String(typeid)}'`);
        // A proxy of this server's own object (a Lock for a Condition) stands for the object.
        const list = (Array.isArray(args) ? (args as unknown[]) : []).map((arg) => this.#local(arg));
        const object = await spec.create(...list);
        return [NEW_OBJECT, this.register(object, typeid, state)];
      }
      case 'incref':
      case 'transit': {
        const objectId = request[2];
        this.#entry(objectId).refs++;
        const held = request[1] === 'incref' ? state.refs : state.transit;
        held.set(objectId, (held.get(objectId) ?? 0) + 1);
        return [OK, null];
      }
      case 'decref': {
        const objectId = request[2];
        const held = state.refs.get(objectId) ?? 0;
        if (held === 0) return [OK, null];
        if (held === 1) state.refs.delete(objectId);
        else state.refs.set(objectId, held - 1);
        this.#release(objectId, 1);
        return [OK, null];
      }
      case 'ping':
        return [OK, { objects: this.#objects.size, callers: this.#callers.size }];
      case 'shutdown':
        // After the reply has left.
        setImmediate(() => this.shutdown());
        return [OK, null];
      default:
        throw new TypeError(`unknown request '${String((request as readonly unknown[])[1])}'`);
    }
  }

  /** The object behind `value` if it is a proxy of this server, else `value`. */
  #local(value: unknown): unknown {
    if (typeof value !== 'object' || value === null || !('_token' in value)) return value;
    const token = (value)._token as Partial<ServedToken> | undefined;
    return token?.server === this.id && typeof token.id === 'number' ? (this.#objects.get(token.id)?.object ?? value) : value;
  }

  #entry(objectId: unknown): Entry {
    const entry = typeof objectId === 'number' ? this.#objects.get(objectId) : undefined;
    if (entry === undefined) throw new ReferenceError(`the manager holds no object ${String(objectId)} (it was released)`);
    return entry;
  }

  #release(objectId: number, n: number): void {
    const entry = this.#objects.get(objectId);
    if (entry === undefined) return;
    entry.refs -= n;
    if (entry.refs <= 0) this.#objects.delete(objectId);
  }

  #leave(state: CallerState): void {
    this.#callers.delete(state);
    for (const object of state.touched) {
      try {
        object[RELEASE_CALLER](state.caller);
      } catch {
        // Letting go of one object must not keep the others held.
      }
    }
    for (const [objectId, n] of state.refs) this.#release(objectId, n);
    state.refs.clear();
    if (state.transit.size > 0) {
      const transit = [...state.transit];
      const timer = setTimeout(() => {
        this.#graces.delete(timer);
        for (const [objectId, n] of transit) this.#release(objectId, n);
      }, TRANSIT_GRACE_MS);
      timer.unref();
      this.#graces.add(timer);
    }
  }
}
