// The public surface of @concurrent/multiprocessing: explicit named exports only (our `__all__`).
export { AsyncResult, type ResultCallbacks } from './async-result.js';
export { type ApplyOptions, type ApplyRest, BasePool, type IMapOptions, type MapAsyncOptions, type MapOptions, type PoolEvents } from './base-pool.js';
export { cpuCount, currentProcess, type CurrentProcess } from './current-process.js';
export { ValueError } from './errors.js';
export { IMapIterator } from './imap.js';
export { Pool, type PoolOptions } from './pool.js';
export { activeChildren, Process, type ProcessOptions } from './process.js';
export { activeCount, currentThread, enumerate, mainThread, Thread, type ThreadOptions } from './thread.js';
export { ThreadPool, type ThreadPoolOptions } from './thread-pool.js';
// Python's multiprocessing.TimeoutError is what get(timeout) and next(timeout) throw: here
// the TimeoutError of @concurrent/futures, re-exported so one import serves.
export { TimeoutError } from '@concurrent/futures';
export { BrokenBarrierError, BrokenPipeError, BufferTooShort, Empty, EOFError, Full, OSError, ProcessError, RuntimeError } from './errors.js';
export { Connection, Pipe } from './sharing/connection.js';
export { type GetOptions, JoinableQueue, type PutOptions, Queue, SimpleQueue } from './sharing/queues.js';
export type { AcquireOptions, Held } from './sync/acquire.js';
export { Lock, RLock } from './sync/lock.js';
export { RawArray, SharedArray } from './values/array.js';
export type { SynchronizedOptions, SyncLock } from './values/synchronized.js';
export type { CharsOf } from './values/array.js';
export { alignment, fieldOffset, sizeof, Structure, type StructureClass, type StructureElement, type StructureFields, type StructureInit } from './values/structure.js';
export type { BigIntTypecode, CType, ElementOf, NumberTypecode, SharedType, Storable, Typecode, TypecodeOf, TypecodeTypes, TypedArrayOf } from './values/typecodes.js';
export {
  c_bool,
  c_byte,
  c_char,
  c_double,
  c_float,
  c_int,
  c_int8,
  c_int16,
  c_int32,
  c_int64,
  c_long,
  c_longlong,
  c_short,
  c_ubyte,
  c_uint,
  c_uint8,
  c_uint16,
  c_uint32,
  c_uint64,
  c_ulong,
  c_ulonglong,
  c_ushort,
  typecodeToType,
} from './values/typecodes.js';
export { RawValue, Value } from './values/value.js';
export { Barrier, type BarrierAction, type BarrierOptions } from './sync/barrier.js';
export { Condition } from './sync/condition.js';
export { Event } from './sync/event.js';
export { BoundedSemaphore, Semaphore } from './sync/semaphore.js';
export { AttributeError, AuthenticationError, IndexError, KeyError, RemoteError } from './errors.js';
export { BaseManager, type Callable, Manager, type ManagerOptions, type RegisterOptions, SyncManager } from './managers/manager.js';
export { AcquirerProxy, BaseProxy } from './managers/proxy.js';
export type { Address, Server } from './managers/server.js';
export type * from './managers/types.js';
