/**
 * Process on real children: exit codes as Python reports them (0, 1, n, -15, -9), join with
 * and without a timeout, the assertion errors, currentProcess() in the child, and the
 * daemon rules at parent exit (a separate parent program, run with `node`).
 */
import { AssertionError } from 'node:assert';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { activeChildren, cpuCount, currentProcess, Process } from '../src/index.js';
import { loose, Scratch, tasks, waitUntil } from './fixtures/harness.js';

const PARENT = fileURLToPath(new URL('./fixtures/daemon-parent.mjs', import.meta.url));

let scratch: Scratch | undefined;
const started: Process[] = [];
const orphans: number[] = [];

afterEach(async () => {
  scratch?.openAll();
  for (const child of activeChildren()) child.kill();
  await Promise.all(started.splice(0).map((child) => (child.pid === null ? Promise.resolve() : child.join())));
  for (const pid of orphans.splice(0)) if (isAlive(pid)) process.kill(pid, 'SIGKILL');
  await scratch?.remove();
  scratch = undefined;
  expect(activeChildren()).toEqual([]);
});

async function newScratch(): Promise<Scratch> {
  scratch = await Scratch.create();
  return scratch;
}

function make<A extends unknown[]>(options: ConstructorParameters<typeof Process<A>>[0]): Process<A> {
  const child = new Process(options);
  started.push(child);
  return child;
}

/** Alive and not a zombie (an orphan is reaped by whoever adopts it, not by us). */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

