import { sql, type Db } from '@ddns/db';
import { enqueueInOutbox, QUEUES, sweepHealthChecks } from '@ddns/jobs';
import { SESSION_LIMITS } from '@ddns/registry';
import type { Logger } from 'pino';
import type { QueueContext, QueueDefinition } from './types';

const DAY_MS = 24 * 3600 * 1000;

export interface SweepOptions {
  /** GATEWAY_EXPIRY_DAYS: a gateway without a ping for this long is warned, then released (0 = off) */
  gatewayExpiryDays: number;
  /** days between the warning and the release */
  graceDays?: number;
  /** UPDATE_LOG_RETENTION_DAYS: update-log rows and anonymous-failure counts kept this long */
  updateLogRetentionDays?: number;
  /** DNS_CHANGES_RETENTION_DAYS: change-feed rows kept this long (the newest one always stays) */
  dnsChangesRetentionDays?: number;
  now?: Date;
  logger?: Logger;
}

export interface SweepReport {
  verificationsDeleted: number;
  /** /v1: expired sessions, and account links (sign-up, reset, address change, invites) expired or used */
  sessionsDeleted: number;
  accountTokensDeleted: number;
  reclamationTokensExpired: number;
  outboxRowsDeleted: number;
  gatewaysWarned: number;
  gatewaysReleased: number;
  updateLogDeleted: number;
  anonymousFailuresDeleted: number;
  dnsChangesDeleted: number;
}

/** Warned gateways get this long to ping again before their name is released. */
export const DEFAULT_GRACE_DAYS = 7;
/** Relayed outbox rows are kept this long (they may carry a reclamation token, valid 24 h). */
const OUTBOX_KEEP_MS = 2 * DAY_MS;

/**
 * The periodic sweep: forgets expired verification links, reclamation tokens, /v1 sessions and account links, trims the relayed outbox,
 * and expires inactive gateways (warn by e-mail, then release after the grace period; a /ping in between
 * clears the warning). Safe to run concurrently and repeatedly.
 */
export async function runSweep(db: Db, o: SweepOptions): Promise<SweepReport> {
  const now = o.now ?? new Date();
  const report: SweepReport = {
    verificationsDeleted: 0,
    sessionsDeleted: 0,
    accountTokensDeleted: 0,
    reclamationTokensExpired: 0,
    outboxRowsDeleted: 0,
    gatewaysWarned: 0,
    gatewaysReleased: 0,
    updateLogDeleted: 0,
    anonymousFailuresDeleted: 0,
    dnsChangesDeleted: 0,
  };
  const v = await db
    .deleteFrom('email_verifications')
    .where((eb) =>
      eb.or([
        eb.and([eb('used_at', 'is', null), eb('expires_at', '<', now)]),
        eb('used_at', '<', new Date(now.getTime() - 30 * DAY_MS)),
      ]),
    )
    .executeTakeFirst();
  report.verificationsDeleted = Number(v.numDeletedRows);
  const ss = await db
    .deleteFrom('sessions')
    .where((eb) =>
      eb.or([
        eb('expires_at', '<', now),
        eb('last_seen_at', '<', new Date(now.getTime() - SESSION_LIMITS.idleSeconds * 1000)),
      ]),
    )
    .executeTakeFirst();
  report.sessionsDeleted = Number(ss.numDeletedRows);
  const at = await db
    .deleteFrom('account_tokens')
    .where((eb) =>
      eb.or([eb('expires_at', '<', now), eb('used_at', '<', new Date(now.getTime() - 30 * DAY_MS))]),
    )
    .executeTakeFirst();
  report.accountTokensDeleted = Number(at.numDeletedRows);
  const r = await db
    .updateTable('domains')
    .set({ reclamation_token_hash: null, reclamation_expires_at: null })
    .where('reclamation_expires_at', '<', now)
    .executeTakeFirst();
  report.reclamationTokensExpired = Number(r.numUpdatedRows);
  const ob = await db
    .deleteFrom('outbox')
    .where('relayed_at', '<', new Date(now.getTime() - OUTBOX_KEEP_MS))
    .executeTakeFirst();
  report.outboxRowsDeleted = Number(ob.numDeletedRows);
  Object.assign(report, await pruneLogs(db, now, o));

  if (o.gatewayExpiryDays > 0) {
    const graceMs = (o.graceDays ?? DEFAULT_GRACE_DAYS) * DAY_MS;
    const inactiveSince = new Date(now.getTime() - o.gatewayExpiryDays * DAY_MS);
    const lastSeen = sql<Date>`coalesce(last_ping_at, created_at)`;
    // release: warned long enough ago and still no ping since the warning
    const released = await db
      .deleteFrom('domains')
      .where('mode', 'is not', null)
      .where('expiry_warned_at', '<=', new Date(now.getTime() - graceMs))
      .where(lastSeen, '<', sql<Date>`expiry_warned_at`)
      .returning(['id', 'name'])
      .execute();
    report.gatewaysReleased = released.length;
    for (const d of released) o.logger?.info({ domain: d.name }, 'inactive gateway released');
    // warn: inactive for the configured time and not warned yet
    const due = await db
      .selectFrom('domains')
      .select(['id', 'name', 'email', 'email_verified', 'last_ping_at', 'created_at'])
      .where('mode', 'is not', null)
      .where('expiry_warned_at', 'is', null)
      .where(lastSeen, '<', inactiveSince)
      .orderBy('id')
      .limit(1000)
      .execute();
    for (const d of due) {
      const warned = await db.transaction().execute(async (trx) => {
        const u = await trx
          .updateTable('domains')
          .set({ expiry_warned_at: now })
          .where('id', '=', d.id)
          .where('expiry_warned_at', 'is', null)
          .executeTakeFirst();
        if (Number(u.numUpdatedRows) === 0) return false; // another sweep got there first
        if (d.email && d.email_verified) {
          await enqueueInOutbox(trx, {
            queue: QUEUES.email,
            name: 'gateway-expiry-warning',
            jobId: `expiry-${d.id}-${now.getTime()}`,
            data: {
              to: d.email,
              template: 'gateway-expiry-warning',
              vars: {
                name: d.name,
                lastPing: d.last_ping_at ? new Date(d.last_ping_at).toISOString() : 'never',
                releaseAt: new Date(now.getTime() + graceMs).toISOString().slice(0, 10),
              },
            },
          });
        }
        return true;
      });
      if (warned) report.gatewaysWarned++;
    }
  }
  return report;
}

