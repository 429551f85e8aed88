import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql, type Zone } from '@ddns/db';
import { createTestDatabase, sharedZone, TEST_SECRETS_KEY, type TestDatabase } from '@ddns/testkit';
import { startDnsServer, type DnsServer } from '../src/server';
import { activeZoneKey, anchors } from './dnssec-helpers';
import { dig, eventually, run } from './helpers';

// delv (bind9-dnsutils) validates our answers with the zone's key as its only trust anchor.
let tdb: TestDatabase;
let zone: Zone;
let server: DnsServer;
let dir: string;

beforeAll(async () => {
  tdb = await createTestDatabase();
  zone = await sharedZone(tdb.db, 'dyn.test');
  const rec = (name: string, type: 'A' | 'AAAA' | 'TXT' | 'MX' | 'CNAME', content: string) =>
    tdb.db.insertInto('records').values({ zone_id: zone.id, name, type, content, ttl: 120 }).execute();
  await rec('www.dyn.test', 'A', '192.0.2.80');
  await rec('www.dyn.test', 'A', '192.0.2.81');
  await rec('alias.dyn.test', 'CNAME', 'www.dyn.test');
  await rec('dyn.test', 'MX', '10 mail.dyn.test');
  await rec('mail.dyn.test', 'A', '192.0.2.25');
  await rec('*.wild.dyn.test', 'A', '192.0.2.99');
  await rec('deep.ent.dyn.test', 'TXT', 'below an empty non-terminal');
  await tdb.db
    .insertInto('domains')
    .values({ zone_id: zone.id, name: 'gw.dyn.test', mode: 1, last_ping_ip4: '198.51.100.4' })
    .execute();
  const key = await activeZoneKey(tdb.db, zone.id);
  dir = mkdtempSync(join(tmpdir(), 'ddns-delv-'));
  writeFileSync(join(dir, 'anchor.conf'), anchors('dyn.test', key).bind);
  server = await startDnsServer({
    databaseUrl: tdb.url,
    hosts: ['127.0.0.1'],
    port: 0,
    secretsKey: TEST_SECRETS_KEY,
    secondaries: ['127.0.0.1'],
    notify: false,
    rrl: null,
    feed: { pollMs: 100 },
  });
});

