import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { runInNewContext } from 'node:vm';
import { Worker } from 'node:worker_threads';
import { afterEach, describe, expect, test } from 'vitest';
import { BrokenProcessPool, CancelledError, TimeoutError, WorkerExitError } from '../src/errors.js';
import { deserializeError, isSerializedThrown, serializeError, type SerializedThrown } from '../src/internal/remote-error.js';

const ECHO = fileURLToPath(new URL('./fixtures/echo.mjs', import.meta.url));

type Trip = (data: SerializedThrown) => unknown;
const TRIPS: [string, Trip][] = [
  ['structuredClone', (data) => structuredClone(data)],
  ['JSON', (data) => JSON.parse(JSON.stringify(data)) as unknown],
];

/** An error as a worker would throw it: every kind of thing the contract says arrives. */
function richError(): Error {
  const inner = new RangeError('inner', { cause: 'root' });
  const error = Object.assign(new TypeError('outer', { cause: inner }), {
    code: 'E_OUTER',
    retries: 3,
    nothing: undefined,
    big: 2n ** 70n,
    ratio: NaN,
    when: new Date(Date.UTC(2024, 1, 29)),
    tags: new Set(['a', 'b']),
    index: new Map<unknown, unknown>([[1, { deep: [Infinity, -Infinity, -0] }]]),
    pattern: /a[/]b/giu,
    bytes: new Uint16Array([1, 65535]),
  });
  return error;
}

function checkRichError(value: unknown): void {
  expect(value).toBeInstanceOf(TypeError);
  const error = value as TypeError & Record<string, unknown>;
  expect(error.name).toBe('TypeError');
  expect(error.message).toBe('outer');
  expect(error.code).toBe('E_OUTER');
  expect(error.retries).toBe(3);
  expect(Object.hasOwn(error, 'nothing')).toBe(true);
  expect(error.nothing).toBeUndefined();
  expect(error.big).toBe(2n ** 70n);
  expect(error.ratio).toBeNaN();
  expect(error.when).toEqual(new Date(Date.UTC(2024, 1, 29)));
  expect(error.tags).toEqual(new Set(['a', 'b']));
  expect(error.index).toEqual(new Map([[1, { deep: [Infinity, -Infinity, -0] }]]));
  expect(Object.is((error.index as Map<number, { deep: number[] }>).get(1)?.deep[2], -0)).toBe(true);
  expect(error.pattern).toEqual(/a[/]b/giu);
  expect(error.bytes).toEqual(new Uint16Array([1, 65535]));
  expect(error.cause).toBeInstanceOf(RangeError);
  expect((error.cause as Error).cause).toBe('root');
  expect(error.stack).toMatch(/^TypeError: outer\n {4}at /);
  expect(error.stack).toMatch(/\n {4}\[in worker\]$/);
}

