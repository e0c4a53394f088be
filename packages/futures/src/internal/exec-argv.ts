/**
 * What a child process or worker thread inherits of the way its parent was started: the
 * rule, as one pure function of the parent's `execArgv` and `NODE_OPTIONS`
 * (docs/launching.md states it for users, docs/decisions/0010 says why).
 *
 * ```
 *   parent: execArgv + NODE_OPTIONS
 *        │
 *        ├─ names what to run, or how to test, watch or debug it ─────────► dropped, for every child
 *        │    -e/--eval, -p/--print, -c, -i, --input-type, --test*, --experimental-test-*,
 *        │    --watch*, --inspect*, --debug-port, --env-file*, --snapshot-blob, --build-snapshot*,
 *        │    --prof-process, --experimental-sea-config, --run, --help, --version, ...
 *        │
 *        ├─ everything else (loaders, preloads, conditions, --experimental-*, memory
 *        │  limits, V8 options, warnings, ...) ───────────────────────────► kept for a process
 *        │
 *        └─ for a thread, on top:
 *             tsx's preloads ─────────────────────────────────────────────► tsx-hooks.js, which
 *                  registers tsx inside the thread (tsx does not, on Node 20)
 *             process-wide options (V8's, --title, --max-old-space-size, ...) ► left out of an
 *                  explicit list: a Worker refuses them, and they already apply to the whole process
 *             a clean execArgv ───────────────────────────────────────────► no list at all: the
 *                  thread inherits the parent's implicitly, which Node allows for every flag
 * ```
 *
 * Both sources follow the same rule, since `NODE_OPTIONS` reaches children through their
 * environment. A `NODE_OPTIONS` that needs no change is passed on as the very same string:
 * Node re-reads a worker's `NODE_OPTIONS` only when it differs from the process's, and a
 * re-read one must not hold process-wide options (the Worker would refuse it).
 *
 * @module
 */
import { joinNodeOptions, type NodeFlag, parseFlags, splitNodeOptions } from './node-flags.js';

/** What a child runs on: a child process (`fork`) or a worker thread. */
export type ChildKind = 'process' | 'thread';

/** How the parent was started. */
export interface ParentLaunch {
  /** The parent's `process.execArgv`. */
  readonly execArgv: readonly string[];
  /** The parent's `NODE_OPTIONS` (`undefined`: not set). */
  readonly nodeOptions: string | undefined;
}

/** How a child is started. */
export interface ChildLaunch {
  /**
   * The child's `execArgv`. `undefined` only for a thread: pass none, and the thread inherits
   * the parent's implicitly.
   */
  readonly execArgv: readonly string[] | undefined;
  /** The child's `NODE_OPTIONS` (`undefined`: leave it out of the child's environment). */
  readonly nodeOptions: string | undefined;
}

/** What the rule needs to know of the running Node. */
export interface LaunchContext {
  /**
   * Whether `flag` (a canonical name, `--no-` kept) is one of Node's own options rather than
   * V8's: `process.allowedNodeEnvironmentFlags.has`, plus the few options that may not be
   * put in `NODE_OPTIONS` (see {@link CLI_ONLY_NODE_FLAGS}).
   */
  readonly isNodeFlag: (flag: string) => boolean;
  /** The URL of `worker-entry/tsx-hooks.js`, which a thread imports in place of tsx's preloads. */
  readonly tsxHooks: string;
}

/**
 * Flags that name what the process runs, or make it test, watch, debug or build something
 * instead: a child that kept them would run the user's code again (`-e`: a fork bomb), refuse
 * to start (`--input-type` with a file), restart on file changes, or bind the parent's
 * inspector port and sit paused at `--inspect-brk`.
 */
const NOT_FOR_CHILDREN: ReadonlySet<string> = new Set([
  '--eval', '--print', '--check', '--interactive', '--input-type',
  // The child's environment already holds what these files set.
  '--env-file', '--env-file-if-exists',
  '--prof-process', '--build-snapshot', '--build-snapshot-config', '--snapshot-blob',
  '--experimental-sea-config', '--run', '--help', '--version', '--v8-options', '--completion-bash',
  '--debug', '--debug-brk',
]);

/** Families of {@link NOT_FOR_CHILDREN}: `--test`, `--test-*`, `--watch*`, `--inspect*`. */
const NOT_FOR_CHILDREN_PREFIX = /^--(?:test|watch|inspect|experimental-test)(?:-|$)/;

