/**
 * `Process`: one child process running one function. Mirrors `multiprocessing.Process`.
 *
 * Children are forked from this package's `process-child.js` (real JavaScript from `dist`,
 * also when this module runs from `src` under a test runner), sent their target and
 * arguments once over IPC (structured clone), and exit when the target returns.
 *
 * Parent exit, as in Python's `multiprocessing.util._exit_function`: a non-daemon child keeps
 * the parent's event loop alive until it exits (the parent waits for it); a daemon child does
 * not, and is sent SIGTERM when the parent exits.
 *
 * @module
 */
import { AssertionError } from 'node:assert';
import { type ChildProcess, fork } from 'node:child_process';
import { constants } from 'node:os';
import { isTaskRef, type Task } from '@concurrent/futures';
import { builtFile, childEnv, childExecArgv, reduceValue, resolveTask, type TaskSpec, toTaskSpec } from '@concurrent/futures/internal';
import { processAuthkey } from './current-process.js';
import { RuntimeError } from './errors.js';
import { START, type StartMessage } from './process-protocol.js';
import { collectTransits } from './sharing/runtime.js';
import { type ClassRef, locateClass } from './subclass.js';
import { checkArgs, checkOptions, checkTimeout, describe, waitAtMost } from './validate.js';

/** Options of {@link Process}. Mirrors the parameters of `multiprocessing.Process`. */
export interface ProcessOptions<A extends unknown[] = unknown[]> {
  /** What the child runs: a TaskRef from `moduleTasks()` or a self-contained function. None: the child just exits. */
  target?: Task<A, unknown> | undefined;
  /** The target's arguments (structured clone). */
  args?: A | undefined;
  /** Default `Process-N`. */
  name?: string | undefined;
  /** Daemon children do not keep the parent alive and get SIGTERM when it exits. Default `false`. */
  daemon?: boolean | undefined;
}

const PROCESS_KEYS = ['target', 'args', 'name', 'daemon'];
/** How long after a child's exit a pipe end it never took over is closed (see start()). */
const TRANSIT_GRACE_MS = 100;

let counter = 0;
/** Started children whose exit has not been seen yet. */
const alive = new Set<Process>();
let exitHookInstalled = false;

function childEntry(): string {
  return builtFile(new URL('.', import.meta.url), 'process-child.js');
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // Python terminates daemonic children at interpreter exit. 'exit' handlers run synchronously,
  // which is all a kill needs.
  process.on('exit', () => {
    for (const child of alive) if (child.daemon) child.terminate();
  });
}

/** What the child's entry hands the next Process constructor: the target and args it was sent. */
interface Revived {
  readonly target: TaskSpec | null;
  readonly args: unknown[];
}

// On globalThis under a registered symbol: the class the child instantiates may extend the
// Process of another copy of this package (src beside dist).
const REVIVED = Symbol.for('@concurrent/multiprocessing.revivedProcess');
/** Set while a child imports its subclass's module (Python's bootstrapping phase). */
export const BOOTSTRAPPING = Symbol.for('@concurrent/multiprocessing.bootstrapping');
type Global = typeof globalThis & { [REVIVED]?: Revived | undefined; [BOOTSTRAPPING]?: boolean };
let markCurrent: (instance: Process) => void = () => {};

function takeRevived(): Revived | undefined {
  const revived = (globalThis as Global)[REVIVED];
  (globalThis as Global)[REVIVED] = undefined;
  return revived;
}

/**
 * Internal (the child's entry): this process's Process object, of class `cls` (Process or
 * the subclass the parent started), with the target, arguments and fields the parent sent,
 * made without running the subclass's constructor (Python unpickles without `__init__`).
 */
