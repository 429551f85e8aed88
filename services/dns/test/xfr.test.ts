import dgram from 'node:dgram';
import { sql, type Zone } from '@ddns/db';
import { createTestDatabase, sharedZone, type TestDatabase } from '@ddns/testkit';
import { startDnsServer, type DnsServer } from '../src/server';
import { RCODE, TYPE } from '../src/wire/constants';
import { dig, eventually, makeQuery, run } from './helpers';
import { freeDualPort } from './ports';
import { makeSecondary, startSecondary, stopSecondary, withLog, type Secondary } from './secondary';

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
`;

// Knot asks for IXFR first: ddns answers it with the whole zone (RFC 1995 §4), which Knot accepts.
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
  - id: notify_from_primary
    address: 127.0.0.1
    action: notify
template:
  - id: default
    storage: "${s.dir}"
    file: "%s.zone"
    zonefile-sync: -1
zone:
  - domain: dyn.test
    master: primary
    acl: notify_from_primary
`;

let tdb: TestDatabase;
let zone: Zone;
let server: DnsServer;
const secondaries: Secondary[] = [];

beforeAll(async () => {
  tdb = await createTestDatabase();
  zone = await sharedZone(tdb.db, 'dyn.test');
  const rec = (name: string, type: 'A' | 'TXT' | 'MX' | 'CNAME', content: string) =>
    tdb.db.insertInto('records').values({ zone_id: zone.id, name, type, content, ttl: 120 }).execute();
  await rec('www.dyn.test', 'A', '192.0.2.80');
  await rec('alias.dyn.test', 'CNAME', 'www.dyn.test');
  await rec('dyn.test', 'MX', '10 mail.dyn.test');
  await rec('txt.dyn.test', 'TXT', 'x'.repeat(300));
  await tdb.db
    .insertInto('domains')
    .values({ zone_id: zone.id, name: 'gw.dyn.test', mode: 1, last_ping_ip4: '198.51.100.4' })
    .execute();

  secondaries.push(
    makeSecondary('nsd', await freeDualPort(), 'ddns'),
    makeSecondary('knot', await freeDualPort(), 'ddns'),
  );
  server = await startDnsServer({
    databaseUrl: tdb.url,
    hosts: ['127.0.0.1', '::1'],
    port: 0,
    secondaries: secondaries.map((s) => `127.0.0.1:${s.port}`),
    feed: { pollMs: 200 },
  });
  for (const s of secondaries)
    startSecondary(s, s.name === 'nsd' ? nsdConf(s, server.port) : knotConf(s, server.port));
});

afterAll(async () => {
  for (const s of secondaries) await stopSecondary(s);
  await server?.stop();
  await tdb?.destroy();
});

