/**
 * A shipped function keeps none of its module's imports (issue 16): `crypto.createHash` in it
 * finds the global `crypto` (WebCrypto), and `fs` is not defined. The worker's error says
 * so and shows the `await import('node:…')` that works inside the function.
 *
 * Worker threads run the built package (dist): `tsc -b packages/futures` first.
 */
import { afterEach, describe, expect, test } from 'vitest';
import { WorkerThreadPoolExecutor } from '../src/index.js';
import { addClosureHint, CLOSURE_HINT } from '../src/internal/function-source.js';

describe('addClosureHint() - Node modules by their global names', () => {
  test('.addClosureHint() - `crypto.createHash is not a function` says the global is WebCrypto, and how to import', () => {
    const source = "(s) => crypto.createHash('sha256').update(s).digest('hex')";
    const error = addClosureHint(new TypeError('crypto.createHash is not a function'), source) as TypeError;
    expect(error).toBeInstanceOf(TypeError);
    expect(error.message).toBe(
      "crypto.createHash is not a function (`crypto` here is the global `crypto` (WebCrypto), not Node's `node:crypto` module: a shipped function keeps none of its module's imports, so write `const crypto = await import('node:crypto')` inside the function)",
    );
    expect(error.stack).toMatch(/^TypeError: crypto\.createHash is not a function \(`crypto` here is the global/);
  });

  test('.addClosureHint() - `fs is not defined` gets the closure hint and the import to write', () => {
    const error = addClosureHint(new ReferenceError('fs is not defined'), '(p) => fs.readFileSync(p)') as ReferenceError;
    expect(error.message).toBe(
      `fs is not defined (${CLOSURE_HINT}; for Node's \`fs\` module, write \`const fs = await import('node:fs')\` inside the function)`,
    );
  });

  test('.addClosureHint() - TypeErrors that are not about a module global are left alone', () => {
    const source = '(o) => o.run() + crypto.randomUUID() + crypto.createHash()';
    for (const message of [
      'o.run is not a function', // not a Node module
      'crypto.subtle is not a function', // not named as `crypto.subtle` in the source
      'undefinedThing.x is not a function', // not a global
      'fs.readFileSync is not a function', // `fs` is a module but not a global
      "Cannot read properties of undefined (reading 'x')",
    ]) {
      expect((addClosureHint(new TypeError(message), source) as Error).message).toBe(message);
    }
  });
});

/** The slice of `node:crypto` that the function below believes `crypto` to be. */
interface NodeCryptoShape {
  createHash(algorithm: string): { update(data: string): { digest(encoding: 'hex'): string } };
}

describe('in a worker', () => {
  const pools: WorkerThreadPoolExecutor[] = [];
  afterEach(async () => {
    await Promise.all(pools.splice(0).map((pool) => pool.shutdown()));
  });

  test('.submit() - a function using crypto.createHash fails with the hint; await import() inside works', async () => {
    const pool = new WorkerThreadPoolExecutor({ maxWorkers: 1 });
    pools.push(pool);
    // As if written below `import crypto from 'node:crypto'`: shipped, it finds WebCrypto's global.
    const hash = (s: string): string => (crypto as unknown as NodeCryptoShape).createHash('sha256').update(s).digest('hex');
    await expect(pool.submit(hash, 'x')).rejects.toThrow(TypeError);
    await expect(pool.submit(hash, 'x')).rejects.toThrow(/createHash is not a function \(`crypto` here is the global `crypto` \(WebCrypto\).*await import\('node:crypto'\)/);
    const imported = async (s: string): Promise<string> => {
      const nodeCrypto = await import('node:crypto');
      return nodeCrypto.createHash('sha256').update(s).digest('hex');
    };
    expect(await pool.submit(imported, 'x')).toBe('2d711642b726b04401627ca9fbac32f5c8530fb1903cc4db02258717921a4881');
  });
});
