/**
 * The body of a pool child's agent thread (see child-agent.ts): the parent watch, and the
 * reclaim service.
 *
 * Reclaim protocol, one line each way per request, on the pipe the parent opened:
 *
 * ```
 *  parent                         agent
 *                          ◀────  ready
 *  <request> <seq> <seq> … ────▶  revokes each seq it can (claims.ts)
 *                          ◀────  <request> <seq revoked> …
 * ```
 *
 * @module
 */
import { Socket } from 'node:net';
import { workerData } from 'node:worker_threads';
import type { AgentData } from './child-agent.js';
import { Claims } from './claims.js';
import { onLines } from './lines.js';

const data = workerData as AgentData;

setInterval(() => {
  if (process.ppid !== data.ppid) process.kill(data.pid, 'SIGKILL');
}, data.interval);

if (data.fd !== undefined) serveReclaims(new Claims(data.claims), data.fd);

function serveReclaims(claims: Claims, fd: number): void {
  const pipe = new Socket({ fd, readable: true, writable: true });
  // The parent is gone or closed its end: nothing left to answer.
  pipe.on('error', () => {});
  onLines(pipe, ([request = '', ...seqs]) => {
    const revoked = seqs.filter((seq) => claims.revoke(Number(seq)));
    pipe.write(`${[request, ...revoked].join(' ')}\n`);
  });
  pipe.write('ready\n');
}
