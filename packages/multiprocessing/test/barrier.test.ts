/**
 * Barrier: the contract in one thread, then with the other parties in child processes and in
 * worker threads, then what only a process can do (die while it waits).
 */
import { moduleTasks } from '@concurrent/futures';
import { afterEach, describe, expect, it } from 'vitest';
import { Barrier, BrokenBarrierError, Event, Queue, ValueError } from '../src/index.js';
import { type Runner, runnerNames } from './fixtures/sharing-harness.js';
import type * as SyncMoreTasks from './fixtures/sync-more-tasks.mjs';

const more = moduleTasks<typeof SyncMoreTasks>(new URL('./fixtures/sync-more-tasks.mjs', import.meta.url));

/** Resolves once `barrier.nWaiting` is `n`: a latch on the parties that are inside. */
async function waitingAt(barrier: Barrier, n: number): Promise<void> {
  while (barrier.nWaiting !== n) await new Promise((resolve) => setTimeout(resolve, 1));
}

describe('Barrier in one thread', () => {
  it('new - parties is a whole number from 1 up; options are checked', () => {
    expect(new Barrier(3).parties).toBe(3);
    expect(() => new Barrier(0)).toThrow(ValueError);
    expect(() => new Barrier(1.5)).toThrow(/parties must be > 0.*`1\.5` \(number\)/);
    expect(() => new Barrier('2' as never)).toThrow(TypeError);
    expect(() => new Barrier(2, { timout: 5 } as never)).toThrow(/did you mean `timeout`/);
    expect(() => new Barrier(2, { action: 5 } as never)).toThrow(/`action` to be a function/);
  });

  it('.wait() - resolves each party\'s distinct index once all arrived; reusable, round after round', async () => {
    const barrier = new Barrier(3);
    for (let round = 0; round < 3; round++) {
      const indices = await Promise.all([barrier.wait(), barrier.wait(), barrier.wait()]);
      expect([...indices].sort()).toEqual([0, 1, 2]);
    }
    expect(barrier.nWaiting).toBe(0);
    expect(barrier.broken).toBe(false);
  });

  it('.wait() - one party: resolves 0 at once', async () => {
    expect(await new Barrier(1).wait()).toBe(0);
  });

  it('.nWaiting - counts the parties waiting now', async () => {
    const barrier = new Barrier(3);
    const first = barrier.wait();
    await waitingAt(barrier, 1);
    const second = barrier.wait();
    await waitingAt(barrier, 2);
    await barrier.wait();
    await Promise.all([first, second]);
    expect(barrier.nWaiting).toBe(0);
  });

  it('action - runs once per round, in the last party, before any party is released', async () => {
    const released: number[] = [];
    let actions = 0;
    const barrier = new Barrier(2, {
      action: () => {
        // Nobody of this round is released yet.
        expect(released).toHaveLength(2 * actions);
        actions += 1;
      },
    });
    await Promise.all([barrier.wait().then((i) => released.push(i)), barrier.wait().then((i) => released.push(i))]);
    expect(actions).toBe(1);
    await Promise.all([barrier.wait(), barrier.wait()]);
    expect(actions).toBe(2);
  });

  it('action - that throws breaks the barrier: its party gets the error, the others BrokenBarrierError', async () => {
    const barrier = new Barrier(2, {
      action: () => {
        throw new Error('action failed');
      },
    });
    const first = barrier.wait();
    await waitingAt(barrier, 1);
    await expect(barrier.wait()).rejects.toThrow('action failed');
    await expect(first).rejects.toBeInstanceOf(BrokenBarrierError);
    expect(barrier.broken).toBe(true);
    await expect(barrier.wait()).rejects.toBeInstanceOf(BrokenBarrierError);
  });

  it('.wait(timeout) - a timeout breaks the barrier for every party, as in Python; reset() mends it', async () => {
    const barrier = new Barrier(3, { timeout: 10_000 });
    const patient = barrier.wait();
    await waitingAt(barrier, 1);
    await expect(barrier.wait(20)).rejects.toBeInstanceOf(BrokenBarrierError);
    await expect(patient).rejects.toBeInstanceOf(BrokenBarrierError);
    expect(barrier.broken).toBe(true);
    barrier.reset();
    expect(barrier.broken).toBe(false);
    expect(await Promise.all([barrier.wait(), barrier.wait(), barrier.wait()])).toHaveLength(3);
  });

  it('timeout option - the default of wait()', async () => {
    const barrier = new Barrier(2, { timeout: 20 });
    await expect(barrier.wait()).rejects.toBeInstanceOf(BrokenBarrierError);
    expect(barrier.broken).toBe(true);
  });

  it('.abort() - breaks the barrier: waiting and later wait() calls reject until reset()', async () => {
    const barrier = new Barrier(2);
    const waiting = barrier.wait();
    await waitingAt(barrier, 1);
    barrier.abort();
    await expect(waiting).rejects.toBeInstanceOf(BrokenBarrierError);
    await expect(barrier.wait()).rejects.toBeInstanceOf(BrokenBarrierError);
    barrier.reset();
    expect(await Promise.all([barrier.wait(), barrier.wait()])).toHaveLength(2);
  });

  it('.reset() - parties waiting reject with BrokenBarrierError; the barrier is not broken and works again', async () => {
    const barrier = new Barrier(2);
    const waiting = barrier.wait();
    await waitingAt(barrier, 1);
    barrier.reset();
    await expect(waiting).rejects.toBeInstanceOf(BrokenBarrierError);
    expect(barrier.broken).toBe(false);
    expect(barrier.nWaiting).toBe(0);
    expect(await Promise.all([barrier.wait(), barrier.wait()])).toHaveLength(2);
  });

  it('.reset() - while the action runs: the round, whose parties all arrived, completes (as in Python)', async () => {
    let started = (): void => {};
    const acting = new Promise<void>((resolve) => (started = resolve));
    let finish = (): void => {};
    const finished = new Promise<void>((resolve) => (finish = resolve));
    const barrier = new Barrier(2, {
      action: async () => {
        started();
        await finished;
      },
    });
    const round = Promise.all([barrier.wait(), barrier.wait()]);
    await acting;
    barrier.reset();
    finish();
    expect((await round).sort((a, b) => a - b)).toEqual([0, 1]);
    expect(barrier.broken).toBe(false);
  });
});

