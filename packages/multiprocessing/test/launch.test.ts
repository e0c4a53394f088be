/**
 * Every way of starting Node works, and runs the user's script exactly once (issue 9): each
 * row starts a real `node` the way a user would (`-e`, `-p`, stdin, tsx, `--test`,
 * `--watch`, `--inspect*`, the REPL, the same flags through NODE_OPTIONS), and its program
 * runs one task on all five APIs (ProcessPoolExecutor and WorkerThreadPoolExecutor of
 * @concurrent/futures, Pool, ThreadPool and Process of this package), then shares a Queue, a
 * Pipe, a Lock and a Value with a Process child and with a worker thread, has a Process child
 * and a Pool worker write into a `Manager()` dict, and has a Process child connect to a
 * BaseManager that serves from the program's own process (fixtures/launch/run-apis.mjs).
 *
 * Each row passes when every API gave the right result, the script ran once, the program
 * never held more Node processes than its own plus one pool's workers plus the Manager's
 * server (a child that runs the script again makes pools of its own: a fork bomb), and
 * nothing was left behind: no process, no file in its TMPDIR, no shared memory segment. The
 * harness (fixtures/launch/harness.ts) kills a row's process group at once when it holds too
 * many processes or has not finished after a generous bound. Children load the built
 * `dist` of both packages. The rule itself, flag by flag: futures' test/exec-argv.test.ts.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { launchProgram, type Launch, type Outcome } from './fixtures/launch/harness.js';

const fixture = (name: string): string => fileURLToPath(new URL(`./fixtures/launch/${name}`, import.meta.url));
const MAIN_MJS = readFileSync(fixture('main.mjs'), 'utf8');
const MAIN_CJS = readFileSync(fixture('main.cjs'), 'utf8');
const REPL_INPUT = readFileSync(fixture('repl-input.txt'), 'utf8');
// What `npx tsx` runs: the package's bin, on this Node.
const TSX_CLI = createRequire(import.meta.url).resolve('tsx/cli');
/** The most workers of one of the program's pools (fixtures/launch/run-apis.mjs). */
const WORKERS = 2;
/** The Manager's server process, which runs beside a pool's workers. */
const SERVERS = 1;
const APIS = ['ProcessPoolExecutor', 'WorkerThreadPoolExecutor', 'Pool', 'ThreadPool', 'Process'];
/** What the shared objects gave in a Process child and in a worker thread (run-apis.mjs: 100 increments on each side). */
const SHARED = { sum: 6, echo: 'ping!', value: 200, elsewhere: true, eof: 'EOFError' };
const SHARING = {
  'Queue, Pipe, Lock, Value with a Process': SHARED,
  'Queue, Pipe, Lock, Value with a worker thread': SHARED,
  'Manager()': { keys: ['pool', 'process'], elsewhere: true },
  'BaseManager serving from this process': { tally: ['from a child'] },
  activeChildren: 0,
};

interface Row extends Omit<Launch, 'workers' | 'launchers' | 'servers'> {
  readonly launchers?: number;
  /** What `typeof gc` is in every worker (`--expose-gc` must reach them). */
  readonly gc?: 'function' | 'undefined';
  /** Inspector rows: at most this many "Debugger listening" lines (the program's own). */
  readonly inspectors?: number;
}

