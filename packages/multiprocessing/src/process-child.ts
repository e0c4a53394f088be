/**
 * The main module of every child started by `Process.start()` (with child_process.fork).
 *
 * It waits for its one start message, runs the target, and exits: 0 when the target
 * returned (or its promise resolved), 1 when it threw, after printing `Process <name>:` and
 * the error to stderr, as Python's `Process._bootstrap` does; whatever code the target
 * passed to `process.exit()` otherwise. A daemon child also exits when its parent is gone.
 */
import { addClosureHint, reviveValue } from '@concurrent/futures/internal';
import { setCurrentProcess } from './current-process.js';
import { BOOTSTRAPPING, Process, reviveProcess } from './process.js';
import { isStartMessage } from './process-protocol.js';
import { flushLinks } from './sharing/runtime.js';
import { findClass } from './subclass.js';

if (process.send === undefined) {
  console.error('@concurrent/multiprocessing: process-child.js must be started by Process.start() (no IPC channel)');
  process.exit(1);
}

/** Imports the module of the subclass to run, in the bootstrapping phase (no process may start meanwhile). */
async function bootstrapImport(module: string): Promise<Record<string, unknown>> {
  const global = globalThis as { [BOOTSTRAPPING]?: boolean };
  global[BOOTSTRAPPING] = true;
  try {
    return (await import(module)) as Record<string, unknown>;
  } finally {
    global[BOOTSTRAPPING] = false;
  }
}

process.once('message', (message: unknown) => {
  if (!isStartMessage(message)) {
    console.error('@concurrent/multiprocessing: unexpected first message', message);
    process.exit(1);
  }
  // The channel only brought the target: it must not keep this child alive, and the target's
  // own handles (timers, sockets) decide nothing either, since the child exits when it returns.
  process.channel?.unref();
  if (message.daemon) process.on('disconnect', () => process.exit(1));
  setCurrentProcess({ name: message.name, daemon: message.daemon, authkey: message.authkey });
  void (async () => {
    let code = 0;
    const { target, subclass } = message;
    try {
      const [args, fields] = (
        message.revive === undefined ? [message.args, subclass?.fields] : await reviveValue([message.args, subclass?.fields], message.revive)
      ) as [unknown[], Record<string, unknown> | undefined];
      // A subclass's own run() (issue 14), else Process's: the target with its arguments.
      const cls = subclass === undefined ? Process : findClass(await bootstrapImport(subclass.module), subclass, 'Process');
      const self = reviveProcess(cls, { target, args, name: message.name, daemon: message.daemon, fields: fields ?? {} });
      await self.run();
    } catch (error) {
      process.stderr.write(`Process ${message.name}:\n`);
      // A shipped function that used a variable of the parent's scope: say so, as the pools do.
      console.error(target?.kind === 'source' ? addClosureHint(error, target.source) : error);
      if (subclass !== undefined && error instanceof TypeError && /private member|must be an instance of class/.test(error.message)) {
        console.error(`(the child's ${subclass.name} is rebuilt from its public fields, without running its constructor: run() cannot use #private fields or methods)`);
      }
      code = 1;
    }
    // What the target put on queues of other processes leaves before the child does (Python
    // joins its queues' feeder threads at exit).
    await flushLinks();
    process.exit(code);
  })();
});
