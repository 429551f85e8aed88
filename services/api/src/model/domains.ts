import { isIP } from 'node:net';
import { addDomain, OpError, type NameServer } from '@ddns/registry';
import type { Db, DnsRecord, Domain } from '@ddns/db';
import { canonicalIPv6, findZone, isHostname, isInZone, isReservedLabel, normalizeName } from '@ddns/records';
import { forbidden, invalid } from './errors';
import { accountDomains, ownDomainByName } from './records';
import { DEFAULT_TTL } from './validate';

export interface RegisteredDomain {
  id: number;
  name: string;
  /** the domain token (a DynDNS2 key for this domain only), shown once */
  token: string;
  kind: 'shared' | 'hosted';
  records: DnsRecord[];
}

/**
 * Registers a domain for an account: one label under a shared zone (`name.zone`), or a whole domain of the
 * user's that becomes a hosted zone (SOA, and NS naming the shared zones' name servers). Creates the A or AAAA
 * record for `address` (the caller's address) at the new name.
 */
export async function registerDomain(
  db: Db,
  input: { accountId: number; name: string; address: string; maxDomains: number },
): Promise<RegisteredDomain> {
  const name = normalizeName(input.name);
  if (!isHostname(name)) throw invalid(`"${input.name}" is not a valid domain name`);
  const zones = await db.selectFrom('zones').select(['id', 'name', 'kind', 'account_id']).execute();
  const zone = findZone(name, zones);
  if (zone) {
    if (zone.name === name) throw forbidden(`${name} is not available`);
    if (zone.kind === 'hosted')
      throw forbidden(`${name} is inside a hosted zone: add records to that domain instead`);
    const label = name.slice(0, name.length - zone.name.length - 1);
    if (label.includes('.')) throw invalid(`register one label under ${zone.name} (e.g. name.${zone.name})`);
    if (isReservedLabel(label)) throw forbidden(`${name} is reserved`);
  } else if (zones.some((z) => isInZone(z.name, name))) {
    throw forbidden(`${name} contains a zone of this server`);
  }
  const taken = await db.selectFrom('domains').select('id').where('name', '=', name).executeTakeFirst();
  if (taken) throw forbidden(`${name} is not available`);
  if (zone) {
    const busy = await db
      .selectFrom('records')
      .select('id')
      .where('zone_id', '=', zone.id)
      .where((eb) => eb.or([eb('name', '=', name), eb('name', 'like', `%.${name}`)]))
      .executeTakeFirst();
    if (busy) throw forbidden(`${name} is not available`);
  }
  const mine = await accountDomains(db, input.accountId);
  if (mine.length >= input.maxDomains)
    throw forbidden(`your account may hold at most ${input.maxDomains} domains`);

  let created: { id: number; name: string; token: string };
  try {
    created = await addDomain(db, {
      name,
      accountId: input.accountId,
      ns: zone ? undefined : await serverNameServers(db),
    });
  } catch (err) {
    if (err instanceof OpError) throw forbidden(err.message);
    // a concurrent registration of the same name won the race
    if ((err as { code?: string }).code === '23505') throw forbidden(`${name} is not available`);
    throw err;
  }
  const domain = await db
    .selectFrom('domains')
    .selectAll()
    .where('id', '=', created.id)
    .executeTakeFirstOrThrow();
  const records: DnsRecord[] = [];
  const family = isIP(input.address);
  if (family) {
    try {
      records.push(
        await db
          .insertInto('records')
          .values({
            zone_id: domain.zone_id,
            domain_id: domain.id,
            name,
            type: family === 4 ? 'A' : 'AAAA',
            content: family === 4 ? input.address : canonicalIPv6(input.address),
            ttl: DEFAULT_TTL,
          })
          .returningAll()
          .executeTakeFirstOrThrow(),
      );
    } catch (err) {
      await removeDomain(db, domain);
      throw err;
    }
  }
  return { id: domain.id, name, token: created.token, kind: zone ? 'shared' : 'hosted', records };
}

/** The name servers a new hosted zone delegates to: those at the apex of the shared zones. */
async function serverNameServers(db: Db): Promise<NameServer[] | undefined> {
  const rows = await db
    .selectFrom('records')
    .innerJoin('zones', 'zones.id', 'records.zone_id')
    .select('records.content')
    .where('zones.kind', '=', 'shared')
    .where('records.type', '=', 'NS')
    .whereRef('records.name', '=', 'zones.name')
    .orderBy('records.id')
    .execute();
  const hosts = [...new Set(rows.map((r) => r.content))];
  return hosts.length ? hosts.map((host) => ({ host })) : undefined;
}

/** Deletes a domain and all its records; a hosted zone goes with its apex domain. */
export async function deleteDomain(db: Db, accountId: number, rawName: string): Promise<Domain> {
  const name = normalizeName(rawName);
  if (!name) throw invalid('the domain name is missing');
  const { domain } = await ownDomainByName(db, accountId, name);
  await removeDomain(db, domain);
  return domain;
}

async function removeDomain(db: Db, domain: Domain): Promise<void> {
  await db.transaction().execute(async (trx) => {
    const zone = await trx
      .selectFrom('zones')
      .selectAll()
      .where('id', '=', domain.zone_id)
      .executeTakeFirst();
    if (zone && zone.kind === 'hosted' && zone.name === domain.name) {
      await trx.deleteFrom('zones').where('id', '=', zone.id).execute();
    } else {
      await trx.deleteFrom('records').where('domain_id', '=', domain.id).execute();
      await trx.deleteFrom('domains').where('id', '=', domain.id).execute();
    }
  });
}
