/**
 * Claims (claims.ts): each job handed to a worker ahead of time starts on that worker or is
 * taken back by the pool, never both; and a slot moves only from one generation to the next,
 * so jobs taken back that pile up in a stuck worker's queue can never be claimed twice.
 * Then the runner's side: jobs passed over, and aborts that find the right one of two
 * entries with the same id (a job taken back and handed to the same worker again).
 */
import { describe, expect, it } from 'vitest';
import { CLAIM_SLOTS, claimBuffer, Claims } from '../src/worker-entry/claims.js';
import type { FromWorker, ToWorker } from '../src/worker-entry/protocol.js';
import { Runner } from '../src/worker-entry/runner.js';
import { toTaskSpec } from '../src/worker-pool/options.js';
import { chooseReclaim } from '../src/worker-pool/reclaim.js';
import { settle } from './fixtures/harness.js';

describe('Claims', () => {
  it('.start() / .revoke() - exactly one side wins each job', () => {
    const claims = new Claims(claimBuffer());
    expect(claims.start(0)).toBe(true);
    expect(claims.revoke(0)).toBe(false);
    expect(claims.revoke(1)).toBe(true);
    expect(claims.start(1)).toBe(false);
    expect(claims.revoke(1)).toBe(false);
  });

  it('.revoke() - of a job a whole ring ahead of a job not yet passed fails, and succeeds once it is passed', () => {
    const claims = new Claims(claimBuffer());
    // The worker is stuck in job 0; the pool takes 1..CLAIM_SLOTS back.
    expect(claims.start(0)).toBe(true);
    for (let seq = 1; seq <= CLAIM_SLOTS; seq++) expect(claims.revoke(seq)).toBe(true);
    // Job 1 + CLAIM_SLOTS shares job 1's slot, and the worker has not passed job 1 yet.
    expect(claims.revoke(1 + CLAIM_SLOTS)).toBe(false);
    // The worker passes job 1 (skipping it, as the pool took it): now the slot is free.
    expect(claims.start(1)).toBe(false);
    expect(claims.revoke(1 + CLAIM_SLOTS)).toBe(true);
    expect(claims.start(1 + CLAIM_SLOTS)).toBe(false);
  });

  it('.revoke() - a late revoke, after the worker started a later job of the same slot, fails', () => {
    const claims = new Claims(claimBuffer());
    for (let seq = 0; seq <= CLAIM_SLOTS; seq++) expect(claims.start(seq)).toBe(true);
    expect(claims.revoke(0)).toBe(false);
    expect(claims.revoke(CLAIM_SLOTS)).toBe(false);
    expect(claims.revoke(CLAIM_SLOTS + 1)).toBe(true);
  });
});

describe('Runner with claims', () => {
  interface Gate {
    open: () => void;
    promise?: Promise<void>;
    runs: number[];
  }
  const gate: Gate = { open: () => {}, runs: [] };
  (globalThis as { __claimsTestGate?: Gate }).__claimsTestGate = gate;

  it('abort - finds the live one of two entries with the same id; the one taken back is passed over unrun', async () => {
    gate.runs = [];
    gate.promise = new Promise<void>((resolve) => {
      gate.open = resolve;
    });
    const buffer = claimBuffer();
    const pool = new Claims(buffer);
    const sent: FromWorker[] = [];
    const runner = new Runner((message) => void sent.push(message), 'advanced', new Claims(buffer));
    const wait = toTaskSpec(async () => {
      const own = (globalThis as { __claimsTestGate?: { promise?: Promise<void> } }).__claimsTestGate;
      await own?.promise;
      return 'head';
    });
    const record = toTaskSpec((...args: unknown[]) => {
      const id = args[0] as number;
      (globalThis as { __claimsTestGate?: { runs: number[] } }).__claimsTestGate?.runs.push(id);
      return id;
    });
    const run = (jobs: { id: number; task: number; args: unknown[] }[]): ToWorker => ({
      type: 'run',
      tasks: [
        { id: 0, spec: wait },
        { id: 1, spec: record },
      ],
      jobs,
    });
    runner.handle({ type: 'init', initializer: null, initargs: [] });
    // seq 0: the head, held; seq 1: job 11, handed ahead of time.
    runner.handle(run([{ id: 10, task: 0, args: [] }, { id: 11, task: 1, args: [11] }]));
    await settle();
    // The pool takes job 11 back (seq 1) and hands it to this worker again (seq 2).
    expect(pool.revoke(1)).toBe(true);
    runner.handle(run([{ id: 11, task: 1, args: [11] }]));
    // Its future is aborted: the abort names the live entry, seq 2.
    runner.handle({ type: 'abort', id: 11, seq: 2 });
    gate.open();
    await settle(20);
    runner.flush();
    expect(gate.runs).toEqual([]);
    const results = sent.flatMap((message) => (message.type === 'results' ? message.results : []));
    expect(results.map((result) => result.id).sort()).toEqual([10, 11]);
    expect(results.find((result) => result.id === 11)?.errors).toHaveLength(1);
    expect(sent.flatMap((message) => (message.type === 'results' ? (message.skipped ?? []) : []))).toEqual([1]);
  });
});

describe('chooseReclaim()', () => {
  type Fake = Parameters<typeof chooseReclaim>[0] extends Iterable<infer W> ? W : never;
  function worker(id: number, waiting: number, canReclaim: boolean, headSince = 0): Fake {
    const jobs = Array.from({ length: 1 + waiting }, (_, seq) => ({ seq, stopped: false, reclaiming: false, transfer: undefined }));
    return {
      id,
      inflight: jobs,
      handle: { canReclaim },
      retiring: false,
      exiting: false,
      killedFor: undefined,
      headSince,
    } as unknown as Fake;
  }

  it('chooseReclaim() - takes from the worker holding the most waiting jobs that can give them back', () => {
    const cannot = worker(1, 6, false);
    const can = worker(2, 2, true);
    const choice = chooseReclaim([cannot, can], 0, Number.NaN);
    expect(choice?.victim).toBe(can);
    // Not overdue (its head just started): the later half.
    expect(choice?.jobs.map((job) => job.seq)).toEqual([2]);
  });

  it('chooseReclaim() - nothing when no worker can give jobs back (a child whose agent never started)', () => {
    expect(chooseReclaim([worker(1, 6, false)], 0, Number.NaN)).toBeUndefined();
  });

  it('chooseReclaim() - all waiting jobs of an overdue worker', () => {
    const overdue = worker(1, 3, true, 0);
    expect(chooseReclaim([overdue], 1_000, 1)?.jobs.map((job) => job.seq)).toEqual([1, 2, 3]);
  });
});
