/**
 * Modules that the parent loads through a TypeScript loader load in the workers too (issue
 * 3, point 3): workers and children inherit the parent's execArgv (`--import <loader>`), so
 * a `.ts` task module runs on both pools. `fixtures/ts-loader.mjs` stands in for tsx.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const LOADER = fileURLToPath(new URL('./fixtures/ts-loader.mjs', import.meta.url));
const SCRIPT = fileURLToPath(new URL('./fixtures/ts-loader-run.mjs', import.meta.url));
const TS_MAIN = fileURLToPath(new URL('./fixtures/strip-types-run.ts', import.meta.url));

function run(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, args, { timeout: 60_000, killSignal: 'SIGKILL' }, (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : null, stdout, stderr });
    });
  });
}

describe('TypeScript loaders', () => {
  it('execArgv - a .ts task module loads in child processes and worker threads when the parent runs with --import <loader>', async () => {
    const { code, stdout, stderr } = await run(['--import', LOADER, SCRIPT]);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toEqual({ process: [5, 'hello ts'], thread: [5, 'hello ts'] });
  });

  // Node 22.18+ and 24 strip types themselves (process.features.typescript); Node 20 cannot
  // load a .ts file without a loader.
  const stripsTypes = typeof (process.features as { typescript?: unknown }).typescript === 'string';

  it('execArgv - without the loader, the same script fails on Node 20 and runs where Node strips types itself', async () => {
    const { code, stdout, stderr } = await run([SCRIPT]);
    if (stripsTypes) {
      expect(code).toBe(0);
      expect(JSON.parse(stdout)).toEqual({ process: [5, 'hello ts'], thread: [5, 'hello ts'] });
    } else {
      // The loader is what the workers inherited.
      expect(code).not.toBe(0);
      expect(stderr).toMatch(/math\.ts/);
    }
  });

  it('node main.ts - a TypeScript program with .ts task modules runs on both pools where Node strips types, and is refused by Node 20', async () => {
    const { code, stdout, stderr } = await run([TS_MAIN]);
    if (stripsTypes) {
      expect(code).toBe(0);
      expect(JSON.parse(stdout)).toEqual({ process: [5, 'hello ts'], thread: [5, 'hello ts'] });
    } else {
      expect(code).not.toBe(0);
      expect(stderr).toMatch(/ERR_UNKNOWN_FILE_EXTENSION/);
    }
  });
});
