// The public types of Semaphore, BoundedSemaphore, Event, Condition and Barrier.
import { moduleTasks } from '@concurrent/futures';
import { describe, expectTypeOf, it } from 'vitest';
import { Barrier, BoundedSemaphore, Condition, Event, type Held, Lock, Semaphore } from '../src/index.js';
import type * as SyncMoreTasks from './fixtures/sync-more-tasks.mjs';

declare const maybe: string | undefined;

const more = moduleTasks<typeof SyncMoreTasks>(new URL('./fixtures/sync-more-tasks.mjs', import.meta.url));

describe('types of the synchronization objects', () => {
  it('semaphores: acquire and wait resolve booleans; hold a Held', () => {
    const sem = new Semaphore(2);
    expectTypeOf(sem.acquire()).toEqualTypeOf<Promise<boolean>>();
    expectTypeOf(sem.acquire(false)).toEqualTypeOf<Promise<boolean>>();
    expectTypeOf(sem.hold()).toEqualTypeOf<Promise<Held>>();
    expectTypeOf(sem.getValue()).toEqualTypeOf<number>();
    expectTypeOf(new BoundedSemaphore()).toMatchTypeOf<Semaphore>();
    // @ts-expect-error -- acquire takes options or a boolean
    void sem.acquire(5);
  });

  it('Event and Condition: wait resolves a boolean; waitFor the predicate\'s result', () => {
    expectTypeOf(new Event().wait(10)).toEqualTypeOf<Promise<boolean>>();
    const cond = new Condition(new Lock());
    expectTypeOf(cond.wait()).toEqualTypeOf<Promise<boolean>>();
    expectTypeOf(cond.waitFor(() => maybe)).toEqualTypeOf<Promise<string | undefined>>();
    expectTypeOf(cond.waitFor(async () => 3)).toEqualTypeOf<Promise<number>>();
    // @ts-expect-error -- a Condition takes a Lock or RLock
    void new Condition(new Semaphore());
  });

  it('Barrier: wait resolves the index; the action is a function or a TaskRef without arguments', () => {
    const barrier = new Barrier(2, { action: more.countAction, timeout: 1_000 });
    expectTypeOf(barrier.wait()).toEqualTypeOf<Promise<number>>();
    expectTypeOf(barrier.nWaiting).toEqualTypeOf<number>();
    expectTypeOf(barrier.broken).toEqualTypeOf<boolean>();
    void new Barrier(2, { action: () => console.log('go') });
    // @ts-expect-error -- the action takes no arguments
    void new Barrier(2, { action: more.eventSet });
  });
});
