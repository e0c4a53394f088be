/**
 * The one message a `Process` parent sends its child: what to run, and who the child is.
 *
 * @module
 */

/** How the target travels: a module export, or a self-contained function's source. */
export type TargetSpec = { readonly kind: 'ref'; readonly module: string; readonly name: string } | { readonly kind: 'source'; readonly source: string };

export interface StartMessage {
  readonly type: 'concurrent-multiprocessing:start';
  readonly target: TargetSpec | null;
  readonly args: readonly unknown[];
  readonly name: string;
  readonly daemon: boolean;
}

export const START = 'concurrent-multiprocessing:start';

export function isStartMessage(value: unknown): value is StartMessage {
  const m = value as Partial<StartMessage> | null;
  return typeof m === 'object' && m !== null && m.type === START && Array.isArray(m.args) && typeof m.name === 'string';
}
