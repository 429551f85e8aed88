import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Zone } from '@ddns/db';
import { ensureZoneKeys, listZoneKeys } from '@ddns/registry';
import { createTestDatabase, sharedZone, TEST_SECRETS_KEY, type TestDatabase } from '@ddns/testkit';
import { startDnsServer, type DnsServer } from '../src/server';
import { dig, eventually, run } from './helpers';
import { freeDualPort } from './ports';
import { makeSecondary, startSecondary, stopSecondary, withLog, type Secondary } from './secondary';
import { startValidatingUnbound, type ValidatingUnbound } from './unbound';

// A signed zone (its key made by the registry, as `ddns migrate` makes it) transferred by stock NSD and Knot
// secondaries: what they hold passes dnssec-verify, they serve RRSIGs with +dnssec, delv validates their answers
// with the zone's key as trust anchor, and Knot follows an update by IXFR and still validates.
const nsdConf = (s: Secondary, primary: number) => `server:
  ip-address: 127.0.0.1
  port: ${s.port}
  username: ""
  chroot: ""
  zonesdir: "${s.dir}"
  database: ""
  zonelistfile: "${s.dir}/zone.list"
  xfrdfile: "${s.dir}/xfrd.state"
  xfrdir: "${s.dir}"
  pidfile: "${s.dir}/nsd.pid"
  logfile: "${s.dir}/server.log"
  server-count: 1
  verbosity: 2
  rrl-ratelimit: 0
remote-control:
  control-enable: no
zone:
  name: dyn.test
  zonefile: "${s.dir}/dyn.test.zone"
  allow-notify: 127.0.0.1 NOKEY
  request-xfr: AXFR 127.0.0.1@${primary} NOKEY
  provide-xfr: 127.0.0.1 NOKEY
`;

// Knot asks for IXFR; it keeps the zone as transferred (no signing of its own).
const knotConf = (s: Secondary, primary: number) => `server:
    listen: 127.0.0.1@${s.port}
    rundir: "${s.dir}"
    user: root:root
database:
    storage: "${s.dir}/db"
log:
  - target: "${s.dir}/server.log"
    any: info
remote:
  - id: primary
    address: 127.0.0.1@${primary}
acl:
  - id: from_primary
    address: 127.0.0.1
    action: [notify, transfer]
template:
  - id: default
    storage: "${s.dir}"
    file: "%s.zone"
    zonefile-sync: -1
zone:
  - domain: dyn.test
    master: primary
    acl: from_primary
`;

let tdb: TestDatabase;
let zone: Zone;
let server: DnsServer;
let dir: string;
let unboundAnchor: string;
const secondaries: Secondary[] = [];
const resolvers = new Map<Secondary['name'], ValidatingUnbound>();

beforeAll(async () => {
  tdb = await createTestDatabase();
  zone = await sharedZone(tdb.db, 'dyn.test');
  const rec = (name: string, type: 'A' | 'TXT' | 'MX' | 'CNAME', content: string) =>
    tdb.db.insertInto('records').values({ zone_id: zone.id, name, type, content, ttl: 120 }).execute();
  await rec('www.dyn.test', 'A', '192.0.2.80');
  await rec('alias.dyn.test', 'CNAME', 'www.dyn.test');
  await rec('dyn.test', 'MX', '10 mail.dyn.test');
  await rec('*.wild.dyn.test', 'A', '192.0.2.99');
  await tdb.db
    .insertInto('domains')
    .values({ zone_id: zone.id, name: 'gw.dyn.test', mode: 1, last_ping_ip4: '198.51.100.4' })
    .execute();
  expect(await ensureZoneKeys(tdb.db, { secretsKey: TEST_SECRETS_KEY })).toEqual(['dyn.test']);
  const key = (await listZoneKeys(tdb.db, 'dyn.test')).keys[0]!;
  dir = mkdtempSync(join(tmpdir(), 'ddns-signed-xfr-'));
  const [, , , , flags, proto, alg, b64] = key.dnskey.split(' ');
  unboundAnchor = `"dyn.test. DNSKEY ${flags} ${proto} ${alg} ${b64}"`;
  writeFileSync(
    join(dir, 'anchor.conf'),
    `trust-anchors {\n  "dyn.test." static-key ${flags} ${proto} ${alg} "${b64}";\n};\n`,
  );

  secondaries.push(
    makeSecondary('nsd', await freeDualPort(), 'ddns-signed'),
    makeSecondary('knot', await freeDualPort(), 'ddns-signed'),
  );
  server = await startDnsServer({
    databaseUrl: tdb.url,
    hosts: ['127.0.0.1'],
    port: 0,
    secretsKey: TEST_SECRETS_KEY,
    secondaries: secondaries.map((s) => `127.0.0.1:${s.port}`),
    rrl: null,
    feed: { pollMs: 200 },
  });
  for (const s of secondaries)
    startSecondary(s, s.name === 'nsd' ? nsdConf(s, server.port) : knotConf(s, server.port));
});

