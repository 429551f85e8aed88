import { spawn, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import { mkdtempSync, rmSync, writeFileSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Zone } from '@ddns/db';
import { createTestDatabase, sharedZone, type TestDatabase } from '@ddns/testkit';
import { startDnsServer, type DnsServer } from '../src/server';
import { RCODE, TYPE } from '../src/wire/constants';
import { dig, eventually, makeQuery, run } from './helpers';
import { freeDualPort } from './ports';

let tdb: TestDatabase;
let zone: Zone;
let server: DnsServer;
let nsd: ChildProcess | null = null;
let nsdPort = 0;
let dir = '';

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

  nsdPort = await freeDualPort();
  server = await startDnsServer({
    databaseUrl: tdb.url,
    hosts: ['127.0.0.1', '::1'],
    port: 0,
    secondaries: [`127.0.0.1:${nsdPort}`],
    feed: { pollMs: 200 },
  });
  dir = mkdtempSync(join(tmpdir(), 'ddns-nsd-'));
  writeFileSync(
    join(dir, 'nsd.conf'),
    `server:
  ip-address: 127.0.0.1
  port: ${nsdPort}
  username: ""
  chroot: ""
  zonesdir: "${dir}"
  database: ""
  zonelistfile: "${dir}/zone.list"
  xfrdfile: "${dir}/xfrd.state"
  xfrdir: "${dir}"
  pidfile: "${dir}/nsd.pid"
  logfile: "${dir}/nsd.log"
  server-count: 1
  verbosity: 2
  rrl-ratelimit: 0
remote-control:
  control-enable: no
zone:
  name: dyn.test
  zonefile: "${dir}/dyn.test.zone"
  allow-notify: 127.0.0.1 NOKEY
  request-xfr: AXFR 127.0.0.1@${server.port} NOKEY
`,
  );
  nsd = spawn('nsd', ['-d', '-c', join(dir, 'nsd.conf')], { stdio: 'ignore' });
});

afterAll(async () => {
  if (nsd && nsd.exitCode === null) {
    const exited = new Promise((r) => nsd!.once('exit', r));
    nsd.kill('SIGTERM');
    await exited;
  }
  await server?.stop();
  await tdb?.destroy();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** `eventually`, failing with NSD's log for diagnosis. */
async function withLog(what: string, fn: () => Promise<boolean>): Promise<void> {
  await eventually(fn, 100, 20_000).catch((err: unknown) => {
    throw new Error(`${what}: ${String(err)}. NSD log:\n${nsdLog()}`);
  });
}

const nsdLog = () => (existsSync(join(dir, 'nsd.log')) ? readFileSync(join(dir, 'nsd.log'), 'utf8') : '');

describe('zone transfer to a real secondary (NSD)', () => {
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

  it('NSD transfers the zone and answers the same as ddns', async () => {
    await withLog(
      'initial transfer',
      async () => (await dig(nsdPort, 'www.dyn.test', 'A')).answer.length === 1,
    );
    for (const [name, type] of [
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
      const [ours, theirs] = await Promise.all([dig(server.port, name, type), dig(nsdPort, name, type)]);
      expect({ name, type, status: theirs.status, answer: theirs.answer }).toEqual({
        name,
        type,
        status: ours.status,
        answer: ours.answer,
      });
    }
  });

  it('a change reaches NSD through NOTIFY', async () => {
    await withLog(
      'initial transfer',
      async () => (await dig(nsdPort, 'www.dyn.test', 'A')).answer.length === 1,
    );
    await tdb.db
      .updateTable('records')
      .set({ content: '192.0.2.81' })
      .where('name', '=', 'www.dyn.test')
      .execute();
    await tdb.db
      .insertInto('records')
      .values({ zone_id: zone.id, name: 'fresh.dyn.test', type: 'A', content: '192.0.2.9' })
      .execute();
    // NSD's refresh timer is an hour: only a NOTIFY makes it transfer this soon
    await withLog(
      'transfer after NOTIFY',
      async () => (await dig(nsdPort, 'fresh.dyn.test', 'A')).answer[0]?.data === '192.0.2.9',
    );
    expect((await dig(nsdPort, 'www.dyn.test', 'A')).answer[0]!.data).toBe('192.0.2.81');
    const [ours, theirs] = await Promise.all([
      dig(server.port, 'dyn.test', 'SOA'),
      dig(nsdPort, 'dyn.test', 'SOA'),
    ]);
    expect(theirs.answer).toEqual(ours.answer);
  });
});
