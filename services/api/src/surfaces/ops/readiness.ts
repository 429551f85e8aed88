import { sql } from 'kysely';
import type { ApiDeps } from '../../deps';

export interface ReadinessReport {
  ready: boolean;
  checks: { postgres: string; redis: string };
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`${what} did not answer within ${ms} ms`)), ms);
    p.then(
      (v) => {
        clearTimeout(t);
        resolve(v);
      },
      (e: unknown) => {
        clearTimeout(t);
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
}

/** Checks Postgres and Redis; each failure is reported with its reason. Never throws. */
export async function checkReadiness(
  deps: Pick<ApiDeps, 'db' | 'redis'>,
  timeoutMs = 2000,
): Promise<ReadinessReport> {
  const [pg, redis] = await Promise.allSettled([
    withTimeout(sql`SELECT 1`.execute(deps.db), timeoutMs, 'postgres'),
    withTimeout(deps.redis.ping(), timeoutMs, 'redis'),
  ]);
  const reason = (r: PromiseSettledResult<unknown>) =>
    r.status === 'fulfilled' ? 'ok' : `unavailable: ${(r.reason as Error).message || 'connection failed'}`;
  const checks = { postgres: reason(pg), redis: reason(redis) };
  return { ready: checks.postgres === 'ok' && checks.redis === 'ok', checks };
}
