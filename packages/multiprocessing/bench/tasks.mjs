// The trivial task the benchmark maps (a module export, so each child imports it once).
export function double(x) {
  return x * 2;
}
