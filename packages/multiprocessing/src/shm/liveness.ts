/**
 * Whether the process that holds a lock (or waits at a barrier) still lives: how a waiter
 * learns that it would wait forever.
 *
 * @module
 */
import { existsSync, readFileSync } from 'node:fs';

const procfs = existsSync('/proc/self/stat');

/**
 * False once `pid` has exited. A zombie (killed, not yet reaped by its parent) counts as
 * exited. A process of another user that we may not signal counts as alive.
 *
 * Known limit: a pid reused by a new process after the holder died reads as alive.
 */
export function processAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  if (!procfs) return true;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat[stat.lastIndexOf(')') + 2] !== 'Z';
  } catch {
    // Gone between the two calls.
    return false;
  }
}
