// The task module of examples/progress.mjs: a CPU-bound task that reports how far it is.
import { reportProgress } from '@concurrent/futures';

export function countPrimes(limit) {
  let count = 0;
  for (let n = 2; n < limit; n++) {
    let prime = true;
    for (let d = 2; d * d <= n; d++) {
      if (n % d === 0) {
        prime = false;
        break;
      }
    }
    if (prime) count++;
    if (n % 1_000 === 0) reportProgress(n / limit); // cheap: the worker coalesces reports
  }
  reportProgress(1);
  return count;
}
