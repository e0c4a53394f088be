/**
 * Pipe and Connection: one contract run with the other end in a child process and in a
 * worker thread, plus the cases that need neither (both ends here).
 */
import type { TaskRef } from '@concurrent/futures';
import { afterEach, describe, expect, it } from 'vitest';
import { BrokenPipeError, BufferTooShort, type Connection, EOFError, OSError, Pipe, Process, Queue } from '../src/index.js';
import { type Runner, runnerNames, stasks } from './fixtures/sharing-harness.js';

describe.each(runnerNames)('Pipe $name', ({ make }) => {
  let runner: Runner;
  const opened: Connection[] = [];
  function pipe(duplex = true): [Connection, Connection] {
    const ends = Pipe(duplex);
    opened.push(...ends);
    return ends;
  }
  afterEach(async () => {
    for (const end of opened.splice(0)) end.close();
    await runner.dispose();
  });
  function start<A extends unknown[]>(task: TaskRef<A, unknown>, ...args: A): ReturnType<Runner['start']> {
    runner ??= make();
    return runner.start(task, ...args);
  }
  runner = make();

  it('.send() / .recv() - a round trip through the other side, values cloned', async () => {
    const [here, there] = pipe();
    const done = start(stasks.echo, there);
    const value = { hello: 'world', when: new Date(0), map: new Map([[1, 'one']]), big: 2n ** 70n, bytes: new Uint8Array([1, 2, 3]) };
    here.send(value);
    expect(await here.recv()).toEqual(value);
    for (let i = 0; i < 100; i++) here.send(i);
    for (let i = 0; i < 100; i++) expect(await here.recv()).toBe(i);
    here.close();
    await done.done;
  });

  it('.send() / .recv() - plain data goes a faster way than other values, and both arrive as structured clone makes them', async () => {
    const [here, there] = pipe();
    const done = start(stasks.echo, there);
    // A hole, which JSON would turn into null.
    const sparse: number[] = [];
    sparse[0] = 1;
    sparse[2] = 3;
    const named = Object.assign([1, 2], { extra: 'kept' });
    const values: unknown[] = [
      0, -0, NaN, Infinity, 1.5, 'é ☃ \ud800', '', true, null, undefined, [], {}, { a: [1, { b: 'c' }], d: null },
      { u: undefined }, [undefined], sparse, named, Object.create(null) as object, { n: -0 }, { date: new Date(0) },
      Array.from({ length: 200 }, (_, i) => i), { deep: { deeper: { deepest: [[[['x']]]] } } }, { __proto__: null, p: 1 },
    ];
    for (const value of values) here.send(value);
    for (const value of values) {
      const got = await here.recv();
      // toStrictEqual tells -0 from 0, a hole from undefined, and sees missing keys and named array properties.
      expect(got).toStrictEqual(structuredClone(value));
    }
    here.close();
    await done.done;
  });

  it('.send() / .recv() - a Buffer arrives as a Buffer with the bytes it had when sent, small or large', async () => {
    const [here, there] = pipe();
    const done = start(stasks.echo, there);
    const small = Buffer.from('small');
    const large = Buffer.alloc(3 << 20, 7);
    here.send(small);
    here.send(large);
    // The bytes were taken at send(): changing the buffer afterwards changes nothing sent.
    small.fill(0);
    large.fill(0);
    const [gotSmall, gotLarge] = [await here.recv(), await here.recv()];
    expect(Buffer.isBuffer(gotSmall) && gotSmall.toString()).toBe('small');
    expect(Buffer.isBuffer(gotLarge) && gotLarge.length === 3 << 20 && gotLarge.every((byte) => byte === 7)).toBe(true);
    here.close();
    await done.done;
  });

  it('.recv() - EOFError after the buffered messages once the other end is closed', async () => {
    const [here, there] = pipe();
    await start(stasks.sendThenClose, there, [1, 'two', { three: 3 }]).done;
    expect(await here.recv()).toBe(1);
    expect(await here.recv()).toBe('two');
    expect(await here.recv()).toEqual({ three: 3 });
    await expect(here.recv()).rejects.toBeInstanceOf(EOFError);
    await expect(here.recv()).rejects.toBeInstanceOf(EOFError);
  });

  it('.recv() - EOFError after the buffered messages once the holder of the other end exits without closing it', async () => {
    const [here, there] = pipe();
    const started = start(stasks.sendThenExit, there, ['a', 'b']);
    expect(await here.recv()).toBe('a');
    expect(await here.recv()).toBe('b');
    await expect(here.recv()).rejects.toBeInstanceOf(EOFError);
    await started.done.catch(() => {});
  });

  it('for await - iterates the messages until EOF', async () => {
    const [here, there] = pipe();
    start(stasks.sendThenClose, there, [1, 2, 3]);
    const got: unknown[] = [];
    for await (const message of here) got.push(message);
    expect(got).toEqual([1, 2, 3]);
  });

  it('.sendBytes() / .recvBytes() / .recvBytesInto() - raw bytes reach the other side', async () => {
    const [here, there] = pipe();
    const report = new Queue();
    const started = start(stasks.recvKinds, there, report);
    here.sendBytes(Buffer.from('hello world'), 6, 5);
    here.sendBytes(new Uint8Array([7, 8, 9]));
    here.send({ ok: true });
    expect(await report.get()).toEqual({ bytes: [...Buffer.from('world')], into: [0, 0, 7, 8, 9, 0, 0, 0], n: 3, value: { ok: true } });
    await started.done;
  });

  it('a remote end keeps working both ways, and an end can be passed on again inside a message', async () => {
    const [control, controlThere] = pipe();
    const [data, dataThere] = pipe();
    const started = start(stasks.echo, controlThere);
    // The end travels inside a message to the other side, which echoes it back home.
    control.send({ end: dataThere });
    const back = (await control.recv()) as { end: Connection };
    expect(back.end.closed).toBe(false);
    back.end.send('through the returned end');
    expect(await data.recv()).toBe('through the returned end');
    control.close();
    await started.done;
  });

  it('a send that cannot be cloned throws TypeError and sends nothing; the pipe keeps working', async () => {
    const [here, there] = pipe();
    const started = start(stasks.echo, there);
    expect(() => here.send({ fn: () => 1 })).toThrow(TypeError);
    // A Proxy looks like plain data to a walk, but structured clone refuses it: so do we.
    expect(() => here.send({ inner: new Proxy({ a: 1 }, {}) })).toThrow(TypeError);
    here.send('after');
    expect(await here.recv()).toBe('after');
    here.close();
    await started.done;
  });
});

