/**
 * `BaseManager`, `SyncManager` and `Manager()`: a server that owns objects and the proxies that
 * reach them from any process or thread, or from other machines over TCP. Mirrors
 * `multiprocessing.managers`.
 *
 * @module
 */
import { randomUUID } from 'node:crypto';
import { isTaskRef, moduleTasks, type TaskRef } from '@concurrent/futures';
import { resolveTask, toTaskSpec } from '@concurrent/futures/internal';
import { processAuthkey } from '../current-process.js';
import { ProcessError } from '../errors.js';
import { Process } from '../process.js';
import { Pipe } from '../sharing/connection.js';
import { builtModule } from '../sharing/runtime.js';
import { BUILTINS } from './builtins.js';
import { fromWireError } from './protocol.js';
import { BaseProxy, clientFor, closeClients, createObject, PROXY_BASES, setProxyBase } from './proxy.js';
import { type Address, Server } from './server.js';
import { type Ready, type RegistrationSpec, servedType } from './server-entry.js';
import type * as Types from './types.js';

const serverTasks = moduleTasks<typeof import('./server-entry.js')>(builtModule('managers/server-entry.js'));

/** A callable registered for a typeid: makes the object the server will hold. */
export type Callable = ((...args: never[]) => unknown) | TaskRef;

/** Options of {@link BaseManager.register}. Python's keyword arguments, camelCased. */
export interface RegisterOptions {
  /** The proxy class (a subclass of {@link BaseProxy}); default: one made from the exposed methods. */
  readonly proxytype?: typeof BaseProxy | undefined;
  /** The methods the proxy may call; default: every public method of the object. */
  readonly exposed?: readonly string[] | undefined;
  /** Methods whose result is itself served, with the given typeid, and returned as a proxy. */
  readonly methodToTypeid?: Readonly<Record<string, string>> | undefined;
  /** Whether the manager gets a method named after the typeid that makes one (default true). */
  readonly createMethod?: boolean | undefined;
}

interface Registration extends RegisterOptions {
  readonly typeid: string;
  readonly callable?: Callable | undefined;
  readonly builtin?: string | undefined;
}

/** Options of a manager. */
export interface ManagerOptions {
  /**
   * Where the server listens (`start()`, `getServer()`) or is (`connect()`): `[host, port]`
   * (TCP; port 0 picks a free one) or a Unix socket path. Default for `start()`: a socket no
   * other program can see (an abstract Unix socket on Linux, else loopback TCP).
   */
  readonly address?: Address | undefined;
  /** The shared secret (a string is taken as UTF-8); default: `currentProcess().authkey`, which children inherit. */
  readonly authkey?: Buffer | string | undefined;
  /** The largest request or reply (bytes); default 64 MiB. */
  readonly maxMessageBytes?: number | undefined;
}

const registries = new WeakMap<object, Map<string, Registration>>();

/** A class's own registry: a copy of its parent's at its first registration (as Python's `_registry`). */
function registryOf(cls: object): Map<string, Registration> {
  let registry = registries.get(cls);
  if (registry === undefined) {
    const parent = Object.getPrototypeOf(cls) as object | null;
    registry = new Map(parent === null || parent === Function.prototype ? [] : registryOf(parent));
    registries.set(cls, registry);
  }
  return registry;
}

function defaultAddress(): Address {
  return process.platform === 'linux' ? `\0concurrent-manager-${String(process.pid)}-${randomUUID()}` : ['127.0.0.1', 0];
}

/** Whether the callable can only run here (it may close over this process's objects). */
function isLocal(registration: Registration): boolean {
  return typeof registration.callable === 'function' && !isTaskRef(registration.callable);
}

/** Registers on `cls` (a static private method would refuse a subclass as `this`). */
function registerOn(cls: typeof BaseManager, registration: Registration): void {
  registryOf(cls).set(registration.typeid, registration);
  if (registration.proxytype !== undefined) setProxyBase(registration.typeid, registration.proxytype);
  if (registration.createMethod !== false && !Object.hasOwn(cls.prototype, registration.typeid)) {
    const typeid = registration.typeid;
    Object.defineProperty(cls.prototype, typeid, {
      value: function (this: BaseManager, ...args: unknown[]) {
        return this._create(typeid, args);
      },
      writable: true,
      configurable: true,
    });
  }
}

