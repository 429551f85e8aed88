import { isIP } from 'node:net';
import { addDomain, OpError, type CreatedDomain, type OwnershipInfo } from '@ddns/registry';
import type { Db, DnsRecord, Domain } from '@ddns/db';
import { canonicalIPv6, findZone, isHostname, isReservedLabel, normalizeName } from '@ddns/records';
import { forbidden, invalid } from './errors';
import { ownDomainByName } from './records';
import { DEFAULT_TTL } from './validate';

export interface RegisteredDomain {
  id: number;
  name: string;
  /** the domain token (a DynDNS2 key for this domain only), shown once */
  token: string;
  kind: 'shared' | 'hosted';
  records: DnsRecord[];
  /** a hosted domain: pending until control is proven, and how to prove it */
  ownership?: OwnershipInfo;
}

/**
 * Registers a domain for an account: one label under a shared zone (`name.zone`), or a whole domain of the
 * user's that becomes a hosted zone (SOA, and NS naming the shared zones' name servers). Creates the A or AAAA
 * record for `address` (the caller's address) at the new name.
 */
export async function registerDomain(
  db: Db,
  input: { accountId: number; name: string; address: string },
): Promise<RegisteredDomain> {
  const name = normalizeName(input.name);
  if (!isHostname(name)) throw invalid(`"${input.name}" is not a valid domain name`);
  const zones = await db.selectFrom('zones').select(['id', 'name', 'kind']).execute();
  const zone = findZone(name, zones);
  const shared = zone?.kind === 'shared' && zone.name !== name ? zone : undefined;
  if (shared) {
    // the registration rules of shared zones; ownership (outside domains, other accounts' zones, public
    // suffixes) and the class's caps are the registry's rules
    const label = name.slice(0, name.length - shared.name.length - 1);
    if (label.includes('.'))
      throw invalid(`register one label under ${shared.name} (e.g. name.${shared.name})`);
    if (isReservedLabel(label)) throw forbidden(`${name} is reserved`);
    const busy = await db
      .selectFrom('records')
      .select('id')
      .where('zone_id', '=', shared.id)
      .where((eb) => eb.or([eb('name', '=', name), eb('name', 'like', `%.${name}`)]))
      .executeTakeFirst();
    if (busy) throw forbidden(`${name} is not available`);
  }

  let created: CreatedDomain;
  try {
    created = await addDomain(db, { name, accountId: input.accountId });
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
  return {
    id: domain.id,
    name,
    token: created.token,
    kind: created.ownership ? 'hosted' : 'shared',
    records,
    ...(created.ownership ? { ownership: created.ownership } : {}),
  };
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
