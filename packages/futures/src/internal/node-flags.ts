/**
 * Reading Node's own command line the way Node reads it: `process.execArgv` and the
 * `NODE_OPTIONS` environment variable, split into flags that keep their values
 * (`--import tsx` is one flag of two tokens), and `NODE_OPTIONS` written back. The rule of
 * what a child inherits (exec-argv.ts) works on these flags.
 *
 * @module
 */

/** One Node option as given, with its value. */
export interface NodeFlag {
  /** Long form, aliases resolved, `_` read as `-`: `-r` → `--require`, `--max_old_space_size` → `--max-old-space-size`. */
  readonly name: string;
  /** The value given with the flag (`--import x` or `--import=x`), if any. */
  readonly value: string | undefined;
  /** The tokens as given (`['-r', 'x']`, `['--inspect=0']`): what a child is passed unchanged. */
  readonly tokens: readonly string[];
}

// Node's aliases (node_options.cc), resolved so that one rule covers both spellings. `-pe` is
// `--print --eval`: its value is the code, as `--eval`'s.
const ALIASES: ReadonlyMap<string, string> = new Map([
  ['-e', '--eval'],
  ['-p', '--print'],
  ['-pe', '--eval'],
  ['-i', '--interactive'],
  ['-c', '--check'],
  ['-r', '--require'],
  ['-C', '--conditions'],
  ['-v', '--version'],
  ['-h', '--help'],
  ['--loader', '--experimental-loader'],
  ['--debug-port', '--inspect-port'],
  ['--report-directory', '--report-dir'],
  ['--security-reverts', '--security-revert'],
  ['--es-module-specifier-resolution', '--experimental-specifier-resolution'],
  ['--trace-events-enabled', '--trace-event-categories'],
  ['--enable-network-family-autoselection', '--network-family-autoselection'],
]);

/**
 * Node's options that always take the next token as their value, even one that starts with
 * `-` (`-e '-1'`): those of type integer, string, host:port or string list in Node 20's
 * node_options.cc, and a few of later lines. Any other flag takes the next token only when it
 * does not start with `-`, which is also how Node reads `--print <code>`; in `execArgv` a
 * token that is not an option can only be a value (the script and its arguments are not
 * there), so an option this list misses still keeps its value.
 */
const TAKES_VALUE: ReadonlySet<string> = new Set([
  '--allow-fs-read', '--allow-fs-write', '--build-snapshot-config', '--conditions', '--cpu-prof-dir',
  '--cpu-prof-interval', '--cpu-prof-name', '--diagnostic-dir', '--disable-proto', '--disable-warning',
  '--dns-result-order', '--env-file', '--env-file-if-exists', '--eval', '--experimental-default-type',
  '--experimental-loader', '--experimental-policy', '--experimental-sea-config', '--heap-prof-dir',
  '--heap-prof-interval', '--heap-prof-name', '--heapsnapshot-near-heap-limit', '--heapsnapshot-signal',
  '--icu-data-dir', '--import', '--input-type', '--inspect-port', '--inspect-publish-uid',
  '--max-http-header-size', '--network-family-autoselection-attempt-timeout', '--openssl-config',
  '--policy-integrity', '--redirect-warnings', '--report-dir', '--report-filename', '--report-signal',
  '--require', '--secure-heap', '--secure-heap-min', '--security-revert', '--snapshot-blob',
  '--test-concurrency', '--test-name-pattern', '--test-reporter', '--test-reporter-destination',
  '--test-shard', '--test-timeout', '--title', '--tls-cipher-list', '--tls-keylog',
  '--trace-event-categories', '--trace-event-file-pattern', '--trace-require-module',
  '--unhandled-rejections', '--use-largepages', '--v8-pool-size', '--watch-path',
  // Later Node lines.
  '--test-skip-pattern', '--test-isolation', '--experimental-test-isolation', '--watch-kill-signal',
  '--localstorage-file', '--run', '--experimental-config-file',
]);

/** A flag's name as Node reads it: aliases resolved, `_` read as `-` in a long name. */
export function canonicalName(given: string): string {
  const alias = ALIASES.get(given);
  if (alias !== undefined) return alias;
  if (!given.startsWith('--')) return given;
  const long = `--${given.slice(2).replaceAll('_', '-')}`;
  return ALIASES.get(long) ?? long;
}

/**
 * Splits a list of Node options (`process.execArgv`, or `NODE_OPTIONS` split by
 * {@link splitNodeOptions}) into flags, each with its value.
 *
 * @example
 * ```ts
 * parseFlags(['-r', 'x', '--inspect=0']);
 * // [{ name: '--require', value: 'x', tokens: ['-r', 'x'] },
 * //  { name: '--inspect', value: '0', tokens: ['--inspect=0'] }]
 * ```
 */
export function parseFlags(args: readonly string[]): NodeFlag[] {
  const flags: NodeFlag[] = [];
  for (let index = 0; index < args.length; index++) {
    const token = args[index] as string;
    // `--name=value`; short options have no `=` form in Node.
    const equals = token.startsWith('--') ? token.indexOf('=') : -1;
    if (equals !== -1) {
      flags.push({ name: canonicalName(token.slice(0, equals)), value: token.slice(equals + 1), tokens: [token] });
      continue;
    }
    const name = canonicalName(token);
    const next = args[index + 1];
    if (next !== undefined && (TAKES_VALUE.has(name) || !next.startsWith('-'))) {
      flags.push({ name, value: next, tokens: [token, next] });
      index++;
      continue;
    }
    flags.push({ name, value: undefined, tokens: [token] });
  }
  return flags;
}

/**
 * Splits `NODE_OPTIONS` as Node does (ParseNodeOptionsEnvVar): on spaces, except inside
 * double quotes, where a backslash escapes the next character.
 *
 * @throws SyntaxError for an unterminated quote or a trailing backslash, which Node refuses
 *   too (the parent could not have started with them).
 * @example
 * ```ts
 * splitNodeOptions('--import tsx --title "a b"'); // ['--import', 'tsx', '--title', 'a b']
 * ```
 */
export function splitNodeOptions(value: string): string[] {
  const tokens: string[] = [];
  let inQuotes = false;
  let startsNew = true;
  for (let index = 0; index < value.length; index++) {
    let char = value[index] as string;
    if (char === '\\' && inQuotes) {
      if (index + 1 === value.length) throw new SyntaxError('invalid value for NODE_OPTIONS (invalid escape)');
      char = value[++index] as string;
    } else if (char === ' ' && !inQuotes) {
      startsNew = true;
      continue;
    } else if (char === '"') {
      inQuotes = !inQuotes;
      continue;
    }
    if (startsNew) {
      tokens.push(char);
      startsNew = false;
    } else {
      tokens[tokens.length - 1] += char;
    }
  }
  if (inQuotes) throw new SyntaxError('invalid value for NODE_OPTIONS (unterminated string)');
  return tokens;
}

/**
 * Writes tokens back as a `NODE_OPTIONS` value that {@link splitNodeOptions} (and Node)
 * splits into the same tokens. An empty token cannot be written (Node drops `""`); Node
 * options never need one.
 *
 * @example
 * ```ts
 * joinNodeOptions(['--title', 'a b']); // '--title "a b"'
 * ```
 */
export function joinNodeOptions(tokens: readonly string[]): string {
  return tokens.map((token) => (/[ "\\]/.test(token) ? `"${token.replaceAll(/["\\]/g, '\\$&')}"` : token)).join(' ');
}
