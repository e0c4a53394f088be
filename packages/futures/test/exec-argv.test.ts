/**
 * The launch rule (src/internal/exec-argv.ts): what a child process or worker thread keeps
 * of its parent's `execArgv` and `NODE_OPTIONS`, row by row, and, for threads, checked
 * against the running Node: every list the rule hands to a Worker is one that a Worker
 * accepts. End to end (real `node` started in each of these ways): multiprocessing's
 * test/launch.test.ts.
 */
import { Worker } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { childEnv, childExecArgv } from '../src/internal/child-launch.js';
import {
  type ChildKind,
  childLaunch,
  CLI_ONLY_NODE_FLAGS,
  keptForChildren,
  type LaunchContext,
  NODE_LISTED_V8_FLAGS,
  PROCESS_WIDE_FLAGS,
  tsxHooksOf,
} from '../src/internal/exec-argv.js';
import { joinNodeOptions, parseFlags, splitNodeOptions } from '../src/internal/node-flags.js';

const HOOKS = 'file:///pkg/dist/worker-entry/tsx-hooks.js';
const context: LaunchContext = { isNodeFlag: (flag) => process.allowedNodeEnvironmentFlags.has(flag), tsxHooks: HOOKS };
const CODE = 'const { ProcessPoolExecutor } = await import("@concurrent/futures"); /* makes a pool */';
const TSX_PREFLIGHT = '/app/node_modules/.pnpm/tsx@4.23.15/node_modules/tsx/dist/preflight.cjs';
const TSX_LOADER = 'file:///app/node_modules/.pnpm/tsx@4.23.15/node_modules/tsx/dist/loader.mjs';

const execArgvOf = (execArgv: readonly string[], kind: ChildKind): readonly string[] | undefined =>
  childLaunch({ execArgv, nodeOptions: undefined }, kind, context).execArgv;
const nodeOptionsOf = (nodeOptions: string | undefined, kind: ChildKind): string | undefined =>
  childLaunch({ execArgv: [], nodeOptions }, kind, context).nodeOptions;

/** The stand-in a thread gets for a tsx preload. */
function standIn(preload: string, hooks: string, flag: 'import' | 'require' = 'import'): string[] {
  const url = new URL(HOOKS);
  url.searchParams.set(flag, preload);
  url.searchParams.set('hooks', hooks);
  return ['--import', url.href];
}

/** Starts a Worker with these options (synchronous: Node checks `execArgv` and `NODE_OPTIONS` in the constructor). */
function workerAccepts(options: { execArgv?: readonly string[]; nodeOptions?: string }): true | string {
  try {
    const env = { ...process.env };
    delete env['NODE_OPTIONS'];
    if (options.nodeOptions !== undefined) env['NODE_OPTIONS'] = options.nodeOptions;
    const worker = new Worker('', { eval: true, env, stdout: true, stderr: true, ...(options.execArgv === undefined ? {} : { execArgv: [...options.execArgv] }) });
    void worker.terminate();
    return true;
  } catch (error) {
    return (error as Error).message;
  }
}

