// The matrix's tasks. Every executor runs these same functions: the sequential baseline calls
// them directly, ThreadPoolExecutor imports this module in-process, the worker and process
// pools import it in each worker (through TaskRefs, see workloads.ts). So it imports only
// node built-ins: a worker loads this file and no more.
import { createHash } from 'node:crypto';
import http from 'node:http';

/** The tiny task: its cost is all dispatch. */
export function identity(x: number): number {
  return x;
}

/** CPU-bound, pure JS: naive recursive Fibonacci (fib(30) is ~1.3M calls). */
export function fib(n: number): number {
  return n < 2 ? n : fib(n - 1) + fib(n - 2);
}

/** A deterministic block of `bytes` bytes, made once per worker and size (not shipped per task). */
const blocks = new Map<number, Buffer>();
function block(bytes: number): Buffer {
  let buffer = blocks.get(bytes);
  if (buffer === undefined) {
    buffer = Buffer.alloc(bytes);
    for (let i = 0; i < bytes; i++) buffer[i] = (i * 31 + 7) & 0xff;
    blocks.set(bytes, buffer);
  }
  return buffer;
}

/** Hashes `data` `rounds` times with SHA-256, each round chained on the previous digest. */
function chainedHash(data: Buffer, rounds: number): string {
  let digest = Buffer.alloc(32);
  for (let i = 0; i < rounds; i++) digest = createHash('sha256').update(digest).update(data).digest();
  return digest.toString('hex');
}

/**
 * CPU-bound, native: SHA-256 over a `bytes`-byte buffer, `rounds` times, chained. node:crypto
 * hashes synchronously on the calling thread, so this blocks the event loop like fib does.
 */
export function hash(bytes: number, rounds: number): string {
  return chainedHash(block(bytes), rounds);
}

/** IO-bound, timer: resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<number> {
  return new Promise((resolve) => setTimeout(() => resolve(ms), ms));
}

/**
 * GETs `/?ms=<ms>&bytes=<bytes>` from the benchmark's loopback server (which answers after
 * `ms` ms with `bytes` bytes) and resolves with the body. Node's global agent keeps
 * connections alive, so after the warm-up a request reuses its socket as a real client would.
 */
function get(port: number, ms: number, bytes: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const request = http.get({ host: '127.0.0.1', port, path: `/?ms=${ms}&bytes=${bytes}` }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => {
        const body = Buffer.concat(chunks);
        if (response.statusCode === 200 && body.length === bytes) resolve(body);
        else reject(new Error(`GET answered ${String(response.statusCode)} with ${body.length} of ${bytes} bytes`));
      });
      response.on('error', reject);
    });
    request.on('error', reject);
  });
}

/** IO-bound, network: one HTTP GET answered after `ms` ms; resolves with the body's length. */
export async function fetchBody(port: number, ms: number, bytes: number): Promise<number> {
  return (await get(port, ms, bytes)).length;
}

/** Mixed: one HTTP GET, then SHA-256 over its body `rounds` times (CPU work on what came back). */
export async function fetchAndHash(port: number, ms: number, bytes: number, rounds: number): Promise<string> {
  return chainedHash(await get(port, ms, bytes), rounds);
}

/** What fetchAndHash returns when the server sent the bytes it promised (the server's pattern). */
export function expectedBodyHash(bytes: number, rounds: number): string {
  const body = Buffer.alloc(bytes);
  for (let i = 0; i < bytes; i++) body[i] = i & 0xff;
  return chainedHash(body, rounds);
}