describe('zone transfer to real secondaries', () => {
  it('AXFR is refused to anyone not in DNS_SECONDARIES, and over UDP', async () => {
    const v6 = await run('dig', [
      '@::1',
      '-p',
      String(server.port),
      'dyn.test',
      'AXFR',
      '+time=2',
      '+tries=1',
    ]);
    expect(v6).toMatch(/Transfer failed|REFUSED/);
    // dig always uses TCP for AXFR: ask over UDP by hand, from an allowed address
    const sock = dgram.createSocket('udp4');
    const reply = await new Promise<Buffer>((resolve) => {
      sock.once('message', resolve);
      sock.send(makeQuery('dyn.test', TYPE.AXFR), server.port, '127.0.0.1');
    });
    sock.close();
    expect(reply.readUInt16BE(2) & 0xf).toBe(RCODE.REFUSED);
  });

  it('an allowed client gets the whole zone between two SOAs', async () => {
    const out = await run('dig', [
      '@127.0.0.1',
      '-p',
      String(server.port),
      'dyn.test',
      'AXFR',
      '+time=2',
      '+tries=1',
    ]);
    const lines = out.split('\n').filter((l) => l && !l.startsWith(';'));
    expect(lines[0]).toMatch(/^dyn\.test\.\s+\d+\s+IN\s+SOA/);
    expect(lines[lines.length - 1]).toMatch(/^dyn\.test\.\s+\d+\s+IN\s+SOA/);
    expect(out).toMatch(/\*\.gw\.dyn\.test\.\s+60\s+IN\s+A\s+198\.51\.100\.4/);
  });

  it.each(['nsd', 'knot'] as const)('%s transfers the zone and answers the same as ddns', async (name) => {
    const s = secondaries.find((x) => x.name === name)!;
    await withLog(
      s,
      'initial transfer',
      async () => (await dig(s.port, 'www.dyn.test', 'A')).answer.length === 1,
    );
    for (const [qname, type] of [
      ['www.dyn.test', 'A'],
      ['alias.dyn.test', 'A'],
      ['dyn.test', 'MX'],
      ['dyn.test', 'SOA'],
      ['dyn.test', 'NS'],
      ['txt.dyn.test', 'TXT'],
      ['gw.dyn.test', 'A'],
      ['deep.gw.dyn.test', 'A'],
      ['missing.dyn.test', 'A'],
      ['www.dyn.test', 'TXT'],
    ] as const) {
      const [ours, theirs] = await Promise.all([dig(server.port, qname, type), dig(s.port, qname, type)]);
      expect({ qname, type, status: theirs.status, answer: theirs.answer }).toEqual({
        qname,
        type,
        status: ours.status,
        answer: ours.answer,
      });
    }
  });

  it('a change reaches both secondaries through NOTIFY', async () => {
    for (const s of secondaries) {
      await withLog(
        s,
        'initial transfer',
        async () => (await dig(s.port, 'www.dyn.test', 'A')).answer.length === 1,
      );
    }
    const before = Number((await dig(server.port, 'dyn.test', 'SOA')).answer[0]!.data.split(' ')[2]);
    await tdb.db
      .updateTable('records')
      .set({ content: '192.0.2.81' })
      .where('name', '=', 'www.dyn.test')
      .execute();
    await tdb.db
      .insertInto('records')
      .values({ zone_id: zone.id, name: 'fresh.dyn.test', type: 'A', content: '192.0.2.9' })
      .execute();
    // both refresh timers are an hour: only a NOTIFY makes them transfer this soon
    for (const s of secondaries) {
      await withLog(
        s,
        'transfer after NOTIFY',
        async () => (await dig(s.port, 'fresh.dyn.test', 'A')).answer[0]?.data === '192.0.2.9',
      );
      expect((await dig(s.port, 'www.dyn.test', 'A')).answer[0]!.data).toBe('192.0.2.81');
      for (const [qname, type] of [
        ['dyn.test', 'SOA'],
        ['www.dyn.test', 'A'],
        ['fresh.dyn.test', 'A'],
        ['txt.dyn.test', 'TXT'],
        ['deep.gw.dyn.test', 'A'],
      ] as const) {
        const [ours, theirs] = await Promise.all([dig(server.port, qname, type), dig(s.port, qname, type)]);
        expect({ secondary: s.name, qname, answer: theirs.answer }).toEqual({
          secondary: s.name,
          qname,
          answer: ours.answer,
        });
      }
    }
    // IXFR from the serial before the change: only the difference (RFC 1995), not the whole zone
    const ixfr = await run('dig', [
      '@127.0.0.1',
      '-p',
      String(server.port),
      'dyn.test',
      `IXFR=${before}`,
      '+time=5',
      '+tries=1',
    ]);
    const lines = ixfr.split('\n').filter((l) => l && !l.startsWith(';'));
    expect(lines.filter((l) => /\sSOA\s/.test(l)).length).toBeGreaterThanOrEqual(4);
    expect(ixfr).toMatch(/^www\.dyn\.test\.\s+\d+\s+IN\s+A\s+192\.0\.2\.80$/m); // deleted
    expect(ixfr).toMatch(/^www\.dyn\.test\.\s+\d+\s+IN\s+A\s+192\.0\.2\.81$/m); // added
    expect(ixfr).toMatch(/^fresh\.dyn\.test\.\s+\d+\s+IN\s+A\s+192\.0\.2\.9$/m);
    expect(ixfr).not.toMatch(/^txt\.dyn\.test\./m);
  });

  it('a zone bigger than one message is streamed in several (and a 1500-change burst is applied whole)', async () => {
    await sql`INSERT INTO records (zone_id, name, type, content, ttl)
              SELECT ${zone.id}, 'bulk' || g || '.dyn.test', 'TXT', repeat('v', 200), 60
              FROM generate_series(1, 1500) g`.execute(tdb.db);
    await eventually(async () => (await dig(server.port, 'bulk1500.dyn.test', 'TXT')).answer.length === 1);
    const out = await run('dig', [
      '@127.0.0.1',
      '-p',
      String(server.port),
      'dyn.test',
      'AXFR',
      '+time=5',
      '+tries=1',
    ]);
    const size = /XFR size: (\d+) records \(messages (\d+)/.exec(out);
    expect(Number(size?.[1])).toBeGreaterThan(1500);
    expect(Number(size?.[2])).toBeGreaterThan(1);
    expect(out.split('\n').filter((l) => /^bulk\d+\.dyn\.test\./.test(l))).toHaveLength(1500);
  });
});
