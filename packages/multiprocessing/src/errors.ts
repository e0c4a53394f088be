/**
 * The errors this package adds to those of `@concurrent/futures` (whose `TimeoutError`,
 * `CancelledError`, `WorkerExitError` and `BrokenProcessPool` it also throws).
 *
 * @module
 */

/**
 * A call that is not allowed in the pool's or result's current state: `'Pool not running'`,
 * `'Pool is still running'`, `'<AsyncResult …> not ready'`. Mirrors the built-in
 * `ValueError` that Python's `multiprocessing.Pool` raises in those cases, with the same
 * messages, so that code and habits carry over.
 *
 * @example
 * ```ts
 * pool.close();
 * try { pool.applyAsync(work); } catch (error) { error instanceof ValueError; } // 'Pool not running'
 * ```
 */
export class ValueError extends Error {
  constructor(message?: string, options?: ErrorOptions) {
    super(message, options);
  }
}
ValueError.prototype.name = 'ValueError';

/**
 * The end of a pipe's messages: `recv()` on a {@link Connection} whose other end was closed
 * (or whose holder exited) once every message sent before has been read. Mirrors the
 * built-in `EOFError` that Python's `Connection.recv` raises.
 *
 * @example
 * ```ts
 * try { for (;;) console.log(await conn.recv()); } catch (error) { if (!(error instanceof EOFError)) throw error; }
 * ```
 */
export class EOFError extends Error {
  constructor(message?: string, options?: ErrorOptions) {
    super(message, options);
  }
}
EOFError.prototype.name = 'EOFError';

/**
 * An operation on a handle that cannot work any more: it was closed (`'handle is closed'`),
 * or sent to another process or thread, or the object's owner is gone. Mirrors Python's
 * built-in `OSError`, which `Connection` methods raise on a closed handle.
 */
export class OSError extends Error {
  constructor(message?: string, options?: ErrorOptions) {
    super(message, options);
  }
}
OSError.prototype.name = 'OSError';

/**
 * The other side is gone: `send()` on a pipe whose other end was closed, or any operation on
 * a queue or pipe whose owner (the process or thread that created it) has exited. Mirrors
 * Python's `BrokenPipeError` (a subclass of `OSError`).
 *
 * @example
 * ```ts
 * try { await q.get(); } catch (error) { if (error instanceof BrokenPipeError) console.log('the queue is gone'); }
 * ```
 */
export class BrokenPipeError extends OSError {
  constructor(message?: string, options?: ErrorOptions) {
    super(message, options);
  }
}
BrokenPipeError.prototype.name = 'BrokenPipeError';

/**
 * Python's `multiprocessing.ProcessError`: the base of the errors the `multiprocessing`
 * module itself defines (here {@link BufferTooShort}).
 */
export class ProcessError extends Error {
  constructor(message?: string, options?: ErrorOptions) {
    super(message, options);
  }
}
ProcessError.prototype.name = 'ProcessError';

/**
 * `recvBytesInto(buffer)` got a message longer than the room in `buffer`; the whole message
 * is in {@link BufferTooShort.bytes}. Mirrors `multiprocessing.BufferTooShort` (which keeps
 * it in `args[0]`).
 */
export class BufferTooShort extends ProcessError {
  /** The message that did not fit. */
  readonly bytes: Buffer;
  constructor(bytes: Buffer, message = `message of ${bytes.length} bytes does not fit`) {
    super(message);
    this.bytes = bytes;
  }
}
BufferTooShort.prototype.name = 'BufferTooShort';

/**
 * `get()` found no item: `getNowait()`, `get({ block: false })`, or `get({ timeout })` once the
 * timeout passed. Mirrors `queue.Empty`, which Python's multiprocessing queues raise.
 *
 * @example
 * ```ts
 * try { await q.get({ timeout: 100 }); } catch (error) { if (error instanceof Empty) console.log('nothing came'); }
 * ```
 */
export class Empty extends Error {
  constructor(message?: string, options?: ErrorOptions) {
    super(message, options);
  }
}
Empty.prototype.name = 'Empty';

/**
 * `put()` found the queue at its `maxsize`: `putNowait()`, `put(item, { block: false })`, or
 * `put(item, { timeout })` once the timeout passed. Mirrors `queue.Full`.
 *
 * @example
 * ```ts
 * try { await q.putNowait(1); } catch (error) { if (error instanceof Full) console.log('no room'); }
 * ```
 */