describe('parseFlags()', () => {
  it('parseFlags() - keeps each value with its flag, in both spellings', () => {
    expect(parseFlags(['--import', 'tsx', '--import=x', '-r', './a.cjs', '--require=b', '--inspect=0', '--expose-gc'])).toEqual([
      { name: '--import', value: 'tsx', tokens: ['--import', 'tsx'] },
      { name: '--import', value: 'x', tokens: ['--import=x'] },
      { name: '--require', value: './a.cjs', tokens: ['-r', './a.cjs'] },
      { name: '--require', value: 'b', tokens: ['--require=b'] },
      { name: '--inspect', value: '0', tokens: ['--inspect=0'] },
      { name: '--expose-gc', value: undefined, tokens: ['--expose-gc'] },
    ]);
  });

  it('parseFlags() - resolves aliases and reads _ as - in long names', () => {
    const names = (args: string[]): string[] => parseFlags(args).map((flag) => flag.name);
    expect(names(['-e', 'x', '-p', 'x', '-pe', 'x', '-i', '-c', '-C', 'dev', '--loader', 'x', '--debug-port=1'])).toEqual([
      '--eval', '--print', '--eval', '--interactive', '--check', '--conditions', '--experimental-loader', '--inspect-port',
    ]);
    expect(names(['--max_old_space_size=100', '--no_warnings'])).toEqual(['--max-old-space-size', '--no-warnings']);
  });

  it('parseFlags() - code that starts with - is still the value of -e (Node always takes it)', () => {
    expect(parseFlags(['-e', '-1', '--inspect'])).toEqual([
      { name: '--eval', value: '-1', tokens: ['-e', '-1'] },
      { name: '--inspect', value: undefined, tokens: ['--inspect'] },
    ]);
    expect(parseFlags(['--title', '-x'])[0]?.tokens).toEqual(['--title', '-x']);
  });

  it('parseFlags() - an option it does not know keeps a value that follows it (execArgv holds no script)', () => {
    expect(parseFlags(['--some-future-option', 'value', '--other'])).toEqual([
      { name: '--some-future-option', value: 'value', tokens: ['--some-future-option', 'value'] },
      { name: '--other', value: undefined, tokens: ['--other'] },
    ]);
    // `--print <code>`, as Node reads it; an empty -e is still a value.
    expect(parseFlags(['--print', '1 + 1'])[0]?.value).toBe('1 + 1');
    expect(parseFlags(['-e', ''])[0]?.tokens).toEqual(['-e', '']);
  });
});

describe('splitNodeOptions() / joinNodeOptions()', () => {
  it('splitNodeOptions() - splits on spaces, keeps quoted spaces, unescapes inside quotes', () => {
    expect(splitNodeOptions('--import tsx  --title "a b"')).toEqual(['--import', 'tsx', '--title', 'a b']);
    expect(splitNodeOptions('--title "say \\"hi\\" \\\\"')).toEqual(['--title', 'say "hi" \\']);
    // Outside quotes a backslash is a character (a Windows path).
    expect(splitNodeOptions('-r C:\\a.cjs')).toEqual(['-r', 'C:\\a.cjs']);
    expect(splitNodeOptions('')).toEqual([]);
  });

  it('splitNodeOptions() - refuses what Node refuses', () => {
    expect(() => splitNodeOptions('--title "a')).toThrow(SyntaxError);
    expect(() => splitNodeOptions('--title "a\\')).toThrow(SyntaxError);
  });

  it('joinNodeOptions() - writes what splitNodeOptions() reads back the same', () => {
    for (const tokens of [['--import', 'tsx'], ['--title', 'a b'], ['--title', 'say "hi" \\'], ['-r', 'C:\\a.cjs'], ['--x="y"']]) {
      expect(splitNodeOptions(joinNodeOptions(tokens))).toEqual(tokens);
    }
    expect(joinNodeOptions(['--import', 'tsx'])).toBe('--import tsx');
  });
});

