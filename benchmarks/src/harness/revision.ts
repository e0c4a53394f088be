import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The benchmarks package folder (this file is dist/harness/revision.js). */
const PACKAGE_DIR = fileURLToPath(new URL('../../', import.meta.url));

/** Which code was measured: a results file is only comparable with one of the same revision. */
export type Revision = {
  /** `git rev-parse HEAD`, or `'unknown'` outside a git checkout. */
  commit: string;
  /** Uncommitted changes under packages/futures/src: the numbers are not those of `commit`. */
  libraryDirty: boolean;
};

function git(args: readonly string[]): string | undefined {
  try {
    return execFileSync('git', [...args], { cwd: PACKAGE_DIR, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return undefined;
  }
}

/** The repository revision the library was built from, as far as git can tell. */
export function describeRevision(): Revision {
  const commit = git(['rev-parse', 'HEAD']);
  const status = git(['status', '--porcelain', '--', '../packages/futures/src']);
  return { commit: commit ?? 'unknown', libraryDirty: status === undefined ? false : status !== '' };
}
