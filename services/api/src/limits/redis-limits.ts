import type { Redis } from 'ioredis';
import { LimitScript } from './scripts';

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
const HIT_LUA = `
local function hit(key, window)
  local c = redis.call('INCR', key)
  if c == 1 then redis.call('PEXPIRE', key, window) end
  local ttl = redis.call('PTTL', key)
  if ttl < 0 then redis.call('PEXPIRE', key, window); ttl = tonumber(window) end
  return c, ttl
end`;
const HIT = new LimitScript(`${HIT_LUA}
local c, ttl = hit(KEYS[1], ARGV[1])
return {c, ttl}`);

// Takes `weight` units of a budget only when all of them fit; a refusal counts on a second key instead.
const TAKE_LUA = `
local function take(key, refusedKey, weight, limit, window)
  local c = tonumber(redis.call('GET', key) or '0')
  local w = tonumber(weight)
  if c + w > tonumber(limit) then
    local o = redis.call('INCR', refusedKey)
    if o == 1 then redis.call('PEXPIRE', refusedKey, window) end
    return 0, c, o
  end
  c = redis.call('INCRBY', key, w)
  if redis.call('PTTL', key) < 0 then redis.call('PEXPIRE', key, window) end
  return 1, c, 0
end`;
const TAKE = new LimitScript(`${TAKE_LUA}
local ok, c, o = take(KEYS[1], KEYS[2], ARGV[1], ARGV[2], ARGV[3])
return {ok, c, o}`);

// The per-key call limit (a hit on KEYS[1], skipped when ARGV[1] is '0'), then, only when the hit is allowed,
// the daily quota (a take on KEYS[2], refusals on KEYS[3]): what hit() then dailyTake() do, in one round trip.
// Returns {hit count, hit ttl, quota taken (1/0; -1: not asked), quota count, refusals}.
const HIT_AND_TAKE = new LimitScript(`${HIT_LUA}${TAKE_LUA}
local hc, httl = 0, 0
if ARGV[1] ~= '0' then
  hc, httl = hit(KEYS[1], ARGV[1])
  if hc > tonumber(ARGV[2]) then return {hc, httl, -1, 0, 0} end
end
local ok, c, o = take(KEYS[2], KEYS[3], ARGV[3], ARGV[4], ARGV[5])
return {hc, httl, ok, c, o}`);

// Several counters at once: for each key, ARGV[i + 1] 'hit' counts a hit (window ARGV[1] ms) and returns its
// count and ttl; 'reset' deletes it (and returns 0, 0).
const HIT_OR_RESET = new LimitScript(`${HIT_LUA}
local out = {}
for i, key in ipairs(KEYS) do
  if ARGV[i + 1] == 'hit' then
    local c, ttl = hit(key, ARGV[1])
    out[#out + 1] = c; out[#out + 1] = ttl
  else
    redis.call('DEL', key)
    out[#out + 1] = 0; out[#out + 1] = 0
  end
end
return out`);

/** What taking several units of a daily quota did. */
export interface TakeResult extends LimitResult {
  /** refusals today, this one included (0 when allowed): 1 on the first refusal */
  refusals: number;
}

function secondsToMidnight(now: Date): number {
  const next = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1);
  return Math.max(1, Math.ceil((next - now.getTime()) / 1000));
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
      const [count, ttl] = (await HIT.run(this.redis, [this.key(key)], [windowSeconds * 1000])) as [
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
      r = (await TAKE.run(this.redis, [k, `${k}:refused`], [weight, limit, 86400000])) as [
        number,
        number,
        number,
      ];
    } catch (err) {
      throw new LimitsUnavailableError(err);
    }
    return { allowed: r[0] === 1, count: r[1], refusals: r[2], retryAfter: secondsToMidnight(now) };
  }

  /**
   * A per-key call limit (`hit`, none when null) and, only when that allows the request, `weight` units of a
   * daily quota, as hit() then dailyTake() would, in one round trip. `take` is null when the hit refused.
   */
  async hitAndTake(
    hit: { key: string; limit: number; windowSeconds: number } | null,
    quota: { key: string; limit: number; weight: number },
    now = new Date(),
  ): Promise<{ hit: LimitResult | null; take: TakeResult | null }> {
    const day = now.toISOString().slice(0, 10);
    const k = this.key(`daily:${quota.key}:${day}`);
    let r: [number, number, number, number, number];
    try {
      r = (await HIT_AND_TAKE.run(
        this.redis,
        [hit ? this.key(hit.key) : this.key('unused'), k, `${k}:refused`],
        [hit ? hit.windowSeconds * 1000 : 0, hit?.limit ?? 0, quota.weight, quota.limit, 86400000],
      )) as [number, number, number, number, number];
    } catch (err) {
      throw new LimitsUnavailableError(err);
    }
    const [count, ttl, taken, used, refusals] = r;
    return {
      hit: hit
        ? { allowed: count <= hit.limit, count, retryAfter: Math.max(1, Math.ceil(ttl / 1000)) }
        : null,
      take:
        taken === -1
          ? null
          : { allowed: taken === 1, count: used, refusals, retryAfter: secondsToMidnight(now) },
    };
  }

  /**
   * Several counters in one round trip: a hit against `limit` per `windowSeconds` for each `hit` key, a
   * reset of the counter alone (not its failure lockout) for each `reset` key. Results in the given order
   * (null for a reset).
   */
  async hitOrReset(
    ops: readonly { key: string; op: 'hit' | 'reset' }[],
    limit: number,
    windowSeconds: number,
  ): Promise<(LimitResult | null)[]> {
    if (ops.length === 0) return [];
    let r: number[];
    try {
      r = (await HIT_OR_RESET.run(
        this.redis,
        ops.map((o) => this.key(o.key)),
        [windowSeconds * 1000, ...ops.map((o) => o.op)],
      )) as number[];
    } catch (err) {
      throw new LimitsUnavailableError(err);
    }
    return ops.map((o, i) => {
      if (o.op === 'reset') return null;
      const count = r[2 * i]!;
      return { allowed: count <= limit, count, retryAfter: Math.max(1, Math.ceil(r[2 * i + 1]! / 1000)) };
    });
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