describe('childLaunch() - execArgv of a child process', () => {
  const dropped: [string, string[]][] = [
    ['node -e <code>', ['-e', CODE]],
    ['node --input-type=module -e <code>', ['--input-type=module', '-e', CODE]],
    ['node --input-type module --eval <code>', ['--input-type', 'module', '--eval', CODE]],
    ['node --eval=<code>', [`--eval=${CODE}`]],
    ['node -p <code>', ['-p', CODE]],
    ['node --print <code>', ['--print', CODE]],
    ['node -pe <code>', ['-pe', CODE]],
    ['node -c main.js', ['-c']],
    ['node --input-type=module < main.mjs', ['--input-type=module']],
    ['node -i', ['-i']],
    ['node --interactive', ['--interactive']],
    ['node --test', ['--test']],
    ['node --test --test-reporter spec --test-reporter-destination=stdout', ['--test', '--test-reporter', 'spec', '--test-reporter-destination=stdout']],
    ['node --test-name-pattern x --test-only --test-concurrency=2 --test-timeout 5', ['--test-name-pattern', 'x', '--test-only', '--test-concurrency=2', '--test-timeout', '5']],
    ['node --test --experimental-test-coverage --experimental-test-module-mocks', ['--test', '--experimental-test-coverage', '--experimental-test-module-mocks']],
    ['node --watch', ['--watch']],
    ['node --watch-path src --watch-path=lib --watch-preserve-output', ['--watch-path', 'src', '--watch-path=lib', '--watch-preserve-output']],
    ['node --inspect', ['--inspect']],
    ['node --inspect=0', ['--inspect=0']],
    ['node --inspect=127.0.0.1:9229', ['--inspect=127.0.0.1:9229']],
    ['node --inspect-brk', ['--inspect-brk']],
    ['node --inspect-brk=0', ['--inspect-brk=0']],
    ['node --inspect-wait', ['--inspect-wait']],
    ['node --inspect --inspect-port 0 --debug-port=9230', ['--inspect', '--inspect-port', '0', '--debug-port=9230']],
    ['node --inspect-publish-uid=http --inspect-brk-node', ['--inspect-publish-uid=http', '--inspect-brk-node']],
    ['node --env-file=.env --env-file-if-exists .env.local', ['--env-file=.env', '--env-file-if-exists', '.env.local']],
    ['node --snapshot-blob snap.blob', ['--snapshot-blob', 'snap.blob']],
    ['node --build-snapshot --build-snapshot-config=c.json', ['--build-snapshot', '--build-snapshot-config=c.json']],
    ['node --prof-process', ['--prof-process']],
    ['node --experimental-sea-config sea.json', ['--experimental-sea-config', 'sea.json']],
    ['node --run build', ['--run', 'build']],
  ];
  it.each(dropped)('childLaunch() - %s: the child gets none of it', (_, execArgv) => {
    expect(execArgvOf(execArgv, 'process')).toEqual([]);
  });

  const kept: [string, string[]][] = [
    ['--import tsx', ['--import', 'tsx']],
    ['--import=./loader.mjs', ['--import=./loader.mjs']],
    ['-r ./setup.cjs --require=dotenv/config', ['-r', './setup.cjs', '--require=dotenv/config']],
    ['--loader ts-node/esm --experimental-loader=x', ['--loader', 'ts-node/esm', '--experimental-loader=x']],
    ['-C dev --conditions=custom', ['-C', 'dev', '--conditions=custom']],
    ['--experimental-vm-modules --no-experimental-fetch', ['--experimental-vm-modules', '--no-experimental-fetch']],
    ['--experimental-default-type=module --experimental-detect-module', ['--experimental-default-type=module', '--experimental-detect-module']],
    ['--max-old-space-size=4096 --max_semi_space_size=64 --stack-size=2000', ['--max-old-space-size=4096', '--max_semi_space_size=64', '--stack-size=2000']],
    ['--expose-gc --jitless --allow-natives-syntax', ['--expose-gc', '--jitless', '--allow-natives-syntax']],
    ['--enable-source-maps --no-warnings --disable-warning=ExperimentalWarning', ['--enable-source-maps', '--no-warnings', '--disable-warning=ExperimentalWarning']],
    ['--unhandled-rejections=strict --trace-warnings --throw-deprecation', ['--unhandled-rejections=strict', '--trace-warnings', '--throw-deprecation']],
    ['--title worker --cpu-prof --heap-prof', ['--title', 'worker', '--cpu-prof', '--heap-prof']],
    ['--experimental-permission --allow-fs-read=* --allow-child-process', ['--experimental-permission', '--allow-fs-read=*', '--allow-child-process']],
    ['npx tsx: --require <preflight> --import <loader>', ['--require', TSX_PREFLIGHT, '--import', TSX_LOADER]],
  ];
  it.each(kept)('childLaunch() - %s: the child keeps it as given', (_, execArgv) => {
    expect(execArgvOf(execArgv, 'process')).toEqual(execArgv);
  });

  it('childLaunch() - keeps what runs the code and drops the rest, in the parent\'s order', () => {
    const parent = ['--import', 'tsx', '--input-type=module', '--max-old-space-size=512', '-e', CODE, '--inspect-brk=0', '-C', 'dev', '--watch'];
    expect(execArgvOf(parent, 'process')).toEqual(['--import', 'tsx', '--max-old-space-size=512', '-C', 'dev']);
  });

  it('childLaunch() - a clean parent: the same list', () => {
    expect(execArgvOf([], 'process')).toEqual([]);
    expect(execArgvOf(['--conditions=dev', '--expose-gc'], 'process')).toEqual(['--conditions=dev', '--expose-gc']);
  });
});

