import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { sql, type Zone } from '@ddns/db';
import { createTestDatabase, sharedZone, type TestDatabase } from '@ddns/testkit';
import { startDnsServer, type DnsServer } from '../src/server';
import { parseTsigKey } from '../src/wire/tsig';
import { dig, eventually, run } from './helpers';
import { freeDualPort } from './ports';
import { makeSecondary, startSecondary, stopSecondary, withLog, type Secondary } from './secondary';

/**
 * Zone transfers and NOTIFY with TSIG (RFC 8945, hmac-sha256) to real NSD and Knot secondaries configured
 * with the key; unsigned and wrongly signed transfers are refused (issue 12, finding 6).
 */

const SECRET = randomBytes(32).toString('base64');
const KEY = `hmac-sha256:xfr-key:${SECRET}`;
const WRONG = `hmac-sha256:xfr-key:${randomBytes(32).toString('base64')}`;
const UNKNOWN = `hmac-sha256:nobody:${randomBytes(32).toString('base64')}`;
/** a key ddns knows, but not the one these secondaries must use */
const OTHER = `hmac-sha256:other-key:${randomBytes(32).toString('base64')}`;

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
key:
  name: "xfr-key"
  algorithm: hmac-sha256
  secret: "${SECRET}"
zone:
  name: dyn.test
  zonefile: "${s.dir}/dyn.test.zone"
  allow-notify: 127.0.0.1 xfr-key
  request-xfr: AXFR 127.0.0.1@${primary} xfr-key
`;

const knotConf = (s: Secondary, primary: number) => `server:
    listen: 127.0.0.1@${s.port}
    rundir: "${s.dir}"
    user: root:root
database:
    storage: "${s.dir}/db"
log:
  - target: "${s.dir}/server.log"
    any: info
key:
  - id: xfr-key
    algorithm: hmac-sha256
    secret: ${SECRET}
remote:
  - id: primary
    address: 127.0.0.1@${primary}
    key: xfr-key
