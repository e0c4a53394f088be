// The CPU-bound functions the examples run in worker processes.
export function fib(n) {
  return n < 2 ? n : fib(n - 1) + fib(n - 2);
}

export function square(x) {
  return x * x;
}

// A class whose static method is the task: the article's `pool.map(self.fib, ...)`.
export class CalculateFib {
  static fib(n) {
    return n < 2 ? n : this.fib(n - 1) + this.fib(n - 2);
  }
}