describe('childLaunch() - execArgv of a worker thread', () => {
  it('childLaunch() - a clean parent: no list, the thread inherits implicitly (also what a Worker refuses explicitly)', () => {
    expect(execArgvOf([], 'thread')).toBeUndefined();
    expect(execArgvOf(['--expose-gc', '--max-old-space-size=512', '--title', 'x', '--conditions=dev'], 'thread')).toBeUndefined();
    expect(execArgvOf(['-r', './setup.cjs', '--import=./loader.mjs'], 'thread')).toBeUndefined();
  });

  it('childLaunch() - a parent that needs filtering: an explicit list without the process-wide flags', () => {
    expect(execArgvOf(['--input-type=module', '-e', CODE], 'thread')).toEqual([]);
    expect(execArgvOf(['--expose-gc', '--inspect'], 'thread')).toEqual([]);
    expect(execArgvOf(['--max-old-space-size=512', '--stack-size=2000', '--title', 'x', '--no-node-snapshot', '--watch'], 'thread')).toEqual([]);
    expect(
      execArgvOf(['-r', './setup.cjs', '--conditions=dev', '--cpu-prof', '--no-warnings', '--experimental-vm-modules', '--openssl-legacy-provider', '-e', CODE], 'thread'),
    ).toEqual(['-r', './setup.cjs', '--conditions=dev', '--cpu-prof', '--no-warnings', '--experimental-vm-modules']);
  });

  it('childLaunch() - tsx\'s preloads become the stand-in that registers tsx inside the thread', () => {
    expect(execArgvOf(['--import', 'tsx'], 'thread')).toEqual(standIn('tsx', 'esm,cjs'));
    expect(execArgvOf(['--import=tsx/esm'], 'thread')).toEqual(standIn('tsx/esm', 'esm'));
    expect(execArgvOf(['-r', 'tsx/cjs'], 'thread')).toEqual(standIn('tsx/cjs', 'cjs', 'require'));
    // What `npx tsx main.ts` passes to the node it starts.
    expect(execArgvOf(['--require', TSX_PREFLIGHT, '--import', TSX_LOADER], 'thread')).toEqual([
      ...standIn(TSX_PREFLIGHT, '', 'require'),
      ...standIn(TSX_LOADER, 'esm,cjs'),
    ]);
    // The stand-in is kept as it is by a nested pool: a thread's own threads inherit it.
    const inThread = execArgvOf(['--import', 'tsx'], 'thread') ?? [];
    expect(execArgvOf(inThread, 'thread')).toBeUndefined();
    expect(execArgvOf(inThread, 'process')).toEqual(inThread);
  });

  it('tsxHooksOf() - knows tsx\'s entries and nothing else', () => {
    const hooks = (args: string[]): unknown => tsxHooksOf(parseFlags(args)[0] ?? { name: '', value: undefined, tokens: [] });
    expect(hooks(['--import', 'tsx'])).toEqual(['esm', 'cjs']);
    expect(hooks(['--import', TSX_LOADER])).toEqual(['esm', 'cjs']);
    expect(hooks(['--import', '/app/node_modules/tsx/dist/esm/index.mjs'])).toEqual(['esm']);
    expect(hooks(['--require', 'C:\\app\\node_modules\\tsx\\dist\\cjs\\index.cjs'])).toEqual(['cjs']);
    expect(hooks(['--require', TSX_PREFLIGHT])).toEqual([]);
    for (const other of [['--import', 'tsx-extra'], ['--import', 'my-tsx'], ['--import', 'tsx/esm/api'], ['--loader', 'tsx'], ['--conditions', 'tsx'], ['--import', './tsx.mjs']]) {
      expect(hooks(other)).toBeUndefined();
    }
  });
});

