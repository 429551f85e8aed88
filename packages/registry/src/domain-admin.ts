import type { Db, ZoneKind } from '@ddns/db';
import { normalizeName } from '@ddns/records';
import { findAccountId } from './accounts';
import { OpError } from './errors';

export interface DomainSummary {
  id: number;
  name: string;
  zone: string;
  /** shared: a name under a shared zone; hosted: the apex of the account's own zone */
  kind: ZoneKind;
  /** owner (e-mail); null for an anonymous gateway name */
  account: string | null;
  /** 0/1: a registration gateway (tunnelled/direct); null: an ordinary dynamic name */
  mode: 0 | 1 | null;
  records: number;
  createdAt: string;
}

/** Domains, by name; only one account's (`accountEmail`) or one zone's when given. */
export async function listDomains(
  db: Db,
  filter: { accountEmail?: string; zone?: string } = {},
): Promise<DomainSummary[]> {
  let q = db
    .selectFrom('domains')
    .innerJoin('zones', 'zones.id', 'domains.zone_id')
    .leftJoin('accounts', 'accounts.id', 'domains.account_id')
    .select((eb) => [
      'domains.id',
      'domains.name',
      'domains.mode',
      'domains.created_at',
      'zones.name as zone',
      'zones.kind',
      'accounts.email',
      eb
        .selectFrom('records')
        .select((e) => e.fn.countAll<string>().as('n'))
        .whereRef('records.domain_id', '=', 'domains.id')
        .as('records'),
    ]);
  if (filter.accountEmail !== undefined)
    q = q.where('domains.account_id', '=', await findAccountId(db, filter.accountEmail));
  if (filter.zone !== undefined) {
    const zone = normalizeName(filter.zone);
    const z = await db.selectFrom('zones').select('id').where('name', '=', zone).executeTakeFirst();
    if (!z) throw new OpError(`no zone ${zone}`);
    q = q.where('domains.zone_id', '=', z.id);
  }
  const rows = await q.orderBy('domains.name').execute();
  return rows.map((r) => ({
    id: r.id,
    name: r.name,
    zone: r.zone,
    kind: r.kind,
    account: r.email,
    mode: r.mode,
    records: Number(r.records ?? 0),
    createdAt: r.created_at.toISOString(),
  }));
}

export interface RemovedDomain {
  id: number;
  name: string;
  /** the hosted zone removed with it (a user's own domain is its zone), else null */
  zone: string | null;
}

/**
 * Removes a domain and its records; the name is free again and the DNS stops answering for it. A user's own
 * domain (the apex of a hosted zone) takes its zone with it, as adding it created the zone.
 */
export async function removeDomain(db: Db, input: { name: string }): Promise<RemovedDomain> {
  const name = normalizeName(input.name);
  return db.transaction().execute(async (trx) => {
    const d = await trx
      .selectFrom('domains')
      .innerJoin('zones', 'zones.id', 'domains.zone_id')
      .select(['domains.id', 'domains.name', 'zones.id as zoneId', 'zones.name as zone', 'zones.kind'])
      .where('domains.name', '=', name)
      .forUpdate()
      .executeTakeFirst();
    if (!d) throw new OpError(`no domain ${name}`);
    const ownZone = d.kind === 'hosted' && d.zone === d.name;
    if (ownZone) await trx.deleteFrom('zones').where('id', '=', d.zoneId).execute();
    else await trx.deleteFrom('domains').where('id', '=', d.id).execute();
    return { id: d.id, name: d.name, zone: ownZone ? d.zone : null };
  });
}
