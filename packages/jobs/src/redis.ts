import type { ConnectionOptions } from 'bullmq';

/**
 * BullMQ connection options from a REDIS_URL. BullMQ gets options, never a shared ioredis instance
 * (it pins its own ioredis; sharing instances leaves open handles).
 */
export function bullConnection(redisUrl: string): ConnectionOptions {
  const u = new URL(redisUrl);
  const db = u.pathname.length > 1 ? Number(u.pathname.slice(1)) : 0;
  return {
    host: u.hostname.replace(/^\[|\]$/g, ''),
    port: u.port ? Number(u.port) : 6379,
    username: u.username ? decodeURIComponent(u.username) : undefined,
    password: u.password ? decodeURIComponent(u.password) : undefined,
    db: Number.isFinite(db) ? db : 0,
    tls: u.protocol === 'rediss:' ? {} : undefined,
    maxRetriesPerRequest: null,
  };
}

/** Key prefix for every BullMQ queue: `ddns` unless a test gives its own. */
export const DEFAULT_BULL_PREFIX = 'ddns';
