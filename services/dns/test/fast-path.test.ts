import dgram from 'node:dgram';
import Packet from 'native-dns-packet';
import {
  createTestDatabase,
  sharedZone,
  startDnsProcess,
  TEST_SECRETS_KEY,
  type TestDatabase,
} from '@ddns/testkit';
import { startDnsServer, type DnsServer } from '../src/server';
import { TYPE } from '../src/wire/constants';
import { activeZoneKey } from './dnssec-helpers';
import { dig, eventually, kdig, makeQuery } from './helpers';

// The same tests on either UDP path: DNS_FAST_PATH=on must give the native one, off the TypeScript one.
const wanted = process.env.DNS_FAST_PATH;

let tdb: TestDatabase;
let zoneId: number;
let server: DnsServer;

/** A UDP client on a chosen source address that collects every reply by id. */
async function client(source = '127.0.0.1', port = server.port) {
  const sock = dgram.createSocket('udp4');
  const replies = new Map<number, Buffer>();
  sock.on('message', (m: Buffer) => replies.set(m.readUInt16BE(0), m));
  await new Promise<void>((r) => sock.bind(0, source, () => r()));
  sock.setRecvBufferSize(4 * 1024 * 1024);
  return {
    replies,
    send: (q: Buffer) => new Promise<void>((r) => sock.send(q, port, '127.0.0.1', () => r())),
    /** one query, its reply (or null after 1 s) */
    async ask(q: Buffer): Promise<Buffer | null> {
      const id = q.readUInt16BE(0);
      replies.delete(id);
      await new Promise<void>((r) => sock.send(q, port, '127.0.0.1', () => r()));
      const until = Date.now() + 1000;
      while (!replies.has(id) && Date.now() < until) await new Promise((r) => setTimeout(r, 5));
      return replies.get(id) ?? null;
    },
    close: () => sock.close(),
  };
}

const metric = (text: string, re: RegExp) => Number(re.exec(text)?.[1] ?? 'NaN');

beforeAll(async () => {
  tdb = await createTestDatabase();
  const zone = await sharedZone(tdb.db, 'fast.test');
  zoneId = zone.id;
  await activeZoneKey(tdb.db, zone.id);
  const big = Array.from({ length: 8 }, (_, i) => ({
    zone_id: zone.id,
    name: 'big.fast.test',
    type: 'TXT' as const,
    content: `${i}${'y'.repeat(199)}`,
  }));
  await tdb.db
    .insertInto('records')
    .values([
      { zone_id: zone.id, name: 'www.fast.test', type: 'A', content: '192.0.2.1' },
      { zone_id: zone.id, name: 'moving.fast.test', type: 'A', content: '192.0.2.10' },
      ...big,
    ])
    .execute();
  server = await startDnsServer({
    databaseUrl: tdb.url,
    hosts: ['127.0.0.1'],
    port: 0,
    rrl: null,
    secretsKey: TEST_SECRETS_KEY,
    feed: { pollMs: 50 },
  });
});

afterAll(async () => {
  await server?.stop();
  await tdb?.destroy();
});

describe('UDP fast path (DNS_FAST_PATH)', () => {
  it('answers repeated queries from the path asked for, and the metrics say which', async () => {
    if (wanted === 'on') expect(server.udpPath).toBe('native');
    if (wanted === 'off') expect(server.udpPath).toBe('typescript');
    const c = await client();
    for (let i = 0; i < 50; i++) {
      const r = await c.ask(makeQuery('www.fast.test', TYPE.A, { id: i, edns: i % 2 ? 1232 : undefined }));
      expect(Packet.parse(r!).answer[0]?.address).toBe('192.0.2.1');
    }
    c.close();
    const text = await server.metrics.registry.metrics();
    const native = metric(text, /dns_udp_answers_total\{path="native"\} (\d+)/);
    const ts = metric(text, /dns_udp_answers_total\{path="typescript"\} (\d+)/);
    expect(native + ts).toBeGreaterThanOrEqual(50);
    // native answers are queries like any other
    expect(
      metric(text, /dns_queries_total\{qtype="A",rcode="NOERROR",transport="udp"\} (\d+)/),
    ).toBeGreaterThanOrEqual(50);
    if (server.udpPath === 'native') {
      expect(text).toMatch(/dns_udp_native 1\b/);
      expect(native).toBeGreaterThan(40); // the first asks (no EDNS and EDNS) filled the cache
    } else {
      expect(text).toMatch(/dns_udp_native 0\b/);
      expect(native).toBe(0);
    }
  });

  it('a change in Postgres replaces the cached answer at once: never the old value again', async () => {
    const c = await client();
    const q = (id: number) => makeQuery('moving.fast.test', TYPE.A, { id, edns: 1232 });
    const address = (r: Buffer | null) => (r ? Packet.parse(r).answer[0]?.address : undefined);
    for (let i = 0; i < 5; i++) expect(address(await c.ask(q(i)))).toBe('192.0.2.10');
    await tdb.db
      .updateTable('records')
      .set({ content: '192.0.2.11' })
      .where('zone_id', '=', zoneId)
      .where('name', '=', 'moving.fast.test')
      .execute();
    let id = 100;
    await eventually(async () => address(await c.ask(q(id++))) === '192.0.2.11', 20);
    // hammer: 2000 queries in bursts, every reply the new value
    c.replies.clear();
    for (let burst = 0; burst < 20; burst++) {
      await Promise.all(Array.from({ length: 100 }, (_, i) => c.send(q(1000 + burst * 100 + i))));
      await new Promise((r) => setTimeout(r, 10));
    }
    await eventually(async () => c.replies.size >= 1900);
    const seen = new Set([...c.replies.values()].map(address));
    expect([...seen]).toEqual(['192.0.2.11']);
    c.close();
  });

  it('DO and non-DO answers are cached apart (RRSIGs only for DO, however often asked)', async () => {
    const c = await client();
    const ask = async (id: number, dnssecOk: boolean) => {
      const q = makeQuery('www.fast.test', TYPE.A, { id, edns: 1232 });
      if (dnssecOk) q.writeUInt32BE(0x8000, q.length - 6); // the OPT TTL: DO bit
      return Packet.parse((await c.ask(q))!);
    };
    for (let i = 0; i < 6; i++) {
      const dnssecOk = i % 3 === 1;
      const p = await ask(2000 + i, dnssecOk);
      expect(p.answer.some((r) => r.type === TYPE.RRSIG)).toBe(dnssecOk);
      expect(p.answer.some((r) => r.type === TYPE.A)).toBe(true);
    }
    c.close();
  });

  it('the UDP cap applies to cached answers: EDNS 4096 over UDP gets TC, TCP the whole set', async () => {
    for (let i = 0; i < 3; i++) {
      const udp = await dig(server.port, 'big.fast.test', 'TXT', ['+bufsize=4096', '+ignore', '+nodnssec']);
      expect(udp.flags).toContain('tc');
      expect(udp.raw).toMatch(/MSG SIZE {2}rcvd: (\d+)/);
      expect(Number(/MSG SIZE {2}rcvd: (\d+)/.exec(udp.raw)![1])).toBeLessThanOrEqual(1232);
    }
    const tcp = await kdig(server.port, 'big.fast.test', 'TXT', ['+tcp']);
    expect(tcp.answer).toHaveLength(8);
  });
});

