import { isIP } from 'node:net';
import type { Db, Zone, ZoneKind } from '@ddns/db';
import { isHostname, isInZone, normalizeName } from '@ddns/records';
import { OpError } from './errors';
import type { NameServer } from './name-servers';

export interface AddZoneInput {
  name: string;
  kind: ZoneKind;
  ns?: NameServer[];
  accountId?: number | null;
  hostmaster?: string;
}

/**
 * Creates a zone with its apex NS records (and glue for in-zone name servers). Without name servers the zone
 * gets `ns1.<zone>`; its SOA names the first name server and `hostmaster.<zone>`.
 */
export async function addZone(db: Db, input: AddZoneInput): Promise<Zone> {
  const name = normalizeName(input.name);
  if (!isHostname(name)) throw new OpError(`"${input.name}" is not a valid zone name`);
  const ns = input.ns?.length ? input.ns : [{ host: `ns1.${name}` }];
  for (const n of ns) {
    if (isInZone(n.host, name) && !n.ip && input.ns?.length)
      throw new OpError(`name server ${n.host} is inside ${name}: give its address (--ns ${n.host}=IP)`);
  }
  return db.transaction().execute(async (trx) => {
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
      })
      .returningAll()
      .executeTakeFirstOrThrow();
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
  });
}
