/**
 * The README's TypeScript-side examples are the files in examples/, and print what the
 * README says they print. The examples import the package by name, i.e. the built dist
 * (`pnpm test` builds first).
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const README = fileURLToPath(new URL('../README.md', import.meta.url));
const EXAMPLES = ['pool-map', 'apply-async-callback', 'imap-unordered', 'process', 'class-method', 'process-subclass', 'threads-shared', 'pipe-echo', 'queue-sentinel', 'joinable-queue', 'barrier-start', 'event-stop', 'condition-stock', 'manager-dict', 'manager-master'];

describe.each(EXAMPLES)('examples/%s.mjs', (name) => {
  it('runs, and the README shows its code and what it prints', async () => {
    const file = fileURLToPath(new URL(`../examples/${name}.mjs`, import.meta.url));
    const [{ stdout }, source, readme] = await Promise.all([
      run(process.execPath, [file], { timeout: 60_000 }),
      readFile(file, 'utf8'),
      readFile(README, 'utf8'),
    ]);
    expect(readme).toContain(`\`\`\`js\n${source.trimEnd()}\n\`\`\`\n\nprints\n\n\`\`\`\n${stdout.trimEnd()}\n\`\`\``);
  });
});
