/**
 * The target of a manager's server process (`BaseManager.start()`): makes the server from the
 * registrations it was sent, tells the parent its address through a pipe, and serves until a
 * client asks it to shut down (or, a daemon child, until its parent is gone).
 *
 * @module
 */
import { resolveTask, type TaskSpec } from '@concurrent/futures/internal';
import type { Connection } from '../sharing/connection.js';
import { BUILTINS } from './builtins.js';
import { toWireError } from './protocol.js';
import { type Address, Server, type ServedType } from './server.js';

/** A registration as it travels to the server process. */
export interface RegistrationSpec {
  readonly typeid: string;
  /** A SyncManager typeid: made by BUILTINS. */
  readonly builtin?: string | undefined;
  /** A registered callable (a moduleTasks reference, or a function shipped by source). */
  readonly task?: TaskSpec | undefined;
  readonly exposed?: readonly string[] | undefined;
  readonly methodToTypeid?: Readonly<Record<string, string>> | undefined;
}

/** What the server process says first: where it listens, or why it could not. */
export type Ready = { readonly address: Address } | { readonly error: ReturnType<typeof toWireError> };

/** The server side of one registration. */
export function servedType(spec: RegistrationSpec, callable?: (...args: unknown[]) => unknown): ServedType {
  const builtin = spec.builtin === undefined ? undefined : BUILTINS[spec.builtin];
  let create: ((...args: unknown[]) => unknown) | undefined;
  if (builtin !== undefined) create = builtin.make as ((...args: unknown[]) => unknown) | undefined;
  else if (callable !== undefined) create = callable;
  else if (spec.task !== undefined) {
    const task = spec.task;
    create = async (...args) => (await resolveTask(task))(...args);
  }
  return { create, exposed: spec.exposed ?? builtin?.exposed, methodToTypeid: spec.methodToTypeid ?? builtin?.methodToTypeid };
}

export async function serveManager(
  specs: readonly RegistrationSpec[],
  address: Address,
  authkey: string,
  ready: Connection,
  initializer: TaskSpec | null,
  initargs: readonly unknown[],
  maxMessageBytes: number | null,
): Promise<void> {
  let server: Server;
  try {
    if (initializer !== null) await (await resolveTask(initializer))(...initargs);
    server = new Server(new Map(specs.map((spec) => [spec.typeid, servedType(spec)])), Buffer.from(authkey, 'hex'), maxMessageBytes === null ? {} : { maxMessageBytes });
    const bound = await server.listen(address);
    ready.send({ address: bound } satisfies Ready);
  } catch (error) {
    ready.send({ error: toWireError(error) } satisfies Ready);
    ready.close();
    return;
  }
  ready.close();
  await server.serveForever();
}
