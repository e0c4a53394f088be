/**
 * The runner sends what a job batched for the end of its turn before the job's outcome
 * (internal/before-outcome.ts): the pool may end the worker as soon as the outcome arrives.
 */
import { expect, it } from 'vitest';
import { onBeforeOutcome } from '../src/internal/before-outcome.js';
import type { FromWorker } from '../src/worker-entry/protocol.js';
import { Runner } from '../src/worker-entry/runner.js';
import { toTaskSpec } from '../src/worker-pool/options.js';

type Batching = typeof globalThis & { __beforeOutcomeWrite?: (item: string) => void };

it('onBeforeOutcome() - a write a job batched for the end of its turn leaves before the job\'s outcome', async () => {
  const wire: string[] = [];
  let batch: string[] = [];
  const flushBatch = (): void => {
    wire.push(...batch);
    batch = [];
  };
  // A package that batches its writes, as @concurrent/multiprocessing's links do: they leave
  // at the end of the turn, or when the runner asks.
  (globalThis as Batching).__beforeOutcomeWrite = (item) => {
    batch.push(item);
    process.nextTick(flushBatch);
  };
  onBeforeOutcome(flushBatch);
  let outcome!: () => void;
  const sent = new Promise<void>((resolve) => (outcome = resolve));
  const runner = new Runner((message: FromWorker) => {
    if (message.type !== 'results') return;
    wire.push('outcome');
    outcome();
  }, 'advanced');
  // A job that waited (a timer) sends its outcome at once when it ends, in the turn of its
  // last write: without the hook, 'outcome' came before 'put'.
  const task = toTaskSpec(async () => {
    await new Promise((resolve) => setTimeout(resolve, 5));
    (globalThis as Batching).__beforeOutcomeWrite?.('put');
  });
  runner.handle({ type: 'init', initializer: null, initargs: [] });
  runner.handle({ type: 'run', tasks: [{ id: 0, spec: task }], jobs: [{ id: 1, task: 0, args: [] }] });
  await sent;
  expect(wire).toEqual(['put', 'outcome']);
});