/** A registration as the server takes it: a local callable stays behind (servedType gets it apart). */
function toSpec(r: Registration): RegistrationSpec {
  return { typeid: r.typeid, builtin: r.builtin, exposed: r.exposed, methodToTypeid: r.methodToTypeid, task: r.callable !== undefined && isTaskRef(r.callable) ? toTaskSpec(r.callable) : undefined };
}

type State = 'initial' | 'started' | 'connected' | 'shutdown';

let managers = 0;

/**
 * A manager of objects served to other processes: register typeids with the callables that
 * make them, then `start()` a server (or `connect()` to one, or `getServer().serveForever()`),
 * and call the method named after a typeid to get a proxy. Mirrors
 * `multiprocessing.managers.BaseManager`.
 *
 * `start()` runs the server in a child process when every registered callable can run there
 * (a `moduleTasks` reference, or a SyncManager type); a plain function (which may close over
 * this process's objects, as in the example) makes it serve from this process, on its event
 * loop, without keeping the program alive.
 *
 * @example
 * ```ts
 * class QueueManager extends BaseManager {}
 * const tasks = new Queue<number>();
 * QueueManager.register('getTaskQueue', () => tasks);
 * const master = new QueueManager({ address: ['0.0.0.0', 5000], authkey: 'abc' });
 * await master.start();
 * // worker.ts, on another host:
 * QueueManager.register('getTaskQueue');
 * const m = new QueueManager({ address: ['master-host', 5000], authkey: 'abc' });
 * await m.connect();
 * const q = (await m.getTaskQueue()) as QueueProxy<number>;
 * ```
 */
export class BaseManager implements AsyncDisposable {
  readonly #requested: Address | undefined;
  readonly #authkey: Buffer;
  readonly #maxMessageBytes: number | undefined;
  #address: Address | undefined;
  #state: State = 'initial';
  #process: Process | undefined;
  #server: Server | undefined;

  constructor(options: ManagerOptions = {}) {
    const { address, authkey, maxMessageBytes } = options;
    if (address !== undefined && typeof address !== 'string' && !(Array.isArray(address) && address.length === 2 && typeof address[0] === 'string' && Number.isInteger(address[1]))) {
      throw new TypeError('Expected `address` to be [host, port] or a Unix socket path');
    }
    if (maxMessageBytes !== undefined && (!Number.isInteger(maxMessageBytes) || maxMessageBytes < 1024)) {
      throw new TypeError('Expected `maxMessageBytes` to be an integer of at least 1024');
    }
    this.#requested = address;
    this.#address = address;
    this.#authkey = authkey === undefined ? Buffer.from(processAuthkey(), 'hex') : Buffer.from(authkey);
    this.#maxMessageBytes = maxMessageBytes;
  }

  /**
   * Registers a typeid on this manager class (and its subclasses): with a callable on the side
   * that serves, with none on the side that only connects. Unless `createMethod` is false, the
   * class gets a method named after the typeid that makes an object and returns its proxy.
   * Mirrors `BaseManager.register`.
   *
   * @example
   * ```ts
   * QueueManager.register('getResultQueue', () => results);
   * ```
   */
  static register(typeid: string, callable?: Callable, options: RegisterOptions = {}): void {
    if (typeof typeid !== 'string' || typeid === '') throw new TypeError('Expected `typeid` to be a non-empty string');
    if (callable !== undefined && typeof callable !== 'function' && !isTaskRef(callable)) {
      throw new TypeError('Expected the callable to be a function or a moduleTasks reference');
    }
    registerOn(this, { ...options, typeid, callable });
  }

  /** @internal SyncManager's types: made by the server from BUILTINS. */
  protected static registerBuiltin(typeid: string): void {
    const builtin = BUILTINS[typeid]!;
    registerOn(this, { typeid, builtin: typeid, proxytype: PROXY_BASES[builtin.base], createMethod: builtin.make !== undefined });
  }

  /** Where the server listens (after `start()`), or the address given. */
  get address(): Address | undefined {
    return this.#address;
  }

