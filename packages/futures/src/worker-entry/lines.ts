/**
 * The reclaim pipe's framing (child-agent-thread.ts, handle.ts): one short line of ASCII per
 * message, words separated by spaces.
 *
 * @module
 */
import type { Socket } from 'node:net';

/** Calls `onLine` with the words of each complete line that arrives on `socket`. */
export function onLines(socket: Socket, onLine: (words: string[]) => void): void {
  socket.setEncoding('latin1');
  let partial = '';
  socket.on('data', (chunk: string) => {
    partial += chunk;
    for (let end = partial.indexOf('\n'); end !== -1; end = partial.indexOf('\n')) {
      const line = partial.slice(0, end);
      partial = partial.slice(end + 1);
      onLine(line.split(' '));
    }
  });
}