describe('Pipe', () => {
  it('Pipe(false) - [receiveOnly, sendOnly], and each refuses the other direction', async () => {
    const [reader, writer] = Pipe(false);
    expect([reader.readable, reader.writable, writer.readable, writer.writable]).toEqual([true, false, false, true]);
    expect(() => reader.send(1)).toThrow(OSError);
    await expect(writer.recv()).rejects.toBeInstanceOf(OSError);
    writer.send(1);
    expect(await reader.recv()).toBe(1);
    writer.close();
    reader.close();
  });

  it('.poll() - false without a message, true once one is there (or EOF), and recv() then gets it', async () => {
    const [a, b] = Pipe();
    expect(await a.poll()).toBe(false);
    expect(await a.poll(20)).toBe(false);
    const polled = a.poll(null);
    b.send('x');
    expect(await polled).toBe(true);
    expect(await a.recv()).toBe('x');
    b.close();
    expect(await a.poll()).toBe(true);
    await expect(a.recv()).rejects.toBeInstanceOf(EOFError);
    a.close();
  });

  it('.close() - a closed end throws OSError; sending to a closed end throws BrokenPipeError', async () => {
    const [a, b] = Pipe();
    b.close();
    expect(b.closed).toBe(true);
    expect(() => b.send(1)).toThrow(OSError);
    await expect(b.recv()).rejects.toThrow('handle is closed');
    expect(() => a.send(1)).toThrow(BrokenPipeError);
    a.close();
    a.close();
  });

  it('.recvBytes(maxLength) - a longer message is an OSError; .recvBytesInto() a BufferTooShort with the bytes', async () => {
    const [a, b] = Pipe();
    b.sendBytes(Buffer.from('0123456789'));
    await expect(a.recvBytesInto(new Uint8Array(4))).rejects.toSatisfy((error: unknown) => error instanceof BufferTooShort && error.bytes.toString() === '0123456789');
    b.sendBytes(Buffer.from('0123456789'));
    await expect(a.recvBytes(4)).rejects.toThrow('bad message length');
    expect(a.closed).toBe(true);
    b.close();
  });

  it('an end sent to a child moves there: the copy here is closed, and cannot be sent twice', async () => {
    const [a, b] = Pipe();
    const p = new Process({ target: stasks.echo, args: [b] });
    p.start();
    expect(b.closed).toBe(true);
    expect(() => b.send(1)).toThrow(/sent to another process or thread/);
    expect(() => new Process({ target: stasks.echo, args: [b] }).start()).toThrow(TypeError);
    a.send('ping');
    expect(await a.recv()).toBe('ping');
    a.close();
    await p.join();
    expect(p.exitcode).toBe(0);
  });

  it('.recv() - the natural program: p.start(); recv() ends with EOFError when the child exits, even if it never used its end', async () => {
    const [parentEnd, childEnd] = Pipe();
    const p = new Process({ target: (_end: Connection) => {}, args: [childEnd] });
    p.start();
    await expect(parentEnd.recv()).rejects.toBeInstanceOf(EOFError);
    await p.join();
    parentEnd.close();
  });

  it('await using - closes the end at the end of the block', async () => {
    const [a, b] = Pipe();
    {
      await using inner = b;
      inner.send('bye');
    }
    expect(b.closed).toBe(true);
    expect(await a.recv()).toBe('bye');
    await expect(a.recv()).rejects.toBeInstanceOf(EOFError);
    a.close();
  });
});
