/**
 * The shipped native part (decision 0015): it was built from the shm.c in the tree, and it
 * loads and shares memory here.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
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
