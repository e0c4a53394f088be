/**
 * The manager's server against hostile peers, over real TCP connections to a real server
 * process: random bytes, truncated frames, lengths up to 0xFFFFFFFF, replayed challenges and
 * digests before the handshake; after a correct handshake, random, truncated and oversized
 * bodies, requests of the wrong shape, and handles naming modules outside the package.
 *
 * Seeded: a fresh seed each run, printed when a test fails; `MANAGER_FUZZ_SEED=<n>` replays one.
 * After each batch: the server process is alive, a new client is served, the objects the
 * batch made are released, and nothing a peer named was loaded.
 */
import { createHmac, randomInt } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { serialize } from 'node:v8';
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import { activeChildren, type Process, SyncManager } from '../src/index.js';
import { FAILED, NEW_OBJECT, OK, unpack } from '../src/managers/protocol.js';
import { clientHandshake, MessageSocket } from '../src/managers/wire.js';

const SEED = process.env.MANAGER_FUZZ_SEED === undefined ? randomInt(2 ** 31) : Number(process.env.MANAGER_FUZZ_SEED);
const KEY = Buffer.from('fuzz-key');
const LIMIT = 4096;
const HANDSHAKE_LIMIT = 256;
/** A hang guard only. */
const GUARD = 5_000;
const F_REDUCED = 1;
const F_JSON = 4;
const MARK = '@concurrent/reduced';
const CHALLENGE_PREFIX = Buffer.from('#CHALLENGE#{sha256}');

/** mulberry32: small, seedable, good enough to pick cases. */
function generator(seed: number): { next(): number; int(n: number): number; pick<T>(items: readonly T[]): T; bytes(n: number): Buffer } {
  let state = seed >>> 0;
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
  const int = (n: number): number => Math.floor(next() * n);
  return {
    next,
    int,
    pick: (items) => items[int(items.length)]!,
    bytes: (n) => Buffer.from(Array.from({ length: n }, () => int(256))),
  };
}

function header(length: number): Buffer {
  const out = Buffer.alloc(4);
  out.writeUInt32LE(length >>> 0, 0);
  return out;
}

function frame(body: Buffer): Buffer {
  return Buffer.concat([header(body.length), body]);
}

function json(value: unknown): Buffer {
  return Buffer.concat([Buffer.from([F_JSON]), Buffer.from(JSON.stringify(value))]);
}

/** A request whose arguments hold a handle naming `module` (as reduceValue makes them). */
function reducedRequest(id: number, module: string, reviver: string, state: unknown): Buffer {
  const key = 'k';
  const marker = { [MARK]: { module, reviver, state, key } };
  return Buffer.concat([Buffer.from([F_REDUCED]), serialize([key, [id, 'create', 'dict', [marker]]])]);
}

interface Raw {
  readonly socket: Socket;
  /** Everything the server sent. */
  readonly received: () => Buffer;
  /** Resolves when the connection is closed (by either side); rejects after GUARD ms. */
  readonly closed: () => Promise<void>;
}

let port = 0;

async function raw(): Promise<Raw> {
  const socket = connect(port, '127.0.0.1');
  socket.on('error', () => undefined);
  const chunks: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('close', () => reject(new Error('could not connect')));
  });
  return {
    socket,
    received: () => Buffer.concat(chunks),
    closed: () => guard(closed, 'the server to close the connection'),
  };
}

async function guard<T>(promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`waited ${String(GUARD)} ms for ${what} (seed ${String(SEED)})`)), GUARD);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** The first frame's body in `bytes` (the server's challenge), or undefined. */
function firstBody(bytes: Buffer): Buffer | undefined {
  if (bytes.length < 4) return undefined;
  const length = bytes.readUInt32LE(0);
  return bytes.length >= 4 + length ? bytes.subarray(4, 4 + length) : undefined;
}

