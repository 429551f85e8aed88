import type { Db, ZoneKind, ZoneStatus } from '@ddns/db';
import { normalizeName } from '@ddns/records';
import { OpError } from './errors';

export interface ZoneSummary {
  id: number;
  name: string;
  kind: ZoneKind;
  status: ZoneStatus;
  /** owner of a hosted zone (e-mail); null for shared zones */
  account: string | null;
  serial: string;
  domains: number;
  createdAt: string;
}

export async function listZones(db: Db): Promise<ZoneSummary[]> {
  const rows = await db
    .selectFrom('zones')
    .leftJoin('accounts', 'accounts.id', 'zones.account_id')
    .select((eb) => [
      'zones.id',
      'zones.name',
      'zones.kind',
      'zones.status',
      'zones.serial',
      'zones.created_at',
      'accounts.email',
      eb
        .selectFrom('domains')
        .select((e) => e.fn.countAll<string>().as('n'))
        .whereRef('domains.zone_id', '=', 'zones.id')
        .as('domains'),
    ])
    .orderBy('zones.name')
    .execute();
  return rows.map((r) => ({
    id: r.id,
    name: r.name,
    kind: r.kind,
    status: r.status,
    account: r.email,
    serial: r.serial,
    domains: Number(r.domains ?? 0),
    createdAt: r.created_at.toISOString(),
  }));
}

export interface RemovedZone {
  id: number;
  name: string;
  kind: ZoneKind;
  /** the domains removed with it (their names are free again) */
  domains: string[];
}

/**
 * Removes a zone with its records, domains and mail domain; the DNS stops answering for it. A zone that holds
 * domains of accounts is refused unless `force` (a shared zone's users would lose their names); a hosted
 * zone's own apex domain does not count.
 */
export async function removeZone(db: Db, input: { name: string; force?: boolean }): Promise<RemovedZone> {
  const name = normalizeName(input.name);
  return db.transaction().execute(async (trx) => {
    const zone = await trx
      .selectFrom('zones')
      .select(['id', 'name', 'kind'])
      .where('name', '=', name)
      .forUpdate()
      .executeTakeFirst();
    if (!zone) throw new OpError(`no zone ${name}`);
    const domains = (
      await trx.selectFrom('domains').select('name').where('zone_id', '=', zone.id).orderBy('name').execute()
    ).map((d) => d.name);
    const held = domains.filter((d) => d !== zone.name);
    if (held.length && !input.force)
      throw new OpError(
        `zone ${zone.name} holds ${held.length} domain(s) (${held.slice(0, 3).join(', ')}` +
          `${held.length > 3 ? ', …' : ''}): remove them first or pass --force`,
      );
    await trx.deleteFrom('zones').where('id', '=', zone.id).execute();
    return { ...zone, domains };
  });
}