  /**
   * Starts the server (see the class notes for where it runs), then runs `initializer(...initargs)`
   * there first. Mirrors `BaseManager.start`.
   *
   * @throws ProcessError when already started; the server's error if it could not listen.
   * @example
   * ```ts
   * await manager.start();
   * ```
   */
  async start(initializer?: TaskRef | ((...args: never[]) => unknown), initargs: readonly unknown[] = []): Promise<void> {
    if (this.#state !== 'initial') throw new ProcessError(this.#state === 'shutdown' ? 'the manager was shut down' : 'Already started server');
    this.#state = 'started';
    const registrations = [...registryOf(this.constructor).values()];
    try {
      if (registrations.some(isLocal)) {
        const server = new Server(this.#servedTypes(registrations), this.#authkey, { maxMessageBytes: this.#maxMessageBytes });
        this.#server = server;
        this.#address = await server.listen(this.#requested ?? defaultAddress());
        if (initializer !== undefined) await (await resolveTask(toTaskSpec(initializer as TaskRef)))(...initargs);
        return;
      }
      await this.#startProcess(registrations, initializer, initargs);
    } catch (error) {
      this.#state = 'shutdown';
      this.#server?.shutdown();
      throw error;
    }
  }

  async #startProcess(registrations: readonly Registration[], initializer: Callable | undefined, initargs: readonly unknown[]): Promise<void> {
    const specs = registrations.map(toSpec);
    const [mine, theirs] = Pipe();
    const child = new Process({
      target: serverTasks.serveManager,
      args: [specs, this.#requested ?? defaultAddress(), this.#authkey.toString('hex'), theirs, initializer === undefined ? null : toTaskSpec(initializer as TaskRef), initargs, this.#maxMessageBytes ?? null],
      // A daemon: it goes when this process goes, and never keeps it alive.
      daemon: true,
      name: `${this.constructor.name}-${String(++managers)}`,
    });
    child.start();
    this.#process = child;
    let ready: Ready;
    try {
      ready = (await mine.recv()) as Ready;
    } catch (error) {
      await child.join(1_000);
      throw new ProcessError(`the manager's server process ended before it listened (exit code ${String(child.exitcode)})`, { cause: error });
    } finally {
      mine.close();
    }
    if ('error' in ready) {
      await child.join(1_000);
      throw fromWireError(ready.error, child.name);
    }
    this.#address = ready.address;
  }

  #servedTypes(registrations: readonly Registration[]): Map<string, ReturnType<typeof servedType>> {
    return new Map(
      registrations.map((r) => [r.typeid, servedType(toSpec(r), isLocal(r) ? (r.callable as (...args: unknown[]) => unknown) : undefined)]),
    );
  }

  /**
   * Connects to a running server at `address` (proving the authkey). Mirrors `BaseManager.connect`.
   *
   * @throws AuthenticationError for a wrong key; OSError when nothing listens there.
   * @example
   * ```ts
   * await new QueueManager({ address: ['127.0.0.1', 5000], authkey: 'abc' }).connect();
   * ```
   */
  async connect(): Promise<void> {
    if (this.#address === undefined) throw new TypeError('connect(): the manager has no address');
    await clientFor(this.#address, this.#authkey, this.#maxMessageBytes);
    if (this.#state === 'initial') this.#state = 'connected';
  }

  /**
   * A server in this process for this class's registrations, to run with `serveForever()`
   * (which listens at the manager's address, or loopback TCP on a free port). Mirrors
   * `BaseManager.get_server`.
   *
   * @example
   * ```ts
   * await new QueueManager({ address: ['0.0.0.0', 5000], authkey: 'abc' }).getServer().serveForever();
   * ```
   */
  getServer(): Server & { serveForever(address?: Address): Promise<void> } {
    if (this.#state !== 'initial') throw new ProcessError('Already started server');
    const server = new Server(this.#servedTypes([...registryOf(this.constructor).values()]), this.#authkey, { maxMessageBytes: this.#maxMessageBytes });
    const requested = this.#requested ?? ['127.0.0.1', 0];
    const serveForever = server.serveForever.bind(server);
    return Object.assign(server, { serveForever: (address?: Address) => serveForever(address ?? requested) });
  }

  /**
   * Stops a server that `start()` started (its objects are gone; proxies to them fail with
   * BrokenPipeError), or closes this process's connections to one it connected to. Mirrors
   * `BaseManager.shutdown`.
   *
   * @example
   * ```ts
   * await manager.shutdown();
   * ```
   */
  async shutdown(): Promise<void> {
    if (this.#state === 'shutdown') return;
    const state = this.#state;
    this.#state = 'shutdown';
    const address = this.#address;
    if (state === 'started' && this.#server !== undefined) {
      this.#server.shutdown();
    } else if (state === 'started' && this.#process !== undefined && address !== undefined) {
      const child = this.#process;
      try {
        const client = await clientFor(address, this.#authkey, this.#maxMessageBytes);
        await client.request('shutdown');
      } catch {
        // Gone already, or not answering: it is stopped below.
      }
      await child.join(1_000);
      if (child.isAlive()) {
        child.kill();
        await child.join();
      }
    }
    if (address !== undefined) closeClients(address);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.shutdown();
  }

  /** Makes an object of `typeid` in the server and returns its proxy (what the typeid methods call). */
  async _create(typeid: string, args: readonly unknown[]): Promise<BaseProxy> {
    if (this.#state === 'shutdown') throw new ProcessError('the manager was shut down');
    const address = this.#address;
    if (address === undefined || this.#state === 'initial') throw new ProcessError('the manager is not started or connected: call start() or connect() first');
    return createObject(address, this.#authkey, this.#maxMessageBytes, typeid, args);
  }
}

/**
 * The manager `Manager()` starts: dicts, lists, Namespaces, Values, Arrays, queues and every
 * synchronization object, served from its own process. Mirrors `multiprocessing.managers.SyncManager`.
 *
 * @example
 * ```ts
 * await using manager = await Manager();
 * const shared = await manager.dict<string, number>();
 * ```
 */
export class SyncManager extends BaseManager {
  // The typeid methods the registrations below define on the prototype, typed.
  declare readonly dict: <K = unknown, V = unknown>(init?: Iterable<readonly [K, V]> | Record<string, V>) => Promise<Types.DictProxy<K, V>>;
  declare readonly list: <T = unknown>(init?: Iterable<T>) => Promise<Types.ListProxy<T>>;
  declare readonly Namespace: (init?: Record<string, unknown>) => Promise<Types.NamespaceProxy>;
  declare readonly Value: <T = unknown>(typecode: string, value: T) => Promise<Types.ValueProxy<T>>;
  declare readonly Array: <T = number>(typecode: string, init: number | Iterable<T>) => Promise<Types.ArrayProxy<T>>;
  declare readonly Queue: <T = unknown>(maxsize?: number) => Promise<Types.QueueProxy<T>>;
  declare readonly JoinableQueue: <T = unknown>(maxsize?: number) => Promise<Types.JoinableQueueProxy<T>>;
  declare readonly Lock: () => Promise<Types.LockProxy>;
  declare readonly RLock: () => Promise<Types.LockProxy>;
  declare readonly Semaphore: (value?: number) => Promise<Types.SemaphoreProxy>;
  declare readonly BoundedSemaphore: (value?: number) => Promise<Types.SemaphoreProxy>;
  declare readonly Event: () => Promise<Types.EventProxy>;
  declare readonly Condition: (lock?: Types.LockProxy) => Promise<Types.ConditionProxy>;
  declare readonly Barrier: (parties: number, options?: { timeout?: number | null }) => Promise<Types.BarrierProxy>;
  declare readonly Pool: (options?: number | { processes?: number; initializer?: TaskRef; initargs?: unknown[]; maxtasksperchild?: number }) => Promise<Types.PoolProxy>;

  static {
    for (const typeid of Object.keys(BUILTINS)) this.registerBuiltin(typeid);
  }
}

/**
 * Starts a {@link SyncManager}'s server process and returns the manager. Mirrors
 * `multiprocessing.Manager()`.
 *
 * @example
 * ```ts
 * await using manager = await Manager();
 * const shared = await manager.dict<string, number>();
 * const ps = [1, 2, 3].map((i) => new Process({ target: tasks.record, args: [shared, i] }));
 * for (const p of ps) p.start();
 * for (const p of ps) await p.join();
 * console.log(await shared.toObject());
 * ```
 */
export async function Manager(options: ManagerOptions = {}): Promise<SyncManager> {
  const manager = new SyncManager(options);
  await manager.start();
  return manager;
}

export { BaseProxy };
