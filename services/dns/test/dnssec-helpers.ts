import type { DnssecAlgorithm } from '@ddns/dnssec';
import type { Db } from '@ddns/db';
import { insertZoneKey } from '@ddns/registry';
import { TEST_SECRETS_KEY } from '@ddns/testkit';

export interface PublicZoneKey {
  algorithm: DnssecAlgorithm;
  publicKey: Buffer;
}

/** Gives a zone one active key (replacing any) through the registry, encrypted with the test SECRETS_KEY. */
export async function activeZoneKey(
  db: Db,
  zoneId: number,
  algorithm: DnssecAlgorithm = 13,
): Promise<PublicZoneKey> {
  await db.deleteFrom('zone_keys').where('zone_id', '=', zoneId).execute();
  const { id } = await insertZoneKey(db, {
    zoneId,
    algorithm,
    state: 'active',
    secretsKey: TEST_SECRETS_KEY,
  });
  const row = await db
    .selectFrom('zone_keys')
    .select(['algorithm', 'public_key'])
    .where('id', '=', id)
    .executeTakeFirstOrThrow();
  return { algorithm: row.algorithm, publicKey: Buffer.from(row.public_key) };
}

/** A trust-anchor clause for BIND tools (delv -a) and the same key as an Unbound `trust-anchor:` line. */
export function anchors(zone: string, key: PublicZoneKey): { bind: string; unbound: string } {
  const b64 = key.publicKey.toString('base64');
  return {
    bind: `trust-anchors {\n  "${zone}." static-key 257 3 ${key.algorithm} "${b64}";\n};\n`,
    unbound: `"${zone}. DNSKEY 257 3 ${key.algorithm} ${b64}"`,
  };
}