export function reviveProcess(cls: new (...args: never[]) => unknown, revived: Revived & { name: string; daemon: boolean; fields: Record<string, unknown> }): Process {
  let base: unknown = cls;
  // The root of its chain: the Process class whose constructor sets the private fields.
  while (typeof base === 'function' && Object.getPrototypeOf(base) !== Function.prototype) base = Object.getPrototypeOf(base);
  (globalThis as Global)[REVIVED] = { target: revived.target, args: revived.args };
  try {
    const instance = Reflect.construct(base as typeof Process, [{ name: revived.name, daemon: revived.daemon }], cls) as Process;
    // Of another copy of this package, its private fields are not ours to set.
    if (base === Process) markCurrent(instance);
    return Object.assign(instance, revived.fields);
  } finally {
    (globalThis as Global)[REVIVED] = undefined;
  }
}

/** How the target travels, exactly as the executors ship a task (function source or module export). */
function toSpec(target: unknown): TaskSpec | null {
  if (target === undefined || target === null) return null;
  if (isTaskRef(target) || typeof target === 'function') return toTaskSpec(target as Task<unknown[], unknown>);
  throw new TypeError(`Expected \`target\` to be a function or a TaskRef from moduleTasks(), got ${describe(target)}`);
}

/**
 * A function run in a child process of its own. Mirrors `multiprocessing.Process`:
 * `start()`, `join(timeout)`, `isAlive()`, `terminate()`, `kill()`, `pid`, `exitcode`
 * (0 when the target returned, 1 when it threw, minus the signal number when a signal
 * killed it, as in Python), `name`, `daemon`.
 *
 * @example
 * ```ts
 * import { Process } from '@concurrent/multiprocessing';
 * const p = new Process({ target: tasks.greet, args: ['bob'] });
 * p.start();
 * await p.join();
 * console.log(p.exitcode); // 0
 * ```
 */
export class Process<A extends unknown[] = unknown[]> {
  /** The process's name: `currentProcess().name` in the child. Mirrors `Process.name`. */
  name: string;
  readonly #target: TaskSpec | null;
  readonly #args: unknown[];
  #subclass: ClassRef | Error | undefined;
  /** This object is the process running this code (the child's revived instance). */
  #current = false;

  static {
    markCurrent = (instance) => {
      instance.#current = true;
    };
  }
  #daemon: boolean;
  #child: ChildProcess | undefined;
  #exitcode: number | null = null;
  #exited = false;
  #onExit: () => void = () => {};
  readonly #exit: Promise<void>;

  /**
   * @param options - `{ target, args, name, daemon }`.
   * @throws TypeError for a target that is neither a function nor a TaskRef, or a function
   *   that cannot be sent to a child (bound, native, a class, uses `this`).
   */
  constructor(options: ProcessOptions<A> = {}) {
    const opts = checkOptions(options, 'Process', PROCESS_KEYS);
    const revived = takeRevived();
    this.#target = revived === undefined ? toSpec(opts.target) : revived.target;
    this.#args = revived === undefined ? checkArgs(opts.args, 'Process') : revived.args;
    // A subclass runs its own run() in the child, which must import it (issue 14).
    if (new.target !== Process && revived === undefined) this.#subclass = locateClass(new.target, 'Process');
    if (opts.name !== undefined && typeof opts.name !== 'string') throw new TypeError(`Expected \`name\` to be a string, got ${describe(opts.name)}`);
    if (opts.daemon !== undefined && typeof opts.daemon !== 'boolean') throw new TypeError(`Expected \`daemon\` to be a boolean, got ${describe(opts.daemon)}`);
    counter++;
    // Python names a subclass's instances after the class: `MyProcess-1`.
    this.name = opts.name ?? `${new.target === Process ? 'Process' : new.target.name || 'Process'}-${counter}`;
    this.#daemon = opts.daemon ?? false;
    this.#exit = new Promise((resolve) => (this.#onExit = resolve));
  }

  /** Whether the child is a daemon; settable until `start()`. Mirrors `Process.daemon`. */
  get daemon(): boolean {
    return this.#daemon;
  }

