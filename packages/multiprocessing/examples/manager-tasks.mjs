// The functions the Manager examples run in child processes.

/** `shared[f'k{i}'] = i * i` through the dict's proxy. */
export async function record(shared, i) {
  await shared.set(`k${i}`, i * i);
}
