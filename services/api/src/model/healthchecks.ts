import { sql, type Db, type HealthCheck, type HealthState } from '@ddns/db';
import { hashToken, newToken, tokenMatches } from '@ddns/secrets';
import { conflict, forbidden, invalid, notFound } from './errors';

export const HEALTHCHECK_LIMITS = {
  maxPerAccount: 50,
  nameMax: 100,
  periodMin: 60,
  periodMax: 30 * 86400,
  graceMax: 30 * 86400,
  defaultPeriod: 3600,
  defaultGrace: 300,
} as const;

export interface HealthCheckInput {
  name: string;
  period: number;
  grace: number;
}

/** Pure: validates a new check's name, period and grace (seconds; empty = defaults). */
export function parseHealthCheckInput(
  name: string | undefined,
  period: string | undefined,
  grace: string | undefined,
): { ok: true; value: HealthCheckInput } | { ok: false; error: string } {
  const n = (name ?? '').trim();
  const L = HEALTHCHECK_LIMITS;
  if (!n) return { ok: false, error: 'the health check name is missing' };
  if (n.length > L.nameMax || [...n].some((c) => c.charCodeAt(0) < 32 || c.charCodeAt(0) === 127))
    return { ok: false, error: `the name must be 1-${L.nameMax} printable characters` };
  const num = (raw: string | undefined, dflt: number, min: number, max: number, what: string) => {
    if (raw === undefined || raw.trim() === '') return dflt;
    const s = raw.trim();
    if (!/^\d{1,9}$/.test(s) || Number(s) < min || Number(s) > max)
      return `${what} must be a whole number of seconds from ${min} to ${max}`;
    return Number(s);
  };
  const p = num(period, L.defaultPeriod, L.periodMin, L.periodMax, 'period');
  if (typeof p === 'string') return { ok: false, error: p };
  const g = num(grace, L.defaultGrace, 0, L.graceMax, 'grace');
  if (typeof g === 'string') return { ok: false, error: g };
  return { ok: true, value: { name: n, period: p, grace: g } };
}

export function listHealthChecks(db: Db, accountId: number): Promise<HealthCheck[]> {
  return db
    .selectFrom('health_checks')
    .selectAll()
    .where('account_id', '=', accountId)
    .orderBy('id')
    .execute();
}

/** Creates a check; returns it with its ping token (shown once, stored as SHA-256). */
export async function addHealthCheck(
  db: Db,
  accountId: number,
  input: HealthCheckInput,
): Promise<{ check: HealthCheck; token: string }> {
  const existing = await listHealthChecks(db, accountId);
  if (existing.some((c) => c.name === input.name))
    throw conflict(`a health check named "${input.name}" exists`);
  if (existing.length >= HEALTHCHECK_LIMITS.maxPerAccount)
    throw forbidden(`your account may hold at most ${HEALTHCHECK_LIMITS.maxPerAccount} health checks`);
  const token = newToken();
  const check = await db
    .insertInto('health_checks')
    .values({
      account_id: accountId,
      name: input.name,
      ping_token_hash: hashToken(token),
      period_seconds: input.period,
      grace_seconds: input.grace,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  return { check, token };
}

/** Deletes one of the account's checks, by id (digits) or by name. */
export async function deleteHealthCheck(db: Db, accountId: number, idOrName: string): Promise<HealthCheck> {
  const key = idOrName.trim();
  if (!key) throw invalid('the health check id or name is missing');
  const row = await db
    .deleteFrom('health_checks')
    .where('account_id', '=', accountId)
    .where((eb) => (/^\d{1,9}$/.test(key) ? eb('id', '=', Number(key)) : eb('name', '=', key)))
    .returningAll()
    .executeTakeFirst();
  if (!row) throw notFound(`no health check "${key}" in your account`);
  return row;
}

/**
 * Records a ping (GET|POST /health/<token>, and the updater's `healthcheck=` parameter). A new check becomes
 * `up`; a `down` check stays down until the sweep sees the ping and sends the recovery e-mail.
 * Returns the check, or undefined for an unknown token.
 */
export async function pingHealthCheck(
  db: Db,
  token: string,
  now = new Date(),
): Promise<HealthCheck | undefined> {
  if (!token) return undefined;
  const hash = hashToken(token);
  const found = await db
    .selectFrom('health_checks')
    .select(['id', 'ping_token_hash'])
    .where('ping_token_hash', '=', hash)
    .executeTakeFirst();
  if (!found || !tokenMatches(token, found.ping_token_hash)) return undefined;
  return db
    .updateTable('health_checks')
    .set({
      last_ping_at: now,
      state: sql<HealthState>`CASE WHEN state = 'new' THEN 'up' ELSE state END`,
      state_changed_at: sql<Date>`CASE WHEN state = 'new' THEN ${now} ELSE state_changed_at END`,
    })
    .where('id', '=', found.id)
    .returningAll()
    .executeTakeFirst();
}
