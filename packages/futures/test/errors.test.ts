import { describe, expect, test } from 'vitest';
import * as futures from '../src/index.js';
import {
  BrokenExecutor,
  BrokenProcessPool,
  BrokenThreadPool,
  BrokenWorkerPool,
  CancelledError,
  ExecutorShutdownError,
  FuturesError,
  InvalidStateError,
  TimeoutError,
  WorkerExitError,
} from '../src/index.js';

type ErrorClass = new (message?: string, options?: ErrorOptions) => Error;

// Every class of the hierarchy in api.md with its ancestors (nearest first), except
// WorkerExitError, whose constructor takes the exit info (tested on its own below).
const hierarchy: [name: string, cls: ErrorClass, ancestors: ErrorClass[]][] = [
  ['FuturesError', FuturesError, []],
  ['CancelledError', CancelledError, [FuturesError]],
  ['TimeoutError', TimeoutError, [FuturesError]],
  ['InvalidStateError', InvalidStateError, [FuturesError]],
  ['ExecutorShutdownError', ExecutorShutdownError, [FuturesError]],
  ['BrokenExecutor', BrokenExecutor, [FuturesError]],
  ['BrokenThreadPool', BrokenThreadPool, [BrokenExecutor, FuturesError]],
  ['BrokenWorkerPool', BrokenWorkerPool, [BrokenExecutor, FuturesError]],
  ['BrokenProcessPool', BrokenProcessPool, [BrokenExecutor, FuturesError]],
];

const allClasses: ErrorClass[] = [...hierarchy.map(([, cls]) => cls), WorkerExitError as unknown as ErrorClass];

describe.each(hierarchy)('%s', (name, cls, ancestors) => {
  test(`new ${name}() - is an instance of itself, its parents and Error`, () => {
    const error = new cls('boom');
    expect(error).toBeInstanceOf(cls);
    for (const ancestor of ancestors) expect(error).toBeInstanceOf(ancestor);
    expect(error).toBeInstanceOf(Error);
  });

  test(`new ${name}() - is no instance of a class outside its own line`, () => {
    const error = new cls('boom');
    const lineage = new Set<ErrorClass>([cls, ...ancestors]);
    for (const other of allClasses) {
      if (!lineage.has(other)) expect(error).not.toBeInstanceOf(other);
    }
  });

  test(`new ${name}() - sets name, message and the stack header`, () => {
    const error = new cls('boom');
    expect(error.name).toBe(name);
    expect(error.message).toBe('boom');
    expect(String(error)).toBe(`${name}: boom`);
    expect(error.stack?.startsWith(`${name}: boom`)).toBe(true);
  });

  test(`new ${name}() - accepts { cause }`, () => {
    const cause = new RangeError('root');
    const error = new cls('wrapped', { cause });
    expect(error.cause).toBe(cause);
    expect(error.message).toBe('wrapped');
  });

  test(`new ${name}() - accepts a non-Error cause`, () => {
    const error = new cls('wrapped', { cause: 0 });
    expect(error.cause).toBe(0);
    expect(Object.hasOwn(error, 'cause')).toBe(true);
  });

  test(`${name} - is exported from the package root`, () => {
    expect((futures as Record<string, unknown>)[name]).toBe(cls);
  });
});

describe('WorkerExitError', () => {
  test('new WorkerExitError() - is a FuturesError and an Error, nothing else', () => {
    const error = new WorkerExitError('worker died', { exitCode: 1, signal: null, pid: 1234 });
    expect(error).toBeInstanceOf(WorkerExitError);
    expect(error).toBeInstanceOf(FuturesError);
    expect(error).toBeInstanceOf(Error);
    expect(error).not.toBeInstanceOf(BrokenExecutor);
    expect(error).not.toBeInstanceOf(CancelledError);
    expect(error.name).toBe('WorkerExitError');
    expect(error.message).toBe('worker died');
    expect(String(error)).toBe('WorkerExitError: worker died');
  });

  test('new WorkerExitError() - carries exitCode, signal and pid of a child process', () => {
    const error = new WorkerExitError('child killed', { exitCode: null, signal: 'SIGKILL', pid: 4321 });
    expect(error.exitCode).toBeNull();
    expect(error.signal).toBe('SIGKILL');
    expect(error.pid).toBe(4321);
    expect(error.threadId).toBeUndefined();
  });

  test('new WorkerExitError() - carries exitCode and threadId of a worker thread', () => {
    const error = new WorkerExitError('thread exited', { exitCode: 3, signal: null, threadId: 7 });
    expect(error.exitCode).toBe(3);
    expect(error.signal).toBeNull();
    expect(error.threadId).toBe(7);
    expect(error.pid).toBeUndefined();
  });

  test('new WorkerExitError() - accepts { cause }', () => {
    const cause = new Error('segfault');
    const error = new WorkerExitError('worker died', { exitCode: 139, signal: null }, { cause });
    expect(error.cause).toBe(cause);
    expect(error.exitCode).toBe(139);
  });

  test('new WorkerExitError() - works as the cause of a BrokenProcessPool', () => {
    const exit = new WorkerExitError('worker died', { exitCode: 1, signal: null, pid: 99 });
    const broken = new BrokenProcessPool('a child process terminated abruptly', { cause: exit });
    expect(broken).toBeInstanceOf(BrokenExecutor);
    expect(broken.cause).toBeInstanceOf(WorkerExitError);
    expect((broken.cause as WorkerExitError).pid).toBe(99);
  });

  test('WorkerExitError - is exported from the package root', () => {
    expect(futures.WorkerExitError).toBe(WorkerExitError);
  });
});

describe('ExecutorShutdownError', () => {
  test("new ExecutorShutdownError() - defaults to CPython's message", () => {
    const error = new ExecutorShutdownError();
    expect(error.message).toBe('cannot schedule new futures after shutdown');
    expect(String(error)).toBe('ExecutorShutdownError: cannot schedule new futures after shutdown');
  });

  test('new ExecutorShutdownError() - keeps the default message when only { cause } is given', () => {
    const cause = new Error('closing');
    const error = new ExecutorShutdownError(undefined, { cause });
    expect(error.message).toBe('cannot schedule new futures after shutdown');
    expect(error.cause).toBe(cause);
  });
});

describe('package root', () => {
  test('index - exports every error class of the hierarchy in api.md', () => {
    const names = [
      'FuturesError',
      'CancelledError',
      'TimeoutError',
      'InvalidStateError',
      'ExecutorShutdownError',
      'WorkerExitError',
      'BrokenExecutor',
      'BrokenThreadPool',
      'BrokenWorkerPool',
      'BrokenProcessPool',
    ];
    const root = futures as Record<string, unknown>;
    for (const name of names) {
      const cls = root[name];
      expect(typeof cls, name).toBe('function');
      const prototype = (cls as { prototype: Error }).prototype;
      const isFuturesError = cls === futures.FuturesError || prototype instanceof futures.FuturesError;
      expect(isFuturesError, name).toBe(true);
      expect(prototype.name, name).toBe(name);
    }
  });
});
