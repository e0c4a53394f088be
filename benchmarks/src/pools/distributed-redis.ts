// A redis-server of the distributed case's own: Debian's package on a free loopback port, a
// temporary directory, no persistence, stopped after. The approach of
// packages/distributed/test/redis.ts, plus a guard that nothing outlives the benchmark: the
// server runs under a small shell that kills it once its stdin closes, which happens when the
// benchmark process exits, even by SIGKILL.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import type { Resources } from '../harness/resources.js';

/** The redis-server binary on PATH (or /usr/bin, /usr/sbin, /usr/local/bin), or undefined. */
export function redisBinary(): string | undefined {
  return [...(process.env['PATH'] ?? '').split(delimiter), '/usr/bin', '/usr/sbin', '/usr/local/bin']
    .filter((dir) => dir !== '')
    .map((dir) => join(dir, 'redis-server'))
    .find((path) => existsSync(path));
}

/** How long redis-server may take to answer PING after it was started. */
const START_TIMEOUT_MS = 10_000;

/**
 * Runs redis-server in the background, prints its pid, waits for the shell's stdin to close
 * (the parent went away, or the stop closed it), then stops the server (SIGTERM) and waits
 * for it.
 */
const GUARD = '"$0" "$@" & pid=$!; echo "$pid"; cat >/dev/null; kill "$pid" 2>/dev/null; wait "$pid"';

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/**
 * Sends one inline command to the server on `port` and resolves with the first line of its
 * answer (`+PONG`, `+OK`, `-ERR ...`); false when nothing answers.
 */
export function redisCommand(port: number, command: string): Promise<string | false> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let answer = '';
    socket.setEncoding('utf8');
    socket.on('error', () => resolve(false));
    socket.on('connect', () => socket.write(`${command}\r\n`));
    socket.on('data', (chunk: string) => {
      answer += chunk;
      const end = answer.indexOf('\r\n');
      if (end >= 0) {
        socket.destroy();
        resolve(answer.slice(0, end));
      }
    });
  });
}

/** A running server. */
export interface RedisServer {
  readonly port: number;
  readonly url: string;
  readonly version: string;
}

/**
 * Starts redis-server, registered with `resources` (stopped, and its directory removed, when
 * they are).
 *
 * @throws (rejects) if it exits or does not answer PING within {@link START_TIMEOUT_MS}.
 */
export async function startRedis(resources: Resources, binary: string): Promise<RedisServer> {
  const dir = mkdtempSync(join(tmpdir(), 'concurrent-bench-redis-'));
  const port = await freePort();
  const log = join(dir, 'redis.log');
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--logfile', log, '--save', '', '--appendonly', 'no', '--protected-mode', 'no', '--loglevel', 'warning'];
  const guard = spawn('sh', ['-c', GUARD, binary, ...args], { stdio: ['pipe', 'pipe', 'inherit'] });
  const exited = new Promise<void>((resolve) => {
    guard.once('close', () => resolve());
    guard.once('error', () => resolve());
  });
  let serverPid: number | undefined;
  let output = '';
  guard.stdout.setEncoding('utf8');
  guard.stdout.on('data', (chunk: string) => {
    output += chunk;
    serverPid ??= /^(\d+)\n/.exec(output) === null ? undefined : Number(output.split('\n')[0]);
  });
  guard.stdin.on('error', () => undefined);
  resources.add('redis-server', guard, async (hard) => {
    // Closing stdin makes the guard stop the server (SIGTERM) and wait for it; a hard stop kills it.
    guard.stdin.end();
    if (hard && serverPid !== undefined) {
      try {
        process.kill(serverPid, 'SIGKILL');
      } catch {
        // Gone already.
      }
    }
    await exited;
    rmSync(dir, { recursive: true, force: true });
  });
  const deadline = performance.now() + START_TIMEOUT_MS;
  const failed = (why: string): Error => {
    const text = existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n').slice(-3).join(' | ') : '';
    return new Error(`redis-server ${why}${text === '' ? '' : `: ${text}`}`);
  };
  for (;;) {
    if (guard.exitCode !== null) throw failed(`exited at start (code ${String(guard.exitCode)})`);
    if ((await redisCommand(port, 'PING')) === '+PONG') break;
    if (performance.now() > deadline) throw failed(`did not answer on 127.0.0.1:${String(port)} within ${String(START_TIMEOUT_MS)} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const info = await redisInfo(port);
  return { port, url: `redis://127.0.0.1:${String(port)}`, version: /redis_version:(\S+)/.exec(info)?.[1] ?? 'unknown' };
}

/** The whole answer of `INFO server` (a bulk string). */
function redisInfo(port: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let answer = '';
    socket.setEncoding('utf8');
    socket.on('error', () => resolve(''));
    socket.on('connect', () => socket.write('INFO server\r\n'));
    socket.on('data', (chunk: string) => {
      answer += chunk;
      const header = /^\$(\d+)\r\n/.exec(answer);
      if (header === null || Buffer.byteLength(answer) < header[0].length + Number(header[1])) return;
      socket.destroy();
      resolve(answer);
    });
  });
}