/** Rows deleted per statement while pruning (short transactions, no long lock on a busy table). */
const PRUNE_BATCH = 5000;

/** Deletes batches of `table` rows matching `where` until none is left; returns how many. */
async function deleteInBatches(db: Db, table: string, key: string, where: ReturnType<typeof sql>) {
  let total = 0;
  for (;;) {
    const r = await sql`
      DELETE FROM ${sql.table(table)} WHERE ${sql.ref(key)} IN (
        SELECT ${sql.ref(key)} FROM ${sql.table(table)} WHERE ${where} LIMIT ${PRUNE_BATCH})`.execute(db);
    const n = Number(r.numAffectedRows ?? 0);
    total += n;
    if (n < PRUNE_BATCH) return total;
  }
}

/**
 * Retention: update-log rows and anonymous-failure counts older than UPDATE_LOG_RETENTION_DAYS, change-feed
 * rows older than DNS_CHANGES_RETENTION_DAYS. The newest change-feed row always stays, so the feed's
 * position (`max(seq)`) never goes back; the DNS service's IXFR journal lives in memory and reads nothing here.
 */
export async function pruneLogs(
  db: Db,
  now: Date,
  o: Pick<SweepOptions, 'updateLogRetentionDays' | 'dnsChangesRetentionDays'>,
): Promise<Pick<SweepReport, 'updateLogDeleted' | 'anonymousFailuresDeleted' | 'dnsChangesDeleted'>> {
  const before = (days: number) => new Date(now.getTime() - days * DAY_MS);
  const logCutoff = before(o.updateLogRetentionDays ?? 30);
  const changesCutoff = before(o.dnsChangesRetentionDays ?? 7);
  const updateLogDeleted = await deleteInBatches(db, 'update_log', 'id', sql`at < ${logCutoff}`);
  const a = await db.deleteFrom('anonymous_failures').where('hour', '<', logCutoff).executeTakeFirst();
  const dnsChangesDeleted = await deleteInBatches(
    db,
    'dns_changes',
    'seq',
    sql`changed_at < ${changesCutoff} AND seq < (SELECT max(seq) FROM dns_changes)`,
  );
  return { updateLogDeleted, anonymousFailuresDeleted: Number(a.numDeletedRows), dnsChangesDeleted };
}

/** How often the sweep runs. */
export const SWEEP_EVERY_MS = 15 * 60 * 1000;
/** The health-check sweep: often, since a check's grace can be short. */
export const HEALTHCHECK_SWEEP = 'healthchecks';
export const HEALTHCHECK_SWEEP_EVERY_MS = 60 * 1000;

export function sweepsQueue(ctx: QueueContext): QueueDefinition {
  return {
    queue: 'sweeps',
    concurrency: 1,
    schedules: [
      { id: 'sweep', jobName: 'sweep', everyMs: SWEEP_EVERY_MS },
      { id: HEALTHCHECK_SWEEP, jobName: HEALTHCHECK_SWEEP, everyMs: HEALTHCHECK_SWEEP_EVERY_MS },
    ],
    processor: async (job) => {
      // overdue / recovered health checks: one e-mail per state change, through the outbox
      if (job.name === HEALTHCHECK_SWEEP) return { healthChecks: await sweepHealthChecks(ctx.db) };
      const report = await runSweep(ctx.db, {
        gatewayExpiryDays: ctx.config.GATEWAY_EXPIRY_DAYS,
        updateLogRetentionDays: ctx.config.UPDATE_LOG_RETENTION_DAYS,
        dnsChangesRetentionDays: ctx.config.DNS_CHANGES_RETENTION_DAYS,
        logger: ctx.logger,
      });
      return report;
    },
  };
}