describe.each(runnerNames)('Barrier $name', ({ make }) => {
  let runner: Runner = make();
  afterEach(async () => {
    await runner.dispose();
    runner = make();
  });

  it('two parties there and one here: distinct indices; the action (here, the last) runs before any is released', async () => {
    const flag = new Event();
    let actions = 0;
    const barrier = new Barrier(3, {
      action: () => {
        actions += 1;
        flag.set();
      },
    });
    const report = new Queue<unknown[]>();
    const parties = [runner.start(more.barrierRounds, barrier, report, 1, flag), runner.start(more.barrierRounds, barrier, report, 1, flag)];
    await waitingAt(barrier, 2);
    const mine = await barrier.wait();
    const theirs = [await report.get(), await report.get()];
    expect([mine, ...theirs.map((row) => row[1])].sort()).toEqual([0, 1, 2]);
    // Both were released after the action had set the flag.
    expect(theirs.map((row) => row[2])).toEqual([true, true]);
    expect(actions).toBe(1);
    await Promise.all(parties.map((party) => party.done));
  });

  it('reusable: three rounds with a party there; an action by reference runs once per round in one of the parties', async () => {
    const barrier = new Barrier(2, { action: more.countAction });
    const report = new Queue<unknown[]>();
    const party = runner.start(more.barrierRounds, barrier, report, 3);
    const here: number[] = [];
    for (let round = 0; round < 3; round++) here.push(await barrier.wait());
    const there = [await report.get(), await report.get(), await report.get()];
    for (let round = 0; round < 3; round++) expect([here[round], there[round]![1]].sort()).toEqual([0, 1]);
    // Runs counted where they ran: there (its last row) and here (this module's copy of the task).
    const ranHere = (globalThis as { barrierActions?: number }).barrierActions ?? 0;
    (globalThis as { barrierActions?: number }).barrierActions = 0;
    expect(ranHere + (there[2]![3] as number)).toBe(3);
    await party.done;
  });

  it('a timeout here breaks the barrier for a party waiting there', async () => {
    const barrier = new Barrier(3);
    const report = new Queue<unknown>();
    const party = runner.start(more.barrierWait, barrier, report);
    expect(await report.get()).toBe('waiting');
    await waitingAt(barrier, 1);
    await expect(barrier.wait(20)).rejects.toBeInstanceOf(BrokenBarrierError);
    expect(await report.get({ timeout: 20_000 })).toMatch(/^BrokenBarrierError/);
    await party.done;
  });

  it('abort() here breaks it for a party waiting there; reset() here mends it for the next round', async () => {
    const barrier = new Barrier(2);
    const report = new Queue<unknown>();
    const first = runner.start(more.barrierWait, barrier, report);
    expect(await report.get()).toBe('waiting');
    await waitingAt(barrier, 1);
    barrier.abort();
    expect(await report.get({ timeout: 20_000 })).toMatch(/^BrokenBarrierError/);
    await first.done;
    barrier.reset();
    const second = runner.start(more.barrierWait, barrier, report);
    expect(await report.get()).toBe('waiting');
    const mine = await barrier.wait();
    expect([mine, await report.get()].sort()).toEqual([0, 1]);
    await second.done;
  });

  it('reset() here while a party waits there: BrokenBarrierError there, and the barrier is not broken', async () => {
    const barrier = new Barrier(2);
    const report = new Queue<unknown>();
    const party = runner.start(more.barrierWait, barrier, report);
    expect(await report.get()).toBe('waiting');
    await waitingAt(barrier, 1);
    barrier.reset();
    expect(await report.get({ timeout: 20_000 })).toMatch(/^BrokenBarrierError/);
    expect(barrier.broken).toBe(false);
    await party.done;
  });
});