describe('childLaunch() - NODE_OPTIONS', () => {
  it('childLaunch() - not set stays not set; nothing to drop: the very same string', () => {
    expect(nodeOptionsOf(undefined, 'process')).toBeUndefined();
    const given = '--import tsx  --max-old-space-size=512 --use-openssl-ca';
    expect(nodeOptionsOf(given, 'process')).toBe(given);
    // A worker does not even re-read an unchanged NODE_OPTIONS, so process-wide flags may stay.
    expect(nodeOptionsOf('--use-openssl-ca --max-old-space-size=512 --conditions=dev', 'thread')).toBe('--use-openssl-ca --max-old-space-size=512 --conditions=dev');
  });

  it('childLaunch() - the same rule as execArgv; empty means unset', () => {
    expect(nodeOptionsOf('--inspect-brk', 'process')).toBeUndefined();
    expect(nodeOptionsOf('--inspect=0 --watch --input-type=module --test-only', 'process')).toBeUndefined();
    expect(nodeOptionsOf('--import tsx --inspect', 'process')).toBe('--import tsx');
    expect(nodeOptionsOf('--title "my app" --inspect-brk=0 -r ./a.cjs', 'process')).toBe('--title "my app" -r ./a.cjs');
  });

  it('childLaunch() - a thread\'s changed NODE_OPTIONS loses the process-wide flags (a Worker would refuse it), not V8\'s', () => {
    expect(nodeOptionsOf('--use-openssl-ca --max-old-space-size=512 --inspect', 'thread')).toBe('--max-old-space-size=512');
    expect(nodeOptionsOf('--import tsx', 'thread')).toBe(joinNodeOptions(standIn('tsx', 'esm,cjs')));
  });

  it('childLaunch() - refuses a NODE_OPTIONS that Node refuses', () => {
    expect(() => nodeOptionsOf('--title "a', 'process')).toThrow(SyntaxError);
  });
});