afterAll(async () => {
  for (const u of resolvers.values()) await u.stop();
  for (const s of secondaries) await stopSecondary(s);
  await server?.stop();
  await tdb?.destroy();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const serialOf = async (port: number) =>
  Number((await dig(port, 'dyn.test', 'SOA')).answer[0]?.data.split(' ')[2] ?? 0);

/** delv against one secondary, trusting only the zone's key. */
const delv = (port: number, name: string, type: string) =>
  run('delv', [
    '@127.0.0.1',
    '-p',
    String(port),
    '-a',
    join(dir, 'anchor.conf'),
    '+root=dyn.test',
    name,
    type,
  ]);

/** `dig +dnssec` (text) from one server. */
const digDnssec = (port: number, name: string, type: string) =>
  run('dig', ['@127.0.0.1', '-p', String(port), name, type, '+dnssec', '+time=5', '+tries=1']);

describe.each(['nsd', 'knot'] as const)('a signed zone on a stock %s secondary', (name) => {
  const s = () => secondaries.find((x) => x.name === name)!;

  it('transfers the signed zone, and dnssec-verify passes on what it holds', async () => {
    const ours = await serialOf(server.port);
    await withLog(s(), 'transfer', async () => (await serialOf(s().port)) === ours);
    const axfr = await run('dig', [
      '@127.0.0.1',
      '-p',
      String(s().port),
      'dyn.test',
      'AXFR',
      '+nocmd',
      '+nostats',
    ]);
    expect(axfr).toMatch(/\sIN\s+RRSIG\s+A\s/);
    expect(axfr).toMatch(/\sIN\s+NSEC\s/);
    expect(axfr).toMatch(/\sIN\s+DNSKEY\s+257 3 13 /);
    const file = join(dir, `${name}.zone`);
    writeFileSync(file, axfr);
    const out = await run('dnssec-verify', ['-z', '-o', 'dyn.test', file]).catch((e: unknown) => String(e));
    expect(out).toMatch(/Zone fully signed/);
  });

  it('dig +dnssec shows RRSIGs, and NSEC for a name that does not exist', async () => {
    expect(await digDnssec(s().port, 'www.dyn.test', 'A')).toMatch(
      /^www\.dyn\.test\.\s+\d+\s+IN\s+RRSIG\s+A 13 3 /m,
    );
    const nx = await digDnssec(s().port, 'missing.dyn.test', 'A');
    expect(nx).toMatch(/status: NXDOMAIN/);
    expect(nx).toMatch(/\sIN\s+NSEC\s/);
    expect(nx).toMatch(/\sIN\s+RRSIG\s+NSEC\s/);
  });

  it.each([
    ['www.dyn.test', 'A', /; fully validated/],
    ['alias.dyn.test', 'A', /; fully validated/],
    ['x.wild.dyn.test', 'A', /; fully validated/],
    ['gw.dyn.test', 'A', /; fully validated/],
    ['www.dyn.test', 'TXT', /; negative response, fully validated/],
    ['missing.dyn.test', 'A', /; negative response, fully validated/],
  ])('delv validates %s %s from it', async (qname, type, verdict) => {
    const out = await delv(s().port, qname, type).catch((e: unknown) => String(e));
    expect(out).toMatch(verdict);
  });

  it('a validating Unbound pointed at it sets AD on answers and denials', async () => {
    const u = await startValidatingUnbound({ zone: 'dyn.test', stubPort: s().port, anchor: unboundAnchor });
    resolvers.set(name, u);
    for (const [qname, type, status] of [
      ['www.dyn.test', 'A', 'NOERROR'],
      ['x.wild.dyn.test', 'A', 'NOERROR'],
      ['www.dyn.test', 'TXT', 'NOERROR'],
      ['missing.dyn.test', 'A', 'NXDOMAIN'],
    ] as const) {
      const r = await u.resolve(qname, type);
      expect({ qname, type, status: r.status, ad: r.flags.includes('ad') }).toEqual({
        qname,
        type,
        status,
        ad: true,
      });
    }
  });
});

describe('an update on the primary', () => {
  it('reaches Knot by IXFR (the signed delta) and NSD; both still validate', async () => {
    for (const s of secondaries)
      await withLog(
        s,
        'initial transfer',
        async () => (await serialOf(s.port)) === (await serialOf(server.port)),
      );
    await tdb.db
      .updateTable('domains')
      .set({ last_ping_ip4: '198.51.100.77' })
      .where('name', '=', 'gw.dyn.test')
      .execute();
    await tdb.db
      .insertInto('records')
      .values({ zone_id: zone.id, name: 'fresh.dyn.test', type: 'A', content: '192.0.2.9', ttl: 60 })
      .execute();
    await eventually(async () => (await dig(server.port, 'fresh.dyn.test', 'A')).answer.length === 1, 50);
    const ours = await serialOf(server.port);
    for (const s of secondaries) {
      await withLog(s, 'transfer after NOTIFY', async () => (await serialOf(s.port)) === ours);
      expect(await delv(s.port, 'gw.dyn.test', 'A')).toMatch(
        /198\.51\.100\.77[\s\S]*; fully validated|; fully validated[\s\S]*198\.51\.100\.77/,
      );
      expect(await delv(s.port, 'fresh.dyn.test', 'A')).toMatch(/; fully validated/);
      // and a validating resolver behind the secondary (never asked for this name before) validates the new name
      const u = resolvers.get(s.name);
      if (!u) throw new Error(`no Unbound for ${s.name}: the test before this one did not run`);
      const fresh = await u.resolve('fresh.dyn.test', 'A');
      expect({ status: fresh.status, ad: fresh.flags.includes('ad') }).toEqual({
        status: 'NOERROR',
        ad: true,
      });
      expect(fresh.answer.some((a) => a.data === '192.0.2.9')).toBe(true);
      // the NSEC chain moved with the new name: a neighbour that does not exist is still denied
      expect(await delv(s.port, 'fresh0.dyn.test', 'A').catch((e: unknown) => String(e))).toMatch(
        /; negative response, fully validated/,
      );
    }
    const knot = secondaries.find((x) => x.name === 'knot')!;
    // Knot logs how it took each version: the update came as an incremental transfer
    expect(knot.log()).toMatch(new RegExp(`IXFR, incoming, remote 127\\.0\\.0\\.1@${server.port}.*finished`));
    expect(knot.log()).not.toMatch(/fallback to AXFR/i);
  });
});
