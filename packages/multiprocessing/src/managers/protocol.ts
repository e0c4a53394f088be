/**
 * What a manager's client and server say to each other once the handshake is done (wire.ts).
 * A message body is one flags byte and a value as `encode` (sharing/runtime.ts) made it:
 * requests `[id, op, ...]`, replies `[id, status, value]`.
 *
 * Values are structured clone (or JSON), never code: a handle inside one (a proxy, a Queue)
 * is revived only from this package's own built modules ({@link fromThisPackage}).
 *
 * @module
 */
import { encode, decode } from '../sharing/runtime.js';
import { AttributeError, AuthenticationError, BrokenBarrierError, BrokenPipeError, BufferTooShort, Empty, EOFError, Full, IndexError, KeyError, OSError, ProcessError, RemoteError, RuntimeError, ValueError } from '../errors.js';
import { TimeoutError } from '@concurrent/futures';

/** A reply's status. */
export const OK = 0;
export const FAILED = 1;
/** The value is a {@link Token}: the result became a managed object of its own (`methodToTypeid`). */
export const NEW_OBJECT = 2;

/** Names a managed object: what a proxy needs besides the manager's address. */
export interface Token {
  readonly typeid: string;
  readonly id: number;
  /** The methods its proxy may call. */
  readonly exposed: readonly string[];
}

export type Request =
  | readonly [id: number, op: 'create', typeid: string, args: readonly unknown[]]
  | readonly [id: number, op: 'call', object: number, method: string, args: readonly unknown[]]
  | readonly [id: number, op: 'incref' | 'decref' | 'transit', object: number]
  | readonly [id: number, op: 'shutdown' | 'ping'];

/** `value` is absent when the method returned `undefined`. */
export type Reply = readonly [id: number, status: number, value?: unknown];

/** An error as the server sends it. */
export interface WireError {
  readonly name: string;
  readonly message: string;
  readonly stack: string;
  readonly code?: string | number;
}

const PACKAGE_ROOT = new URL('..', import.meta.url).href.replace(/\/src\/$/, '/dist/');

/**
 * The revivers of this package's handles (module below `dist/`, export): the only code a
 * handle arriving from a manager's peer may run. Not "any export of the package": some
 * exports start processes.
 */
const REVIVERS = new Set(
  [
    'managers/proxy.js#reviveProxy',
    'sharing/revive.js#revive',
    'sync/barrier.js#reviveBarrier',
    'sync/condition.js#reviveCondition',
    'sync/event.js#reviveEvent',
    'sync/lock.js#reviveLock',
    'sync/semaphore.js#reviveSemaphore',
    'values/array.js#reviveSharedArray',
    'values/structure.js#reviveStructure',
    'values/value.js#reviveSharedValue',
  ].map((entry) => PACKAGE_ROOT + entry),
);

/** Whether a handle that arrived may run `reviver` of `module`: one of this package's own revivers, never a path a peer chose. */
export function fromThisPackage(module: string, reviver: string): boolean {
  return REVIVERS.has(`${module}#${reviver}`);
}

/** Set while a value is encoded for a manager's wire (see {@link onManagerWire}). */
let managerWire = false;

/**
 * Whether the value being reduced now goes over a manager's connection: a proxy leaves its
 * authkey out there (the peer knows it already, or must not learn it), and carries it
 * everywhere else (to this program's own children and threads, which may not have it).
 */
export function onManagerWire(): boolean {
  return managerWire;
}

/** A whole message as it goes on the wire: its length, the flags byte, the encoded value (one copy). */
export function pack(value: unknown, what: string): Buffer {
  managerWire = true;
  let encoded: ReturnType<typeof encode>;
  try {
    encoded = encode(value, what);
  } finally {
    managerWire = false;
  }
  const { bytes, flags } = encoded;
  const frame = Buffer.allocUnsafe(bytes.length + 5);
  frame.writeUInt32LE(bytes.length + 1, 0);
  frame[4] = flags;
  bytes.copy(frame, 5);
  return frame;
}

/** The value of a message body; a promise when handles inside must be revived. */
export function unpack(body: Buffer): unknown {
  if (body.length < 1) throw new TypeError('an empty message');
  return decode(body.subarray(1), body[0]!, fromThisPackage);
}

export function toWireError(error: unknown): WireError {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return {
      name: error.name,
      message: error.message,
      stack: error.stack ?? `${error.name}: ${error.message}`,
      ...(typeof code === 'string' || typeof code === 'number' ? { code } : {}),
    };
  }
  return { name: 'Error', message: `a non-Error value was thrown: ${String(error)}`, stack: '' };
}

type ErrorClass = (new (message?: string) => Error) & { readonly prototype: Error };
/** The classes an error from the server is rebuilt as; anything else arrives as a RemoteError. */
const CLASSES = new Map<string, ErrorClass>(
  (
    [
      Error, TypeError, RangeError, SyntaxError, ReferenceError, EvalError, URIError,
      ValueError, EOFError, OSError, BrokenPipeError, ProcessError, BufferTooShort, Empty, Full, RuntimeError,
      BrokenBarrierError, AuthenticationError, AttributeError, KeyError, IndexError, TimeoutError,
    ] as ErrorClass[]
  ).map((Class) => [Class.prototype.name, Class]),
);

/**
 * The server's error again, as its own class where this package knows it, else a
 * {@link RemoteError}; its stack is the server's, under a line saying where it came from.
 */
export function fromWireError(wire: WireError, where: string): Error {
  const Class = CLASSES.get(wire.name);
  const error = Class === undefined ? new RemoteError(`${wire.name}: ${wire.message}`, wire.stack) : new Class(wire.message);
  if (wire.code !== undefined) (error as { code?: unknown }).code = wire.code;
  const remote = wire.stack.split('\n').slice(1).join('\n');
  error.stack = `${error.name}: ${error.message}\n    (raised in the manager's server at ${where})${remote === '' ? '' : `\n${remote}`}`;
  return error;
}
