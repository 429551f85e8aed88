import { isIP } from 'node:net';
import type { Database, Db, DnssecAlgorithm, Zone, ZoneKind, ZoneStatus } from '@ddns/db';
import type { Transaction } from 'kysely';
import { isHostname, isInZone, normalizeName } from '@ddns/records';
import { insertZoneKey } from './dnssec-keys';
import { OpError } from './errors';
import type { NameServer } from './name-servers';

export interface AddZoneInput {
  name: string;
  kind: ZoneKind;
  ns?: NameServer[];
  accountId?: number | null;
  hostmaster?: string;
  /** a user's own domain: served only once control is proven (see ./ownership-claim) */
  ownership?: { status: ZoneStatus; challengeToken: string };
  /**
   * DNSSEC: the zone is signed by default; given SECRETS_KEY its first key is made with it (otherwise the next
   * `ensureZoneKeys` makes it). `unsigned`: signing off.
   */
  dnssec?: { secretsKey?: string; algorithm?: DnssecAlgorithm; unsigned?: boolean };
}

/**
 * Creates a zone with its apex NS records (and glue for in-zone name servers). Without name servers the zone
 * gets `ns1.<zone>`; its SOA names the first name server and `hostmaster.<zone>`.
 */
export async function addZone(db: Db, input: AddZoneInput): Promise<Zone> {
  return db.transaction().execute((trx) => insertZone(trx, input));
}

/** addZone inside the caller's transaction. */
export async function insertZone(trx: Transaction<Database>, input: AddZoneInput): Promise<Zone> {
  const name = normalizeName(input.name);
  if (!isHostname(name)) throw new OpError(`"${input.name}" is not a valid zone name`);
  const ns = input.ns?.length ? input.ns : [{ host: `ns1.${name}` }];
  for (const n of ns) {
    if (isInZone(n.host, name) && !n.ip && input.ns?.length)
      throw new OpError(`name server ${n.host} is inside ${name}: give its address (--ns ${n.host}=IP)`);
  }
  const exists = await trx.selectFrom('zones').select('id').where('name', '=', name).executeTakeFirst();
  if (exists) throw new OpError(`zone ${name} already exists`);
  const zone = await trx
    .insertInto('zones')
    .values({
      name,
      kind: input.kind,
      account_id: input.accountId ?? null,
      primary_ns: ns[0]!.host,
      hostmaster: input.hostmaster ? normalizeName(input.hostmaster) : `hostmaster.${name}`,
      ...(input.ownership
        ? { status: input.ownership.status, challenge_token: input.ownership.challengeToken }
        : {}),
      ...(input.dnssec?.unsigned ? { dnssec: false } : {}),
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  if (input.dnssec?.secretsKey && !input.dnssec.unsigned)
    await insertZoneKey(trx, {
      zoneId: zone.id,
      algorithm: input.dnssec.algorithm ?? 13,
      state: 'active',
      secretsKey: input.dnssec.secretsKey,
    });
  for (const n of ns) {
    await trx
      .insertInto('records')
      .values({ zone_id: zone.id, name, type: 'NS', content: n.host, ttl: zone.ttl })
      .execute();
    if (n.ip && isInZone(n.host, name)) {
      await trx
        .insertInto('records')
        .values({
          zone_id: zone.id,
          name: n.host,
          type: isIP(n.ip) === 4 ? 'A' : 'AAAA',
          content: n.ip,
          ttl: zone.ttl,
        })
        .execute();
    }
  }
  return trx.selectFrom('zones').selectAll().where('id', '=', zone.id).executeTakeFirstOrThrow();
}
