/**
 * No child outlives its pool, and an idle pool never keeps its parent alive (issue point 8).
 *
 * The parent/child cases need a parent that can die: `fixtures/process-parent.mjs` runs as a
 * real child of this test, makes a pool, prints its children's pids, and then exits, throws,
 * or waits for a signal. The test then polls (bounded) until those children are gone.
 * Children that lose their parent are adopted (and reaped) by init, so a zombie counts as
 * gone there; the pool's own children must be reaped by the pool (see process-harness.ts).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { isAlive, pidExists, PoolTracker, POLL_LIMIT_MS, ptasks, waitGone, waitUntil } from './fixtures/process-harness.js';

const PARENT = fileURLToPath(new URL('./fixtures/process-parent.mjs', import.meta.url));

const tracker = new PoolTracker();
const parents: ChildProcess[] = [];
const orphans: number[] = [];

afterEach(async () => {
  // Whatever a failed test left behind: the parent scripts, then their children.
  for (const parent of parents.splice(0)) if (parent.exitCode === null && parent.signalCode === null) parent.kill('SIGKILL');
  for (const pid of orphans.splice(0)) if (isAlive(pid)) process.kill(pid, 'SIGKILL');
  await tracker.dispose();
});

interface Parent {
  readonly child: ChildProcess;
  /** The pool's children, once the parent has printed them, and whether each was alive then. */
  readonly pids: Promise<{ pids: number[]; alive: boolean[] }>;
  /** Every JSON line the parent printed. */
  readonly lines: unknown[];
  /** Resolves with how the parent ended. */
  readonly exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stderr(): string;
}

function startParent(scenario: string): Parent {
  const child = spawn(process.execPath, [PARENT, scenario], { stdio: ['ignore', 'pipe', 'pipe'] });
  parents.push(child);
  const lines: unknown[] = [];
  let stderr = '';
  let buffered = '';
  let gotPids: (pids: number[], alive: boolean[]) => void = () => {};
  const pids = new Promise<{ pids: number[]; alive: boolean[] }>((resolve) => (gotPids = (p, alive) => resolve({ pids: p, alive })));
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    buffered += chunk;
    for (let newline = buffered.indexOf('\n'); newline !== -1; newline = buffered.indexOf('\n')) {
      const line = buffered.slice(0, newline);
      buffered = buffered.slice(newline + 1);
      const parsed = JSON.parse(line) as { pids?: number[]; alive?: boolean[] };
      lines.push(parsed);
      if (parsed.pids !== undefined) {
        orphans.push(...parsed.pids);
        gotPids(parsed.pids, parsed.alive ?? []);
      }
    }
  });
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  // A parent that dies before printing its children must fail the test, not hang it.
  // 'close', not 'exit': 'exit' may come before the last of stdout has been read.
  child.on('close', () => gotPids([], []));
  return { child, pids, lines, exit, stderr: () => stderr };
}

/** Resolves with how the parent ended, or throws if it is still running after the poll limit. */
async function exitWithin(parent: Parent, limit = POLL_LIMIT_MS): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`the parent did not exit within ${limit} ms: something keeps it alive`)), limit);
  });
  try {
    return await Promise.race([parent.exit, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

async function childrenOf(parent: Parent): Promise<number[]> {
  const { pids, alive } = await parent.pids;
  expect(pids, `the parent printed no pids; its stderr: ${parent.stderr()}`).toHaveLength(2);
  // The parent checked them itself: with 'exit' they may already be gone by now.
  expect(alive).toEqual([true, true]);
  return pids;
}

describe('ProcessPoolExecutor - process hygiene', () => {
  it('an idle pool does not keep its parent alive: the script ends by itself, and the children go', async () => {
    const parent = startParent('exit');
    const pids = await childrenOf(parent);
    expect(await exitWithin(parent)).toEqual({ code: 0, signal: null });
    await waitGone(pids);
  });

  it('an armed idleTimeout does not keep the parent alive either', async () => {
    const parent = startParent('exit-idle-timeout');
    const pids = await childrenOf(parent);
    expect(await exitWithin(parent)).toEqual({ code: 0, signal: null });
    await waitGone(pids);
  });

  it('running work keeps the parent alive until it finishes', async () => {
    const parent = startParent('busy');
    const pids = await childrenOf(parent);
    expect(await exitWithin(parent)).toEqual({ code: 0, signal: null });
    const result = parent.lines.find((line): line is { result: number } => typeof line === 'object' && line !== null && 'result' in line);
    expect(pids).toContain(result?.result);
    await waitGone(pids);
  });

  it('the parent SIGKILLed while its children are idle: they notice the closed channel and exit', async () => {
    const parent = startParent('wait');
    const pids = await childrenOf(parent);
    parent.child.kill('SIGKILL');
    expect(await exitWithin(parent)).toEqual({ code: null, signal: 'SIGKILL' });
    await waitGone(pids);
  });

  it('the parent SIGKILLed while its children are busy in endless tasks: their parent watch kills them', async () => {
    const parent = startParent('spin');
    const pids = await childrenOf(parent);
    const spinning = (): number[] =>
      parent.lines.flatMap((line) => (typeof line === 'object' && line !== null && 'spinning' in line ? [line.spinning as number] : []));
    await waitUntil(() => spinning().length === 2, 'both children are in their endless task');
    expect(spinning().sort()).toEqual([...pids].sort());
    parent.child.kill('SIGKILL');
    expect(await exitWithin(parent)).toEqual({ code: null, signal: 'SIGKILL' });
    await waitGone(pids);
  });

  it.each([['SIGTERM' as const], ['SIGINT' as const]])('the parent killed by %s: its children go', async (signal) => {
    const parent = startParent('wait');
    const pids = await childrenOf(parent);
    parent.child.kill(signal);
    expect(await exitWithin(parent)).toEqual({ code: null, signal });
    await waitGone(pids);
  });

  it('an uncaught exception in the parent: its children go', async () => {
    const parent = startParent('throw');
    const pids = await childrenOf(parent);
    expect(await exitWithin(parent)).toEqual({ code: 1, signal: null });
    expect(parent.stderr()).toContain('the parent crashed');
    await waitGone(pids);
  });
});

describe('ProcessPoolExecutor - idleTimeout', () => {
  it('idleTimeout - an idle child exits (workerExit); a later submit starts a new one', async () => {
    const { pool, started, exited } = tracker.make({ maxWorkers: 1, idleTimeout: 200 });
    const first = await pool.submit(ptasks.pid);
    await waitUntil(() => exited.length === 1, 'the idle child exited');
    expect(exited[0]).toMatchObject({ pid: first, exitCode: 0, signal: null });
    await waitUntil(() => !pidExists(first), 'the idle child was reaped');
    expect(pool.stats.workers).toBe(0);
    const second = await pool.submit(ptasks.pid);
    expect(second).not.toBe(first);
    expect(started.map((info) => info.pid)).toEqual([first, second]);
  });

  it('idleTimeout - a busy child is not retired: the clock starts when it becomes idle', async () => {
    const scratch = await tracker.scratch();
    const { pool, exited } = tracker.make({ maxWorkers: 1, idleTimeout: 200 });
    const gate = scratch.gate();
    const mark = scratch.mark();
    const running = pool.submit(ptasks.markThenWait, mark, gate.path);
    await scratch.waitFor(mark);
    // Several idle periods long, while busy.
    await new Promise((resolve) => setTimeout(resolve, 800));
    expect(exited).toEqual([]);
    gate.open();
    expect(await running).toBe('opened');
    await waitUntil(() => exited.length === 1, 'the child, now idle, exited');
  });
});
