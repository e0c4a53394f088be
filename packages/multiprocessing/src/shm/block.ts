/**
 * Blocks of memory that every process and thread holding a shared object sees at once: the
 * words of a lock, the bytes of a Value or Array. Python's `multiprocessing.heap`.
 *
 * ```
 *  creator thread                                   any other process or thread
 *  allocate(12) ─▶ { segment 42, offset 4096 }  ──▶ openBlock({ s: 42, o: 4096, n: 12 })
 *  chunk: segment 42, 1 MiB, bump-allocated         attach(42), once per thread
 * ```
 *
 * Invariants:
 * - Small blocks are cut from 1 MiB segments (the kernel allows 4096 segments in all); a
 *   large one gets its own. Memory is zeroed by the kernel; blocks are 8-byte aligned.
 * - A segment none of whose blocks was ever sent elsewhere is let go when its last block here
 *   is collected; one that was sent is kept while this thread lives (a handle to it may be on
 *   its way anywhere).
 * - A segment is marked for removal as soon as its creator attached it, so the kernel frees it
 *   when the last process using it exits, whatever the ending (SIGKILL included): nothing
 *   lingers in `ipcs -m` or `/dev/shm`.
 * - Without the native part (native.ts), blocks live in SharedArrayBuffers: shared with worker
 *   threads, refused (with the reason) on the way to another process.
 *
 * @module
 */
import type { Destination } from '@concurrent/futures/internal';
import { OSError } from '../errors.js';
import { nativeShm } from './native.js';

/** A block of shared memory. */
export interface Block {
  readonly memory: ArrayBuffer | SharedArrayBuffer;
  /** Byte offset of the block in `memory` (a multiple of 8). */
  readonly offset: number;
  readonly bytes: number;
  /** The segment's id; `undefined` for a SharedArrayBuffer (threads only). */
  readonly segment: number | undefined;
}

/** A block on the wire: a segment, or a SharedArrayBuffer (to a thread). */
export type BlockState =
  | { readonly s: number; readonly o: number; readonly n: number }
  | { readonly m: SharedArrayBuffer; readonly o: number; readonly n: number };

/** Blocks above this size get a segment of their own. */
const ALONE = 64 * 1024;
const CHUNK = 1024 * 1024;

interface Chunk {
  readonly memory: ArrayBuffer | SharedArrayBuffer;
  readonly segment: number | undefined;
  used: number;
}

let chunk: Chunk | undefined;
/** Segments this thread has attached, by id: each is attached once, while its blocks live here. */
const attached = new Map<number, ArrayBuffer>();
/** Blocks alive in this thread, per segment. */
const live = new Map<number, number>();
/** Segments whose blocks were sent elsewhere: kept, since a handle to them may be on its way. */
const sent = new Set<number>();

/**
 * When the last block of a segment is collected, and none was ever sent, the segment is let go:
 * once its memory is unreachable here, it is detached, and the kernel frees it when no other
 * thread or process has it. Without this, a program that makes and drops large arrays runs out
 * of segments (4,096 in all) although it holds few.
 */
const collected = new FinalizationRegistry<number>((segment) => {
  const left = (live.get(segment) ?? 1) - 1;
  if (left > 0) {
    live.set(segment, left);
    return;
  }
  live.delete(segment);
  if (!sent.has(segment) && segment !== chunk?.segment) attached.delete(segment);
});

/** `block`, counted among its segment's live blocks. */
function tracked(block: Block): Block {
  if (block.segment !== undefined) {
    live.set(block.segment, (live.get(block.segment) ?? 0) + 1);
    collected.register(block, block.segment);
  }
  return block;
}

function newChunk(bytes: number): Chunk {
  const native = nativeShm();
  if (native instanceof Error) return { memory: new SharedArrayBuffer(bytes), segment: undefined, used: 0 };
  let segment: number;
  try {
    segment = native.create(bytes);
  } catch (error) {
    throw new OSError(`could not create a shared memory segment of ${String(bytes)} bytes: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  let memory: ArrayBuffer;
  try {
    memory = native.attach(segment);
  } finally {
    native.remove(segment);
  }
  attached.set(segment, memory);
  return { memory, segment, used: 0 };
}

/** A new zeroed block of at least `bytes` bytes. */
export function allocate(bytes: number): Block {
  const size = Math.max(8, Math.ceil(bytes / 8) * 8);
  if (size > ALONE) {
    const own = newChunk(size);
    return tracked({ memory: own.memory, offset: 0, bytes, segment: own.segment });
  }
  if (chunk === undefined || chunk.used + size > CHUNK) chunk = newChunk(CHUNK);
  const offset = chunk.used;
  chunk.used += size;
  return tracked({ memory: chunk.memory, offset, bytes, segment: chunk.segment });
}

/** How `block` travels to `destination`. @throws when it cannot go there (no native part). */
export function blockState(block: Block, destination: Destination): BlockState {
  if (block.segment !== undefined) {
    sent.add(block.segment);
    return { s: block.segment, o: block.offset, n: block.bytes };
  }
  if (destination === 'process') {
    const missing = nativeShm();
    throw missing instanceof Error ? missing : new Error('this shared object lives in a SharedArrayBuffer, which cannot leave its process');
  }
  return { m: block.memory as SharedArrayBuffer, o: block.offset, n: block.bytes };
}

/** The block a state names, attached here. @throws OSError if its segment is gone. */
export function openBlock(state: BlockState): Block {
  if ('m' in state) return { memory: state.m, offset: state.o, bytes: state.n, segment: undefined };
  let memory = attached.get(state.s);
  if (memory === undefined) {
    const native = nativeShm();
    if (native instanceof Error) throw native;
    try {
      memory = native.attach(state.s);
    } catch (error) {
      throw new OSError('a shared object arrived after every process that held it had exited (its memory is gone)', { cause: error });
    }
    attached.set(state.s, memory);
  }
  return tracked({ memory, offset: state.o, bytes: state.n, segment: state.s });
}

/** Handles in this thread, by object: reviving an object twice here gives the same handle. */
const handles = new Map<string, WeakRef<object>>();
/** Drops a handle's entry once it is collected (unless a newer handle took the key). */
const forgotten = new FinalizationRegistry<string>((key) => {
  if (handles.get(key)?.deref() === undefined) handles.delete(key);
});

function handleKey(kind: string, block: Block): string | undefined {
  return block.segment === undefined ? undefined : `${kind}:${String(block.segment)}:${String(block.offset)}`;
}

/** Records `handle` as this thread's handle of the `kind` object at `block` (its creator). */
export function rememberHandle(kind: string, block: Block, handle: object): void {
  const key = handleKey(kind, block);
  if (key === undefined) return;
  handles.set(key, new WeakRef(handle));
  forgotten.register(handle, key);
}

/** This thread's handle of the `kind` object that `state` names: the one known, or `make`'s. */
export function handleFor<T extends object>(kind: string, state: BlockState, make: (block: Block) => T): T {
  const block = openBlock(state);
  const key = handleKey(kind, block);
  const known = key === undefined ? undefined : handles.get(key)?.deref();
  if (known !== undefined) return known as T;
  const handle = make(block);
  rememberHandle(kind, block, handle);
  return handle;
}
