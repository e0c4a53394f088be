/**
 * Queue: the order in which consumers elsewhere (and the owner thread's own gets) see items,
 * when the owner pushes items ahead to remote consumers and takes back what one of them sits on.
 *
 * What the queue promises, and what these tests hold it to:
 * 1. Each consumer sees each producer's items in the order they were put: it is never given an
 *    item older than one it already took (items left by a consumer that died or closed its
 *    handle may come out of order; they are not lost).
 * 2. The sentinel pattern works: N items, then one `null` per consumer, and every item is taken,
 *    also when a consumer joins late, when consumers are slow, in threads and in processes.
 * 3. A consumer that stops getting (alive) keeps no item that a waiting consumer may take.
 * 4. A slow consumer does not hoard: a fast one beside it takes most of the items.
 *
 * The scenes are set with latches (report queues, a `go` or `step` queue the test fills, a file
 * that a consumer blocked in synchronous work waits for), never by waiting for time to pass;
 * every get that waits has a bound far above any honest delay, so a stall fails as `Empty`
 * instead of hanging.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { Empty, Queue } from '../src/index.js';
import { type Runner, runnerNames, stasks } from './fixtures/sharing-harness.js';

/** What consumer tasks report: [consumer, item], item `null` for the sentinel. */
type Report = [string, number | null];
/** The same for items [producer, i] put by producers elsewhere. */
type TaggedReport = [string, [string, number] | null];

/** Far above any honest wait on these machines, well below the test timeout. */
const STALL_MS = 20_000;

const range = (from: number, to: number): number[] => Array.from({ length: to - from }, (_, i) => from + i);

/** Takes `n` items from `q`, each within {@link STALL_MS}. */
async function take<T>(q: Queue<T>, n: number): Promise<T[]> {
  const got: T[] = [];
  for (let i = 0; i < n; i++) got.push(await q.get({ timeout: STALL_MS }));
  return got;
}

/**
 * Takes up to `n` items from `q`, and stops early at one that does not come within
 * {@link STALL_MS}: compared with what was due, a stall shows as the items it left behind.
 */
async function takeUpTo<T>(q: Queue<T>, n: number): Promise<T[]> {
  const got: T[] = [];
  try {
    while (got.length < n) got.push(await q.get({ timeout: STALL_MS }));
  } catch (error) {
    if (!(error instanceof Empty)) throw error;
  }
  return got;
}

/**
 * Adds reports to `got` until it holds `count` sentinels, or until one does not come within
 * {@link STALL_MS}: the checks that follow then say what is missing.
 */
async function takeSentinels<T extends [string, unknown]>(q: Queue<T>, got: T[], count: number): Promise<void> {
  try {
    while (got.filter(([, item]) => item === null).length < count) got.push(await q.get({ timeout: STALL_MS }));
  } catch (error) {
    if (!(error instanceof Empty)) throw error;
  }
}

/** Puts one sentinel for each of the consumers c1 and c2, and checks that both stopped at one. */
async function stopBoth<T extends [string, unknown]>(q: Queue<unknown>, report: Queue<T>, got: T[]): Promise<void> {
  await q.put(null);
  await q.put(null);
  await takeSentinels(report, got, 2);
  expect(stopped(got)).toEqual(['c1', 'c2']);
}

/** Who reported a sentinel, sorted. */
const stopped = (got: readonly [string, unknown][]): string[] =>
  got
    .filter(([, item]) => item === null)
    .map(([consumer]) => consumer)
    .sort();

/** Takes reports until one matches `last` (included). */
async function takeUntil<T>(q: Queue<T>, last: (report: T) => boolean): Promise<T[]> {
  const got: T[] = [];
  for (;;) {
    const report = await q.get({ timeout: STALL_MS });
    got.push(report);
    if (last(report)) return got;
  }
}

/** The places where `seen` goes back: [before, after] pairs, the first few. */
function goesBack(seen: readonly number[]): [number, number][] {
  const pairs: [number, number][] = [];
  for (let i = 1; i < seen.length && pairs.length < 5; i++) if (seen[i]! < seen[i - 1]!) pairs.push([seen[i - 1]!, seen[i]!]);
  return pairs;
}

