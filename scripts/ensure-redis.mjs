#!/usr/bin/env node
// The distributed tests and benchmark start their own redis-server (Debian's package). This
// installs it when it is missing and the machine can (root, or sudo without a password, and
// apt-get); otherwise it says how, and the tests that need it are skipped with a line saying so.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';

const onPath = (name) => (process.env.PATH ?? '').split(delimiter).some((dir) => existsSync(join(dir, name)));
const binary = () => (onPath('redis-server') ? 'redis-server' : existsSync('/usr/bin/redis-server') ? '/usr/bin/redis-server' : undefined);

if (binary() === undefined) {
  const root = process.getuid?.() === 0;
  const sudo = !root && onPath('sudo') && spawnSync('sudo', ['-n', 'true']).status === 0;
  if (process.platform === 'linux' && onPath('apt-get') && (root || sudo)) {
    const run = (args) => execFileSync(root ? 'apt-get' : 'sudo', root ? args : ['apt-get', ...args], { stdio: 'inherit' });
    console.log("redis-server is missing: installing Debian's package (apt-get install -y redis-server)");
    try {
      run(['install', '-y', 'redis-server']);
    } catch {
      run(['update']);
      run(['install', '-y', 'redis-server']);
    }
  } else {
    console.warn('redis-server is missing and cannot be installed from here: install it (apt-get install -y redis-server); until then the distributed tests are skipped');
  }
}
const found = binary();
if (found !== undefined) console.log(execFileSync(found, ['--version']).toString().trim());
