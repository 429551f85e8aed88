import {
  dnskeyRdata,
  dsRdata,
  keyTag,
  privateKeyObject,
  type DnssecAlgorithm,
  type SigningKey,
} from '@ddns/dnssec';
import { decryptSecret } from '@ddns/secrets';

/** A zone_keys row as the loader reads it. */
export interface ZoneKeyRow {
  zone_id: number;
  algorithm: number;
  flags: number;
  public_key: Buffer;
  private_key_enc: string;
  state: string;
}

/** What a signed zone publishes and signs with. */
export interface ZoneKeys {
  /** DNSKEY RDATA of every key row of the zone: the DNSKEY RRset */
  dnskey: Buffer[];
  /** CDS and CDNSKEY RDATA (RFC 7344) of the keys not retired: what the parent's DS set should become */
  cds: Buffer[];
  cdnskey: Buffer[];
  /** the `active` keys, decrypted: every RRset gets one RRSIG per key */
  signing: SigningKey[];
}

const isAlgorithm = (a: number): a is DnssecAlgorithm => a === 13 || a === 15;

/**
 * A zone's keys from its rows. Null when nothing can sign (no active key, or none that SECRETS_KEY decrypts):
 * the zone is then served unsigned, as one without keys is. `failed` counts keys that did not decrypt.
 */
export function zoneKeys(
  zone: string,
  rows: readonly ZoneKeyRow[],
  secretsKey: string,
): { keys: ZoneKeys | null; failed: number } {
  const keys: ZoneKeys = { dnskey: [], cds: [], cdnskey: [], signing: [] };
  let failed = 0;
  for (const r of rows) {
    if (!isAlgorithm(r.algorithm)) continue;
    const publicKey = Buffer.from(r.public_key);
    const rdata = dnskeyRdata(r.flags, r.algorithm, publicKey);
    keys.dnskey.push(rdata);
    if (r.state !== 'retired') {
      keys.cds.push(dsRdata(zone, { flags: r.flags, algorithm: r.algorithm, publicKey }));
      keys.cdnskey.push(rdata);
    }
    if (r.state !== 'active') continue;
    try {
      const privateKey = privateKeyObject(decryptSecret(r.private_key_enc, secretsKey));
      keys.signing.push({ algorithm: r.algorithm, keyTag: keyTag(rdata), privateKey });
    } catch {
      failed++;
    }
  }
  return { keys: keys.signing.length ? keys : null, failed };
}