/**
 * Items 0..n-1 (put by one producer) were each taken exactly once, each consumer saw them in
 * increasing order, and each consumer that reported `null` reported it last.
 */
function expectTakenOnceInOrder(reports: readonly Report[], n: number): void {
  const items = reports.filter((report): report is [string, number] => report[1] !== null);
  expect(items.map(([, i]) => i).sort((a, b) => a - b)).toEqual(range(0, n));
  for (const consumer of new Set(reports.map(([c]) => c))) {
    const mine = reports.filter(([c]) => c === consumer);
    const seen = mine.filter((report): report is [string, number] => report[1] !== null).map(([, i]) => i);
    expect(goesBack(seen), `${consumer} was given an item older than one it took`).toEqual([]);
    const sentinels = mine.flatMap(([, item], at) => (item === null ? [at] : []));
    expect(sentinels.every((at) => at === mine.length - 1), `${consumer} took an item after its sentinel`).toBe(true);
  }
}

/** The same for items [producer, i], `n` per producer, in order per consumer and producer. */
function expectTaggedTakenOnceInOrder(reports: readonly TaggedReport[], producers: readonly string[], n: number): void {
  const items = reports.filter((report): report is [string, [string, number]] => report[1] !== null);
  expect(items).toHaveLength(producers.length * n);
  expect(new Set(items.map(([, [p, i]]) => `${p}:${i}`)).size).toBe(producers.length * n);
  for (const consumer of new Set(reports.map(([c]) => c))) {
    for (const producer of producers) {
      const seen = items.filter(([c, [p]]) => c === consumer && p === producer).map(([, [, i]]) => i);
      expect(goesBack(seen), `${consumer} was given an item of ${producer} older than one it took`).toEqual([]);
    }
  }
}

/** Reports that come within `ms` of the one before, until one does not: what arrives while the test expects quiet. */
async function quietFor<T>(q: Queue<T>, ms: number): Promise<T[]> {
  const got: T[] = [];
  try {
    for (;;) got.push(await q.get({ timeout: ms }));
  } catch (error) {
    if (!(error instanceof Empty)) throw error;
  }
  return got;
}

/**
 * The files a consumer in `consumeThenBlock` writes once it blocks its event loop (`blocked`)
 * and waits for (`release`): a latch that needs no event loop on the consumer's side.
 */
