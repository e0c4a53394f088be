/**
 * The frame socket (src/sharing/frames.ts) on its own: frames of every size class, staged,
 * written early and merged acknowledgements arrive whole and in order.
 */
import { randomBytes } from 'node:crypto';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { type Frame, FrameSocket } from '../src/sharing/frames.js';

interface Sent {
  readonly op: number;
  readonly obj: number;
  readonly a: number;
  readonly b: number;
  readonly flags: number;
  readonly payload: Buffer;
}

const END = 99;
let server: Server | undefined;
const sockets: Socket[] = [];

afterEach(() => {
  for (const socket of sockets.splice(0)) socket.destroy();
  server?.close();
  server = undefined;
});

/** A connected pair: frames written on `writer` are collected from the other side, up to a frame with op {@link END}. */
async function pair(): Promise<{ writer: FrameSocket; received: Promise<Frame[]> }> {
  const address = `\0concurrent-frames-test-${randomBytes(6).toString('hex')}`;
  let resolveReceived!: (frames: Frame[]) => void;
  const received = new Promise<Frame[]>((resolve) => (resolveReceived = resolve));
  const frames: Frame[] = [];
  server = createServer((socket) => {
    sockets.push(socket);
    new FrameSocket(
      socket,
      // A copy: the payload is a view into bytes the reader may reuse.
      (frame) => {
        frames.push({ ...frame, payload: Buffer.from(frame.payload) });
        if (frame.op === END) resolveReceived(frames);
      },
      () => {},
    );
  });
  await new Promise<void>((resolve) => server!.listen(address, resolve));
  const socket = connect({ path: address });
  sockets.push(socket);
  await new Promise<void>((resolve) => socket.once('connect', resolve));
  return { writer: new FrameSocket(socket, () => {}, () => {}), received };
}

describe.skipIf(process.platform !== 'linux')('FrameSocket', () => {
  it('.send() / .ack() - frames of every size, across staging buffers and early writes, arrive whole and in order', async () => {
    const sizes = [0, 1, 17, 4096, 4097, 70_000, 1 << 20];
    const sent: Sent[] = [];
    // Enough frames to fill several staging buffers in one turn (early writes), with
    // acknowledgements in between that are raised in place while their batch is queued.
    for (let i = 0; i < 3000; i++) {
      const size = sizes[i % sizes.length]! > 4097 && i % 50 !== 0 ? 40 : sizes[i % sizes.length]!;
      const payload = Buffer.alloc(size, i % 251);
      sent.push({ op: 2, obj: 7, a: i + 0.5, b: i, flags: i % 256, payload });
    }
    const { writer, received } = await pair();
    for (const [i, frame] of sent.entries()) {
      writer.send(frame.op, frame.obj, frame.a, frame.b, frame.flags, frame.payload);
      if (i === 10) writer.ack(42, 1, 5);
      if (i > 10 && i < 20) writer.ack(42, 1, i);
      if (i === 2000) writer.ack(46, 1, 1, true);
      if (i > 2000 && i < 2010) writer.ack(46, 1, 1, true);
    }
    writer.send(END, 0);
    const frames = await received;
    const acks = frames.filter((frame) => frame.op !== 2 && frame.op !== END);
    const data = frames.filter((frame) => frame.op === 2);
    expect(data).toHaveLength(sent.length);
    for (const [i, frame] of data.entries()) {
      const want = sent[i]!;
      expect({ obj: frame.obj, a: frame.a, b: frame.b, flags: frame.flags, size: frame.payload.length }).toEqual({
        obj: want.obj,
        a: want.a,
        b: want.b,
        flags: want.flags,
        size: want.payload.length,
      });
      expect(frame.payload.equals(want.payload)).toBe(true);
    }
    // Either merged into one frame each (same batch), or split where an early write fell:
    // the positions are raised to the last, the counts add up to every call.
    const positions = acks.filter((frame) => frame.op === 42);
    expect(positions.at(-1)!.a).toBe(19);
    const counts = acks.filter((frame) => frame.op === 46);
    expect(counts.reduce((sum, frame) => sum + frame.a, 0)).toBe(10);
  });
});
