// Where the suite's worker code lives: our tasks module (as typed TaskRefs) and the plain
// JavaScript fixtures the peers and the raw floors load (benchmarks/fixtures/).
import { moduleTasks } from '@concurrent/futures';
import { fileURLToPath } from 'node:url';

/** This file is dist/pools/paths.js; the fixtures are not compiled. */
const FIXTURES = new URL('../../fixtures/', import.meta.url);

/** The absolute path of a file in benchmarks/fixtures/. */
export function fixture(name: string): string {
  return fileURLToPath(new URL(name, FIXTURES));
}

/** Our executors' tasks, as the library's users write them. */
export const tasks = moduleTasks<typeof import('./tasks.js')>(new URL('./tasks.js', import.meta.url));

/** The payload task that moves its result back (it imports the library). */
export const moveTasks = moduleTasks<typeof import('./move-tasks.js')>(new URL('./move-tasks.js', import.meta.url));

/** The tiny task as a self-contained function, shipped by source (one function object, so cached). */
export const identityFn = (x: number): number => x;
