import type { Db, ZoneStatus } from '@ddns/db';
import { enqueueInOutbox, QUEUES } from '@ddns/jobs';
import { sql } from 'kysely';
import { challengeToken, formatUtc, ourNameServers, suspendedZoneReleaseAt } from './ownership-claim';
import type { WalkOptions } from './ownership-delegation';
import { challengeName, proveControl } from './ownership-proof';

/**
 * The re-check of users' own domains (hosted zones with an owner). A proof found makes the zone `active`
 * (served); a conclusive check without proof leaves a pending zone pending and moves an active one to
 * `suspended` (no longer served) and e-mails its owner through the outbox, naming the date after which
 * another account may claim the name (SUSPENDED_ZONE_RELEASE_DAYS from `suspended_at`). Suspended zones stay
 * checked like pending ones: the owner's proof found again makes the zone active and clears `suspended_at`.
 * A check that could not reach the parent changes nothing. Operator zones (no owner) are never checked.
 */
export interface RecheckResult {
  zone: string;
  before: ZoneStatus;
  after: ZoneStatus;
  detail: string;
}

export async function recheckZone(
  db: Db,
  zoneId: number,
  walk: WalkOptions,
  now = new Date(),
): Promise<RecheckResult | null> {
  const zone = await db
    .selectFrom('zones')
    .innerJoin('accounts', 'accounts.id', 'zones.account_id')
    .select([
      'zones.id',
      'zones.name',
      'zones.status',
      'zones.challenge_token',
      'zones.account_id',
      'accounts.email',
    ])
    .where('zones.id', '=', zoneId)
    .where('zones.kind', '=', 'hosted')
    .executeTakeFirst();
  if (!zone || zone.account_id === null) return null;
  const token = zone.challenge_token ?? challengeToken(zone.account_id, zone.name);
  const ours = await ourNameServers(db);
  const proof = await proveControl({ domain: zone.name, token, ourNameServers: ours }, walk);
  const after: ZoneStatus = proof.proven
    ? 'active'
    : proof.conclusive && zone.status === 'active'
      ? 'suspended'
      : zone.status;
  const changed = await db.transaction().execute(async (trx) => {
    const u = await trx
      .updateTable('zones')
      .set({
        checked_at: now,
        check_result: proof.detail.slice(0, 500),
        challenge_token: token,
        status: after,
        ...(after !== zone.status ? { status_changed_at: now } : {}),
        ...(after !== zone.status ? { suspended_at: after === 'suspended' ? now : null } : {}),
      })
      .where('id', '=', zone.id)
      .where('status', '=', zone.status) // a concurrent change wins; this result is dropped
      .executeTakeFirst();
    if (Number(u.numUpdatedRows) !== 1) return false;
    if (zone.status === 'active' && after === 'suspended') {
      await enqueueInOutbox(trx, {
        queue: QUEUES.email,
        name: 'zone-suspended',
        jobId: `zone-suspended-${zone.id}-${now.getTime()}`,
        data: {
          to: zone.email,
          template: 'zone-suspended',
          vars: {
            name: zone.name,
            detail: proof.detail,
            nameServers: ours.join(', '),
            challengeName: challengeName(zone.name),
            challengeValue: token,
            releaseAt: formatUtc(suspendedZoneReleaseAt(now)),
          },
        },
      });
    }
    return true;
  });
  if (!changed) return null;
  return { zone: zone.name, before: zone.status, after, detail: proof.detail };
}

export interface SweepOwnershipOptions {
  walk: WalkOptions;
  now?: Date;
  /** pending and suspended zones are checked this often (default 10 min) */
  unprovenEveryMs?: number;
  /** active zones are re-checked this often (default 24 h) */
  activeEveryMs?: number;
  /** zones checked per run at most */
  batch?: number;
}

/** One periodic run: checks the zones that are due, oldest check first. */
export async function sweepOwnership(db: Db, o: SweepOwnershipOptions): Promise<RecheckResult[]> {
  const now = o.now ?? new Date();
  const unproven = new Date(now.getTime() - (o.unprovenEveryMs ?? 10 * 60_000));
  const active = new Date(now.getTime() - (o.activeEveryMs ?? 24 * 3600_000));
  const due = await db
    .selectFrom('zones')
    .select('id')
    .where('kind', '=', 'hosted')
    .where('account_id', 'is not', null)
    .where((eb) =>
      eb.or([
        eb('checked_at', 'is', null),
        eb.and([eb('status', '=', 'active'), eb('checked_at', '<', active)]),
        eb.and([eb('status', '<>', 'active'), eb('checked_at', '<', unproven)]),
      ]),
    )
    .orderBy(sql`checked_at NULLS FIRST`)
    .orderBy('id')
    .limit(o.batch ?? 200)
    .execute();
  const out: RecheckResult[] = [];
  for (const z of due) {
    const r = await recheckZone(db, z.id, o.walk, now);
    if (r) out.push(r);
  }
  return out;
}