/** Waits until the server's challenge arrived on a raw connection. */
async function challengeOf(connection: Raw): Promise<Buffer> {
  return guard(
    new Promise<Buffer>((resolve) => {
      const check = (): void => {
        const body = firstBody(connection.received());
        if (body !== undefined) {
          connection.socket.off('data', check);
          resolve(body);
        }
      };
      connection.socket.on('data', check);
      check();
    }),
    'the challenge',
  );
}

interface Authed {
  readonly connection: MessageSocket;
  readonly replies: unknown[];
  readonly closed: () => Promise<void>;
  /** The next reply (decoded); rejects if the connection closes first. */
  readonly reply: () => Promise<unknown>;
}

/** A connection that passed the handshake with the right key. */
async function authed(): Promise<Authed> {
  const socket = connect(port, '127.0.0.1');
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  const connection = new MessageSocket(socket);
  const closed = new Promise<void>((resolve) => connection.onClose(() => resolve()));
  await clientHandshake(connection, KEY);
  connection.setLimit(1 << 20);
  const replies: unknown[] = [];
  let waiting: ((value: unknown) => void) | undefined;
  connection.listen((body) => {
    void Promise.resolve(unpack(body)).then((value) => {
      if (waiting !== undefined) {
        const w = waiting;
        waiting = undefined;
        w(value);
      } else replies.push(value);
    });
  });
  return {
    connection,
    replies,
    closed: () => guard(closed, 'the server to close the connection'),
    reply: () =>
      guard(
        replies.length > 0
          ? Promise.resolve(replies.shift())
          : Promise.race([new Promise((resolve) => (waiting = resolve)), closed.then(() => Promise.reject(new Error('closed before a reply')))]),
        'a reply',
      ),
  };
}

