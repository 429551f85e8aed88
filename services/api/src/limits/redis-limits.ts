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

// Takes `weight` units of a budget only when all of them fit; a refusal counts on a second key instead.
const TAKE = `
local c = tonumber(redis.call('GET', KEYS[1]) or '0')
local w = tonumber(ARGV[1])
if c + w > tonumber(ARGV[2]) then
  local o = redis.call('INCR', KEYS[2])
  if o == 1 then redis.call('PEXPIRE', KEYS[2], ARGV[3]) end
  return {0, c, o}
end
c = redis.call('INCRBY', KEYS[1], w)
if redis.call('PTTL', KEYS[1]) < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[3]) end
return {1, c, 0}`;

/** What taking several units of a daily quota did. */
export interface TakeResult extends LimitResult {
  /** refusals today, this one included (0 when allowed): 1 on the first refusal */
  refusals: number;
}

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

  /**
   * Takes `weight` units (e.g. the hosts of one update) of a daily quota (UTC day), all or nothing: a request
   * that does not fit takes nothing, so a smaller one may still fit.
   */
  async dailyTake(key: string, limit: number, weight: number, now = new Date()): Promise<TakeResult> {
    const day = now.toISOString().slice(0, 10);
    const k = this.key(`daily:${key}:${day}`);
    let r: [number, number, number];
    try {
      r = (await this.redis.eval(TAKE, 2, k, `${k}:refused`, String(weight), String(limit), '86400000')) as [
        number,
        number,
        number,
      ];
    } catch (err) {
      throw new LimitsUnavailableError(err);
    }
    const untilMidnight = Math.ceil(
      (Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1) - now.getTime()) / 1000,
    );
    return { allowed: r[0] === 1, count: r[1], refusals: r[2], retryAfter: Math.max(1, untilMidnight) };
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
