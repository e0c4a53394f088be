/**
 * Subclasses of Process that override run() (issue 14): the child imports the subclass's
 * module, rebuilds the instance from its public fields and runs its run().
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { moduleTasks } from '@concurrent/futures';
import { describe, expect, it } from 'vitest';
import { Pipe, Process, Queue } from '../src/index.js';
import { Failing, Job, LoudReporter, Reporter, SelfReport, TargetKeeper, WithPrivate } from './fixtures/subclasses.mjs';
import type * as SharingTasks from './fixtures/sharing-tasks.mjs';

const run = promisify(execFile);
const stasks = moduleTasks<typeof SharingTasks>(new URL('./fixtures/sharing-tasks.mjs', import.meta.url));

describe('Process subclasses', () => {
  it("run() - the article's subclass prints its own pid, in the child", async () => {
    const script = `
      import { PidProcess } from ${JSON.stringify(new URL('./fixtures/subclasses.mjs', import.meta.url).href)};
      const ps = [1, 2, 3].map(() => new PidProcess());
      for (const p of ps) p.start();
      for (const p of ps) await p.join();
      console.log('pids', ps.map((p) => p.pid).join(' '), 'codes', ps.map((p) => p.exitcode).join(' '));
    `;
    const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], { timeout: 60_000 });
    const lines = stdout.trim().split('\n');
    const pids = /pids (\d+) (\d+) (\d+) codes 0 0 0/.exec(lines.at(-1) ?? '')?.slice(1);
    expect(pids).toHaveLength(3);
    expect(lines.slice(0, -1).sort()).toEqual(pids!.map((pid) => `The pid of this process is ${pid}`).sort());
  });

  it('run() - constructor arguments and fields set before start() reach the child; a queue among them is the same queue', async () => {
    const report = new Queue<Record<string, unknown>>();
    const p = new Reporter(report, 'a');
    p.extra = new Map([['k', 1]]);
    p.start();
    const got = await report.get();
    await p.join();
    expect(p.exitcode).toBe(0);
    expect(got).toEqual({ label: 'a', nested: { list: [1, 2, { deep: true }] }, name: 'reporter-a', extra: new Map([['k', 1]]), pid: p.pid, isReporter: true });
  });

  it('run() - a subclass of a subclass runs as itself', async () => {
    const report = new Queue<Record<string, unknown>>();
    const p = new LoudReporter(report, 'b');
    p.start();
    expect(await report.get()).toMatchObject({ label: 'b', isReporter: true });
    await p.join();
    expect(p.exitcode).toBe(0);
  });

  it('run() - a subclass that keeps Process.run() runs its target with its arguments', async () => {
    const [here, there] = Pipe();
    const p = new TargetKeeper({ target: stasks.sendThenClose, args: [there, ['x', 'y']] });
    p.start();
    expect([await here.recv(), await here.recv()]).toEqual(['x', 'y']);
    await p.join();
    expect(p.exitcode).toBe(0);
  });

  it('run() - a throwing run() exits the child with code 1', async () => {
    const p = new Failing();
    p.start();
    await p.join();
    expect(p.exitcode).toBe(1);
  });

  it('start() - a subclass defined without a module file fails at start() with how to fix it', async () => {
    const script = `
      const { Process } = await import(${JSON.stringify(new URL('../dist/index.js', import.meta.url).href)});
      class Inline extends Process { run() {} }
      try { new Inline().start(); console.log('started'); } catch (error) { console.log(error.name + ': ' + error.message); }
    `;
    const { stdout } = await run(process.execPath, ['-e', script], { timeout: 60_000 });
    expect(stdout).toMatch(/^TypeError: a child cannot import Inline, defined in \[eval\d*\].*export class Inline extends Process/);
  });

  it('start() - a subclass its module does not export: the child says how to export it, and exits 1', async () => {
    const script = `
      import { makeHidden } from ${JSON.stringify(new URL('./fixtures/subclasses.mjs', import.meta.url).href)};
      const p = makeHidden();
      p.start();
      await p.join();
      console.log('exitcode', p.exitcode);
    `;
    const { stdout, stderr } = await run(process.execPath, ['--input-type=module', '-e', script], { timeout: 60_000 });
    expect(stdout.trim()).toBe('exitcode 1');
    expect(stderr).toContain('Hidden is not exported by');
    expect(stderr).toContain('export class Hidden extends Process');
  });

  it('run() - a subclass named as its base class runs as itself, not as the base', async () => {
    const report = new Queue<string>();
    const p = new Job(report);
    p.start();
    expect(await report.get()).toBe('derived Job.run()');
    await p.join();
  });

  it("run() - in the child, the object is the running process: its pid, isAlive(), a name after its class", async () => {
    const report = new Queue<Record<string, unknown>>();
    const p = new SelfReport(report);
    expect(p.name).toMatch(/^SelfReport-\d+$/);
    p.start();
    const got = await report.get();
    await p.join();
    expect(got).toEqual({ pid: p.pid, real: p.pid, alive: true, name: p.name });
  });

  it('run() - using a #private member fails in the child, with a hint that says why', async () => {
    const script = `
      import { WithPrivate } from ${JSON.stringify(new URL('./fixtures/subclasses.mjs', import.meta.url).href)};
      const p = new WithPrivate();
      p.start();
      await p.join();
      console.log('exitcode', p.exitcode);
    `;
    const { stdout, stderr } = await run(process.execPath, ['--input-type=module', '-e', script], { timeout: 60_000 });
    expect(stdout.trim()).toBe('exitcode 1');
    expect(stderr).toContain('run() cannot use #private fields or methods');
    void WithPrivate;
  });

  it('start() - in a child that imports its subclass from the script that starts it, throws instead of starting a chain of children', async () => {
    const script = fileURLToPath(new URL('./fixtures/subclass-in-main.mjs', import.meta.url));
    const { stdout, stderr } = await run(process.execPath, [script], { timeout: 60_000 });
    expect(stdout.trim()).toBe('exitcode 1');
    expect(stderr).toContain('before the current process has finished its bootstrapping phase');
    expect(stdout).not.toContain('InMain.run()');
  });

  it('run() - called here, runs the target in this process', async () => {
    const p = new Process({ target: (a: number, b: number) => a + b, args: [1, 2] });
    await expect(p.run()).resolves.toBeUndefined();
  });
});