export class Full extends Error {
  constructor(message?: string, options?: ErrorOptions) {
    super(message, options);
  }
}
Full.prototype.name = 'Full';

/**
 * A call that the object's state does not allow: `release()` of an `RLock` this thread does not
 * hold, `wait()` or `notify()` on a `Condition` whose lock is not held. Mirrors Python's
 * `RuntimeError` in those cases, with its messages.
 *
 * @example
 * ```ts
 * const lock = new RLock();
 * try { lock.release(); } catch (error) { error instanceof RuntimeError; } // 'cannot release un-acquired lock'
 * ```
 */
export class RuntimeError extends Error {
  constructor(message?: string, options?: ErrorOptions) {
    super(message, options);
  }
}
RuntimeError.prototype.name = 'RuntimeError';

/**
 * A `Barrier` is broken: it was aborted, reset while parties waited, a wait timed out, its
 * action threw, or a party died while the others waited. Mirrors Python's
 * `threading.BrokenBarrierError`.
 *
 * @example
 * ```ts
 * try { await barrier.wait(); } catch (error) { if (error instanceof BrokenBarrierError) console.log('gave up'); }
 * ```
 */
export class BrokenBarrierError extends RuntimeError {
  constructor(message?: string, options?: ErrorOptions) {
    super(message, options);
  }
}
BrokenBarrierError.prototype.name = 'BrokenBarrierError';

/**
 * A manager connection whose other side could not prove it knows the `authkey`: a wrong key at
 * `connect()`, or a client that answered the challenge wrongly (the server drops it and goes
 * on serving the others). Mirrors `multiprocessing.AuthenticationError`.
 *
 * @example
 * ```ts
 * try { await manager.connect(); } catch (error) { if (error instanceof AuthenticationError) console.log('wrong authkey'); }
 * ```
 */
export class AuthenticationError extends ProcessError {
  constructor(message?: string, options?: ErrorOptions) {
    super(message, options);
  }
}
AuthenticationError.prototype.name = 'AuthenticationError';

/**
 * A method of a managed object threw in the manager's server, with a class this package cannot
 * rebuild (errors of the built-in classes and of this package arrive as themselves). `name`,
 * `message` and `code` are the original's; `remoteStack` is the server's stack. Mirrors
 * `multiprocessing.managers.RemoteError`.
 *
 * @example
 * ```ts
 * try { await proxy.explode(); } catch (error) { if (error instanceof RemoteError) console.log(error.remoteStack); }
 * ```
 */
export class RemoteError extends ProcessError {
  /** The stack of the error in the manager's server process. */
  readonly remoteStack: string;
  constructor(message: string, remoteStack = '', options?: ErrorOptions) {
    super(message, options);
    this.remoteStack = remoteStack;
  }
}
RemoteError.prototype.name = 'RemoteError';

/**
 * `dict.getItem(key)` of a key that is not there (`d[k]` in Python). Mirrors Python's `KeyError`.
 *
 * @example
 * ```ts
 * try { await shared.getItem('missing'); } catch (error) { error instanceof KeyError; }
 * ```
 */
export class KeyError extends Error {
  constructor(message?: string, options?: ErrorOptions) {
    super(message, options);
  }
}
KeyError.prototype.name = 'KeyError';

/**
 * A list index out of range (`l[i]` in Python). Mirrors Python's `IndexError`.
 *
 * @example
 * ```ts
 * try { await shared.get(10); } catch (error) { error instanceof IndexError; }
 * ```
 */
export class IndexError extends Error {
  constructor(message?: string, options?: ErrorOptions) {
    super(message, options);
  }
}
IndexError.prototype.name = 'IndexError';

/**
 * A name that is not there: a `Namespace` attribute never set, or a method a managed object does
 * not expose. Mirrors Python's `AttributeError`.
 *
 * @example
 * ```ts
 * try { await ns.get('typo'); } catch (error) { error instanceof AttributeError; }
 * ```
 */
export class AttributeError extends Error {
  constructor(message?: string, options?: ErrorOptions) {
    super(message, options);
  }
}
AttributeError.prototype.name = 'AttributeError';
