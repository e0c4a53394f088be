/**
 * The launch rule (exec-argv.ts) applied to this process: the `execArgv` and environment
 * that the pools and `@concurrent/multiprocessing`'s `Process` give their children when the
 * user gave no `execArgv` of their own.
 *
 * @module
 */
import { type ChildKind, type ChildLaunch, childLaunch, type LaunchContext } from './exec-argv.js';

/** tsx-hooks.js, from `dist` also when this module runs from `src` (see process-pool.ts). */
function tsxHooksUrl(): string {
  const here = new URL('.', import.meta.url);
  const dist = here.pathname.endsWith('/src/internal/') ? new URL('../../dist/internal/', here) : here;
  return new URL('../worker-entry/tsx-hooks.js', dist).href;
}

const context: LaunchContext = {
  isNodeFlag: (flag) => process.allowedNodeEnvironmentFlags.has(flag),
  tsxHooks: tsxHooksUrl(),
};

/** The rule for this process as it is now (`NODE_OPTIONS` may have been changed since start). */
function launch(kind: ChildKind): ChildLaunch {
  return childLaunch({ execArgv: process.execArgv, nodeOptions: process.env['NODE_OPTIONS'] }, kind, context);
}

/**
 * The `execArgv` for children of `kind` when the user gave none: the parent's, less what
 * names what to run or how to test, watch or debug it (see docs/launching.md). For a thread,
 * `undefined` means "inherit implicitly", as a Worker does when it is given none.
 *
 * @example
 * ```ts
 * // started as: node --import tsx --inspect main.ts
 * fork(entry, [], { execArgv: [...childExecArgv('process')] }); // ['--import', 'tsx']
 * ```
 */
export function childExecArgv(kind: 'process'): readonly string[];
export function childExecArgv(kind: 'thread'): readonly string[] | undefined;
export function childExecArgv(kind: ChildKind): readonly string[] | undefined {
  return launch(kind).execArgv ?? (kind === 'process' ? [] : undefined);
}

/**
 * A child's environment: `env` with the parent's `NODE_OPTIONS` put through the same rule
 * as `execArgv`, and without `WATCH_REPORT_DEPENDENCIES` (`node --watch`'s request to its
 * own child to report the modules it loads; a grandchild would report them to its pool).
 * A value that differs from the parent's was chosen for the child, and stays.
 *
 * @param env - the environment the user gave, or `process.env`.
 * @param kind - `'process'` or `'thread'`.
 * @returns a new object; `env` is not changed.
 * @example
 * ```ts
 * // started as: NODE_OPTIONS='--import tsx --inspect-brk' node main.mjs
 * childEnv(process.env, 'process').NODE_OPTIONS; // '--import tsx'
 * ```
 */
export function childEnv(env: NodeJS.ProcessEnv, kind: ChildKind): NodeJS.ProcessEnv {
  const result: NodeJS.ProcessEnv = { ...env };
  if (env['NODE_OPTIONS'] !== undefined && env['NODE_OPTIONS'] === process.env['NODE_OPTIONS']) {
    const nodeOptions = launch(kind).nodeOptions;
    if (nodeOptions === undefined) delete result['NODE_OPTIONS'];
    else result['NODE_OPTIONS'] = nodeOptions;
  }
  if (env['WATCH_REPORT_DEPENDENCIES'] !== undefined && env['WATCH_REPORT_DEPENDENCIES'] === process.env['WATCH_REPORT_DEPENDENCIES']) {
    delete result['WATCH_REPORT_DEPENDENCIES'];
  }
  return result;
}