  set daemon(value: boolean) {
    if (this.#child !== undefined) throw new AssertionError({ message: 'process has already started' });
    if (typeof value !== 'boolean') throw new TypeError(`Expected \`daemon\` to be a boolean, got ${describe(value)}`);
    this.#daemon = value;
  }

  /** The child's pid, `null` before `start()`; in the child's own `run()`, its pid. Mirrors `Process.pid`. */
  get pid(): number | null {
    return this.#current ? process.pid : (this.#child?.pid ?? null);
  }

  /** Same as `pid`. Mirrors `Process.ident`. */
  get ident(): number | null {
    return this.pid;
  }

  /**
   * `null` while the child runs (or before it started); then its exit code, or minus the
   * number of the signal that killed it (`-15` for SIGTERM, `-9` for SIGKILL). Mirrors
   * `Process.exitcode`. The exit is seen asynchronously: after `terminate()`, `await join()`
   * before reading it.
   */
  get exitcode(): number | null {
    return this.#exitcode;
  }

  /**
   * Starts the child. Mirrors `Process.start`.
   *
   * @throws AssertionError `'cannot start a process twice'`; TypeError when the arguments
   *   cannot be sent (structured clone), and then the process counts as not started.
   * @example
   * ```ts
   * const p = new Process({ target: tasks.work, args: [1] });
   * p.start();
   * ```
   */
  start(): void {
    if (this.#child !== undefined) throw new AssertionError({ message: 'cannot start a process twice' });
    if ((globalThis as Global)[BOOTSTRAPPING] === true) {
      throw new RuntimeError(
        'An attempt has been made to start a new process before the current process has finished its bootstrapping phase: ' +
          'this child imports the module of its Process subclass, and that module starts processes when it is imported. ' +
          "Define the subclass in a module of its own, or start processes only when currentProcess().name === 'MainProcess'.",
      );
    }
    if (this.#subclass instanceof Error) throw this.#subclass;
    // A subclass's public fields go with it (its #private ones cannot be read, and stay here).
    const fields = this.#subclass === undefined ? undefined : { ...this };
    const child = fork(childEntry(), [], {
      serialization: 'advanced',
      // What the child inherits of how this process was started: @concurrent/futures's
      // docs/launching.md (the same rule as the process pools).
      execArgv: [...childExecArgv('process')],
      env: childEnv(process.env, 'process'),
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    let message: StartMessage;
    try {
      // Queues and pipe ends among the arguments travel as handles (reduction), revived in the child.
      const { value: reduced, voids } = collectTransits(() => reduceValue([this.#args, fields], 'process'));
      const [args, reducedFields] = (reduced?.value ?? [this.#args, fields]) as [unknown[], Record<string, unknown> | undefined];
      message = {
        type: START,
        target: this.#target,
        args,
        name: this.name,
        daemon: this.#daemon,
        authkey: processAuthkey(),
        ...(reduced === undefined ? {} : { revive: reduced.key }),
        ...(this.#subclass === undefined ? {} : { subclass: { ...this.#subclass, fields: reducedFields ?? {} } }),
      };
      child.send(message);
      // A pipe end the child never took over (it died first) is closed, so that the other end
      // reads EOF instead of waiting forever. Not at once: what the child sent just before it
      // exited may still be unread in the socket.
      if (voids.length > 0) child.once('exit', () => setTimeout(() => voids.forEach((voidIt) => voidIt()), TRANSIT_GRACE_MS).unref());
    } catch (error) {
      child.kill('SIGKILL');
      const reason = error instanceof Error ? error.message : String(error);
      throw new TypeError(`the arguments of ${this.name} could not be sent to the child process: ${reason}`, { cause: error });
    }
    this.#child = child;
    alive.add(this);
    child.on('exit', (code, signal) => this.#exited_(code, signal));
    // A failed spawn (no pid) never exits: report it as exit code 1. A failed kill needs nothing.
    child.on('error', () => {
      if (child.pid === undefined) this.#exited_(1, null);
    });
    if (this.#daemon) {
      installExitHook();
      // The child handle and its IPC channel are separate handles: both must let go.
      child.unref();
      child.channel?.unref();
    }
  }

  /**
   * Waits until the child has exited, or `timeout` ms have passed (then it resolves anyway:
   * check `exitcode`, as in Python). Mirrors `Process.join`.
   *
   * @throws (rejects) AssertionError `'can only join a started process'`.
   * @example
   * ```ts
   * await p.join(5_000);
   * if (p.exitcode === null) p.terminate();
   * ```
   */
  async join(timeout?: number): Promise<void> {
    if (this.#child === undefined) throw new AssertionError({ message: 'can only join a started process' });
    const ms = checkTimeout(timeout);
    if (this.#exited) return;
    await waitAtMost(this.#exit, ms);
  }

  /**
   * Whether the child has started and its exit has not been seen yet. Mirrors `Process.is_alive`.
   *
   * @example
   * ```ts
   * while (p.isAlive()) await p.join(1_000);
   * ```
   */
  isAlive(): boolean {
    return this.#current || (this.#child !== undefined && !this.#exited);
  }

  /**
   * Sends SIGTERM (the exit code becomes -15 unless the child handles it). Mirrors
   * `Process.terminate`. Does nothing once the child has exited.
   *
   * @throws AssertionError before `start()`.
   * @example
   * ```ts
   * p.terminate();
   * await p.join();
   * p.exitcode; // -15
   * ```
   */
  terminate(): void {
    this.#signal('SIGTERM');
  }

  /**
   * Sends SIGKILL (exit code -9). Mirrors `Process.kill`.
   *
   * @throws AssertionError before `start()`.
   * @example
   * ```ts
   * p.kill();
   * await p.join();
   * ```
   */
  kill(): void {
    this.#signal('SIGKILL');
  }

  /**
   * What the child does: calls the target with the arguments. Override it in a subclass, as in
   * Python: the child then imports the subclass's module, makes an instance with the public
   * fields this one had at `start()` (structured clone; queues, locks and other shared objects
   * as handles) and runs its `run()`. Called here, it runs the target in this process.
   *
   * @example
   * ```ts
   * // my-process.ts (the child imports this module: the class must be exported)
   * export class MyProcess extends Process {
   *   greeting = 'hello';
   *   override run() { console.log(`${this.greeting} from ${process.pid}`); }
   * }
   * // main.ts
   * const p = new MyProcess();
   * p.start();
   * await p.join();
   * ```
   */
  async run(): Promise<void> {
    if (this.#target === null) return;
    const fn = await resolveTask(this.#target);
    await fn(...this.#args);
  }

  /** `<Process name=Process-1 pid=1234 started>`, as Python's repr. */
  toString(): string {
    const status = this.#child === undefined ? 'initial' : this.#exited ? `stopped exitcode=${this.#exitcode}` : 'started';
    return `<Process name='${this.name}'${this.pid === null ? '' : ` pid=${this.pid}`} ${status}${this.#daemon ? ' daemon' : ''}>`;
  }

  #signal(signal: 'SIGTERM' | 'SIGKILL'): void {
    const child = this.#child;
    if (child === undefined) throw new AssertionError({ message: `can only ${signal === 'SIGTERM' ? 'terminate' : 'kill'} a started process` });
    if (!this.#exited) child.kill(signal);
  }

  #exited_(code: number | null, signal: NodeJS.Signals | null): void {
    if (this.#exited) return;
    this.#exited = true;
    this.#exitcode = code ?? (signal === null ? 1 : -(constants.signals[signal] ?? 0));
    alive.delete(this);
    this.#onExit();
  }
}

/**
 * The children started with {@link Process} that have not exited (as far as this process
 * has seen). Mirrors `multiprocessing.active_children()`, except that `Pool` workers are not
 * listed (they belong to the pool).
 *
 * @example
 * ```ts
 * for (const child of activeChildren()) child.terminate();
 * ```
 */
export function activeChildren(): Process[] {
  return [...alive] as Process[];
}
