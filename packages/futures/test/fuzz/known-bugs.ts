/**
 * Bugs the fuzz suite found in code it may not fix, and how the generator steps around each
 * one meanwhile, so that CI stays green without the property itself being weakened: the
 * programs that would hit the bug are not generated, the checks are unchanged.
 *
 * Remove an entry when its fix lands (and run the soak with `--known-bugs` before that, to
 * see it pass). `FUZZ_KNOWN_BUGS=1` (the soak's `--known-bugs`) turns every workaround off.
 *
 * @module
 */
import type { ExecCaps, ExecOp, ExecProgram } from './program.js';

/**
 * Issue 15, found by the fuzz suite. On a WorkerThreadPoolExecutor, a job whose transfer
 * list holds an ArrayBuffer that is already detached (with a view of it among the
 * arguments) is dropped by `MessagePort.postMessage` without an exception: the pool counts
 * it as handed over, so its future, and that of every job sent in the same message, stays
 * RUNNING forever and shutdown() never resolves. The way in that is left: one buffer
 * transferred by two submits, the second sent after the first detached it (a mistake, which
 * api.md says fails that one future with a TypeError). The other way in, a transferred job
 * sent a second time after going back to the queue, was fixed in 093cbb1.
 *
 * Workaround: no `reuse` transfers on worker threads.
 */
export const TRANSFER_DETACHED = 'transfer-detached';

/**
 * Issue 15, seen in the soak (a few times per few hundred process programs): a child process
 * dies of an unhandled 'error' event (write EPIPE) when a message it sends (a job's results)
 * is still being written as the pool closes its channel; process-child.ts has no 'error'
 * listener on `process`, and its `process.connected` check cannot see a disconnect that
 * happens during the write. So far only children that were being let go, so no future was
 * touched, but their exit is code 1 with a stack on the parent's stderr.
 *
 * Workaround: the check that every child of a program that stops nothing exits with code 0
 * (executor-checks.ts, pool-checks.ts) is off.
 */
export const CHILD_EPIPE = 'child-epipe';

export const KNOWN_BUGS: ReadonlySet<string> = new Set(process.env.FUZZ_KNOWN_BUGS === '1' ? [] : [TRANSFER_DETACHED, CHILD_EPIPE]);

/** The generator's guard against the known bugs, for an executor with `caps`. */
export function withoutKnownBugs(caps: ExecCaps): (program: ExecProgram) => ExecProgram {
  return (program) => {
    if (!KNOWN_BUGS.has(TRANSFER_DETACHED) || !caps.transfers) return program;
    const ops = program.ops.map((op): ExecOp => (op.op === 'submitWith' && op.transfer === 'reuse' ? { ...op, transfer: 'none' } : op));
    return { ...program, ops };
  };
}