afterAll(async () => {
  await server?.stop();
  await tdb?.destroy();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** delv's verdict on one question: its whole output (`; fully validated` / `; negative response, fully validated`). */
function delv(name: string, type: string): Promise<string> {
  return run('delv', [
    '@127.0.0.1',
    '-p',
    String(server.port),
    '-a',
    join(dir, 'anchor.conf'),
    '+root=dyn.test',
    name,
    type,
  ]);
}

/** The records of a transfer, one normalised line each, in order (`dig AXFR` / `dig IXFR=serial`). */
async function transfer(type: string): Promise<string[]> {
  const out = await run('dig', [
    '@127.0.0.1',
    '-p',
    String(server.port),
    'dyn.test',
    type,
    '+nocmd',
    '+nostats',
  ]);
  return out
    .split('\n')
    .filter((l) => l.trim() && !l.startsWith(';'))
    .map((l) => l.trim().split(/\s+/).join(' '));
}

describe('delv validates signed answers', () => {
  it.each([
    ['www.dyn.test', 'A', /www\.dyn\.test\.\s+\d+\s+IN\s+A\s+192\.0\.2\.80/],
    ['dyn.test', 'MX', /IN\s+MX\s+10 mail\.dyn\.test\./],
    ['dyn.test', 'DNSKEY', /IN\s+DNSKEY\s+257 3 13/],
    ['dyn.test', 'CDS', /IN\s+CDS\s+\d+ 13 2 /],
    ['alias.dyn.test', 'A', /IN\s+A\s+192\.0\.2\.8/],
    ['gw.dyn.test', 'A', /IN\s+A\s+198\.51\.100\.4/],
  ])('positive: %s %s', async (name, type, re) => {
    const out = await delv(name, type);
    expect(out).toMatch(/; fully validated/);
    expect(out).toMatch(re);
  });

  it('a wildcard answer (synthesised, with the proof that the name itself does not exist)', async () => {
    const out = await delv('anything.wild.dyn.test', 'A');
    expect(out).toMatch(/; fully validated/);
    expect(out).toMatch(/anything\.wild\.dyn\.test\.\s+\d+\s+IN\s+A\s+192\.0\.2\.99/);
  });

  it.each([
    ['NODATA at a name', 'www.dyn.test', 'TXT'],
    ['NODATA at an empty non-terminal', 'ent.dyn.test', 'A'],
    ['NODATA at a wildcard', 'x.wild.dyn.test', 'AAAA'],
    ['NXDOMAIN', 'missing.dyn.test', 'A'],
    ['NXDOMAIN below an existing name', 'a.b.www.dyn.test', 'A'],
  ])('%s: %s %s', async (_what, name, type) => {
    const out = await delv(name, type);
    expect(out).toMatch(/; negative response, fully validated/);
  });

  it('answers without DO carry no DNSSEC records; with DO they carry RRSIGs and the DO bit', async () => {
    const plain = await dig(server.port, 'www.dyn.test', 'A');
    expect(plain.answer.map((r) => r.type)).toEqual(['A', 'A']);
    const signed = await dig(server.port, 'www.dyn.test', 'A', ['+dnssec']);
    expect(signed.answer.map((r) => r.type).sort()).toEqual(['A', 'A', 'RRSIG']);
    expect(signed.raw).toMatch(/flags: do;/);
    // a second time: from the packet cache, the same signature
    const again = await dig(server.port, 'www.dyn.test', 'A', ['+dnssec']);
    expect(again.answer.find((r) => r.type === 'RRSIG')).toEqual(
      signed.answer.find((r) => r.type === 'RRSIG'),
    );
  });

  it('a DynDNS-style update through the database validates as soon as it is served', async () => {
    await tdb.db
      .updateTable('domains')
      .set({ last_ping_ip4: '198.51.100.77', updated_at: sql`now()` })
      .where('name', '=', 'gw.dyn.test')
      .execute()
      .catch(async () =>
        tdb.db
          .updateTable('domains')
          .set({ last_ping_ip4: '198.51.100.77' })
          .where('name', '=', 'gw.dyn.test')
          .execute(),
      );
    await tdb.db
      .insertInto('records')
      .values({ zone_id: zone.id, name: 'new.dyn.test', type: 'A', content: '192.0.2.200', ttl: 60 })
      .execute();
    await eventually(async () => (await dig(server.port, 'new.dyn.test', 'A')).answer.length === 1, 100);
    await eventually(
      async () => /198\.51\.100\.77/.test((await dig(server.port, 'gw.dyn.test', 'A')).raw),
      100,
    );
    for (const [name, type, re] of [
      ['gw.dyn.test', 'A', /; fully validated[\s\S]*198\.51\.100\.77/],
      ['sub.gw.dyn.test', 'A', /; fully validated[\s\S]*198\.51\.100\.77/],
      ['new.dyn.test', 'A', /; fully validated[\s\S]*192\.0\.2\.200/],
      ['mam.dyn.test', 'A', /; negative response, fully validated/],
      ['dyn.test', 'SOA', /; fully validated/],
    ] as const)
      expect(await delv(name, type)).toMatch(re);
  });

  it('IXFR after an update: the previous transfer plus the deltas is exactly the new transfer', async () => {
    const before = await transfer('AXFR');
    const serial = Number(before.find((r) => r.split(/\s+/)[3] === 'SOA')!.split(/\s+/)[6]);
    await tdb.db
      .updateTable('records')
      .set({ content: '192.0.2.82' })
      .where('name', '=', 'www.dyn.test')
      .where('content', '=', '192.0.2.81')
      .execute();
    await tdb.db.deleteFrom('records').where('name', '=', 'mail.dyn.test').execute();
    await tdb.db
      .insertInto('records')
      .values({ zone_id: zone.id, name: 'zz.dyn.test', type: 'TXT', content: 'last in the chain', ttl: 60 })
      .execute();
    // every change applied and its serial published (the database's serial is the last one)
    await eventually(async () => {
      const soa = (await dig(server.port, 'dyn.test', 'SOA')).answer[0]?.data.split(' ')[2];
      const db = await tdb.db
        .selectFrom('zones')
        .select('serial')
        .where('id', '=', zone.id)
        .executeTakeFirst();
      return Number(soa) > serial && Number(soa) === Number(db?.serial);
    }, 100);
    const after = await transfer('AXFR');
    const ixfr = await transfer(`IXFR=${serial}`);
    // IXFR: current SOA, then per step: old SOA, deletions, new SOA, additions; the current SOA again
    expect(ixfr.length).toBeGreaterThan(2);
    expect(ixfr[1]!.split(/\s+/)[3]).toBe('SOA');
    const zoneNow = new Set(before.filter((r) => r.split(/\s+/)[3] !== 'SOA'));
    let adding = true;
    for (const r of ixfr.slice(1, -1)) {
      if (r.split(/\s+/)[3] === 'SOA') {
        adding = !adding;
        continue;
      }
      if (adding) {
        expect(zoneNow.has(r)).toBe(false);
        zoneNow.add(r);
      } else {
        expect(zoneNow.has(r)).toBe(true);
        zoneNow.delete(r);
      }
    }
    expect([...zoneNow].sort()).toEqual(after.filter((r) => r.split(/\s+/)[3] !== 'SOA').sort());
    expect(ixfr.some((r) => /\sRRSIG\s+A\s/.test(r) && r.startsWith('www.dyn.test.'))).toBe(true);
    expect(ixfr.some((r) => /\sNSEC\s/.test(r))).toBe(true);
  });

  it('dnssec-verify accepts the zone as AXFR carries it', async () => {
    const axfr = await run('dig', [
      '@127.0.0.1',
      '-p',
      String(server.port),
      'dyn.test',
      'AXFR',
      '+nocmd',
      '+nostats',
    ]);
    const file = join(dir, 'dyn.test.zone');
    writeFileSync(file, axfr);
    expect(axfr).toMatch(/IN\s+NSEC\s/);
    // -z: one combined signing key (flags 257) signs every RRset, not only the DNSKEY RRset
    const out = await run('dnssec-verify', ['-z', '-o', 'dyn.test', file]).catch((e: unknown) => String(e));
    expect(out).toMatch(/Zone fully signed/);
  });
});
