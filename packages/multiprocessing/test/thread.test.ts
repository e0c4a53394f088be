/**
 * Thread: Python's threading.Thread as a task on this event loop (issue 14).
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { activeCount, currentThread, enumerate, Lock, mainThread, RuntimeError, Thread } from '../src/index.js';

/** A latch: resolves when opened. */
function latch(): { promise: Promise<void>; open: () => void } {
  let open = (): void => {};
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('Thread', () => {
  it("the article's two threads fill one shared object under a Lock", async () => {
    const ret: Record<string, string> = {};
    const lock = new Lock();
    async function work(name: string): Promise<void> {
      await using _ = await lock.hold();
      // An await inside the critical section: the other thread must wait for it.
      const before = Object.keys(ret).length;
      await new Promise((resolve) => setImmediate(resolve));
      ret[name] = `${currentThread().name} saw ${before}`;
    }
    const threads = ['a', 'b'].map((name) => new Thread({ target: work, args: [name], name: `t-${name}` }));
    for (const t of threads) t.start();
    for (const t of threads) await t.join();
    expect(Object.keys(ret).sort()).toEqual(['a', 'b']);
    expect(Object.values(ret).sort()).toEqual(['t-a saw 0', 't-b saw 1']);
  });

  it('start() - run() begins on a later turn, as its own task; currentThread() is it there and in what it awaits', async () => {
    const seen: string[] = [];
    const t = new Thread({
      target: async () => {
        seen.push(currentThread().name);
        await new Promise((resolve) => setTimeout(resolve, 1));
        seen.push(currentThread().name);
      },
      name: 'worker',
    });
    t.start();
    expect(seen).toEqual([]);
    expect(t.isAlive()).toBe(true);
    expect(currentThread()).toBe(mainThread());
    expect(currentThread().name).toBe('MainThread');
    await t.join();
    expect(seen).toEqual(['worker', 'worker']);
    expect(t.isAlive()).toBe(false);
  });

  it('names, idents, enumerate() and activeCount()', async () => {
    const gate = latch();
    const a = new Thread({ target: () => gate.promise });
    const b = new Thread({ target: () => gate.promise, daemon: true });
    expect(a.name).toMatch(/^Thread-\d+ \(target\)$/);
    function work(): void {}
    expect(new Thread({ target: work }).name).toMatch(/^Thread-\d+ \(work\)$/);
    expect(new Thread().name).toMatch(/^Thread-\d+$/);
    expect(a.ident).toBeNull();
    a.start();
    b.start();
    expect(a.ident).not.toBe(b.ident);
    expect(b.daemon).toBe(true);
    expect(enumerate()).toEqual([mainThread(), a, b]);
    expect(activeCount()).toBe(3);
    gate.open();
    await Promise.all([a.join(), b.join()]);
    expect(enumerate()).toEqual([mainThread()]);
    expect(String(a)).toMatch(/^<Thread\(Thread-\d+ \(target\), stopped \d+\)>$/);
  });

  it("errors: start twice, join before start, join from inside, set daemon after start", async () => {
    const t: Thread = new Thread({ target: () => t.join() });
    await expect(t.join()).rejects.toThrow(new RuntimeError('cannot join thread before it is started'));
    const errors = vi.spyOn(console, 'error').mockImplementation(() => {});
    t.start();
    expect(() => t.start()).toThrow(new RuntimeError('threads can only be started once'));
    expect(() => (t.daemon = true)).toThrow(RuntimeError);
    await t.join();
    expect(errors.mock.calls.flat()).toContainEqual(new RuntimeError('cannot join current thread'));
    expect(() => new Thread({ target: 5 as never })).toThrow(TypeError);
  });

  it('an error thrown by run() is printed as "Exception in thread"; join() does not throw it', async () => {
    const errors = vi.spyOn(console, 'error').mockImplementation(() => {});
    const t = new Thread({
      target: () => {
        throw new Error('boom');
      },
      name: 'bad',
    });
    t.start();
    await t.join();
    expect(errors.mock.calls[0]).toEqual(['Exception in thread bad:']);
    expect(errors.mock.calls[1]).toEqual([new Error('boom')]);
    expect(t.isAlive()).toBe(false);
  });

  it('join(timeout) returns while the thread still runs', async () => {
    const gate = latch();
    const t = new Thread({ target: () => gate.promise });
    t.start();
    await t.join(5);
    expect(t.isAlive()).toBe(true);
    gate.open();
    await t.join();
    expect(t.isAlive()).toBe(false);
  });

  it('a subclass overrides run(), with its own fields', async () => {
    class Counter extends Thread {
      count = 0;
      override async run(): Promise<void> {
        for (let i = 0; i < 3; i++) {
          await Promise.resolve();
          this.count++;
        }
      }
    }
    const t = new Counter();
    t.start();
    await t.join();
    expect(t.count).toBe(3);
  });
});
