import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const example = fileURLToPath(new URL('../examples/quick-start.mjs', import.meta.url));
const readme = fileURLToPath(new URL('../../../README.md', import.meta.url));

// The README promises what the quick-start prints; this keeps the promise true. The example
// imports the package by name, i.e. the built dist (`pnpm test` builds first).
describe('examples/quick-start.mjs', () => {
  it('prints what the README shows', async () => {
    const { stdout } = await run(process.execPath, [example], { timeout: 20_000 });
    const text = await readFile(readme, 'utf8');
    const shown = /prints\n\n```\n([\s\S]*?)```/.exec(text)?.[1];
    expect(shown).toBeDefined();
    expect(stdout).toBe(shown);
  });
});
