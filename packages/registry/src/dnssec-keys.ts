import type { Database, Db, DnssecAlgorithm, ZoneKeyState } from '@ddns/db';
import { dnskeyRdata, dsPresentation, generateZoneKey } from '@ddns/dnssec';
import { encryptSecret } from '@ddns/secrets';
import { sql, type Transaction } from 'kysely';
import { OpError } from './errors';

/**
 * A zone's DNSSEC keys (DESIGN.md: every zone signed by default, algorithm 13 CSK). Keys are combined signing
 * keys (flags 257); the private key is stored encrypted with SECRETS_KEY. The DNS signs with the `active`
 * keys and publishes all of them (see ZoneKeysTable in @ddns/db for the states, ./dnssec-rollover for how
 * a key changes state).
 */
export const DEFAULT_DNSSEC_ALGORITHM: DnssecAlgorithm = 13;

type Q = Db | Transaction<Database>;

/** Parses `13` / `15` (the CLI and API hand it in as text). */
export function parseDnssecAlgorithm(v: string | number | undefined): DnssecAlgorithm {
  if (v === undefined) return DEFAULT_DNSSEC_ALGORITHM;
  const n = Number(v);
  if (n === 13 || n === 15) return n;
  throw new OpError(`DNSSEC algorithm ${String(v)} is not supported: 13 (ECDSA P-256) or 15 (Ed25519)`);
}

/** Makes a new key for a zone and stores it (encrypted) in the given state. */
export async function insertZoneKey(
  q: Q,
  input: {
    zoneId: number;
    algorithm: DnssecAlgorithm;
    state: ZoneKeyState;
    secretsKey: string;
    now?: Date;
    retireAfter?: Date | null;
  },
): Promise<{ id: number; keyTag: number }> {
  const k = generateZoneKey(input.algorithm);
  const now = input.now ?? new Date();
  return q
    .insertInto('zone_keys')
    .values({
      zone_id: input.zoneId,
      algorithm: k.algorithm,
      flags: k.flags,
      public_key: k.publicKey,
      private_key_enc: encryptSecret(k.privateKeyPem, input.secretsKey),
      key_tag: k.keyTag,
      state: input.state,
      created_at: now,
      activated_at: input.state === 'active' ? now : null,
      retire_after: input.retireAfter ?? null,
    })
    .returning(['id', 'key_tag as keyTag'])
    .executeTakeFirstOrThrow();
}

/**
 * Gives every zone that is signed (`dnssec` on) but has no active key one active key of `algorithm`.
 * Idempotent and safe to run concurrently (each zone is locked while it is looked at): `ddns migrate`,
 * `ddns init`, `ddns zone add` and the mailer's DNSSEC sweep run it, so zones created before DNSSEC existed,
 * and zones created where SECRETS_KEY is not at hand (the API), end up signed. Returns the zones keyed.
 */
export async function ensureZoneKeys(
  db: Db,
  input: { secretsKey: string; algorithm?: DnssecAlgorithm; now?: Date },
): Promise<string[]> {
  const due = await db
    .selectFrom('zones')
    .select(['id'])
    .where('dnssec', '=', true)
    .where(({ not, exists, selectFrom }) =>
      not(
        exists(
          selectFrom('zone_keys')
            .select(sql.lit(1).as('one'))
            .whereRef('zone_keys.zone_id', '=', 'zones.id')
            .where('zone_keys.state', '=', 'active'),
        ),
      ),
    )
    .orderBy('id')
    .execute();
  const keyed: string[] = [];
  for (const { id } of due) {
    const name = await db.transaction().execute(async (trx) => {
      const zone = await trx
        .selectFrom('zones')
        .select(['id', 'name', 'dnssec'])
        .where('id', '=', id)
        .forUpdate()
        .executeTakeFirst();
      if (!zone?.dnssec) return null;
      const active = await trx
        .selectFrom('zone_keys')
        .select('id')
        .where('zone_id', '=', id)
        .where('state', '=', 'active')
        .executeTakeFirst();
      if (active) return null;
      await insertZoneKey(trx, {
        zoneId: id,
        algorithm: input.algorithm ?? DEFAULT_DNSSEC_ALGORITHM,
        state: 'active',
        secretsKey: input.secretsKey,
        now: input.now,
      });
      return zone.name;
    });
    if (name) keyed.push(name);
  }
  return keyed;
}

