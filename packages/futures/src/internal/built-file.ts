/**
 * Where the built JavaScript of one of our modules is: what a worker thread, a child process
 * or a reviver imports. From `dist` also when the caller runs from `src` under a TypeScript
 * test runner, since those never load TypeScript.
 *
 * @module
 */
import { fileURLToPath } from 'node:url';

/**
 * The built file at `path` under the package's build root, given `root`, the caller's
 * `src/` or `dist/` directory (`new URL('.', import.meta.url)` from a module at the top).
 *
 * @example
 * ```ts
 * builtFile(new URL('.', import.meta.url), 'worker-entry/thread-entry.js'); // '/…/dist/worker-entry/thread-entry.js'
 * ```
 */
export function builtFile(root: URL, path: string): string {
  return fileURLToPath(builtUrl(root, path));
}

/** {@link builtFile} as a `file:` URL (what `import()` and reductions take). */
export function builtUrl(root: URL, path: string): URL {
  const dist = root.pathname.endsWith('/src/') ? new URL('../dist/', root) : root;
  return new URL(path, dist);
}