describe('Process', () => {
  it('.start() / .join() - exitcode 0 when the target returns; the child knows its name and args', async () => {
    const s = await newScratch();
    const out = s.path('report');
    const child = make({ target: tasks.report, args: [out, 1, 'two', { three: 3 }], name: 'reporter' });
    expect(child.pid).toBeNull();
    expect(child.exitcode).toBeNull();
    expect(child.isAlive()).toBe(false);
    child.start();
    expect(child.pid).toEqual(expect.any(Number));
    expect(child.isAlive()).toBe(true);
    expect(activeChildren()).toContain(child);
    await child.join();
    expect(child.exitcode).toBe(0);
    expect(child.isAlive()).toBe(false);
    expect(activeChildren()).not.toContain(child);
    const report = JSON.parse(await s.read(out)) as { name: string; daemon: boolean; pid: number; args: unknown[] };
    expect(report).toEqual({ name: 'reporter', daemon: false, pid: child.pid, args: [1, 'two', { three: 3 }] });
  });

  it('.start() - a self-contained function target, and the default name Process-N', async () => {
    const s = await newScratch();
    const out = s.path('out');
    const child = make({
      target: async (path: string) => {
        const { writeFileSync } = await import('node:fs');
        writeFileSync(path, 'from a shipped function');
      },
      args: [out],
    });
    expect(child.name).toMatch(/^Process-\d+$/);
    child.start();
    await child.join();
    expect(child.exitcode).toBe(0);
    expect(await s.read(out)).toBe('from a shipped function');
  });

  it('.exitcode - 1 when the target throws, n after process.exit(n)', async () => {
    const failing = make({ target: tasks.fail, args: ['expected failure (this stderr output is part of the test)'] });
    const exiting = make({ target: tasks.exitWith, args: [3] });
    failing.start();
    exiting.start();
    await Promise.all([failing.join(), exiting.join()]);
    expect(failing.exitcode).toBe(1);
    expect(exiting.exitcode).toBe(3);
  });

  it('.terminate() / .kill() - exitcode is minus the signal number (-15, -9)', async () => {
    const s = await newScratch();
    const marks = [s.path('mark'), s.path('mark')];
    const terminated = make({ target: tasks.markThenHang, args: [marks[0] as string] });
    const killed = make({ target: tasks.markThenHang, args: [marks[1] as string] });
    terminated.start();
    killed.start();
    await Promise.all(marks.map((mark) => s.waitFor(mark)));
    terminated.terminate();
    killed.kill();
    await Promise.all([terminated.join(), killed.join()]);
    expect(terminated.exitcode).toBe(-15);
    expect(killed.exitcode).toBe(-9);
    terminated.terminate(); // after the exit: nothing happens
  });

  it('.join(timeout) - resolves while the child still runs; exitcode stays null', async () => {
    const s = await newScratch();
    const mark = s.path('mark');
    const gate = s.gate();
    const child = make({ target: tasks.gated, args: [{ mark, gate: gate.path, value: 'x' }] });
    child.start();
    await s.waitFor(mark);
    await child.join(20);
    expect(child.isAlive()).toBe(true);
    expect(child.exitcode).toBeNull();
    gate.open();
    await child.join();
    expect(child.exitcode).toBe(0);
  });

  it('.start() twice throws "cannot start a process twice"; join before start rejects', async () => {
    const child = make({ target: tasks.square, args: [2] });
    await expect(child.join()).rejects.toThrow(AssertionError);
    await expect(child.join()).rejects.toThrow(/^can only join a started process$/);
    expect(() => child.terminate()).toThrow(AssertionError);
    child.start();
    expect(() => child.start()).toThrow(AssertionError);
    expect(() => child.start()).toThrow(/^cannot start a process twice$/);
    expect(() => {
      child.daemon = true;
    }).toThrow(/process has already started/);
    await child.join();
    expect(child.exitcode).toBe(0);
  });

  it('bad input - a target that cannot be sent, or arguments that cannot be cloned', async () => {
    expect(() => new Process({ target: loose<() => void>(42) })).toThrow(TypeError);
    expect(() => new Process({ target: Math.max.bind(null) })).toThrow(/bound function/);
    expect(() => new Process({ target: class Foo {} as unknown as () => void })).toThrow(/class/);
    expect(() => new Process(loose<object>({ targte: tasks.square }))).toThrow(/unknown option `targte`/);
    expect(() => new Process({ target: tasks.square, args: loose<[number]>(5) })).toThrow(TypeError);
    const child = make({ target: tasks.identity, args: [() => 1] });
    expect(() => child.start()).toThrow(TypeError);
    expect(child.pid).toBeNull(); // not started
    expect(activeChildren()).not.toContain(child);
  });

  it('no target - the child just exits with 0', async () => {
    const child = make({});
    child.start();
    await child.join();
    expect(child.exitcode).toBe(0);
  });

  it('currentProcess() / cpuCount() - in the parent', () => {
    const me = currentProcess();
    expect(me).toMatchObject({ name: 'MainProcess', pid: process.pid, ident: process.pid, daemon: false });
    // A random 32-byte key, the same at every call (a copy each time).
    expect(me.authkey).toHaveLength(32);
    expect(currentProcess().authkey.equals(me.authkey)).toBe(true);
    expect(cpuCount()).toBeGreaterThanOrEqual(1);
  });

  it('daemon - a daemon child is stopped when the parent exits; a non-daemon one is waited for', async () => {
    const s = await newScratch();
    const daemonMark = s.path('daemon');
    const workerMark = s.path('worker');
    const gate = s.gate();
    const parent = spawn(process.execPath, [PARENT, daemonMark, gate.path, workerMark], { stdio: ['ignore', 'pipe', 'inherit'] });
    let stdout = '';
    parent.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    const exited = new Promise<number | null>((resolve) => parent.on('close', (code) => resolve(code)));
    try {
      await s.waitFor(daemonMark);
      await s.waitFor(workerMark);
      const { daemon, worker } = JSON.parse(stdout.split('\n')[0] ?? '') as { daemon: number; worker: number };
      orphans.push(daemon, worker);
      // Both children run, and the parent has nothing left to do but wait for the non-daemon.
      expect(parent.exitCode).toBeNull();
      expect(isAlive(daemon)).toBe(true);
      gate.open();
      expect(await exited).toBe(0);
      const atExit = JSON.parse(stdout.trim().split('\n').at(-1) ?? '') as { workerExitcode: number; daemonAlive: boolean };
      expect(atExit.workerExitcode).toBe(0); // the parent exited only after the non-daemon did
      await waitUntil(() => !isAlive(daemon), `the daemon (pid ${daemon}) is gone after its parent exited`);
      expect(isAlive(worker)).toBe(false);
    } finally {
      if (parent.exitCode === null) parent.kill('SIGKILL');
    }
  });
});