describe('a party that dies waiting at a Barrier', () => {
  let runner: Runner = runnerNames[0]!.make();
  afterEach(async () => {
    await runner.dispose();
    runner = runnerNames[0]!.make();
  });

  it('SIGKILLed while it waits: the others get BrokenBarrierError instead of waiting forever', async () => {
    const barrier = new Barrier(4);
    const report = new Queue<unknown>();
    const doomed = runner.start(more.barrierWaitForever, barrier, report);
    expect(typeof (await report.get())).toBe('number');
    const other = runner.start(more.barrierWait, barrier, report);
    expect(await report.get()).toBe('waiting');
    await waitingAt(barrier, 2);
    const mine = barrier.wait().then(
      () => 'released',
      (error: unknown) => error,
    );
    await waitingAt(barrier, 3);
    await doomed.kill();
    expect(await mine).toBeInstanceOf(BrokenBarrierError);
    expect(await report.get({ timeout: 20_000 })).toMatch(/^BrokenBarrierError/);
    expect(barrier.broken).toBe(true);
    await other.done;
    // Mended, it works with the living.
    barrier.reset();
    const indices = await Promise.all([barrier.wait(), barrier.wait(), barrier.wait(), barrier.wait()]);
    expect(indices.sort()).toEqual([0, 1, 2, 3]);
  });

  it('SIGKILLed while it waits alone: the next party to arrive gets BrokenBarrierError, not a round that counts the dead', async () => {
    const barrier = new Barrier(2);
    const report = new Queue<unknown>();
    const doomed = runner.start(more.barrierRounds, barrier, report, 2);
    expect(await barrier.wait()).toBeGreaterThanOrEqual(0);
    expect(await report.get()).toHaveLength(4);
    // Now waiting in its second round, alone.
    await waitingAt(barrier, 1);
    await doomed.kill();
    await expect(barrier.wait()).rejects.toBeInstanceOf(BrokenBarrierError);
    barrier.reset();
    expect(await Promise.all([barrier.wait(), barrier.wait()])).toHaveLength(2);
  });
});
