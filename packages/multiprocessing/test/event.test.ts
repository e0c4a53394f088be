/**
 * Event: the contract in one thread, then with the other side in child processes and in
 * worker threads.
 */
import { moduleTasks } from '@concurrent/futures';
import { afterEach, describe, expect, it } from 'vitest';
import { Event, Queue, RawValue } from '../src/index.js';
import { type Runner, runnerNames } from './fixtures/sharing-harness.js';
import type * as SyncMoreTasks from './fixtures/sync-more-tasks.mjs';

const more = moduleTasks<typeof SyncMoreTasks>(new URL('./fixtures/sync-more-tasks.mjs', import.meta.url));

describe('Event in one thread', () => {
  it('.isSet() - false at first, true after set(), false after clear()', () => {
    const event = new Event();
    expect(event.isSet()).toBe(false);
    event.set();
    event.set();
    expect(event.isSet()).toBe(true);
    event.clear();
    expect(event.isSet()).toBe(false);
  });

  it('.wait() - resolves true at once when set, false after a timeout when not', async () => {
    const event = new Event();
    expect(await event.wait(0)).toBe(false);
    expect(await event.wait(20)).toBe(false);
    event.set();
    expect(await event.wait()).toBe(true);
    expect(await event.wait(0)).toBe(true);
  });

  it('.wait() - never blocks its event loop: a timer of the same thread sets the event it waits for', async () => {
    const event = new Event();
    let turns = 0;
    const tick = (): void => {
      turns += 1;
      if (turns === 3) event.set();
      else setImmediate(tick);
    };
    setImmediate(tick);
    expect(await event.wait()).toBe(true);
    expect(turns).toBe(3);
  });

  it('.wait() - a set() cleared at once still wakes the waiters that were waiting', async () => {
    const event = new Event();
    const waiting = event.wait();
    event.set();
    event.clear();
    expect(await waiting).toBe(true);
    expect(event.isSet()).toBe(false);
  });

  it('.wait() - a bad timeout is a TypeError', () => {
    expect(() => new Event().wait('soon' as never)).toThrow(TypeError);
  });
});

describe.each(runnerNames)('Event $name', ({ make }) => {
  let runner: Runner = make();
  afterEach(async () => {
    await runner.dispose();
    runner = make();
  });

  it('ping-pong: each wait() resolves for its own set(), never for a set() it already saw (the flag and count are one word)', async () => {
    const ping = new Event();
    const pong = new Event();
    const count = new RawValue('i', 0);
    const rounds = 1_000;
    const started = runner.start(more.eventResponder, ping, pong, count, rounds);
    const early: number[] = [];
    for (let i = 0; i < rounds; i++) {
      ping.set();
      expect(await pong.wait(20_000)).toBe(true);
      // The responder counts before it sets pong: a wake for this round sees its count.
      if (count.value !== i + 1) early.push(i);
      pong.clear();
    }
    await started.done;
    expect(early).toEqual([]);
  });

  it('set() here wakes a wait() there', async () => {
    const event = new Event();
    const report = new Queue<string | boolean>();
    const started = runner.start(more.eventWait, event, report);
    expect(await report.get()).toBe('waiting');
    event.set();
    expect(await report.get({ timeout: 20_000 })).toBe(true);
    await started.done;
  });

  it('set() there wakes a wait() here', async () => {
    const event = new Event();
    const waiting = event.wait();
    await runner.start(more.eventSet, event).done;
    expect(await waiting).toBe(true);
    expect(event.isSet()).toBe(true);
  });

  it('a wait() there with a timeout resolves false when nobody sets it', async () => {
    const event = new Event();
    const report = new Queue<string | boolean>();
    const started = runner.start(more.eventWait, event, report, 30);
    expect(await report.get()).toBe('waiting');
    expect(await report.get({ timeout: 20_000 })).toBe(false);
    await started.done;
  });

  it('an Event stops two workers that check isSet() between steps', async () => {
    const stop = new Event();
    const report = new Queue<string>();
    const workers = [runner.start(more.workUntilStopped, stop, report), runner.start(more.workUntilStopped, stop, report)];
    stop.set();
    expect([await report.get({ timeout: 20_000 }), await report.get({ timeout: 20_000 })]).toEqual(['stopped', 'stopped']);
    await Promise.all(workers.map((worker) => worker.done));
  });
});
