// The tasks our executors run in the pools suite. Workers import this module by URL (through
// TaskRefs, see paths.ts), so it imports nothing: a worker loads this file and no more (the
// task that needs the library is in move-tasks.ts). The peers run the same functions from
// benchmarks/fixtures/.

/** The tiny task: its cost is all dispatch. */
export function identity(x: number): number {
  return x;
}

/** The CPU-bound task: naive recursive Fibonacci (fib(30) is ~1.3M calls). */
export function fib(n: number): number {
  return n < 2 ? n : fib(n - 1) + fib(n - 2);
}

/** The payload task: returns the array it was given (so it crosses twice). */
export function echoArray(array: Float64Array): Float64Array {
  return array;
}
