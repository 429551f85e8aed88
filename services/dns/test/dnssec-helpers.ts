import { generateZoneKey, type DnssecAlgorithm, type GeneratedKey } from '@ddns/dnssec';
import type { Db } from '@ddns/db';
import { encryptSecret } from '@ddns/secrets';
import { TEST_SECRETS_KEY } from '@ddns/testkit';

/** Gives a zone one active key (replacing any), encrypted with the test SECRETS_KEY, as the registry would. */
export async function activeZoneKey(
  db: Db,
  zoneId: number,
  algorithm: DnssecAlgorithm = 13,
): Promise<GeneratedKey> {
  const key = generateZoneKey(algorithm);
  await db.deleteFrom('zone_keys').where('zone_id', '=', zoneId).execute();
  await db
    .insertInto('zone_keys')
    .values({
      zone_id: zoneId,
      algorithm,
      flags: key.flags,
      public_key: key.publicKey,
      private_key_enc: encryptSecret(key.privateKeyPem, TEST_SECRETS_KEY),
      key_tag: key.keyTag,
      state: 'active',
      activated_at: new Date(),
    })
    .execute();
  return key;
}

/** A trust-anchor clause for BIND tools (delv -a) and the same key as an Unbound `trust-anchor:` line. */
export function anchors(zone: string, key: GeneratedKey): { bind: string; unbound: string } {
  const b64 = key.publicKey.toString('base64');
  return {
    bind: `trust-anchors {\n  "${zone}." static-key 257 3 ${key.algorithm} "${b64}";\n};\n`,
    unbound: `"${zone}. DNSKEY 257 3 ${key.algorithm} ${b64}"`,
  };
}