/** One key of a zone as shown to operators and owners: the DNSKEY and the DS line to publish at the parent. */
export interface ZoneKeyView {
  id: number;
  keyTag: number;
  algorithm: DnssecAlgorithm;
  flags: number;
  state: ZoneKeyState;
  /** `zone. TTL IN DNSKEY 257 3 13 <base64>` */
  dnskey: string;
  /** registrar-ready `zone. IN DS <tag> <alg> 2 <HEX>` */
  ds: string;
  /** the parts registrars' forms ask for */
  dsFields: { keyTag: number; algorithm: DnssecAlgorithm; digestType: 2; digest: string };
  /** base64 of the DNSKEY public key (some registrars take the DNSKEY instead of the DS) */
  publicKey: string;
  createdAt: string;
  activatedAt: string | null;
  /** published: activated not before; retired: deleted after */
  retireAfter: string | null;
}

export interface ZoneKeys {
  zone: string;
  /** signing switched on (the DNS signs once an active key exists) */
  dnssec: boolean;
  keys: ZoneKeyView[];
}

const iso = (d: Date | null) => (d ? d.toISOString() : null);

/** A zone's keys, oldest first. `zone` by name; OpError when there is no such zone. */
export async function listZoneKeys(q: Q, zoneName: string): Promise<ZoneKeys> {
  const name = zoneName.trim().toLowerCase().replace(/\.$/, '');
  const zone = await q
    .selectFrom('zones')
    .select(['id', 'name', 'dnssec', 'ttl'])
    .where('name', '=', name)
    .executeTakeFirst();
  if (!zone) throw new OpError(`no zone ${name}`);
  return zoneKeysOf(q, zone);
}

/** listZoneKeys for a zone row at hand. */
export async function zoneKeysOf(
  q: Q,
  zone: { id: number; name: string; dnssec: boolean; ttl: number },
): Promise<ZoneKeys> {
  const rows = await q
    .selectFrom('zone_keys')
    .selectAll()
    .where('zone_id', '=', zone.id)
    .orderBy('created_at')
    .orderBy('id')
    .execute();
  return {
    zone: zone.name,
    dnssec: zone.dnssec,
    keys: rows.map((k) => {
      const algorithm = k.algorithm;
      const rdata = dnskeyRdata(k.flags, algorithm, k.public_key);
      const ds = dsPresentation(zone.name, { flags: k.flags, algorithm, publicKey: k.public_key });
      return {
        id: k.id,
        keyTag: k.key_tag,
        algorithm,
        flags: k.flags,
        state: k.state,
        dnskey: `${zone.name}. ${zone.ttl} IN DNSKEY ${k.flags} 3 ${algorithm} ${rdata.subarray(4).toString('base64')}`,
        ds,
        dsFields: { keyTag: k.key_tag, algorithm, digestType: 2, digest: ds.split(' ').pop()! },
        publicKey: k.public_key.toString('base64'),
        createdAt: k.created_at.toISOString(),
        activatedAt: iso(k.activated_at),
        retireAfter: iso(k.retire_after),
      };
    }),
  };
}

/**
 * The DS lines the parent should hold now: the active keys' and, during a rollover, the pre-published key's
 * (retired keys' DS can go). Empty while signing is off: a DS for an unsigned zone breaks it for validators.
 */
export function dsToPublish(k: ZoneKeys): string[] {
  return k.dnssec ? k.keys.filter((x) => x.state !== 'retired').map((x) => x.ds) : [];
}
