/**
 * Who starts a job that was handed to a worker ahead of time: the worker, or nobody because
 * the pool took it back (decision 0009).
 *
 * A worker runs its jobs one after another; the ones behind the running job wait in its own
 * queue. If the running job turns out long, they would wait with it while another worker
 * sits idle. The pool takes them back instead, and both sides settle each waiting job with
 * one compare-and-swap on shared memory, so exactly one of them wins:
 *
 * ```
 *  slot[seq % CLAIM_SLOTS]:  (older job's state) ──start(seq)──▶ started(seq)   the worker runs it
 *                                               └─revoke(seq)─▶ revoked(seq)   the pool runs it elsewhere
 * ```
 *
 * `seq` numbers the jobs sent to one worker in the order sent (both sides count them the
 * same way). A slot's values carry the seq, so a late revoke of a job long done finds
 * another job's state there and fails instead of succeeding by mistake: the ring needs only
 * more slots than a worker ever holds (1 + MAX_PREFETCH).
 *
 * A worker thread shares the buffer with the pool directly, so the pool revokes
 * synchronously. A child process cannot share memory with its parent: a small thread in the
 * child (child-agent.ts) holds the buffer with the child's main thread and revokes on the
 * parent's behalf, over a pipe of its own, even while the main thread is busy in a task.
 *
 * @module
 */

/** Slots in the ring; a worker holds at most 1 + MAX_PREFETCH (33) jobs at once. */
export const CLAIM_SLOTS = 64;

/** Seqs wrap here, so that `2 * seq + 2` stays a positive Int32. */
const SEQ_SPAN = 2 ** 29;

const started = (seq: number): number => (seq % SEQ_SPAN) * 2 + 1;
const revoked = (seq: number): number => (seq % SEQ_SPAN) * 2 + 2;

/** The shared memory of one worker's claims. */
export function claimBuffer(): SharedArrayBuffer {
  return new SharedArrayBuffer(CLAIM_SLOTS * Int32Array.BYTES_PER_ELEMENT);
}

export class Claims {
  readonly #slots: Int32Array;

  constructor(buffer: SharedArrayBuffer) {
    this.#slots = new Int32Array(buffer);
  }

  /** The worker, about to start job `seq`: true if it may (and from now on, only it). */
  start(seq: number): boolean {
    return this.#settle(seq, started(seq), revoked(seq));
  }

  /** The pool, taking job `seq` back: true if the worker had not started it (and now never will). */
  revoke(seq: number): boolean {
    return this.#settle(seq, revoked(seq), started(seq));
  }

  #settle(seq: number, mine: number, theirs: number): boolean {
    const index = seq % CLAIM_SLOTS;
    for (;;) {
      const current = Atomics.load(this.#slots, index);
      // Settled already: by the other side, or by an earlier call of this side.
      if (current === theirs || current === mine) return false;
      if (Atomics.compareExchange(this.#slots, index, current, mine) === current) return true;
    }
  }
}
