import { createHash } from 'node:crypto';
import { sql, type Kysely, type Transaction } from 'kysely';
import type { Database, HealthCheck, HealthState } from '@ddns/db';
import { enqueueInOutbox } from './outbox';
import { QUEUES } from './queues';

/** What the sweep needs to know about a health check. */
export interface SweepCheck {
  state: HealthState;
  last_ping_at: Date | null;
  period_seconds: number;
  grace_seconds: number;
}

/** When a check that was pinged at `lastPing` becomes overdue. */
export function overdueAt(
  c: Pick<SweepCheck, 'last_ping_at' | 'period_seconds' | 'grace_seconds'>,
): Date | null {
  return c.last_ping_at
    ? new Date(c.last_ping_at.getTime() + (c.period_seconds + c.grace_seconds) * 1000)
    : null;
}

/**
 * The state a check should move to at `now`, or null when it stays. Pure.
 * - `new` (never pinged) never alerts; the ping itself makes it `up`.
 * - `up` whose last ping is older than period + grace → `down` (one "down" e-mail).
 * - `down` pinged again within period + grace → `up` (one "up again" e-mail).
 */
export function healthTransition(c: SweepCheck, now: Date): 'up' | 'down' | null {
  const due = overdueAt(c);
  if (c.state === 'up' && due && due.getTime() < now.getTime()) return 'down';
  if (c.state === 'down' && due && due.getTime() >= now.getTime()) return 'up';
  return null;
}

export interface SweepResult {
  checkId: number;
  from: HealthState;
  to: 'up' | 'down';
}

/**
 * One sweep: moves every check whose state is due to change, and writes its owner's e-mail into the outbox in the
 * same transaction. Each change is a conditional update (`WHERE state = from`), so concurrent sweeps (several
 * mailer replicas) send each e-mail once; the outbox job id makes a re-run idempotent too.
 */
export async function sweepHealthChecks(db: Kysely<Database>, now = new Date()): Promise<SweepResult[]> {
  const rows = await db
    .selectFrom('health_checks')
    .innerJoin('accounts', 'accounts.id', 'health_checks.account_id')
    .select([
      'health_checks.id',
      'health_checks.name',
      'health_checks.state',
      'health_checks.last_ping_at',
      'health_checks.period_seconds',
      'health_checks.grace_seconds',
      'accounts.email',
    ])
    .where('health_checks.state', 'in', ['up', 'down'])
    .execute();
  const done: SweepResult[] = [];
  for (const c of rows) {
    const to = healthTransition(c, now);
    if (!to) continue;
    const moved = await db.transaction().execute(async (trx) => {
      const r = await trx
        .updateTable('health_checks')
        .set({ state: to, state_changed_at: now })
        .where('id', '=', c.id)
        .where('state', '=', c.state)
        .returning('id')
        .executeTakeFirst();
      if (!r) return false;
      await enqueueInOutbox(trx, {
        queue: QUEUES.email,
        name: `healthcheck-${to}`,
        jobId: `healthcheck:${c.id}:${to}:${now.getTime()}`,
        data: {
          to: c.email,
          template: to === 'down' ? 'healthcheck-down' : 'healthcheck-up',
          vars: { check: c.name, lastPing: c.last_ping_at ? c.last_ping_at.toISOString() : 'never' },
        },
      });
      return true;
    });
    if (moved) done.push({ checkId: c.id, from: c.state, to });
  }
  return done;
}

/** SHA-256 hex, as @ddns/secrets' hashToken stores tokens. */
const sha256 = (s: string) => createHash('sha256').update(s, 'utf8').digest('hex');

/**
 * Records a ping of the check whose ping token is `token` (GET|POST /health/<token>, and the updater's
 * `healthcheck=<token>` parameter, which passes `accountId` so only the authenticated account's checks match).
 * A `new` check becomes `up`. A `down` check stays `down`: the sweep sees the fresh ping, moves it to `up` and
 * sends the one recovery e-mail — so every ping path must use this function, never set `state` itself.
 * Returns the check, or undefined for an unknown token.
 */
export async function recordHealthPing(
  db: Kysely<Database> | Transaction<Database>,
  token: string,
  opts: { accountId?: number; now?: Date } = {},
): Promise<HealthCheck | undefined> {
  if (!token) return undefined;
  const now = opts.now ?? new Date();
  let q = db
    .updateTable('health_checks')
    .set({
      last_ping_at: now,
      state: sql<HealthState>`CASE WHEN state = 'new' THEN 'up' ELSE state END`,
      state_changed_at: sql<Date>`CASE WHEN state = 'new' THEN ${now} ELSE state_changed_at END`,
    })
    .where('ping_token_hash', '=', sha256(token));
  if (opts.accountId !== undefined) q = q.where('account_id', '=', opts.accountId);
  // looked up by SHA-256 (an index look-up on a hash reveals nothing about the token)
  return q.returningAll().executeTakeFirst();
}
