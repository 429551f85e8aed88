import type { Db, DnssecAlgorithm } from '@ddns/db';
import { insertZoneKey, zoneKeysOf, type ZoneKeys } from './dnssec-keys';
import { OpError } from './errors';

/**
 * Turns a zone's signing on or off (`ddns zone dnssec ZONE on|off`).
 *
 * Off: the DNS serves the zone unsigned at once. The keys are kept, so turning signing on again later brings
 * back the same DNSKEY and DS. Remove the DS at the parent before turning signing off: a DS without a signed
 * zone makes validating resolvers fail the whole zone.
 *
 * On: signs with the zone's keys, making an active key of `algorithm` (default 13) when there is none. Asking
 * for another algorithm than the keys the zone has: refused while signing is on (changing it in place would
 * break the DS at the parent); while signing is off the old keys are replaced by a new one (a new DS).
 */
export async function setZoneDnssec(
  db: Db,
  input: { zone: string; on: boolean; algorithm?: DnssecAlgorithm; secretsKey?: string; now?: Date },
): Promise<ZoneKeys> {
  const name = input.zone.trim().toLowerCase().replace(/\.$/, '');
  return db.transaction().execute(async (trx) => {
    const zone = await trx
      .selectFrom('zones')
      .select(['id', 'name', 'dnssec', 'ttl'])
      .where('name', '=', name)
      .forUpdate()
      .executeTakeFirst();
    if (!zone) throw new OpError(`no zone ${name}`);
    if (!input.on) {
      await trx.updateTable('zones').set({ dnssec: false }).where('id', '=', zone.id).execute();
      return zoneKeysOf(trx, { ...zone, dnssec: false });
    }
    const keys = await trx
      .selectFrom('zone_keys')
      .select(['id', 'algorithm', 'state'])
      .where('zone_id', '=', zone.id)
      .execute();
    const other = input.algorithm !== undefined && keys.some((k) => k.algorithm !== input.algorithm);
    if (other && zone.dnssec)
      throw new OpError(
        `${zone.name} is signed with algorithm ${keys.find((k) => k.algorithm !== input.algorithm)!.algorithm}: ` +
          `to change it, remove the DS at the parent, turn signing off, then on with --algorithm ${input.algorithm}`,
      );
    if (other) await trx.deleteFrom('zone_keys').where('zone_id', '=', zone.id).execute();
    const hasActive = !other && keys.some((k) => k.state === 'active');
    if (!hasActive) {
      if (!input.secretsKey) throw new OpError('SECRETS_KEY is needed to make a zone key');
      await insertZoneKey(trx, {
        zoneId: zone.id,
        algorithm: input.algorithm ?? 13,
        state: 'active',
        secretsKey: input.secretsKey,
        now: input.now,
      });
    }
    if (!zone.dnssec)
      await trx.updateTable('zones').set({ dnssec: true }).where('id', '=', zone.id).execute();
    return zoneKeysOf(trx, { ...zone, dnssec: true });
  });
}
