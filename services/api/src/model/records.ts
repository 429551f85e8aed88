import { sql, type DnsRecord, type Db, type Domain, type RecordType, type Zone } from '@ddns/db';
import { isInZone } from '@ddns/records';
import { conflict, forbidden, notFound } from './errors';

/** Most records one domain may carry (keeps a single account from bloating a zone). */
export const MAX_RECORDS_PER_DOMAIN = 200;

/** A domain of the caller, with its zone. */
export interface OwnedDomain {
  domain: Domain;
  zone: Zone;
}

/** The account's domains (name order). */
export function accountDomains(db: Db, accountId: number): Promise<Domain[]> {
  return db.selectFrom('domains').selectAll().where('account_id', '=', accountId).orderBy('name').execute();
}

/** Every suffix of a name that could be a registered domain (`a.b.c` → `a.b.c`, `b.c`). */
function suffixes(name: string): string[] {
  const labels = name.split('.');
  const out: string[] = [];
  for (let i = 0; i < labels.length - 1; i++) out.push(labels.slice(i).join('.'));
  return out;
}

/**
 * The registered domain that `name` belongs to (the most specific one containing it), when the account owns it.
 * A name inside someone else's domain, or inside no domain at all, is refused.
 */
export async function owningDomain(db: Db, accountId: number, name: string): Promise<OwnedDomain> {
  const candidates = await db.selectFrom('domains').selectAll().where('name', 'in', suffixes(name)).execute();
  let best: Domain | undefined;
  for (const d of candidates)
    if (isInZone(name, d.name) && (!best || d.name.length > best.name.length)) best = d;
  if (!best || best.account_id !== accountId) throw forbidden(`${name} is not in one of your domains`);
  const zone = await db
    .selectFrom('zones')
    .selectAll()
    .where('id', '=', best.zone_id)
    .executeTakeFirstOrThrow();
  return { domain: best, zone };
}

/** The caller's domain called exactly `name`. */
export async function ownDomainByName(db: Db, accountId: number, name: string): Promise<OwnedDomain> {
  const domain = await db.selectFrom('domains').selectAll().where('name', '=', name).executeTakeFirst();
  if (!domain || domain.account_id !== accountId) throw forbidden(`${name} is not one of your domains`);
  const zone = await db
    .selectFrom('zones')
    .selectAll()
    .where('id', '=', domain.zone_id)
    .executeTakeFirstOrThrow();
  return { domain, zone };
}

export interface NewRecord {
  name: string;
  type: RecordType;
  content: string;
  ttl: number;
}

/**
 * Adds one record to a domain of the caller (content already validated and canonical). Enforces, under a lock on
 * the owner name: CNAME exclusivity (a CNAME stands alone at its name, the zone apex never has one), no exact
 * duplicates, and the per-domain record limit. Several TXT (or A, MX, ...) values at one name are fine.
 */
export async function addRecord(db: Db, owned: OwnedDomain, rec: NewRecord): Promise<DnsRecord> {
  if (!isInZone(rec.name, owned.domain.name))
    throw forbidden(`${rec.name} is not inside ${owned.domain.name}`);
  return db.transaction().execute(async (trx) => {
    await sql`SELECT pg_advisory_xact_lock(${owned.zone.id}, hashtext(${rec.name}))`.execute(trx);
    const here = await trx
      .selectFrom('records')
      .select(['id', 'type', 'content'])
      .where('zone_id', '=', owned.zone.id)
      .where('name', '=', rec.name)
      .execute();
    if (here.some((r) => r.type === rec.type && r.content === rec.content))
      throw conflict(`${rec.name} already has this ${rec.type} record`);
    if (rec.type === 'CNAME') {
      if (rec.name === owned.zone.name) throw conflict('a CNAME cannot be at the zone apex');
      if (here.length > 0) throw conflict(`${rec.name} already has other records: a CNAME must stand alone`);
    } else if (here.some((r) => r.type === 'CNAME')) {
      throw conflict(`${rec.name} has a CNAME: no other records may be at that name`);
    }
    const count = await trx
      .selectFrom('records')
      .select((eb) => eb.fn.countAll<string>().as('n'))
      .where('domain_id', '=', owned.domain.id)
      .executeTakeFirstOrThrow();
    if (Number(count.n) >= MAX_RECORDS_PER_DOMAIN)
      throw conflict(`${owned.domain.name} already has ${MAX_RECORDS_PER_DOMAIN} records`);
    return trx
      .insertInto('records')
      .values({
        zone_id: owned.zone.id,
        domain_id: owned.domain.id,
        name: rec.name,
        type: rec.type,
        content: rec.content,
        ttl: rec.ttl,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
  });
}

/** Deletes the domain's records with this name, type and content; returns how many went. */
export async function deleteRecordsByValue(
  db: Db,
  owned: OwnedDomain,
  rec: { name: string; type: RecordType; content: string },
): Promise<number> {
  const r = await db
    .deleteFrom('records')
    .where('domain_id', '=', owned.domain.id)
    .where('name', '=', rec.name)
    .where('type', '=', rec.type)
    .where('content', '=', rec.content)
    .executeTakeFirst();
  return Number(r.numDeletedRows);
}

/** A record of one of the account's domains, by id (someone else's record reads as not found). */
export async function ownRecord(
  db: Db,
  accountId: number,
  id: number,
): Promise<DnsRecord & { domain: string }> {
  const row = await db
    .selectFrom('records')
    .innerJoin('domains', 'domains.id', 'records.domain_id')
    .selectAll('records')
    .select('domains.name as domain')
    .where('records.id', '=', id)
    .where('domains.account_id', '=', accountId)
    .executeTakeFirst();
  if (!row) throw notFound(`no record ${id} in your domains`);
  return row;
}

export async function deleteRecordById(
  db: Db,
  accountId: number,
  id: number,
): Promise<DnsRecord & { domain: string }> {
  const rec = await ownRecord(db, accountId, id);
  await db.deleteFrom('records').where('id', '=', rec.id).execute();
  return rec;
}

/** Replaces a record's content (and TTL), keeping its type; the content must already be canonical. */
export async function updateRecord(
  db: Db,
  accountId: number,
  id: number,
  change: { content: string; ttl?: number },
): Promise<DnsRecord & { domain: string }> {
  const rec = await ownRecord(db, accountId, id);
  if (rec.content === change.content && (change.ttl === undefined || change.ttl === rec.ttl)) return rec;
  return db.transaction().execute(async (trx) => {
    await sql`SELECT pg_advisory_xact_lock(${rec.zone_id}, hashtext(${rec.name}))`.execute(trx);
    const dup = await trx
      .selectFrom('records')
      .select('id')
      .where('zone_id', '=', rec.zone_id)
      .where('name', '=', rec.name)
      .where('type', '=', rec.type)
      .where('content', '=', change.content)
      .where('id', '<>', rec.id)
      .executeTakeFirst();
    if (dup) throw conflict(`${rec.name} already has this ${rec.type} record`);
    const row = await trx
      .updateTable('records')
      .set({ content: change.content, ttl: change.ttl ?? rec.ttl, updated_at: new Date() })
      .where('id', '=', rec.id)
      .returningAll()
      .executeTakeFirstOrThrow();
    return { ...row, domain: rec.domain };
  });
}