describe('childLaunch() - against the running Node', () => {
  // Each flag with a value Node takes; these are the flags a thread keeps or drops.
  const realistic = [
    '--conditions=dev', '--require=node:path', '--import=data:text/javascript,', '--experimental-vm-modules', '--no-experimental-fetch',
    '--enable-source-maps', '--no-warnings', '--disable-warning=ExperimentalWarning', '--unhandled-rejections=strict', '--trace-warnings',
    '--throw-deprecation', '--pending-deprecation', '--no-deprecation', '--preserve-symlinks', '--frozen-intrinsics', '--no-addons',
    '--dns-result-order=ipv4first', '--max-http-header-size=16384', '--cpu-prof', '--expose-internals', '--trace-uncaught',
    '--expose-gc', '--max-old-space-size=512', '--max_old_space_size=512', '--stack-size=2000', '--stack-trace-limit=20', '--jitless',
    '--allow-natives-syntax', '--harmony', '--title=x', '--no-node-snapshot', '--openssl-legacy-provider', '--use-openssl-ca', '--zero-fill-buffers',
    '--disable-proto=delete', '--v8-pool-size=2', '--secure-heap=0', '--report-compact', '--trace-sigint', '--tls-cipher-list=DEFAULT',
    '--icu-data-dir=/nonexistent', '--report-dir=/tmp', '--report-filename=r.json', '--use-bundled-ca',
  ];

  it('childLaunch() - every explicit list it gives a thread is one a Worker accepts', () => {
    for (const flag of realistic) {
      const execArgv = execArgvOf([flag, '--inspect'], 'thread');
      expect({ flag, accepted: workerAccepts({ execArgv: execArgv ?? [] }) }).toEqual({ flag, accepted: true });
    }
    const all = execArgvOf([...realistic, '--input-type=module', '-e', CODE], 'thread') ?? [];
    expect(workerAccepts({ execArgv: all })).toBe(true);
    expect(all).toContain('--conditions=dev');
  });

  it('childLaunch() - every NODE_OPTIONS it changes for a thread is one a Worker accepts', () => {
    const allowed = realistic.filter((flag) => process.allowedNodeEnvironmentFlags.has(flag));
    for (const flag of allowed) {
      const nodeOptions = nodeOptionsOf(`${flag} --inspect`, 'thread');
      expect({ flag, accepted: workerAccepts(nodeOptions === undefined ? {} : { nodeOptions }) }).toEqual({ flag, accepted: true });
    }
  });

  it('childLaunch() - what it leaves out of a thread\'s list is what a Worker refuses there (why the list exists)', () => {
    for (const flag of ['--expose-gc', '--max-old-space-size=512', '--stack-size=2000', '--title=x', '--no-node-snapshot', '--use-openssl-ca']) {
      expect({ flag, accepted: workerAccepts({ execArgv: [flag] }) }).not.toEqual({ flag, accepted: true });
      expect(execArgvOf([flag, '--inspect'], 'thread')).toEqual([]);
    }
  });

  it('the tables - name options in their canonical form, none of them one the rule drops for every child', () => {
    for (const name of [...PROCESS_WIDE_FLAGS, ...NODE_LISTED_V8_FLAGS, ...CLI_ONLY_NODE_FLAGS]) {
      expect(parseFlags([name])[0]?.name).toBe(name);
      expect(keptForChildren({ name, value: undefined, tokens: [name] })).toBe(true);
    }
  });
});

describe('childExecArgv() / childEnv() - this process', () => {
  const saved = { NODE_OPTIONS: process.env['NODE_OPTIONS'], WATCH_REPORT_DEPENDENCIES: process.env['WATCH_REPORT_DEPENDENCIES'] };
  afterEach(() => {
    for (const [key, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  });

  it('childExecArgv() - always a list for a process', () => {
    expect(Array.isArray(childExecArgv('process'))).toBe(true);
  });

  it('childEnv() - puts the parent\'s NODE_OPTIONS through the rule, keeps one chosen for the child', () => {
    process.env['NODE_OPTIONS'] = '--conditions=dev --inspect-brk=0';
    expect(childEnv(process.env, 'process')['NODE_OPTIONS']).toBe('--conditions=dev');
    expect(childEnv({ ...process.env, FOO: '1' }, 'process')).toMatchObject({ NODE_OPTIONS: '--conditions=dev', FOO: '1' });
    expect(childEnv({ ...process.env, NODE_OPTIONS: '--inspect=0' }, 'process')['NODE_OPTIONS']).toBe('--inspect=0');
    process.env['NODE_OPTIONS'] = '--inspect';
    expect('NODE_OPTIONS' in childEnv(process.env, 'thread')).toBe(false);
    // The argument itself is left alone.
    expect(process.env['NODE_OPTIONS']).toBe('--inspect');
  });

  it('childEnv() - leaves out node --watch\'s WATCH_REPORT_DEPENDENCIES, which is for its own child', () => {
    process.env['WATCH_REPORT_DEPENDENCIES'] = '1';
    expect('WATCH_REPORT_DEPENDENCIES' in childEnv(process.env, 'process')).toBe(false);
    expect(childEnv({ WATCH_REPORT_DEPENDENCIES: 'yes' }, 'thread')['WATCH_REPORT_DEPENDENCIES']).toBe('yes');
  });
});