describe('RRL on the UDP path in use', () => {
  let limited: DnsServer;
  afterAll(async () => {
    await limited?.stop();
  });

  it('one prefix over its rate gets drops and TC slips while another prefix is still answered', async () => {
    limited = await startDnsServer({
      databaseUrl: tdb.url,
      hosts: ['127.0.0.1'],
      port: 0,
      rrl: { rate: 10, slip: 2 },
    });
    {
      const warm = await client('127.0.2.1', limited.port);
      expect(await warm.ask(makeQuery('www.fast.test', TYPE.A, { id: 1 }))).not.toBeNull();
      expect(await warm.ask(makeQuery('www.fast.test', TYPE.A, { id: 2 }))).not.toBeNull();
      warm.close();
      const noisy = await client('127.0.1.1', limited.port);
      for (let i = 0; i < 300; i++) await noisy.send(makeQuery('www.fast.test', TYPE.A, { id: i }));
      await eventually(async () => [...noisy.replies.values()].some((r) => r.readUInt16BE(2) & 0x200));
      await new Promise((r) => setTimeout(r, 200));
      const replies = [...noisy.replies.values()];
      const slipped = replies.filter((r) => r.readUInt16BE(2) & 0x200);
      const full = replies.length - slipped.length;
      // the bucket holds 20 and refills 10/s: far fewer full answers than queries, slips for about half the rest
      expect(full).toBeLessThan(60);
      expect(slipped.length).toBeGreaterThan(50);
      expect(slipped.every((r) => r.readUInt16BE(6) === 0)).toBe(true);
      noisy.close();
      // another /24 is not affected
      const quiet = await client('127.0.0.1', limited.port);
      for (let i = 0; i < 5; i++) {
        const r = await quiet.ask(makeQuery('www.fast.test', TYPE.A, { id: 500 + i }));
        expect(r!.readUInt16BE(2) & 0x200).toBe(0);
        expect(Packet.parse(r!).answer[0]?.address).toBe('192.0.2.1');
      }
      quiet.close();
      const text = await limited.metrics.registry.metrics();
      expect(metric(text, /dns_dropped_total\{reason="rrl"\} (\d+)/)).toBeGreaterThan(50);
    }
  });
});

describe('the addon missing', () => {
  it('auto: the service starts on the TypeScript path, warns once and answers', async () => {
    const dns = await startDnsProcess(tdb.url, { DNS_FAST_PATH: 'auto', DDNS_UDP_NATIVE: '/nonexistent' });
    try {
      const a = await dig(dns.port, 'www.fast.test', 'A');
      expect(a.answer[0]?.data).toBe('192.0.2.1');
      const warnings = dns.output().match(/native UDP fast path unavailable/g) ?? [];
      expect(warnings).toHaveLength(1);
      expect(dns.output()).toMatch(/"udpPath":"typescript","reason":"[^"]*nonexistent/);
    } finally {
      await dns.stop();
    }
  });

  it('on: the service refuses to start, saying why in one line', async () => {
    await expect(
      startDnsProcess(tdb.url, { DNS_FAST_PATH: 'on', DDNS_UDP_NATIVE: '/nonexistent' }),
    ).rejects.toThrow(
      /exited with 1:[\s\S]*dns: DNS_FAST_PATH=on but the native UDP fast path cannot be loaded/,
    );
  });

  it('off: the TypeScript path, said once at start', async () => {
    const dns = await startDnsProcess(tdb.url, { DNS_FAST_PATH: 'off' });
    try {
      expect((await dig(dns.port, 'www.fast.test', 'A')).answer[0]?.data).toBe('192.0.2.1');
      expect(dns.output()).toMatch(/"udpPath":"typescript","reason":"DNS_FAST_PATH=off".*"msg":"udp path"/);
    } finally {
      await dns.stop();
    }
  });
});
