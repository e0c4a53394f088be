/**
 * The native part: System V shared memory segments (native/shm.c, decision 0015), loaded from
 * the prebuilt binary for this platform, or from a local build (`pnpm build:native`).
 *
 * Without it (a platform with no prebuilt, no compiler), shared values and locks still work
 * between the threads of one process, on a SharedArrayBuffer; sending one to another process
 * fails with {@link nativeMissing}'s error.
 *
 * @module
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';

/** The three calls of native/shm.c. */
export interface NativeShm {
  /** A new private segment of `bytes` (rounded up to pages by the kernel), mode 0600. */
  create(bytes: number): number;
  /** The segment as an ArrayBuffer; detached from this process when the buffer is collected. */
  attach(id: number): ArrayBuffer;
  /** Marks it for removal: freed when the last process that attached it detaches or dies. */
  remove(id: number): void;
}

const require = createRequire(import.meta.url);
/** The package root: this file is src/shm/native.ts or dist/shm/native.js. */
const root = new URL('../../', import.meta.url);
const candidates = [`prebuilds/${process.platform}-${process.arch}/shm.node`, 'native/build/shm.node'];

let loaded: NativeShm | Error | undefined;

/** The native calls, or the reason they are not there. */
export function nativeShm(): NativeShm | Error {
  if (loaded !== undefined) return loaded;
  const reasons: string[] = [];
  for (const candidate of candidates) {
    const path = new URL(candidate, root).pathname;
    if (!existsSync(path)) {
      reasons.push(`${candidate}: not there`);
      continue;
    }
    try {
      loaded = require(path) as NativeShm;
      return loaded;
    } catch (error) {
      reasons.push(`${candidate}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  loaded = new Error(
    `@concurrent/multiprocessing: shared memory between processes needs its native part, which is not available for ${process.platform}-${process.arch} (${reasons.join('; ')}). ` +
      'Build it with `pnpm --filter @concurrent/multiprocessing build:native` (needs a C compiler and Node\'s headers); shared objects still work between the threads of one process without it.',
  );
  return loaded;
}