const rows: [string, Row][] = [
  ['node main.mjs', { args: ['main.mjs'] }],
  ['node --input-type=module -e <code>', { args: ['--input-type=module', '-e', MAIN_MJS] }],
  ['node -e <code>', { args: ['-e', MAIN_CJS] }],
  ['node --eval=<code>', { args: [`--eval=${MAIN_CJS}`] }],
  ['node -p <code>', { args: ['-p', MAIN_CJS] }],
  ['node --input-type=module < main.mjs', { args: ['--input-type=module'], stdin: MAIN_MJS }],
  ["NODE_OPTIONS='--input-type=module' node < main.mjs", { args: [], nodeOptions: '--input-type=module', stdin: MAIN_MJS }],
  ['node -i, fed from a pipe (a function defined in the REPL)', { args: ['-i'], stdin: REPL_INPUT }],
  ['npx tsx main.ts (.ts task module)', { args: [TSX_CLI, 'main.ts'], launchers: 2 }],
  ['node --import tsx main.ts (.ts task module)', { args: ['--import', 'tsx', 'main.ts'] }],
  ["NODE_OPTIONS='--import tsx' node main.ts (.ts task module)", { args: ['main.ts'], nodeOptions: '--import tsx' }],
  ['node --test user.test.mjs', { args: ['--test', 'user.test.mjs'], launchers: 2 }],
  ['node --watch main.mjs (children neither watch nor restart)', { args: ['--watch', 'main.mjs'], launchers: 2, untilCompleted: true }],
  ['node --inspect main.mjs', { args: ['--inspect', 'main.mjs'], inspectors: 1 }],
  ['node --inspect=0 main.mjs', { args: ['--inspect=0', 'main.mjs'], inspectors: 1 }],
  ['node --inspect-brk=0 main.mjs (a debugger resumes the program)', { args: ['--inspect-brk=0', 'main.mjs'], inspectors: 1, releaseInspector: true }],
  ["NODE_OPTIONS='--inspect=0' node main.mjs", { args: ['main.mjs'], nodeOptions: '--inspect=0', inspectors: 1 }],
  ["NODE_OPTIONS='--inspect-brk=0' node main.mjs", { args: ['main.mjs'], nodeOptions: '--inspect-brk=0', inspectors: 1, releaseInspector: true }],
  ['node --expose-gc --conditions=launch --input-type=module -e <code> (kept)', { args: ['--expose-gc', '--conditions=launch', '--input-type=module', '-e', MAIN_MJS], gc: 'function' }],
  ["NODE_OPTIONS='--expose-gc --inspect=0' node main.mjs (kept, dropped)", { args: ['main.mjs'], nodeOptions: '--expose-gc --inspect=0', gc: 'function', inspectors: 1 }],
];

/** The rows run two at a time: each is a real program with workers, on a small machine. */
function limiter(slots: number): <T>(run: () => Promise<T>) => Promise<T> {
  let free = slots;
  const waiting: (() => void)[] = [];
  return async (run) => {
    if (free === 0) await new Promise<void>((resolve) => waiting.push(resolve));
    else free--;
    try {
      return await run();
    } finally {
      const next = waiting.shift();
      if (next === undefined) free++;
      else next();
    }
  };
}
const inTurn = limiter(2);

function explain(outcome: Outcome): string {
  return `code ${outcome.code} signal ${outcome.signal}, peak ${outcome.peak} Node processes${outcome.killed === undefined ? '' : `, killed: ${outcome.killed}`}\n--- stdout\n${outcome.stdout.slice(-2000)}\n--- stderr\n${outcome.stderr.slice(-2000)}`;
}

// The harness counts processes in /proc.
describe.skipIf(process.platform !== 'linux')('launching Node', () => {
  // A row waits for its turn within its own time (the whole file takes about 40 s here): the
  // bound is per row and generous.
  it.concurrent.each(rows)('%s: every API gives the result, the script runs once, no extra processes', async (_, row) => {
    const outcome = await inTurn(() => launchProgram({ launchers: 1, workers: WORKERS, servers: SERVERS, ...row }));
    const why = explain(outcome);
    expect(outcome.killed, why).toBeUndefined();
    const expected = { sum: 5, gc: row.gc ?? 'undefined' };
    expect(outcome.result, why).toEqual({ ...Object.fromEntries(APIS.map((api) => [api, expected])), ...SHARING });
    expect(outcome.runs, why).toBe(1);
    expect(outcome.leftovers, why).toEqual([]);
    expect(outcome.strayFiles, why).toEqual([]);
    expect(outcome.segments, why).toEqual([]);
    if (row.untilCompleted === true) {
      // --watch runs until stopped: the harness stopped it once the run had completed, once.
      expect(outcome.stdout.match(/Completed running/g), why).toHaveLength(1);
      expect(outcome.stdout, why).not.toMatch(/Restarting/);
    } else {
      expect(outcome.code, why).toBe(0);
    }
    if (row.inspectors !== undefined) {
      // The program's own inspector (listening, or failing if another program holds 9229), and
      // no child's: none tries the parent's port, or a port of its own.
      expect((outcome.stderr.match(/Debugger listening on|Starting inspector on/g) ?? []).length, why).toBeLessThanOrEqual(row.inspectors);
    }
  }, 240_000);
});
