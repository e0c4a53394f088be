/**
 * Who starts a job that was handed to a worker ahead of time: the worker, or nobody because
 * the pool took it back (decision 0009).
 *
 * A worker runs its jobs one after another; the ones behind the running job wait in its own
 * queue. If the running job turns out long, they would wait with it while another worker
 * sits idle. The pool takes them back instead, and both sides settle each waiting job with
 * one compare-and-swap on shared memory, so exactly one of them wins.
 *
 * `seq` numbers the jobs sent to one worker in the order sent (both sides count them the
 * same way), and the worker *passes* them in that order: it starts each one, or skips it if
 * it was taken back. Job `seq` shares slot `seq % CLAIM_SLOTS` with the jobs `CLAIM_SLOTS`
 * before and after it, and a slot moves only from one generation to the next:
 *
 * ```
 *                               ┌─ start(seq) ──▶ started(seq) ─┐  (the worker runs it)
 *  passed(seq - CLAIM_SLOTS) ───┤                               ├─▶ passed(seq): the slot is
 *                               └─ revoke(seq) ─▶ revoked(seq) ─┘   free for seq + CLAIM_SLOTS
 *                                  (the pool)     └ start(seq) skips it: skipped(seq)
 * ```
 *
 * So a revoke can win only while the job is waiting and its slot's previous job has been
 * passed: a late revoke (a child's agent answering after the worker moved on), or one of a
 * job more than CLAIM_SLOTS ahead of the worker (jobs taken back pile up in the worker's
 * queue until it reaches them), finds another generation's state and fails, and the job
 * simply stays where it is.
 *
 * A worker thread shares the buffer with the pool directly, so the pool revokes
 * synchronously. A child process cannot share memory with its parent: a small thread in the
 * child (child-agent.ts) holds the buffer with the child's main thread and revokes on the
 * parent's behalf, over a pipe of its own, even while the main thread is busy in a task.
 *
 * @module
 */

/** Slots in the ring. */
export const CLAIM_SLOTS = 64;

/** Seqs wrap here, so that every state stays a positive Int32. */
const SEQ_SPAN = 2 ** 29;

const code = (seq: number, state: 1 | 2 | 3): number => (seq % SEQ_SPAN) * 3 + state;
const started = (seq: number): number => code(seq, 1);
const revoked = (seq: number): number => code(seq, 2);
const skipped = (seq: number): number => code(seq, 3);

/** The shared memory of one worker's claims. */
export function claimBuffer(): SharedArrayBuffer {
  return new SharedArrayBuffer(CLAIM_SLOTS * Int32Array.BYTES_PER_ELEMENT);
}

export class Claims {
  readonly #slots: Int32Array;

  constructor(buffer: SharedArrayBuffer) {
    this.#slots = new Int32Array(buffer);
  }

  /** Whether `value` says that the job before `seq` in its slot has been passed. */
  static #previousPassed(seq: number, value: number): boolean {
    if (seq < CLAIM_SLOTS) return value === 0;
    const previous = seq - CLAIM_SLOTS;
    return value === started(previous) || value === skipped(previous);
  }

  /**
   * The worker, reaching job `seq` (in order): true if it starts it (and from now on only it
   * may), false if the pool took it back (the job is passed, skipped).
   */
  start(seq: number): boolean {
    const index = seq % CLAIM_SLOTS;
    for (;;) {
      const current = Atomics.load(this.#slots, index);
      if (current === revoked(seq)) {
        if (Atomics.compareExchange(this.#slots, index, current, skipped(seq)) === current) return false;
        continue;
      }
      // The worker passes its jobs in order, so the slot holds the previous generation's
      // passed state, or this job's revoke: nothing else can be there.
      if (Atomics.compareExchange(this.#slots, index, current, started(seq)) === current) return true;
    }
  }

  /** The pool, taking job `seq` back: true if the worker had not started it, and now never will. */
  revoke(seq: number): boolean {
    const index = seq % CLAIM_SLOTS;
    for (;;) {
      const current = Atomics.load(this.#slots, index);
      if (!Claims.#previousPassed(seq, current)) return false;
      if (Atomics.compareExchange(this.#slots, index, current, revoked(seq)) === current) return true;
    }
  }
}
