// The function examples/sharedctypes.mjs runs in a child process. `A`'s elements are views of
// the parent's Points: the child needs no Point class of its own (its field list travels with A).

/** Squares n, sets b, upper-cases s, sets arr[0] and squares each point's x and y, in place. */
export function modify(n, b, s, arr, A) {
  n.value **= 2;
  b.value = true;
  s.value = s.value.toUpperCase();
  arr[0] = 10;
  for (const a of A) {
    a.x **= 2;
    a.y **= 2;
  }
}
