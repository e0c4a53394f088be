/**
 * The reviver of every shared object of this package: what a reduced queue or pipe end
 * becomes where it lands (another process, a worker thread, or back home). A reducible's
 * `[REDUCE]` names this module's built file and its `revive` export.
 *
 * @module
 */
import { enableReduction } from '@concurrent/futures/internal';
import { type EndState, reviveEnd } from './connection.js';
import type { QueueState } from './queue-ports.js';
import { reviveQueue } from './queues.js';

/** Turns a reduced shared object back into a live handle. */
export function revive(state: EndState | QueueState): unknown {
  // A handle here may be passed on again: argument walks are on in this thread from now.
  enableReduction();
  switch (state.k) {
    case 'end':
      return reviveEnd(state);
    case 'queue':
      return reviveQueue(state);
    default:
      throw new TypeError(`@concurrent/multiprocessing: unknown shared object ${JSON.stringify(state)}`);
  }
}
