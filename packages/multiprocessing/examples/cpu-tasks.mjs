// The CPU-bound functions the examples run in worker processes.
export function fib(n) {
  return n < 2 ? n : fib(n - 1) + fib(n - 2);
}

export function square(x) {
  return x * x;
}
