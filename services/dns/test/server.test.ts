import dgram from 'node:dgram';
import net from 'node:net';
import { addZone } from '@ddns/registry';
import type { Zone } from '@ddns/db';
import { createTestDatabase, sharedZone, type TestDatabase } from '@ddns/testkit';
import { startDnsServer, type DnsServer } from '../src/server';
import { TYPE } from '../src/wire/constants';
import { frame, FrameDecoder } from '../src/wire/framing';
import { parseMessage } from '../src/wire/validate';
import { dig, eventually, kdig, makeQuery, run } from './helpers';

let tdb: TestDatabase;
let server: DnsServer;
let zone: Zone;
const LONG = 'k='.concat('A'.repeat(598));

beforeAll(async () => {
  tdb = await createTestDatabase();
  const db = tdb.db;
  zone = await sharedZone(db, 'dyn.test');
  const rec = (
    name: string,
    type: 'A' | 'AAAA' | 'CNAME' | 'TXT' | 'MX' | 'NS' | 'SRV' | 'CAA',
    content: string,
    ttl = 300,
  ) => db.insertInto('records').values({ zone_id: zone.id, name, type, content, ttl }).execute();
  await rec('www.dyn.test', 'A', '192.0.2.80');
  await rec('www.dyn.test', 'AAAA', '2001:db8::80');
  await rec('alias.dyn.test', 'CNAME', 'www.dyn.test');
  await rec('txt.dyn.test', 'TXT', 'v=spf1 -all');
  await rec('txt.dyn.test', 'TXT', LONG);
  await rec('dyn.test', 'MX', '10 mail.dyn.test');
  await rec('mail.dyn.test', 'A', '192.0.2.25');
  await rec('_sip._tcp.dyn.test', 'SRV', '10 5 5060 www.dyn.test');
  await rec('dyn.test', 'CAA', '0 issue "letsencrypt.org"');
  await rec('*.wild.dyn.test', 'A', '192.0.2.99');
  await rec('sub.dyn.test', 'NS', 'ns.sub.dyn.test');
  await rec('ns.sub.dyn.test', 'A', '192.0.2.54');
  for (let i = 0; i < 40; i++) await rec('big.dyn.test', 'A', `10.0.0.${i + 1}`);
  await db
    .insertInto('domains')
    .values([
      { zone_id: zone.id, name: 'gw0.dyn.test', mode: 0 },
      {
        zone_id: zone.id,
        name: 'gw1.dyn.test',
        mode: 1,
        last_ping_ip4: '198.51.100.8',
        last_ping_ip6: '2001:db8:1::8',
      },
      { zone_id: zone.id, name: 'plain.dyn.test', mode: null },
    ])
    .execute();
  await rec('_acme-challenge.gw0.dyn.test', 'TXT', 'first-token', 30);
  server = await startDnsServer({
    databaseUrl: tdb.url,
    hosts: ['127.0.0.1', '::1'],
    port: 0,
    metricsPort: 0,
    tunnel: { ipv4: '203.0.113.1', ipv6: '2001:db8:ffff::1' },
    rrl: { rate: 100000 },
    tcpIdleMs: 1000,
    tcpMaxConnections: 4,
    feed: { pollMs: 200 },
  });
});

afterAll(async () => {
  await server?.stop();
  await tdb?.destroy();
});

const p = () => server.port;

