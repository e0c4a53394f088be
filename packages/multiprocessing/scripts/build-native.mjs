// Builds native/shm.c into native/build/shm.node with the system's C compiler and Node's
// headers (decision 0015). The package ships prebuilt binaries (prebuilds/<platform>-<arch>/);
// this is for another platform, or to refresh one after changing shm.c:
//   pnpm --filter @concurrent/multiprocessing build:native [--prebuild]
// `--prebuild` writes prebuilds/<platform>-<arch>/shm.node (and the source's hash beside it).
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const source = join(root, 'native', 'shm.c');
const prebuild = process.argv.includes('--prebuild');
const outDir = prebuild ? join(root, 'prebuilds', `${process.platform}-${process.arch}`) : join(root, 'native', 'build');
// Node's headers: next to the running node (official tarballs), or the system's.
const headers = [join(dirname(process.execPath), '..', 'include', 'node'), '/usr/include/node', '/usr/local/include/node'].find((dir) =>
  existsSync(join(dir, 'node_api.h')),
);
if (headers === undefined) {
  console.error('build-native: no node_api.h found (looked next to node, in /usr/include/node and /usr/local/include/node)');
  process.exit(1);
}
mkdirSync(outDir, { recursive: true });
const output = join(outDir, 'shm.node');
const cc = process.env.CC ?? 'cc';
const flags = ['-O2', '-Wall', '-Wextra', '-fPIC', '-shared', `-I${headers}`, '-o', output, source];
if (process.platform === 'darwin') flags.unshift('-undefined', 'dynamic_lookup');
execFileSync(cc, flags, { stdio: 'inherit' });
if (prebuild) writeFileSync(join(outDir, 'shm.c.sha256'), `${createHash('sha256').update(readFileSync(source)).digest('hex')}\n`);
console.log(`build-native: ${output}`);
