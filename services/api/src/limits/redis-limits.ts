import type { Redis } from 'ioredis';

/** Redis is unreachable: the caller answers in its own format (e.g. 503 / `911`). */
export class LimitsUnavailableError extends Error {
  constructor(cause: unknown) {
    super(`rate limits unavailable: ${(cause as Error)?.message ?? String(cause)}`);
  }
}

export interface LimitResult {
  allowed: boolean;
  /** hits counted in the current window, this one included */
  count: number;
  /** seconds until the window resets (for Retry-After) */
  retryAfter: number;
}

// INCR + set the window's expiry on first hit, atomically; returns count and remaining TTL (ms).
const HIT = `
local c = redis.call('INCR', KEYS[1])
if c == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[1]); ttl = tonumber(ARGV[1]) end
return {c, ttl}`;

/**
 * Counters shared by every API replica: fixed-window rate limits, daily quotas, failure lockouts.
 * All keys live under `<prefix>:limits:`. Every method throws LimitsUnavailableError when Redis is down.
 */
export class RedisLimits {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  private key(k: string): string {
    return `${this.prefix}:limits:${k}`;
  }

  /** Counts one hit against `limit` per `windowSeconds` for `key`. */
  async hit(key: string, limit: number, windowSeconds: number): Promise<LimitResult> {
    try {
      const [count, ttl] = (await this.redis.eval(HIT, 1, this.key(key), String(windowSeconds * 1000))) as [
        number,
        number,
      ];
      return { allowed: count <= limit, count, retryAfter: Math.max(1, Math.ceil(ttl / 1000)) };
    } catch (err) {
      throw new LimitsUnavailableError(err);
    }
  }

  /** Counts one use of a daily quota (UTC day). */
  async daily(key: string, limit: number, now = new Date()): Promise<LimitResult> {
    const day = now.toISOString().slice(0, 10);
    const r = await this.hit(`daily:${key}:${day}`, limit, 86400);
    const untilMidnight = Math.ceil(
      (Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1) - now.getTime()) / 1000,
    );
    return { ...r, retryAfter: Math.max(1, untilMidnight) };
  }

  /** Seconds left on a lockout of `key`, or 0 when it is not locked. */
  async lockedFor(key: string): Promise<number> {
    try {
      const ttl = await this.redis.pttl(this.key(`lock:${key}`));
      return ttl > 0 ? Math.ceil(ttl / 1000) : 0;
    } catch (err) {
      throw new LimitsUnavailableError(err);
    }
  }

  /**
   * Records a failed authentication for `key`; after `maxFailures` within `lockSeconds` the key is locked for
   * `lockSeconds`. Returns the lock time left (0 when not locked).
   */
  async fail(key: string, maxFailures = 5, lockSeconds = 600): Promise<number> {
    const r = await this.hit(`fail:${key}`, maxFailures, lockSeconds);
    if (r.count < maxFailures) return 0;
    try {
      await this.redis.set(this.key(`lock:${key}`), '1', 'EX', lockSeconds);
    } catch (err) {
      throw new LimitsUnavailableError(err);
    }
    return lockSeconds;
  }

  /** Forgets counters (tests, and lifting limits for benchmarks). */
  async reset(key: string): Promise<void> {
    try {
      await this.redis.del(this.key(key), this.key(`fail:${key}`), this.key(`lock:${key}`));
    } catch (err) {
      throw new LimitsUnavailableError(err);
    }
  }
}
