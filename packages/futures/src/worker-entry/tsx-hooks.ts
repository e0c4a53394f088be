/**
 * A worker thread's stand-in for one of tsx's preloads (`--import tsx`, or the
 * `--require …/preflight.cjs --import …/loader.mjs` that `npx tsx` passes), put in the
 * thread's `execArgv` or `NODE_OPTIONS` by the launch rule (internal/exec-argv.ts) as
 * `--import …/tsx-hooks.js?import=<the preload>&hooks=esm,cjs`.
 *
 * Why: tsx registers its ESM hooks only in the main thread on Node versions that cannot tell
 * a user's worker from Node's own hooks thread (Node 20 among them; privatenumber/tsx#354),
 * and `module.register` hooks of the main thread do not reach other threads. So a `.ts`
 * task module failed in every WorkerThreadPoolExecutor thread with ERR_UNKNOWN_FILE_EXTENSION.
 * Here tsx registers through its own API (`tsx/esm/api`, `tsx/cjs/api`) inside the thread,
 * exactly once on every Node version, since tsx's preload itself no longer runs there.
 *
 * In a main thread (a child process started from a thread that had this stand-in) the
 * preload is loaded as the parent was given it, and registers itself as usual.
 *
 * @module
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { isMainThread } from 'node:worker_threads';

const query = new URL(import.meta.url).searchParams;
const required = query.get('require');
const specifier = required ?? query.get('import');
const hooks = (query.get('hooks') ?? '').split(',').filter((hook) => hook === 'esm' || hook === 'cjs');

/** Node resolves a preload's specifier from the working directory. */
const fromCwd = createRequire(join(process.cwd(), 'noop.js'));

/** The file a preload specifier names: a file URL, a path, or a package entry. */
function resolvePreload(preload: string): string {
  if (preload.startsWith('file:')) return fileURLToPath(preload);
  if (preload.startsWith('.') || preload.startsWith('/')) return resolve(preload);
  return fromCwd.resolve(preload);
}

/** The tsx package that holds `file`: the nearest package.json named `tsx` above it. */
function tsxRoot(file: string): { dir: string; exports: Record<string, unknown> } {
  for (let dir = dirname(file); ; dir = dirname(dir)) {
    try {
      const manifest: unknown = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
      if (isRecord(manifest) && manifest['name'] === 'tsx' && isRecord(manifest['exports'])) return { dir, exports: manifest['exports'] };
    } catch {
      // No package.json here (or not JSON): look further up.
    }
    if (dirname(dir) === dir) throw new Error(`no tsx package above ${file}`);
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

/** The file an `import` of `subpath` loads, by the package's `exports` (tsx's own shape). */
function importTarget(exports: Record<string, unknown>, subpath: string): string {
  const entry = exports[subpath];
  const target = isRecord(entry) ? (isRecord(entry['import']) ? entry['import']['default'] : entry['import'] ?? entry['default']) : entry;
  if (typeof target !== 'string') throw new Error(`tsx exports no ${subpath} for import`);
  return target;
}

async function registerInThread(preload: string): Promise<void> {
  const { dir, exports } = tsxRoot(resolvePreload(preload));
  for (const hook of hooks) {
    const api: unknown = await import(pathToFileURL(join(dir, importTarget(exports, `./${hook}/api`))).href);
    if (!isRecord(api) || typeof api['register'] !== 'function') throw new Error(`tsx/${hook}/api has no register()`);
    (api['register'] as () => unknown)();
  }
}

if (specifier !== null && specifier !== '') {
  if (isMainThread) {
    if (required === null) await import(pathToFileURL(resolvePreload(specifier)).href);
    else fromCwd(specifier);
  } else {
    try {
      await registerInThread(specifier);
    } catch (error) {
      // Then the thread runs as it did without this stand-in: tsx's preload as given.
      process.emitWarning(`@concurrent/futures could not register tsx in a worker thread (${String(error)}); loading ${specifier} as given`);
      if (required === null) await import(pathToFileURL(resolvePreload(specifier)).href);
      else fromCwd(specifier);
    }
  }
}