/**
 * Node 20's process-wide options: a Worker refuses them in `execArgv` and in a `NODE_OPTIONS`
 * it re-reads (ERR_WORKER_INVALID_EXEC_ARGV), and they already apply to every thread of the
 * process. Measured by starting a Worker with each of Node 20's options
 * (test/exec-argv.test.ts checks the ones a thread keeps against the running Node).
 */
export const PROCESS_WIDE_FLAGS: ReadonlySet<string> = new Set([
  '--node-memory-debug', '--debug-arraybuffer-allocations', '--disable-wasm-trap-handler',
  '--enable-fips', '--force-fips', '--experimental-shadow-realm', '--node-snapshot',
  '--openssl-legacy-provider', '--openssl-shared-config', '--openssl-config', '--use-bundled-ca',
  '--use-openssl-ca', '--tls-cipher-list', '--report-compact', '--report-on-fatalerror',
  '--report-dir', '--report-filename', '--trace-sigint', '--zero-fill-buffers', '--disable-proto',
  '--icu-data-dir', '--secure-heap', '--secure-heap-min', '--security-revert', '--title',
  '--trace-event-categories', '--trace-event-file-pattern', '--use-largepages', '--v8-pool-size',
]);

/**
 * V8 options that Node lists among its own (they may be put in `NODE_OPTIONS`): process-wide
 * like every V8 option, refused in a Worker's `execArgv`.
 */
export const NODE_LISTED_V8_FLAGS: ReadonlySet<string> = new Set([
  '--abort-on-uncaught-exception', '--disallow-code-generation-from-strings', '--enable-etw-stack-walking',
  '--expose-gc', '--harmony-shadow-realm', '--huge-max-old-generation-size', '--interpreted-frames-native-stack',
  '--jitless', '--max-old-space-size', '--max-semi-space-size', '--perf-basic-prof',
  '--perf-basic-prof-only-functions', '--perf-prof', '--perf-prof-unwinding-info', '--prof', '--stack-trace-limit',
]);

/**
 * Node's own options that `process.allowedNodeEnvironmentFlags` leaves out (they may not be
 * put in `NODE_OPTIONS`) and that a thread may keep. The others of that kind are in
 * {@link NOT_FOR_CHILDREN} or process-wide.
 */
export const CLI_ONLY_NODE_FLAGS: ReadonlySet<string> = new Set([
  '--cpu-prof', '--cpu-prof-dir', '--cpu-prof-interval', '--cpu-prof-name', '--expose-internals',
  '--experimental-network-inspection',
]);

/** tsx's preloads, by the package entry (`--import tsx`) or by its file (what `npx tsx` passes). */
const TSX_ENTRY = /^tsx(?:\/(esm|cjs|preflight))?$|(?:^|[\\/])tsx[\\/]dist[\\/](loader\.mjs|esm[\\/]index\.mjs|cjs[\\/]index\.cjs|preflight\.cjs)$/;

/** Which of tsx's hooks a tsx preload registers; `undefined` when `flag` is no tsx preload. */
export function tsxHooksOf(flag: NodeFlag): ('esm' | 'cjs')[] | undefined {
  if ((flag.name !== '--import' && flag.name !== '--require') || flag.value === undefined) return undefined;
  const match = TSX_ENTRY.exec(flag.value);
  if (match === null) return undefined;
  const entry = match[1] ?? match[2];
  if (entry === undefined || entry === 'loader.mjs') return ['esm', 'cjs'];
  if (entry.startsWith('esm')) return ['esm'];
  if (entry.startsWith('cjs')) return ['cjs'];
  // preflight.cjs: the tsx CLI's link to its child (signals, watch mode), main thread only.
  return [];
}

/** The part of a name that the rule looks up: `--no-warnings` is `--warnings` turned off. */
function baseName(name: string): string {
  return name.startsWith('--no-') ? `--${name.slice(5)}` : name;
}

/**
 * Whether a flag may reach a child at all (of either kind).
 *
 * @example
 * ```ts
 * keptForChildren(parseFlags(['--import', 'tsx'])[0]); // true
 * keptForChildren(parseFlags(['-e', 'code'])[0]); // false
 * ```
 */
export function keptForChildren(flag: NodeFlag): boolean {
  const base = baseName(flag.name);
  return !NOT_FOR_CHILDREN.has(base) && !NOT_FOR_CHILDREN_PREFIX.test(base);
}

