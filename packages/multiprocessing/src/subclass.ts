/**
 * Where a subclass of `Process` lives, so that its child can import it and run its `run()`:
 * Python pickles a class by its module and name; a JavaScript class knows neither, but the
 * stack of its constructor call does (the frame of `new MyProcess` is in its module).
 *
 * @module
 */
import { existsSync } from 'node:fs';
import { basename, isAbsolute } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** A class a child can import: its module's URL and its name. */
export interface ClassRef {
  readonly module: string;
  readonly name: string;
}

/**
 * The module of `cls`, found from the current call stack (call it from the base class's
 * constructor), or an Error that says why a child could not import it.
 */
export function locateClass(cls: abstract new (...args: never[]) => unknown, base: string): ClassRef | Error {
  const { name } = cls;
  // eslint-disable-next-line @typescript-eslint/unbound-method -- kept only to be put back as it was
  const savedPrepare = Error.prepareStackTrace;
  const savedLimit = Error.stackTraceLimit;
  let sites: NodeJS.CallSite[] = [];
  try {
    Error.stackTraceLimit = 64;
    Error.prepareStackTrace = (_error, callSites) => callSites;
    const holder: { stack?: unknown } = {};
    Error.captureStackTrace(holder, locateClass);
    sites = holder.stack as NodeJS.CallSite[];
  } finally {
    Error.prepareStackTrace = savedPrepare;
    Error.stackTraceLimit = savedLimit;
  }
  // The frames of the constructors that run, innermost (Process) first: the class is the
  // outermost of them with its name (a base class may have the same name).
  const end = sites.findIndex((s) => !s.isConstructor());
  const constructors = end === -1 ? sites : sites.slice(0, end);
  const site = constructors.findLast((s) => s.getFunctionName() === name);
  const file = site?.getFileName() ?? site?.getScriptNameOrSourceURL();
  const how = `define it in a module file, \`export class ${name || 'MyProcess'} extends ${base}\`, and import it from there`;
  if (name === '') return new TypeError(`a child cannot find an anonymous subclass of ${base}: ${how}`);
  if (file === undefined || file === null) return new TypeError(`a child cannot find ${name}: its module is not known; ${how}`);
  if (file.startsWith('data:')) return { module: file, name };
  // Code given to `node -e` or the REPL has a name, even a file: URL (`[eval1]` as a module), but no file.
  const path = file.startsWith('file:') ? fileURLToPath(file) : isAbsolute(file) ? file : undefined;
  if (path !== undefined && existsSync(path)) return { module: pathToFileURL(path).href, name };
  return new TypeError(`a child cannot import ${name}, defined in ${path === undefined ? file : basename(path)} (not a module file): ${how}`);
}

/** The class `ref` names in an imported module's namespace. @throws Error that says how to export it. */
export function findClass(namespace: Record<string, unknown>, ref: ClassRef, base: string): new (...args: never[]) => unknown {
  const byName = namespace[ref.name];
  const found = typeof byName === 'function' ? byName : Object.values(namespace).find((value) => typeof value === 'function' && value.name === ref.name);
  if (typeof found !== 'function') {
    throw new TypeError(`${ref.name} is not exported by ${ref.module}: a child imports the module of a ${base} subclass, so write \`export class ${ref.name} extends ${base}\``);
  }
  return found as new (...args: never[]) => unknown;
}