acl:
  - id: notify_from_primary
    address: 127.0.0.1
    key: xfr-key
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
  await tdb.db
    .insertInto('records')
    .values([
      { zone_id: zone.id, name: 'www.dyn.test', type: 'A', content: '192.0.2.80', ttl: 120 },
      { zone_id: zone.id, name: 'txt.dyn.test', type: 'TXT', content: 'x'.repeat(300), ttl: 120 },
    ])
    .execute();
  // big enough for several messages: every one of them is signed (RFC 8945 §5.3.1)
  await sql`INSERT INTO records (zone_id, name, type, content, ttl)
            SELECT ${zone.id}, 'bulk' || g || '.dyn.test', 'TXT', repeat('v', 200), 60
            FROM generate_series(1, 800) g`.execute(tdb.db);
  secondaries.push(
    makeSecondary('nsd', await freeDualPort(), 'ddns-tsig'),
    makeSecondary('knot', await freeDualPort(), 'ddns-tsig'),
  );
  server = await startDnsServer({
    databaseUrl: tdb.url,
    hosts: ['127.0.0.1'],
    port: 0,
    secondaries: secondaries.map((s) => `xfr-key@127.0.0.1:${s.port}`),
    tsigKeys: [parseTsigKey(KEY), parseTsigKey(OTHER)],
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

/** stdout and stderr together (kdig reports a failed transfer on stderr) */
const axfr = (tool: 'dig' | 'kdig', extra: string[]) =>
  new Promise<string>((resolve) => {
    execFile(
      tool,
      ['@127.0.0.1', '-p', String(server.port), 'dyn.test', 'AXFR', '+time=5', ...extra],
      { timeout: 15_000 },
      (_err, stdout, stderr) => resolve(`${stdout}\n${stderr}`),
    );
  });

describe('TSIG (hmac-sha256) on transfers and NOTIFY', () => {
  it('a transfer without the key, with a wrong secret, an unknown key or another key is refused', async () => {
    const unsigned = await axfr('dig', ['+tries=1']);
    expect(unsigned).toMatch(/Transfer failed|REFUSED/);
    expect(unsigned).not.toMatch(/^www\.dyn\.test\./m);
    const wrong = await axfr('dig', ['+tries=1', '-y', WRONG]);
    expect(wrong).not.toMatch(/^www\.dyn\.test\./m);
    expect(wrong).toMatch(/TSIG\s+hmac-sha256\. \d+ 300 0 \d+ BADSIG/); // NOTAUTH, unsigned TSIG saying why
    const wrongK = await axfr('kdig', ['-y', WRONG]);
    expect(wrongK).toMatch(/server replied with error 'BADSIG'/);
    const unknown = await axfr('kdig', ['-y', UNKNOWN]);
    expect(unknown).toMatch(/server replied with error 'BADKEY'/);
    const other = await axfr('kdig', ['-y', OTHER]);
    expect(other).toMatch(/REFUSED/);
    expect(other).not.toMatch(/^www\.dyn\.test\./m);
  });

  it('the right key gets the whole zone, every message signed (dig and kdig verify them)', async () => {
    for (const tool of ['dig', 'kdig'] as const) {
      const out = await axfr(tool, tool === 'dig' ? ['+tries=1', '-y', KEY] : ['-y', KEY]);
      expect(out).not.toMatch(/failure|failed|BADSIG|WARNING/i);
      expect(out.split('\n').filter((l) => /^bulk\d+\.dyn\.test\./.test(l))).toHaveLength(800);
      expect(out).toMatch(/^www\.dyn\.test\.\s+\d+\s+IN\s+A\s+192\.0\.2\.80$/m);
      expect(out).toMatch(/^xfr-key\.\s+0\s+(IN\s+)?ANY\s+TSIG\s+hmac-sha256\./m);
    }
    // a signed SOA query (what a secondary asks before transferring) gets a signed answer
    const soa = await run('dig', ['@127.0.0.1', '-p', String(server.port), 'dyn.test', 'SOA', '-y', KEY]);
    expect(soa).toMatch(/status: NOERROR/);
    expect(soa).toMatch(/TSIG PSEUDOSECTION/);
    expect(soa).not.toMatch(/failure/i);
  });

  it('IXFR too: refused without the key or with a wrong one, the signed delta with it', async () => {
    const serialNow = async () => {
      const out = await run('dig', [
        '@127.0.0.1',
        '-p',
        String(server.port),
        'dyn.test',
        'SOA',
        '+short',
        '-y',
        KEY,
      ]);
      return Number(out.trim().split(/\s+/)[2]);
    };
    const before = await serialNow();
    await tdb.db
      .insertInto('records')
      .values({ zone_id: zone.id, name: 'ixfr.dyn.test', type: 'A', content: '192.0.2.77' })
      .execute();
    await eventually(async () => (await serialNow()) > before);
    const ixfr = (extra: string[]) =>
      new Promise<string>((resolve) => {
        execFile(
          'dig',
          [
            '@127.0.0.1',
            '-p',
            String(server.port),
            'dyn.test',
            `IXFR=${before}`,
            '+time=5',
            '+tries=1',
            ...extra,
          ],
          { timeout: 15_000 },
          (_err, stdout, stderr) => resolve(`${stdout}\n${stderr}`),
        );
      });
    const unsigned = await ixfr([]);
    expect(unsigned).toMatch(/Transfer failed|REFUSED/);
    expect(unsigned).not.toMatch(/^ixfr\.dyn\.test\./m);
    const wrong = await ixfr(['-y', WRONG]);
    expect(wrong).toMatch(/BADSIG/);
    expect(wrong).not.toMatch(/^ixfr\.dyn\.test\./m);
    const signed = await ixfr(['-y', KEY]);
    expect(signed).not.toMatch(/failure|failed|BADSIG|WARNING/i);
    expect(signed).toMatch(/^ixfr\.dyn\.test\.\s+\d+\s+IN\s+A\s+192\.0\.2\.77$/m);
    // a delta, not the whole zone
    expect(signed).not.toMatch(/^bulk1\.dyn\.test\./m);
    expect(signed).toMatch(/^xfr-key\.\s+0\s+(IN\s+)?ANY\s+TSIG\s+hmac-sha256\./m);
  });

  it.each(['nsd', 'knot'] as const)(
    '%s transfers with the key, and a change reaches it by signed NOTIFY',
    async (name) => {
      const s = secondaries.find((x) => x.name === name)!;
      await withLog(
        s,
        'signed transfer',
        async () => (await dig(s.port, 'www.dyn.test', 'A')).answer.length === 1,
      );
      expect((await dig(s.port, 'bulk800.dyn.test', 'TXT')).answer).toHaveLength(1);
      await tdb.db
        .insertInto('records')
        .values({ zone_id: zone.id, name: `fresh-${name}.dyn.test`, type: 'A', content: '192.0.2.9' })
        .execute();
      // refresh timers are an hour: only a NOTIFY (accepted with the key alone) brings it this soon
      await withLog(
        s,
        'transfer after signed NOTIFY',
        async () => (await dig(s.port, `fresh-${name}.dyn.test`, 'A')).answer[0]?.data === '192.0.2.9',
      );
    },
  );
});