/** Whether a Worker accepts `flag` in its `execArgv` (Node 20; see PROCESS_WIDE_FLAGS). */
export function threadAccepts(flag: NodeFlag, context: LaunchContext): boolean {
  const base = baseName(flag.name);
  if (PROCESS_WIDE_FLAGS.has(base) || NODE_LISTED_V8_FLAGS.has(base)) return false;
  // Whatever Node does not know is passed to V8, and every V8 option is process-wide.
  return context.isNodeFlag(flag.name) || CLI_ONLY_NODE_FLAGS.has(base);
}

/** A thread's stand-in for a tsx preload: tsx-hooks.js, told which preload it replaces. */
function tsxStandIn(flag: NodeFlag, hooks: readonly string[], context: LaunchContext): NodeFlag {
  const url = new URL(context.tsxHooks);
  url.searchParams.set(flag.name === '--require' ? 'require' : 'import', flag.value ?? '');
  url.searchParams.set('hooks', hooks.join(','));
  return { name: '--import', value: url.href, tokens: ['--import', url.href] };
}

interface Filtered {
  readonly flags: NodeFlag[];
  /** Whether the rule changed anything (dropped or replaced a flag). */
  readonly changed: boolean;
}

/** The rule for both kinds: drop what is not for children; a thread's tsx preloads replaced. */
function filter(flags: readonly NodeFlag[], kind: ChildKind, context: LaunchContext): Filtered {
  const kept: NodeFlag[] = [];
  for (const flag of flags) {
    if (!keptForChildren(flag)) continue;
    const hooks = kind === 'thread' ? tsxHooksOf(flag) : undefined;
    kept.push(hooks === undefined ? flag : tsxStandIn(flag, hooks, context));
  }
  return { flags: kept, changed: kept.length !== flags.length || kept.some((flag, index) => flag !== flags[index]) };
}

const tokensOf = (flags: readonly NodeFlag[]): string[] => flags.flatMap((flag) => flag.tokens);

/**
 * How a child of `kind` is started, given how its parent was: the rule of docs/launching.md.
 *
 * @param parent - the parent's `execArgv` and `NODE_OPTIONS`.
 * @param kind - `'process'` (fork) or `'thread'` (worker_threads).
 * @param context - what the rule needs to know of the running Node (see {@link LaunchContext}).
 * @returns the child's `execArgv` (`undefined`: a thread inherits implicitly) and `NODE_OPTIONS`
 *   (`undefined`: none).
 * @throws SyntaxError for a `NODE_OPTIONS` that Node itself would refuse.
 * @example
 * ```ts
 * childLaunch({ execArgv: ['--input-type=module', '-e', code, '--import', 'tsx'], nodeOptions: '--inspect' }, 'process', context);
 * // { execArgv: ['--import', 'tsx'], nodeOptions: undefined }
 * ```
 */
export function childLaunch(parent: ParentLaunch, kind: ChildKind, context: LaunchContext): ChildLaunch {
  const own = filter(parseFlags(parent.execArgv), kind, context);
  let execArgv: readonly string[] | undefined = tokensOf(own.flags);
  if (kind === 'thread') {
    // A clean parent: the thread inherits implicitly, which also lets through the
    // process-wide flags that a Worker refuses when they are passed explicitly.
    execArgv = own.changed ? tokensOf(own.flags.filter((flag) => threadAccepts(flag, context))) : undefined;
  }
  return { execArgv, nodeOptions: childNodeOptions(parent.nodeOptions, kind, context) };
}

function childNodeOptions(nodeOptions: string | undefined, kind: ChildKind, context: LaunchContext): string | undefined {
  if (nodeOptions === undefined) return undefined;
  const filtered = filter(parseFlags(splitNodeOptions(nodeOptions)), kind, context);
  // Unchanged: the same string, which a worker does not even re-read.
  if (!filtered.changed) return nodeOptions;
  // A worker re-reads a NODE_OPTIONS that differs from the process's, and refuses one that
  // holds a process-wide option (V8's it ignores there).
  const flags = kind === 'thread' ? filtered.flags.filter((flag) => !PROCESS_WIDE_FLAGS.has(baseName(flag.name))) : filtered.flags;
  return flags.length === 0 ? undefined : joinNodeOptions(tokensOf(flags));
}
