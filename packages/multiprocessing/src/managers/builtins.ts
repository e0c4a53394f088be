/**
 * The typeids a `SyncManager` serves, as the server makes them (Python's `SyncManager`
 * registrations), and the proxy base each one's client side uses.
 *
 * @module
 */
import { ServedPool } from './pool.js';
import { ServedJoinableQueue, ServedQueue } from './queue.js';
import { ServedArray, ServedDict, ServedList, ServedNamespace, ServedValue } from './objects.js';
import { ServedBarrier, ServedBoundedSemaphore, ServedCondition, ServedEvent, ServedLock, ServedRLock, ServedSemaphore } from './primitives.js';

type Maker = (...args: never[]) => unknown;

interface Builtin {
  /** Absent: made only as the result of another's method (`methodToTypeid`). */
  readonly make?: Maker;
  readonly methodToTypeid?: Readonly<Record<string, string>>;
  /** Methods a proxy may call; default: the object's public methods. */
  readonly exposed?: readonly string[];
  /** The proxy base (see proxy.ts PROXY_BASES). */
  readonly base: 'BaseProxy' | 'AcquirerProxy' | 'ConditionProxyBase' | 'IteratorProxyBase';
}

const QUEUE = ['put', 'get', 'putNowait', 'getNowait', 'qsize', 'empty', 'full'];
const ACQUIRER = ['acquire', 'release'];

export const BUILTINS: Readonly<Record<string, Builtin>> = {
  dict: { make: (init?: ConstructorParameters<typeof ServedDict>[0]) => new ServedDict(init), base: 'BaseProxy' },
  list: { make: (init?: Iterable<unknown> | null) => new ServedList(init), base: 'BaseProxy' },
  Namespace: { make: (init?: Record<string, unknown> | null) => new ServedNamespace(init), base: 'BaseProxy' },
  Value: { make: (typecode: string, value: unknown) => new ServedValue(typecode, value), base: 'BaseProxy' },
  Array: { make: (typecode: string, init: number | Iterable<unknown>) => new ServedArray(typecode, init), base: 'BaseProxy' },
  Queue: { make: (maxsize?: number) => new ServedQueue(maxsize), exposed: QUEUE, base: 'BaseProxy' },
  JoinableQueue: { make: (maxsize?: number) => new ServedJoinableQueue(maxsize), exposed: [...QUEUE, 'taskDone', 'join'], base: 'BaseProxy' },
  Lock: { make: () => new ServedLock(), exposed: [...ACQUIRER, 'locked'], base: 'AcquirerProxy' },
  RLock: { make: () => new ServedRLock(), exposed: ACQUIRER, base: 'AcquirerProxy' },
  Semaphore: { make: (value?: number) => new ServedSemaphore(value), exposed: [...ACQUIRER, 'getValue'], base: 'AcquirerProxy' },
  BoundedSemaphore: { make: (value?: number) => new ServedBoundedSemaphore(value), exposed: [...ACQUIRER, 'getValue'], base: 'AcquirerProxy' },
  Event: { make: () => new ServedEvent(), exposed: ['set', 'clear', 'isSet', 'wait'], base: 'BaseProxy' },
  Condition: { make: (lock?: unknown) => new ServedCondition(lock), exposed: [...ACQUIRER, 'wait', 'notify', 'notifyAll'], base: 'ConditionProxyBase' },
  Barrier: {
    make: (parties: number, options?: { timeout?: number | null }) => new ServedBarrier(parties, options?.timeout),
    exposed: ['wait', 'abort', 'reset', 'parties', 'nWaiting', 'broken'],
    base: 'BaseProxy',
  },
  Pool: {
    make: (options?: ConstructorParameters<typeof ServedPool>[0]) => new ServedPool(options),
    methodToTypeid: { applyAsync: 'AsyncResult', mapAsync: 'AsyncResult', starmapAsync: 'AsyncResult', imap: 'Iterator', imapUnordered: 'Iterator' },
    base: 'BaseProxy',
  },
  AsyncResult: { exposed: ['get', 'wait', 'ready', 'successful'], base: 'BaseProxy' },
  Iterator: { exposed: ['next'], base: 'IteratorProxyBase' },
};