describe('the manager server under fuzz', () => {
  let manager: SyncManager;
  let server: Process;
  let dir: string;
  let markers: string[];
  let outside: string[];

  beforeAll(async () => {
    manager = new SyncManager({ address: ['127.0.0.1', 0], authkey: KEY, maxMessageBytes: LIMIT });
    await manager.start();
    port = (manager.address as [string, number])[1];
    server = activeChildren().find((p) => p.name.startsWith('SyncManager-'))!;
    expect(server).toBeDefined();
    // Modules that leave a mark if anything imports them or runs their export.
    dir = mkdtempSync(join(tmpdir(), 'manager-fuzz-'));
    markers = [0, 1, 2, 3, 4].map((i) => join(dir, `ran-${String(i)}`));
    const evil = join(dir, 'evil.mjs');
    writeFileSync(evil, `import { writeFileSync } from 'node:fs';\nwriteFileSync(${JSON.stringify(markers[0])}, 'imported');\nexport function revive() { writeFileSync(${JSON.stringify(markers[1])}, 'ran'); }\n`);
    writeFileSync(join(dir, 'evil.js'), `require('node:fs').writeFileSync(${JSON.stringify(markers[2])}, 'imported');\n`);
    const dist = pathToFileURL(fileURLToPath(new URL('../dist', import.meta.url))).href;
    outside = [
      pathToFileURL(evil).href,
      `${dist}/managers/../../../../../..${dir}/evil.mjs`,
      `${dist}/managers/%2e%2e/%2e%2e/%2e%2e/%2e%2e/%2e%2e/%2e%2e${dir}/evil.mjs`,
      `${dist}/managers/proxy.js?${pathToFileURL(evil).href}`,
      `data:text/javascript,import('node:fs').then((fs) => fs.writeFileSync(${JSON.stringify(markers[3])}, 'data'))`,
      'node:child_process',
      evil,
      `${pathToFileURL(evil).href}#${dist}/index.js`,
    ];
  });

  afterAll(async () => {
    await manager.shutdown();
    rmSync(dir, { recursive: true, force: true });
  });

  /**
   * The tests' own proxies, held to the end: a proxy that is garbage-collected gives its object
   * back (a decref), which would move the object count under a later test's baseline.
   */
  const kept: unknown[] = [];

  /** The server's object count, asked on a new connection (which also shows it serves). */
  async function objectCount(): Promise<number> {
    const fresh = await authed();
    fresh.connection.send(json([1, 'ping']));
    const [, status, value] = (await fresh.reply()) as [number, number, { objects: number }];
    fresh.connection.destroy();
    expect(status).toBe(OK);
    return value.objects;
  }

  /** The server process is alive, a new client is served, and the batch left no object behind. */
  async function expectServing(baseline: number): Promise<void> {
    expect(server.isAlive(), `server alive (seed ${String(SEED)})`).toBe(true);
    // Connections close asynchronously: poll (a hang guard bounds it).
    let objects = await objectCount();
    for (const deadline = Date.now() + GUARD; objects !== baseline && Date.now() < deadline; ) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      objects = await objectCount();
    }
    expect(objects, `objects released (seed ${String(SEED)})`).toBe(baseline);
    for (const marker of markers) expect(existsSync(marker), `${marker} (seed ${String(SEED)})`).toBe(false);
  }

  it('before the handshake: garbage, truncated and oversized frames, replayed challenges and digests', async () => {
    onTestFailed(() => console.error(`manager-fuzz seed ${String(SEED)}: rerun with MANAGER_FUZZ_SEED=${String(SEED)}`));
    const random = generator(SEED);
    const shared = await manager.dict<string, number>();
    kept.push(shared);
    await shared.set('alive', 0);
    const baseline = await objectCount();
    const cases: (() => Promise<void>)[] = [
      // Random bytes, then the end: the server answers nothing but its challenge, and closes.
      async () => {
        const c = await raw();
        c.socket.end(random.bytes(random.int(600)));
        await c.closed();
        const sent = c.received();
        expect(sent.length === 0 || firstBody(sent)?.subarray(0, CHALLENGE_PREFIX.length).equals(CHALLENGE_PREFIX)).toBe(true);
      },
      // A frame within the handshake limit, truncated anywhere.
      async () => {
        const c = await raw();
        const whole = frame(random.bytes(random.int(HANDSHAKE_LIMIT + 1)));
        c.socket.end(whole.subarray(0, random.int(whole.length)));
        await c.closed();
      },
      // A length above the handshake limit, up to 0xFFFFFFFF: closed by the server, at once.
      async () => {
        const c = await raw();
        const length = random.pick([HANDSHAKE_LIMIT + 1, 0xffffffff, 0x7fffffff, HANDSHAKE_LIMIT + 1 + random.int(0xffffffff - HANDSHAKE_LIMIT)]);
        c.socket.write(Buffer.concat([header(length), random.bytes(random.int(64))]));
        await c.closed();
      },
      // The server's own challenge sent back as the answer: refused.
      async () => {
        const c = await raw();
        const challenge = await challengeOf(c);
        c.socket.write(frame(challenge));
        await c.closed();
        expect(c.received().includes(Buffer.from('#FAILURE#'))).toBe(true);
      },
      // A digest that was right for another connection's challenge: refused (fresh nonces).
      async () => {
        const first = await raw();
        const old = await challengeOf(first);
        first.socket.destroy();
        const c = await raw();
        await challengeOf(c);
        c.socket.write(frame(createHmac('sha256', KEY).update(old).digest()));
        await c.closed();
        expect(c.received().includes(Buffer.from('#FAILURE#'))).toBe(true);
      },
      // More messages ahead of the handshake than it queues.
      async () => {
        const c = await raw();
        c.socket.write(Buffer.concat(Array.from({ length: 6 + random.int(10) }, () => frame(random.bytes(1 + random.int(32))))));
        await c.closed();
      },
      // The client's half right, then garbage instead of its own challenge to the server.
      async () => {
        const c = await raw();
        const challenge = await challengeOf(c);
        c.socket.write(frame(createHmac('sha256', KEY).update(challenge).digest()));
        c.socket.write(frame(random.bytes(random.int(HANDSHAKE_LIMIT + 1))));
        await c.closed();
        expect(c.received().includes(Buffer.from('#WELCOME#'))).toBe(true);
      },
    ];
    const ran: number[] = [];
    for (let batch = 0; batch < 8; batch++) {
      const picked = Array.from({ length: 40 }, () => {
        const i = random.int(cases.length);
        ran[i] = (ran[i] ?? 0) + 1;
        return cases[i]!;
      });
      // Several at once, as a flood would come.
      for (let i = 0; i < picked.length; i += 8) await Promise.all(picked.slice(i, i + 8).map((run) => run()));
      await expectServing(baseline);
      await shared.set('alive', batch + 1);
      expect(await shared.get('alive')).toBe(batch + 1);
    }
    // Every kind of case ran (a seed that skipped one would test less than it claims).
    expect(ran.filter((n) => n > 0)).toHaveLength(cases.length);
  });

  it('after the handshake: random, truncated, oversized and mistyped requests; handles naming modules outside the package', async () => {
    onTestFailed(() => console.error(`manager-fuzz seed ${String(SEED)}: rerun with MANAGER_FUZZ_SEED=${String(SEED)}`));
    const random = generator(SEED ^ 0x5eed);
    const shared = await manager.dict<string, number>();
    kept.push(shared);
    const baseline = await objectCount();

    const scalars = (): unknown => random.pick([0, -1, 1e308, 2 ** 53, 2 ** 32, NaN, 'x', '', null, true, '__proto__', 'constructor', 'shutdown ']);
    const anyValue = (depth: number): unknown => {
      if (depth <= 0 || random.next() < 0.5) return scalars();
      return random.next() < 0.5
        ? Array.from({ length: random.int(4) }, () => anyValue(depth - 1))
        : Object.fromEntries(Array.from({ length: random.int(4) }, () => [random.pick(['a', '__proto__', 'length', 'then', 'constructor']), anyValue(depth - 1)]));
    };
    const ops = ['call', 'create', 'incref', 'decref', 'ping', 'Call', 'ping\0', 'toString', '__proto__', 'constructor'];

    const cases: ((c: Authed) => Promise<'open' | 'closed'>)[] = [
      // Random bodies with any flags: v8 and JSON parsers fed garbage (then the end: the
      // server may close or answer, and must live on).
      async (c) => {
        c.connection.socket.end(frame(Buffer.concat([Buffer.from([random.int(256)]), random.bytes(random.int(LIMIT - 1))])));
        return 'closed';
      },
      // A v8 header and random bytes after it, reduced or not.
      async (c) => {
        c.connection.socket.end(frame(Buffer.concat([Buffer.from([random.pick([0, F_REDUCED]), 0xff, 0x0f]), random.bytes(random.int(200))])));
        return 'closed';
      },
      // A truncated frame, then the end.
      async (c) => {
        const whole = frame(json([1, 'ping', random.bytes(random.int(100)).toString('hex')]));
        c.connection.socket.end(whole.subarray(0, 1 + random.int(whole.length - 1)));
        return 'closed';
      },
      // A length just above the limit, or far above, up to 0xFFFFFFFF: closed before any body.
      async (c) => {
        c.connection.socket.write(header(random.pick([LIMIT + 1, LIMIT + 1 + random.int(0xffffffff - LIMIT), 0xffffffff])));
        await c.closed();
        return 'closed';
      },
      // Requests of the right shape with wrong types, huge ids, unknown ops: each answered
      // (no id or typeid here names a real object), with its own id.
      async (c) => {
        const id = random.pick([1, 2 ** 53, 1e308, -1, 0]);
        c.connection.send(json([id, random.pick(ops), ...Array.from({ length: random.int(4) }, () => anyValue(3))]));
        const [replyId, status] = (await c.reply()) as [number, number];
        expect(replyId).toBe(id);
        expect([OK, FAILED]).toContain(status);
        return 'open';
      },
      // A handle naming a module outside the package (or a URL that would leave it).
      async (c) => {
        c.connection.send(reducedRequest(9, random.pick(outside), random.pick(['revive', 'execSync', 'default', 'reviveProxy']), random.pick([`touch ${markers[4]!}`, { token: 1 }, null])));
        await c.closed();
        return 'closed';
      },
      // Valid pings pipelined, cut into random chunks: every one answered.
      async (c) => {
        const n = 1 + random.int(8);
        const bytes = Buffer.concat(Array.from({ length: n }, (_, i) => frame(json([100 + i, 'ping']))));
        for (let at = 0; at < bytes.length; ) {
          const size = 1 + random.int(16);
          c.connection.socket.write(bytes.subarray(at, at + size));
          at += size;
        }
        for (let i = 0; i < n; i++) expect(((await c.reply()) as number[])[0]).toBe(100 + i);
        return 'open';
      },
    ];

    // Fixed cases first, with the replies the server must give.
    {
      const c = await authed();
      c.connection.send(json([1, 'create', 'dict', []]));
      const [, created, token] = (await c.reply()) as [number, number, { id: number }];
      expect(created).toBe(NEW_OBJECT);
      const expectations: [unknown[], string][] = [
        [[1, 'call', 'x', {}, null], 'ReferenceError'],
        [[2, 'call', 2 ** 53, 'get', []], 'ReferenceError'],
        [[3, 'nope'], 'TypeError'],
        [[4, 'create', 'nope', []], 'TypeError'],
        [[5, 'create', { typeid: 'dict' }, {}], 'TypeError'],
        [[6, 'call', token.id, 'constructor', []], 'AttributeError'],
        [[7, 'call', token.id, '__proto__', []], 'AttributeError'],
        [[8, 'call', token.id, 'toString', []], 'AttributeError'],
        [[9, 'call', token.id, { name: 'get' }, []], 'AttributeError'],
        [[10, 'incref', 'x'], 'ReferenceError'],
        [[11, 'create', 'dict', [1]], 'TypeError'],
        [[12, 'create', 'Array', ['i', -1]], 'RangeError'],
      ];
      for (const [request, name] of expectations) {
        c.connection.send(json(request));
        const [id, status, error] = (await c.reply()) as [number, number, { name: string }];
        expect([id, status, error.name]).toEqual([request[0], FAILED, name]);
      }
      c.connection.send(json([2 ** 53, 'ping']));
      expect(((await c.reply()) as unknown[]).slice(0, 2)).toEqual([2 ** 53, OK]);
      c.connection.send(json([13, 'decref', 999_999]));
      expect(await c.reply()).toEqual([13, OK, null]);
      // A body of exactly the limit is read (a ping padded with spaces).
      const padded = Buffer.from(JSON.stringify([14, 'ping']).padEnd(LIMIT - 1, ' '));
      c.connection.send(Buffer.concat([Buffer.from([F_JSON]), padded]));
      expect(((await c.reply()) as unknown[]).slice(0, 2)).toEqual([14, OK]);
      // Malformed at the top: the connection goes, nothing else.
      c.connection.send(json(['x', 'ping']));
      await c.closed();
    }
    await expectServing(baseline);

    const ran: number[] = [];
    for (let batch = 0; batch < 8; batch++) {
      await Promise.all(
        Array.from({ length: 16 }, async () => {
          const c = await authed();
          // Objects made on this connection must go with it.
          c.connection.send(json([0, 'create', random.pick(['dict', 'list', 'Lock', 'Event']), []]));
          expect(((await c.reply()) as unknown[])[1]).toBe(NEW_OBJECT);
          let state: 'open' | 'closed' = 'open';
          for (let i = 0; i < 8 && state === 'open'; i++) {
            const pick = random.int(cases.length);
            ran[pick] = (ran[pick] ?? 0) + 1;
            state = await cases[pick]!(c);
          }
          if (state === 'open') c.connection.socket.end();
          await c.closed();
        }),
      );
      await expectServing(baseline);
      await shared.set('alive', batch);
      expect(await shared.get('alive')).toBe(batch);
    }
    expect(ran.filter((n) => n > 0)).toHaveLength(cases.length);
  });
});
