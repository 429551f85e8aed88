import { execFileSync } from 'node:child_process';
import { createPublicKey, sign, verify } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { privateKeyObject } from '@ddns/dnssec';
import { decryptSecret } from '@ddns/secrets';
import { createTestDatabase, sharedZone, type TestDatabase } from '@ddns/testkit';
import { ensureZoneKeys, listZoneKeys, OpError, setZoneDnssec } from '../src';

const SECRETS_KEY = 'test-secrets-key-0123456789-abcdefghijklm';
let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(async () => {
  await t.destroy();
});

/** The DS line BIND's own dnssec-dsfromkey makes of a DNSKEY line. */
function bindDs(dnskey: string, zone: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'ddns-ds-'));
  try {
    const file = join(dir, 'dnskey');
    writeFileSync(file, dnskey + '\n');
    return execFileSync('dnssec-dsfromkey', ['-2', '-f', file, zone], { encoding: 'utf8' })
      .trim()
      .replace(/\s+/g, ' ');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('zone keys', () => {
  test('ensureZoneKeys gives every signed zone without a key one active algorithm-13 key, once', async () => {
    // zones as a database migrated from before DNSSEC holds them: signing on, no keys
    await sharedZone(t.db, 'one.keys.test');
    await sharedZone(t.db, 'two.keys.test');
    await sharedZone(t.db, 'off.keys.test');
    await t.db.updateTable('zones').set({ dnssec: false }).where('name', '=', 'off.keys.test').execute();
    expect((await ensureZoneKeys(t.db, { secretsKey: SECRETS_KEY })).sort()).toEqual([
      'one.keys.test',
      'two.keys.test',
    ]);
    expect(await ensureZoneKeys(t.db, { secretsKey: SECRETS_KEY })).toEqual([]);
    const one = await listZoneKeys(t.db, 'one.keys.test');
    expect(one.dnssec).toBe(true);
    expect(one.keys).toHaveLength(1);
    expect(one.keys[0]).toMatchObject({ algorithm: 13, flags: 257, state: 'active' });
    expect((await listZoneKeys(t.db, 'off.keys.test')).keys).toEqual([]);
  });

  test('the private key is stored encrypted and signs for the published public key', async () => {
    const row = await t.db
      .selectFrom('zone_keys')
      .innerJoin('zones', 'zones.id', 'zone_keys.zone_id')
      .select(['zone_keys.private_key_enc', 'zone_keys.public_key'])
      .where('zones.name', '=', 'one.keys.test')
      .executeTakeFirstOrThrow();
    expect(row.private_key_enc).toMatch(/^v1:/);
    expect(row.private_key_enc).not.toContain('PRIVATE KEY');
    const key = privateKeyObject(decryptSecret(row.private_key_enc, SECRETS_KEY));
    const jwk = createPublicKey(key).export({ format: 'jwk' });
    const field = Buffer.concat([Buffer.from(jwk.x!, 'base64url'), Buffer.from(jwk.y!, 'base64url')]);
    expect(field.equals(row.public_key)).toBe(true);
    const sig = sign('sha256', Buffer.from('data'), { key, dsaEncoding: 'ieee-p1363' });
    expect(
      verify('sha256', Buffer.from('data'), { key: createPublicKey(key), dsaEncoding: 'ieee-p1363' }, sig),
    ).toBe(true);
  });

  test('the DS line is the one BIND computes from the DNSKEY line', async () => {
    const { keys } = await listZoneKeys(t.db, 'one.keys.test.');
    const k = keys[0]!;
    expect(k.dnskey).toMatch(/^one\.keys\.test\. 3600 IN DNSKEY 257 3 13 [A-Za-z0-9+/=]{88}$/);
    expect(k.ds).toBe(bindDs(k.dnskey, 'one.keys.test'));
    expect(k.ds).toBe(`one.keys.test. IN DS ${k.keyTag} 13 2 ${k.dsFields.digest}`);
  });

  test('signing off keeps the keys; on again brings back the same key; another algorithm only while off', async () => {
    const before = await listZoneKeys(t.db, 'two.keys.test');
    const off = await setZoneDnssec(t.db, { zone: 'two.keys.test', on: false });
    expect(off.dnssec).toBe(false);
    expect(off.keys.map((k) => k.keyTag)).toEqual(before.keys.map((k) => k.keyTag));
    expect(await ensureZoneKeys(t.db, { secretsKey: SECRETS_KEY })).toEqual([]);
    const on = await setZoneDnssec(t.db, { zone: 'two.keys.test', on: true, secretsKey: SECRETS_KEY });
    expect(on.keys.map((k) => k.keyTag)).toEqual(before.keys.map((k) => k.keyTag));
    await expect(
      setZoneDnssec(t.db, { zone: 'two.keys.test', on: true, algorithm: 15, secretsKey: SECRETS_KEY }),
    ).rejects.toThrow(/signed with algorithm 13.*turn signing off/);
    await setZoneDnssec(t.db, { zone: 'two.keys.test', on: false });
    const ed = await setZoneDnssec(t.db, {
      zone: 'two.keys.test',
      on: true,
      algorithm: 15,
      secretsKey: SECRETS_KEY,
    });
    expect(ed.keys).toHaveLength(1);
    expect(ed.keys[0]).toMatchObject({ algorithm: 15, state: 'active' });
    expect(ed.keys[0]!.dnskey).toMatch(/ IN DNSKEY 257 3 15 [A-Za-z0-9+/=]{44}$/);
    expect(ed.keys[0]!.ds).toBe(bindDs(ed.keys[0]!.dnskey, 'two.keys.test'));
  });

  test('a zone that was off gets a key when turned on; an unknown zone is an OpError', async () => {
    const on = await setZoneDnssec(t.db, { zone: 'off.keys.test', on: true, secretsKey: SECRETS_KEY });
    expect(on.keys.map((k) => k.state)).toEqual(['active']);
    await expect(listZoneKeys(t.db, 'nope.keys.test')).rejects.toBeInstanceOf(OpError);
    await expect(setZoneDnssec(t.db, { zone: 'nope.keys.test', on: true })).rejects.toBeInstanceOf(OpError);
  });
});
