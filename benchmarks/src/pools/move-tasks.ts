// The payload task that moves its result back (worker threads). Apart from tasks.ts because
// it imports the library, which costs a worker ~20 ms to load the first time: the tiny-task
// and start-up cases must not pay that.
import { transferResult } from '@concurrent/futures';

/** Returns the array it was given, moved back instead of copied. */
export function moveArray(array: Float64Array): Float64Array {
  return transferResult(array);
}