describe.each(TRIPS)('through %s', (_, trip) => {
  const roundTrip = (value: unknown): unknown => deserializeError(trip(serializeError(value)));

  test('.serializeError() - makes plain data that the encoding carries unchanged', () => {
    const data = serializeError(richError());
    expect(isSerializedThrown(data)).toBe(true);
    expect(trip(data)).toStrictEqual(data);
  });

  test.each([0, -0, 1.5, NaN, Infinity, undefined, null, false, '', 'text', 10n])(
    '.deserializeError() - a thrown %s arrives as the same value',
    (value) => {
      expect(Object.is(roundTrip(value), value)).toBe(true);
    },
  );

  test('.deserializeError() - thrown objects, arrays, Maps and Sets arrive equal', () => {
    const value = { a: 1, list: [1, 'two', null, undefined], map: new Map([['k', new Set([1n])]]), when: new Date(0) };
    expect(roundTrip(value)).toStrictEqual(value);
    expect(roundTrip(Symbol.for('registered'))).toBe(Symbol.for('registered'));
    expect(String(roundTrip(Symbol('local')))).toBe('Symbol(local)');
  });

  test('.deserializeError() - name, message, code, own properties, cause and the remote stack arrive', () => {
    checkRichError(roundTrip(richError()));
  });

  test.each([Error, TypeError, RangeError, SyntaxError, ReferenceError, EvalError, URIError])(
    '.deserializeError() - a %o is still instanceof its class',
    (Class) => {
      const error = roundTrip(new Class('bad'));
      expect(error).toBeInstanceOf(Class);
      expect(error).toMatchObject({ name: Class.name, message: 'bad' });
    },
  );

  test('.deserializeError() - AggregateError keeps its errors', () => {
    const error = roundTrip(new AggregateError([new TypeError('a'), 'b', undefined], 'all failed'));
    expect(error).toBeInstanceOf(AggregateError);
    const { errors } = error as AggregateError;
    expect(errors).toHaveLength(3);
    expect(errors[0]).toBeInstanceOf(TypeError);
    expect(errors.slice(1)).toEqual(['b', undefined]);
    expect(Object.keys(error as object)).toEqual([]);
  });

  test('.deserializeError() - a custom class arrives as its nearest built-in with its name', () => {
    class Unnamed extends Error {}
    class Named extends RangeError {
      code = 'E_NAMED';
    }
    Named.prototype.name = 'NamedError';
    class OwnName extends Error {
      constructor(message: string) {
        super(message);
        this.name = 'OwnNameError';
      }
    }
    const unnamed = roundTrip(new Unnamed('u')) as Error;
    expect(unnamed).toBeInstanceOf(Error);
    expect(unnamed.name).toBe('Unnamed'); // the constructor's name: `name` was never set
    expect(unnamed.stack).toMatch(/^Unnamed: u\n {4}at /); // and the first line agrees
    const named = roundTrip(new Named('n')) as RangeError & { code: string };
    expect(named).toBeInstanceOf(RangeError);
    expect([named.name, named.message, named.code]).toEqual(['NamedError', 'n', 'E_NAMED']);
    expect((roundTrip(new OwnName('o')) as Error).name).toBe('OwnNameError');
  });

  test("'.deserializeError() - this library's errors arrive as their own classes", () => {
    const exit = new WorkerExitError('worker died', { exitCode: null, signal: 'SIGKILL', pid: 42 });
    const broken = roundTrip(new BrokenProcessPool('broken', { cause: exit })) as BrokenProcessPool;
    expect(broken).toBeInstanceOf(BrokenProcessPool);
    expect(broken.name).toBe('BrokenProcessPool');
    expect(broken.cause).toBeInstanceOf(WorkerExitError);
    expect(broken.cause).toMatchObject({ exitCode: null, signal: 'SIGKILL', pid: 42, message: 'worker died' });
    expect(roundTrip(new CancelledError())).toBeInstanceOf(CancelledError);
    // A user's own class that happens to share a name is not mistaken for ours.
    class TimeoutErrorLookalike extends Error {}
    TimeoutErrorLookalike.prototype.name = 'TimeoutError';
    const lookalike = roundTrip(new TimeoutErrorLookalike('slow'));
    expect(lookalike).not.toBeInstanceOf(TimeoutError);
    expect((lookalike as Error).name).toBe('TimeoutError');
  });

  test('.deserializeError() - a DOMException (an AbortSignal reason) arrives as one', async () => {
    const aborted = roundTrip(AbortSignal.abort().reason);
    expect(aborted).toBeInstanceOf(DOMException);
    expect(aborted).toMatchObject({ name: 'AbortError', message: 'This operation was aborted', code: 20 });
    const signal = AbortSignal.timeout(1);
    await once(signal, 'abort');
    const timedOut = roundTrip(signal.reason) as DOMException;
    expect(timedOut).toBeInstanceOf(DOMException);
    expect(timedOut).not.toBeInstanceOf(TimeoutError);
    expect(timedOut.name).toBe('TimeoutError');
  });

  test('.deserializeError() - cycles and shared references survive', () => {
    const error = new Error('self') as Error & { again?: unknown; shared?: unknown };
    const shared = { n: 1 };
    error.cause = error;
    error.again = shared;
    error.shared = shared;
    const arrived = roundTrip(error) as typeof error;
    expect(arrived.cause).toBe(arrived);
    expect(arrived.again).toBe(arrived.shared);
    const list: unknown[] = [];
    list.push(list);
    const arrivedList = roundTrip(list) as unknown[];
    expect(arrivedList[0]).toBe(arrivedList);
  });

  test('.deserializeError() - an error from another realm arrives as this realm\'s class', () => {
    const foreign = runInNewContext('new TypeError("elsewhere")') as unknown;
    expect(foreign).not.toBeInstanceOf(TypeError);
    expect(roundTrip(foreign)).toBeInstanceOf(TypeError);
  });

  test('.deserializeError() - the stack is the remote text, marked with its origin', () => {
    const error = new Error('boom');
    const arrived = deserializeError(trip(serializeError(error)), { origin: 'process 1234' }) as Error;
    expect(arrived.stack).toBe(`${error.stack}\n    [in process 1234]`);
    const stackless = new Error('no frames');
    delete stackless.stack;
    expect((roundTrip(stackless) as Error).stack).toBe('Error: no frames\n    [in worker]');
  });

  test('.serializeError() - never throws: what cannot be carried is described', () => {
    const revoked = Proxy.revocable({}, {});
    revoked.revoke();
    const hostile = Object.defineProperty(new Error('getter'), 'bad', {
      enumerable: true,
      get() {
        throw new Error('no');
      },
    });
    const withFunction = Object.assign(new Error('fn'), { callback: function callback() {} });
    expect(() => serializeError(revoked.proxy)).not.toThrow();
    expect((roundTrip(hostile) as { bad: unknown }).bad).toMatch(/property bad threw/);
    expect((roundTrip(withFunction) as { callback: unknown }).callback).toBe('[Function: callback]');
    const thrownFunction = roundTrip(function thrown() {});
    expect(thrownFunction).toBeInstanceOf(Error);
    expect((thrownFunction as Error).message).toMatch(/cannot be sent .*\[Function: thrown\]/);
    expect(roundTrip(new Promise(() => {}))).toBeInstanceOf(Error);
  });

  test('.deserializeError() - a key named __proto__ stays a plain property', () => {
    const value = JSON.parse('{"__proto__": {"polluted": true}}') as object;
    const arrived = roundTrip(value) as Record<string, unknown>;
    expect(Object.getPrototypeOf(arrived)).toBe(Object.prototype);
    expect(Object.hasOwn(arrived, '__proto__')).toBe(true);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

test('.deserializeError() - malformed data arrives as a TypeError, never a throw', () => {
  expect(deserializeError({ not: 'serialized' })).toBeInstanceOf(TypeError);
  expect(deserializeError({ $thrown: 1, value: { $: 'array', id: 0, items: 5 } })).toBeInstanceOf(TypeError);
});

test('.serializeError() - Buffers arrive as Buffers, typed arrays and ArrayBuffers as themselves', () => {
  const value = { buffer: Buffer.from('hi'), floats: new Float64Array([0.5]), raw: new Uint8Array([7]).buffer, view: new DataView(new ArrayBuffer(2)) };
  const arrived = deserializeError(JSON.parse(JSON.stringify(serializeError(value))) as unknown) as typeof value;
  expect(Buffer.isBuffer(arrived.buffer) && arrived.buffer.toString()).toBe('hi');
  expect(arrived.floats).toEqual(new Float64Array([0.5]));
  expect(new Uint8Array(arrived.raw)).toEqual(new Uint8Array([7]));
  expect(arrived.view).toBeInstanceOf(DataView);
});

// The same data through real IPC channels: a worker thread, and forked children in both
// serialization modes. The fixture echoes what it gets, so what comes back crossed twice.
describe('through real IPC', () => {
  const workers: Worker[] = [];
  const children: ChildProcess[] = [];

  afterEach(async () => {
    for (const worker of workers.splice(0)) {
      expect(typeof (await worker.terminate())).toBe('number');
    }
    for (const child of children.splice(0)) {
      // The fixture has nothing left to do once its channel closes: it must exit by itself.
      const exited = child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : once(child, 'exit');
      if (child.connected) child.disconnect();
      await exited;
      expect(child.exitCode).toBe(0);
    }
  });

  async function echoThroughWorker(data: SerializedThrown): Promise<unknown> {
    const worker = new Worker(ECHO);
    workers.push(worker);
    worker.postMessage(data);
    const [message] = (await once(worker, 'message')) as [unknown];
    return message;
  }

  async function echoThroughChild(data: SerializedThrown, serialization: 'json' | 'advanced'): Promise<unknown> {
    const child = fork(ECHO, [], { serialization, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    children.push(child);
    child.send(data);
    const [message] = (await once(child, 'message')) as [unknown];
    return message;
  }

  const channels: [string, (data: SerializedThrown) => Promise<unknown>][] = [
    ['worker_threads postMessage', echoThroughWorker],
    ["child_process serialization 'json'", (data) => echoThroughChild(data, 'json')],
    ["child_process serialization 'advanced'", (data) => echoThroughChild(data, 'advanced')],
  ];

  test.each(channels)('%s - an error arrives whole', async (_, echo) => {
    checkRichError(deserializeError(await echo(serializeError(richError()))));
  });

  test.each(channels)('%s - a thrown undefined arrives as undefined', async (_, echo) => {
    const data = serializeError(undefined);
    const arrived = await echo(data);
    expect(arrived).toStrictEqual(data);
    expect(deserializeError(arrived)).toBeUndefined();
  });

  test.each(channels)("%s - this library's errors keep their class", async (_, echo) => {
    const exit = new WorkerExitError('gone', { exitCode: 3, signal: null, threadId: 7 });
    const arrived = deserializeError(await echo(serializeError(exit)), { origin: 'worker thread 7' });
    expect(arrived).toBeInstanceOf(WorkerExitError);
    expect(arrived).toMatchObject({ exitCode: 3, signal: null, threadId: 7 });
    expect((arrived as Error).stack).toMatch(/\n {4}\[in worker thread 7\]$/);
  });
});