class FileLatch {
  readonly #dir = mkdtempSync(join(tmpdir(), 'queue-order-'));
  readonly blocked = join(this.#dir, 'blocked');
  readonly release = join(this.#dir, 'release');

  /** Resolves once the consumer has blocked (a poll of the file system: its event loop cannot tell us). */
  async untilBlocked(): Promise<void> {
    const deadline = performance.now() + STALL_MS;
    while (!existsSync(this.blocked)) {
      if (performance.now() > deadline) throw new Error('the consumer never blocked');
      await sleep(5);
    }
  }

  open(): void {
    if (existsSync(this.#dir)) writeFileSync(this.release, '');
  }

  remove(): void {
    rmSync(this.#dir, { recursive: true, force: true });
  }
}

describe.each(runnerNames)('Queue item order $name', ({ make }) => {
  let runner: Runner = make();
  let latches: FileLatch[] = [];
  const latch = (): FileLatch => {
    const made = new FileLatch();
    latches.push(made);
    return made;
  };
  afterEach(async () => {
    // A consumer blocked on a latch is let go first: a blocked thread cannot be terminated.
    for (const made of latches) made.open();
    await runner.dispose();
    for (const made of latches) made.remove();
    latches = [];
    runner = make();
  });

  /**
   * c1 takes a stream alone (its window grows), then blocks in synchronous work with items
   * pushed to it; c2 takes everything else, up to the newest item. Returns what each reported.
   */
  async function runPast(q: Queue<number | null>, report: Queue<Report>, n: number, first: number) {
    for (let i = 0; i < n; i++) await q.put(i);
    const blocked = latch();
    const c1 = runner.start(stasks.consumeThenBlock, q, report, 'c1', first, blocked.blocked, blocked.release);
    await blocked.untilBlocked();
    const c2 = runner.start(stasks.consume, q, report, 'c2');
    const got = await takeUntil(report, ([c, item]) => c === 'c2' && item === n - 1);
    const c2Took = got.filter(([c]) => c === 'c2').map(([, i]) => i!);
    // The scene: c1 held items (pushed, not taken) when c2 came, and c2 ran past them.
    expect(c2Took[0]).toBeGreaterThan(first);
    expect(c2Took).toEqual(range(c2Took[0]!, n));
    return { c1, c2, blocked, got, c2First: c2Took[0]! };
  }

  it('.get() - a consumer that ran past the items another holds (blocked in synchronous work) is never given them', async () => {
    const q = new Queue<number | null>();
    const report = new Queue<Report>();
    const n = 10_000;
    const first = 2_000;
    const { c1, c2, blocked, got, c2First } = await runPast(q, report, n, first);
    // c2 waits now, and all that is left is older than what it took: it is given none of it.
    expect(await quietFor(report, 300)).toEqual([]);
    blocked.open();
    while (got.length < n) got.push(await report.get({ timeout: STALL_MS }));
    expect(got.filter(([c, i]) => c === 'c1' && i! >= first).map(([, i]) => i)).toEqual(range(first, c2First));
    await stopBoth(q, report, got);
    expectTakenOnceInOrder(got, n);
    await Promise.all([c1.done, c2.done]);
  });

  it("the owner thread's gets are one consumer: they are never given items older than one they took", async () => {
    const q = new Queue<number | null>();
    const report = new Queue<Report>();
    const n = 10_000;
    const first = 2_000;
    for (let i = 0; i < n; i++) await q.put(i);
    const blocked = latch();
    const c1 = runner.start(stasks.consumeThenBlock, q, report, 'c1', first, blocked.blocked, blocked.release);
    await blocked.untilBlocked();
    const mine: number[] = [];
    do {
      mine.push((await q.get({ timeout: STALL_MS }))!);
    } while (mine.at(-1) !== n - 1);
    expect(mine[0]).toBeGreaterThan(first);
    expect(mine).toEqual(range(mine[0]!, n));
    // What c1 holds is older than every item taken here: a get here waits, and gets none of it.
    await expect(q.get({ timeout: 300 })).rejects.toBeInstanceOf(Empty);
    blocked.open();
    await q.put(null);
    const c1Took = await takeUntil(report, ([, item]) => item === null);
    expect(c1Took).toEqual([...range(0, mine[0]!).map((i) => ['c1', i]), ['c1', null]]);
    await c1.done;
  });

  it.each([
    ['c1, blocked in synchronous work on a window of older items, goes on as soon as the sentinels are in', 'blocked', 'at once'],
    ['c1, blocked on a window of older items, goes on only once c2 has stopped at its sentinel (c2 stays alive)', 'blocked', 'after c2'],
    ['c1 waits (its event loop free) and goes on only once c2 has stopped at its sentinel (c2 stays alive)', 'waits', 'after c2'],
  ] as const)('sentinels - c2 joins after c1 took a stream; %s: every item is taken, none after a sentinel', async (_, how, when) => {
    const q = new Queue<number | null>();
    const report = new Queue<Report>();
    const go = new Queue<string>();
    // More items than any window, so that c2 finds items c1 was not pushed.
    const n = 8_000;
    const first = 2_000;
    for (let i = 0; i < n; i++) await q.put(i);
    // c1 takes a stream alone (its window grows), then stops with what was pushed to it ahead.
    const blocked = latch();
    const c1 =
      how === 'blocked'
        ? runner.start(stasks.consumeThenBlock, q, report, 'c1', first, blocked.blocked, blocked.release)
        : runner.start(stasks.consumeGated, q, report, 'c1', first, go);
    const got: Report[] = [];
    if (how === 'blocked') await blocked.untilBlocked();
    else got.push(...(await take(report, first)));
    // c2 joins and takes items; the sentinels come behind them.
    const c2 = runner.start(when === 'at once' ? stasks.consume : stasks.consumeThenHang, q, report, 'c2');
    got.push(...(await takeUntil(report, ([c]) => c === 'c2')));
    await q.put(null);
    await q.put(null);
    if (when === 'after c2') got.push(...(await takeUntil(report, ([c, item]) => c === 'c2' && item === null)));
    if (how === 'blocked') blocked.open();
    else await go.put('go');
    await takeSentinels(report, got, 2);
    expect(stopped(got)).toEqual(['c1', 'c2']);
    expectTakenOnceInOrder(got, n);
    await c1.done;
    if (when === 'at once') await c2.done;
  });

  it('sentinels - two slow consumers (the second joins late) take every item and stop', async () => {
    const q = new Queue<number | null>();
    const report = new Queue<Report>();
    const n = 300;
    for (let i = 0; i < n; i++) await q.put(i);
    const c1 = runner.start(stasks.consumeSlowly, q, report, 'c1', 3);
    const got = await take(report, 1);
    const c2 = runner.start(stasks.consumeSlowly, q, report, 'c2', 3);
    await stopBoth(q, report, got);
    expectTakenOnceInOrder(got, n);
    await Promise.all([c1.done, c2.done]);
  });

  it('sentinels - 2 producers and 2 consumers elsewhere, the second consumer late, round after round: nothing stalls, order per producer holds', async () => {
    for (let round = 0; round < 3; round++) {
      const q = new Queue<[string, number] | null>();
      const report = new Queue<TaggedReport>();
      const n = 2_000;
      const c1 = runner.start(stasks.consume, q, report, 'c1');
      const producers = ['p1', 'p2'].map((tag) => runner.start(stasks.produce, q, tag, n));
      // c2 comes once c1 took something (and may hold a window of what the producers put).
      const got = await take(report, 1);
      const c2 = runner.start(stasks.consume, q, report, 'c2');
      await Promise.all(producers.map((p) => p.done));
      await stopBoth(q, report, got);
      expectTaggedTakenOnceInOrder(got, ['p1', 'p2'], n);
      await Promise.all([c1.done, c2.done]);
      await runner.dispose();
      runner = make();
    }
  });

  it('a consumer that stops getting (alive) keeps nothing from one that joins later: it takes the rest, in order', async () => {
    const q = new Queue<number | null>();
    const ready = new Queue<string>();
    const idleReport = new Queue<number>();
    const report = new Queue<Report>();
    const n = 500;
    runner.start(stasks.takeOneThenHang, q, ready, idleReport);
    expect(await ready.get({ timeout: STALL_MS })).toBe('ready');
    for (let i = 0; i < n; i++) await q.put(i);
    expect(await idleReport.get({ timeout: STALL_MS })).toBe(0);
    // Item 1 on was put after the idle consumer's get returned: it may have been pushed some ahead.
    const late = runner.start(stasks.consume, q, report, 'late');
    expect(await takeUpTo(report, n - 1)).toEqual(range(1, n).map((i) => ['late', i]));
    await q.put(null);
    expect(await report.get({ timeout: STALL_MS })).toEqual(['late', null]);
    await late.done;
    expect(await q.qsize()).toBe(0);
  });

  it("a consumer that stops getting (alive) keeps nothing from the owner thread's gets: they take the rest, in order", async () => {
    const q = new Queue<number>();
    const ready = new Queue<string>();
    const idleReport = new Queue<number>();
    const n = 500;
    runner.start(stasks.takeOneThenHang, q, ready, idleReport);
    expect(await ready.get({ timeout: STALL_MS })).toBe('ready');
    for (let i = 0; i < n; i++) await q.put(i);
    expect(await idleReport.get({ timeout: STALL_MS })).toBe(0);
    expect(await takeUpTo(q, n - 1)).toEqual(range(1, n));
    await expect(q.getNowait()).rejects.toBeInstanceOf(Empty);
  });

  it('a consumer idle after its sentinel (alive, handle open) keeps nothing put later from another consumer', async () => {
    const q = new Queue<number | null>();
    const report = new Queue<Report>();
    const n = 300;
    runner.start(stasks.consumeThenHang, q, report, 'idle');
    await q.put(-1);
    await q.put(null);
    expect(await take(report, 2)).toEqual([
      ['idle', -1],
      ['idle', null],
    ]);
    // Its window is still open: what is put now may be pushed to it, and must come back.
    for (let i = 0; i < n; i++) await q.put(i);
    const other = runner.start(stasks.consume, q, report, 'other');
    expect(await takeUpTo(report, n)).toEqual(range(0, n).map((i) => ['other', i]));
    await q.put(null);
    expect(await report.get({ timeout: STALL_MS })).toEqual(['other', null]);
    await other.done;
  });

  it('a consumer that closes its handle gives back what was pushed to it: another takes all of it (in any order)', async () => {
    const q = new Queue<number | null>();
    const closerReport = new Queue<number | string>();
    const go = new Queue<string>();
    const report = new Queue<Report>();
    const n = 200;
    runner.start(stasks.takeOneThenClose, q, closerReport, go);
    await q.put(0);
    expect(await closerReport.get({ timeout: STALL_MS })).toBe(0);
    // Put while its handle is open after a get: some are pushed to it, and it closes on them.
    for (let i = 1; i < n; i++) await q.put(i);
    await go.put('go');
    expect(await closerReport.get({ timeout: STALL_MS })).toBe('closed');
    const other = runner.start(stasks.consume, q, report, 'other');
    const got = await takeUpTo(report, n - 1);
    expect(got.map(([, i]) => i).sort((a, b) => a! - b!)).toEqual(range(1, n));
    await q.put(null);
    expect(await report.get({ timeout: STALL_MS })).toEqual(['other', null]);
    await other.done;
  });

  it('a slow consumer does not hoard: the fast one beside it takes most of the items', async () => {
    const q = new Queue<number | null>();
    const report = new Queue<Report>();
    const step = new Queue<string>();
    const n = 400;
    // The slow consumer takes an item, then waits for a step this test gives: at most one per
    // four items the fast one took, and at least SLOW_GAP_MS apart (slow by the clock as well).
    const SLOW_GAP_MS = 5;
    const PER_STEP = 4;
    // Once this few items are left, the slow one is let go: what it sits on is what the fast one
    // could not take. More than this held by it stalls the fast one, and fails as Empty.
    const HOARD = 10;
    const slow = runner.start(stasks.consumeStepped, q, report, 'slow', step);
    await q.put(0);
    expect(await report.get({ timeout: STALL_MS })).toEqual(['slow', 0]);
    const fast = runner.start(stasks.consume, q, report, 'fast');
    await q.put(1);
    await q.put(2);
    const got: Report[] = [['slow', 0], ...(await takeUntil(report, ([c]) => c === 'fast'))];
    for (let i = 3; i < n; i++) await q.put(i);
    let fastSinceStep = 0;
    let lastStep = performance.now();
    let letGo = false;
    while (got.length < n) {
      const [consumer, item] = await report.get({ timeout: STALL_MS });
      got.push([consumer, item]);
      if (consumer === 'fast') fastSinceStep++;
      if (!letGo && n - got.length <= HOARD) {
        letGo = true;
        for (let i = 0; i <= HOARD; i++) await step.put('step');
      } else if (!letGo && fastSinceStep >= PER_STEP && performance.now() - lastStep >= SLOW_GAP_MS) {
        fastSinceStep = 0;
        lastStep = performance.now();
        await step.put('step');
      }
    }
    const fastTook = got.filter(([c]) => c === 'fast').length;
    expect(fastTook).toBeGreaterThanOrEqual((2 * n) / 3);
    await q.put(null);
    await q.put(null);
    got.push(...(await take(report, 2)));
    expectTakenOnceInOrder(got, n);
    await Promise.all([slow.done, fast.done]);
  });
});
