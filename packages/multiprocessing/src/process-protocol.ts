/**
 * The one message a `Process` parent sends its child: what to run, and who the child is.
 *
 * @module
 */

import type { TaskSpec } from '@concurrent/futures/internal';

export interface StartMessage {
  readonly type: 'concurrent-multiprocessing:start';
  /** How the target travels (as the executors ship tasks); `null`: no target. */
  readonly target: TaskSpec | null;
  readonly args: readonly unknown[];
  readonly name: string;
  readonly daemon: boolean;
  /** The parent's authkey (hex), which the child inherits. */
  readonly authkey: string;
  /** The args (and fields) hold reduced handles (queues, pipe ends): their key, to revive them before calling the target. */
  readonly revive?: string;
  /** A subclass of Process: the child imports it and runs its run() with these public fields. */
  readonly subclass?: { readonly module: string; readonly name: string; readonly fields: Record<string, unknown> };
}

export const START = 'concurrent-multiprocessing:start';

export function isStartMessage(value: unknown): value is StartMessage {
  const m = value as Partial<StartMessage> | null;
  return typeof m === 'object' && m !== null && m.type === START && Array.isArray(m.args) && typeof m.name === 'string';
}
