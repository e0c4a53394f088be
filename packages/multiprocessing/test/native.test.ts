/**
 * The shipped native part (decision 0015): it was built from the shm.c in the tree, and it
 * loads and shares memory here.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { RawArray } from '../src/index.js';
import { nativeShm } from '../src/shm/native.js';

const prebuilt = new URL(`../prebuilds/${process.platform}-${process.arch}/`, import.meta.url);

describe('native shared memory', () => {
  it.runIf(existsSync(prebuilt))('the prebuilt binary was built from the current native/shm.c (else: pnpm build:native --prebuild)', () => {
    const source = createHash('sha256').update(readFileSync(new URL('../native/shm.c', import.meta.url))).digest('hex');
    expect(readFileSync(new URL('shm.c.sha256', prebuilt), 'utf8').trim()).toBe(source);
  });

  it('loads, and two attachments of a removed segment share their bytes', () => {
    const native = nativeShm();
    if (native instanceof Error) throw native;
    const id = native.create(4096);
    const a = new Int32Array(native.attach(id));
    native.remove(id);
    const b = new Int32Array(native.attach(id));
    Atomics.add(a, 0, 5);
    expect(Atomics.load(b, 0)).toBe(5);
    expect(a.byteLength).toBe(4096);
  });

  it('attach() of a segment that is gone throws', () => {
    const native = nativeShm();
    if (native instanceof Error) throw native;
    const id = native.create(4096);
    native.remove(id);
    expect(() => native.attach(id)).toThrow(/shm/);
  });
});

describe('shared memory of dropped objects', () => {
  it('is given back: more large arrays than the kernel has segments, made and dropped, all succeed', async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const limit = Number(readFileSync('/proc/sys/kernel/shmmni', 'utf8'));
    // Each 80 KB array gets a segment of its own (above the 64 KiB of shared chunks).
    for (let i = 0; i < limit + 200; i++) {
      const a = new RawArray('d', 10_000);
      a[0] = i;
      if (i % 500 === 499) {
        gc();
        // Finalizers run after the collection, on a later turn.
        await new Promise((resolve) => setImmediate(resolve));
      }
    }
  }, 120_000);
});
