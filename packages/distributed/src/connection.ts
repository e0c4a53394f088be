/**
 * Where Redis is: a `redis://` URL or ioredis options, made into the options each BullMQ class
 * gets. The executor's own commands fail fast when Redis cannot be reached (no offline queue:
 * a submit must not wait forever); the blocking readers (QueueEvents, Worker) retry forever, as
 * BullMQ requires.
 *
 * @module
 */
import type { RedisOptions } from 'ioredis';

/** Redis: `'redis://host:port'` (or `rediss://`, with user, password and `/db`) or ioredis options. */
export type Connection = string | RedisOptions;

/** ioredis options of a connection. */
export function redisOptions(connection: Connection): RedisOptions {
  if (typeof connection !== 'string') {
    if (typeof connection !== 'object' || connection === null) throw new TypeError('Expected `connection` to be a redis:// URL or ioredis options');
    return { ...connection };
  }
  let url: URL;
  try {
    url = new URL(connection);
  } catch {
    throw new TypeError(`Expected \`connection\` to be a redis:// URL, got ${JSON.stringify(connection)}`);
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') throw new TypeError(`Expected a redis:// or rediss:// URL, got ${JSON.stringify(connection)}`);
  const db = url.pathname.length > 1 ? Number(url.pathname.slice(1)) : undefined;
  return {
    host: url.hostname || '127.0.0.1',
    port: url.port === '' ? 6379 : Number(url.port),
    ...(url.username === '' ? {} : { username: decodeURIComponent(url.username) }),
    ...(url.password === '' ? {} : { password: decodeURIComponent(url.password) }),
    ...(db === undefined || Number.isNaN(db) ? {} : { db }),
    ...(url.protocol === 'rediss:' ? { tls: {} } : {}),
  };
}

/** `host:port`, for messages. */
export function describeConnection(options: RedisOptions): string {
  return options.path ?? `${options.host ?? '127.0.0.1'}:${String(options.port ?? 6379)}`;
}