describe('dns responder against real clients', () => {
  it('answers A/AAAA authoritatively over UDP and TCP, IPv4 and IPv6', async () => {
    const r = await dig(p(), 'www.dyn.test', 'A');
    expect(r.status).toBe('NOERROR');
    expect(r.flags).toEqual(expect.arrayContaining(['qr', 'aa']));
    expect(r.flags).not.toContain('ra');
    expect(r.answer.map((x) => x.data)).toEqual(['192.0.2.80']);
    const t = await kdig(p(), 'www.dyn.test', 'AAAA', ['+tcp']);
    expect(t.answer.map((x) => x.data)).toEqual(['2001:db8::80']);
    const v6 = await dig(p(), 'www.dyn.test', 'A', [], '::1');
    expect(v6.answer.map((x) => x.data)).toEqual(['192.0.2.80']);
    const v6tcp = await kdig(p(), 'www.dyn.test', 'A', ['+tcp'], '::1');
    expect(v6tcp.answer.map((x) => x.data)).toEqual(['192.0.2.80']);
  });

  it('matches case-insensitively and echoes the question as sent', async () => {
    const r = await dig(p(), 'WwW.DyN.TeSt', 'A');
    expect(r.question).toBe('WwW.DyN.TeSt.');
    expect(r.answer[0]!.data).toBe('192.0.2.80');
  });

  it('SOA and NS at the apex', async () => {
    const soa = await dig(p(), 'dyn.test', 'SOA');
    expect(soa.answer).toHaveLength(1);
    expect(soa.answer[0]!.data).toMatch(/^ns1\.dyn\.test\. hostmaster\.dyn\.test\. \d+ 3600 600 1209600 60$/);
    const ns = await dig(p(), 'dyn.test', 'NS');
    expect(ns.answer.map((x) => x.data)).toEqual(['ns1.dyn.test.']);
    expect(ns.additional.map((x) => x.data)).toEqual(['127.0.0.1']);
  });

  it('NXDOMAIN and NODATA carry the SOA with the negative TTL', async () => {
    const nx = await dig(p(), 'nothing-here.dyn.test', 'A');
    expect(nx.status).toBe('NXDOMAIN');
    expect(nx.flags).toContain('aa');
    expect(nx.authority).toHaveLength(1);
    expect(nx.authority[0]).toMatchObject({ name: 'dyn.test.', type: 'SOA', ttl: 60 });
    const nodata = await kdig(p(), 'www.dyn.test', 'MX');
    expect(nodata.status).toBe('NOERROR');
    expect(nodata.answer).toHaveLength(0);
    expect(nodata.authority[0]!.type).toBe('SOA');
  });

  it('chases CNAMEs and synthesises wildcards', async () => {
    const c = await dig(p(), 'alias.dyn.test', 'A');
    expect(c.answer.map((x) => `${x.type} ${x.data}`)).toEqual(['CNAME www.dyn.test.', 'A 192.0.2.80']);
    const w = await dig(p(), 'foo.wild.dyn.test', 'A');
    expect(w.answer).toEqual([{ name: 'foo.wild.dyn.test.', ttl: 300, type: 'A', data: '192.0.2.99' }]);
  });

  it('TXT: several records, long values as several strings in one record', async () => {
    const r = await dig(p(), 'txt.dyn.test', 'TXT');
    expect(r.answer).toHaveLength(2);
    const long = r.answer.find((x) => x.data.startsWith('"k='))!;
    const strings = long.data.match(/"[^"]*"/g)!.map((s) => s.slice(1, -1));
    expect(strings.map((s) => s.length)).toEqual([255, 255, 90]);
    expect(strings.join('')).toBe(LONG);
  });

  it('MX, SRV (uncompressed target) and CAA', async () => {
    const mx = await dig(p(), 'dyn.test', 'MX');
    expect(mx.answer[0]!.data).toBe('10 mail.dyn.test.');
    expect(mx.additional.map((x) => x.data)).toEqual(['192.0.2.25']);
    const srv = await kdig(p(), '_sip._tcp.dyn.test', 'SRV');
    expect(srv.answer[0]!.data).toBe('10 5 5060 www.dyn.test.');
    const caa = await dig(p(), 'dyn.test', 'CAA');
    expect(caa.answer[0]!.data).toBe('0 issue "letsencrypt.org"');
  });

  it('delegations: referral with glue, no AA', async () => {
    const r = await dig(p(), 'host.sub.dyn.test', 'A');
    expect(r.status).toBe('NOERROR');
    expect(r.flags).not.toContain('aa');
    expect(r.authority.map((x) => `${x.type} ${x.data}`)).toEqual(['NS ns.sub.dyn.test.']);
    expect(r.additional.map((x) => x.data)).toEqual(['192.0.2.54']);
  });

  it('REFUSED outside our zones; ANY answered minimally', async () => {
    expect((await dig(p(), 'example.com', 'A')).status).toBe('REFUSED');
    expect((await dig(p(), 'example.com', 'A', ['+rec'])).status).toBe('REFUSED');
    const any = await dig(p(), 'dyn.test', 'ANY');
    expect(new Set(any.answer.map((x) => x.type)).size).toBe(1);
  });

  it('EDNS: OPT echoed, 512 without EDNS (TC), the requestor size with it, full answer over TCP', async () => {
    const edns = await dig(p(), 'big.dyn.test', 'A', ['+bufsize=4096']);
    expect(edns.raw).toMatch(/EDNS: version: 0.*udp: 1232/);
    expect(edns.answer).toHaveLength(40);
    const classic = await dig(p(), 'big.dyn.test', 'A', ['+noedns', '+ignore']);
    expect(classic.flags).toContain('tc');
    expect(classic.raw).not.toMatch(/EDNS:/);
    const small = await dig(p(), 'txt.dyn.test', 'TXT', ['+bufsize=512', '+ignore']);
    expect(small.flags).toContain('tc');
    const fallback = await dig(p(), 'big.dyn.test', 'A', ['+noedns']);
    expect(fallback.answer).toHaveLength(40);
    const tcp = await kdig(p(), 'big.dyn.test', 'A', ['+tcp', '+noedns']);
    expect(tcp.answer).toHaveLength(40);
  });

  it('NOTIMP for unknown opcodes; FORMERR for malformed queries', async () => {
    const notimp = await dig(p(), 'dyn.test', 'SOA', ['+opcode=status']);
    expect(notimp.status).toBe('NOTIMP');
    const sock = dgram.createSocket('udp4');
    const reply = await new Promise<Buffer>((resolve) => {
      sock.once('message', resolve);
      const bad = Buffer.concat([
        makeQuery('www.dyn.test', 1).subarray(0, 12),
        Buffer.from([0xc0, 12, 0, 1, 0, 1]),
      ]);
      sock.send(bad, p(), '127.0.0.1');
    });
    sock.close();
    expect(reply.readUInt16BE(2) & 0xf).toBe(1);
  });

  it('TCP: several pipelined queries on one connection, answered in order', async () => {
    const sock = net.connect(p(), '127.0.0.1');
    const names = ['www.dyn.test', 'mail.dyn.test', 'gw1.dyn.test'];
    const got: string[] = [];
    const dec = new FrameDecoder();
    await new Promise<void>((resolve, reject) => {
      sock.on('error', reject);
      sock.on('data', (d: Buffer) => {
        for (const m of dec.push(d)) {
          const parsed = parseMessage(m, true);
          if (parsed.ok)
            got.push(`${parsed.msg.id}:${parsed.msg.answers.map((a) => [...a.rdata].join('.')).join(',')}`);
          if (got.length === names.length) resolve();
        }
      });
      sock.write(Buffer.concat(names.map((n, i) => frame(makeQuery(n, TYPE.A, { id: i + 1 })))));
    });
    sock.destroy();
    expect(got).toEqual(['1:192.0.2.80', '2:192.0.2.25', '3:198.51.100.8']);
  });

  it('TCP: idle connections are closed and the connection count is capped', async () => {
    const idle = net.connect(p(), '127.0.0.1');
    await new Promise<void>((resolve) => idle.on('close', () => resolve()));
    // 6 clients against a cap of 4: four get answers, two are shut out
    const outcomes = await Promise.all(
      Array.from({ length: 6 }, (_, i) => {
        const s = net.connect(p(), '127.0.0.1');
        const dec = new FrameDecoder();
        return new Promise<'answered' | 'closed'>((resolve) => {
          let answered = false;
          s.on('data', (d: Buffer) => {
            if (dec.push(d).length) answered = true;
          });
          s.on('error', () => undefined);
          s.on('close', () => resolve(answered ? 'answered' : 'closed'));
          s.write(frame(makeQuery('www.dyn.test', TYPE.A, { id: i })));
        });
      }),
    );
    expect(outcomes.filter((o) => o === 'answered')).toHaveLength(4);
    expect(outcomes.filter((o) => o === 'closed')).toHaveLength(2);
    // still serving afterwards
    expect((await kdig(p(), 'www.dyn.test', 'A', ['+tcp'])).answer).toHaveLength(1);
  });

  it('gateway names: mode 0 tunnel, mode 1 last ping, for name and *.name; plain domains from records', async () => {
    const g0 = await dig(p(), 'gw0.dyn.test', 'A');
    expect(g0.answer.map((x) => x.data)).toEqual(['203.0.113.1']);
    expect((await dig(p(), 'any.thing.gw0.dyn.test', 'AAAA')).answer.map((x) => x.data)).toEqual([
      '2001:db8:ffff::1',
    ]);
    expect((await dig(p(), 'gw1.dyn.test', 'AAAA')).answer.map((x) => x.data)).toEqual(['2001:db8:1::8']);
    expect((await dig(p(), 'x.gw1.dyn.test', 'A')).answer.map((x) => x.data)).toEqual(['198.51.100.8']);
    const acme = await dig(p(), '_acme-challenge.gw0.dyn.test', 'TXT');
    expect(acme.answer).toEqual([
      { name: '_acme-challenge.gw0.dyn.test.', ttl: 30, type: 'TXT', data: '"first-token"' },
    ]);
    expect((await dig(p(), 'plain.dyn.test', 'A')).answer).toHaveLength(0);
  });

  it('changes made in SQL show up in answers (records, gateway pings, modes, new serial)', async () => {
    const db = tdb.db;
    const before = (await dig(p(), 'dyn.test', 'SOA')).answer[0]!.data.split(' ')[2];
    await db
      .insertInto('records')
      .values({ zone_id: zone.id, name: 'new.dyn.test', type: 'A', content: '192.0.2.200', ttl: 60 })
      .execute();
    await eventually(async () => (await dig(p(), 'new.dyn.test', 'A')).answer[0]?.data === '192.0.2.200');
    const after = (await dig(p(), 'dyn.test', 'SOA')).answer[0]!.data.split(' ')[2];
    expect(Number(after)).toBeGreaterThan(Number(before));

    await db
      .updateTable('domains')
      .set({ last_ping_ip4: '198.51.100.99' })
      .where('name', '=', 'gw1.dyn.test')
      .execute();
    await eventually(
      async () => (await dig(p(), 'sub.gw1.dyn.test', 'A')).answer[0]?.data === '198.51.100.99',
    );
    await db
      .updateTable('domains')
      .set({ mode: 1, last_ping_ip4: '198.51.100.50' })
      .where('name', '=', 'gw0.dyn.test')
      .execute();
    await eventually(async () => (await dig(p(), 'gw0.dyn.test', 'A')).answer[0]?.data === '198.51.100.50');
    await db.updateTable('domains').set({ mode: 0 }).where('name', '=', 'plain.dyn.test').execute();
    await eventually(async () => (await dig(p(), 'plain.dyn.test', 'A')).answer[0]?.data === '203.0.113.1');

    await db
      .updateTable('records')
      .set({ content: 'second-token' })
      .where('name', '=', '_acme-challenge.gw0.dyn.test')
      .execute();
    await eventually(
      async () =>
        (await dig(p(), '_acme-challenge.gw0.dyn.test', 'TXT')).answer[0]?.data === '"second-token"',
    );
    await db.deleteFrom('records').where('name', '=', 'new.dyn.test').execute();
    await eventually(async () => (await dig(p(), 'new.dyn.test', 'A')).status === 'NXDOMAIN');
  });

  it('zones added and removed while running', async () => {
    const z = await addZone(tdb.db, {
      name: 'hosted.example',
      kind: 'hosted',
      ns: [{ host: 'ns1.dyn.test' }],
    });
    await eventually(async () => (await dig(p(), 'hosted.example', 'SOA')).status === 'NOERROR');
    expect((await dig(p(), 'hosted.example', 'NS')).answer.map((x) => x.data)).toEqual(['ns1.dyn.test.']);
    await tdb.db.deleteFrom('zones').where('id', '=', z.id).execute();
    await eventually(async () => (await dig(p(), 'hosted.example', 'SOA')).status === 'REFUSED');
  });

  it('exposes Prometheus metrics', async () => {
    await dig(p(), 'www.dyn.test', 'A');
    const text = await run('curl', ['-s', `http://127.0.0.1:${server.metricsPort}/metrics`]);
    expect(text).toMatch(/dns_queries_total\{qtype="A",rcode="NOERROR",transport="udp"\} \d+/);
    expect(text).toMatch(/dns_store_names \d+/);
    expect(text).toMatch(/dns_feed_connected 1/);
    expect(text).toMatch(/dns_feed_lag_seconds/);
    expect(text).toMatch(/dns_cache_entries \d+/);
  });
});
