import type { Suite } from '../harness/types.js';
import { memory } from './memory.js';
import { throughput } from './throughput.js';
import { timers } from './timers.js';
import { waiters } from './waiters.js';

/**
 * The foundation issue's performance claims about ThreadPoolExecutor, Future, wait and
 * asCompleted: overhead against bare p-limit, timer fidelity, linear waiters, flat memory.
 */
export const foundation: Suite = {
  name: 'foundation',
  title: 'Foundation: ThreadPoolExecutor, wait and asCompleted',
  cases: [throughput, timers, waiters, memory],
};
