import { CALL_LIMITS, quotaFor } from './classes';
import type { RedisLimits } from './redis-limits';

export type CallVerdict =
  | {
      allowed: true;
      /** API calls counted today, this one included (0 when the quota is not counted) */ today: number;
    }
  | { allowed: false; retryAfter: number; reason: string };

/**
 * The account API's limits for one call of an authenticated account: 5 calls / 10 s, then (when `daily`) the
 * class's daily quota. A call refused by the first limit does not use up the quota.
 * Throws LimitsUnavailableError when Redis is down.
 */
export async function checkApiCall(
  limits: RedisLimits,
  account: { id: number; class: string },
  opts: { daily: boolean; bucket?: string; rate?: { limit: number; windowSeconds: number } } = {
    daily: true,
  },
): Promise<CallVerdict> {
  const { limit, windowSeconds } = opts.rate ?? CALL_LIMITS.api;
  const bucket = opts.bucket ?? 'api';
  const rate = await limits.hit(`${bucket}:${account.id}`, limit, windowSeconds);
  if (!rate.allowed)
    return {
      allowed: false,
      retryAfter: rate.retryAfter,
      reason: `at most ${limit} API requests per ${windowSeconds} s`,
    };
  if (!opts.daily) return { allowed: true, today: 0 };
  const perDay = quotaFor(account.class).apiCallsPerDay;
  const day = await limits.daily(`api:${account.id}`, perDay);
  if (!day.allowed)
    return {
      allowed: false,
      retryAfter: day.retryAfter,
      reason: `daily limit of ${perDay} API calls reached`,
    };
  return { allowed: true, today: day.count };
}
