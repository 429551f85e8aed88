import dgram from 'node:dgram';
import net from 'node:net';
import { sql, type Zone } from '@ddns/db';
import {
  createTestDatabase,
  sharedZone,
  startDnsProcess,
  type DnsProcess,
  type TestDatabase,
} from '@ddns/testkit';
import { TYPE } from '../src/wire/constants';
import { TcpAdmission } from '../src/transport/admission';
import { frame, FrameDecoder } from '../src/wire/framing';
import { activeZoneKey } from './dnssec-helpers';
import { dig, eventually, kdig, makeQuery, run } from './helpers';
import { freeDualPort } from './ports';
import { rssMiB, servingPid } from './proc';

/**
 * Attacks on the transport, against the dns service as its own process (issue 11, findings 4 and 5):
 * UDP amplification, TCP answers left unread, one address holding every connection, trickled bytes.
 */

let tdb: TestDatabase;
let zone: Zone;

const txt = (name: string, count: number, size: number) =>
  sql`INSERT INTO records (zone_id, name, type, content, ttl)
      SELECT ${zone.id}, ${name}, 'TXT', lpad(g::text, ${size}, 'x'), 60
      FROM generate_series(1, ${count}) g`.execute(tdb.db);

beforeAll(async () => {
  tdb = await createTestDatabase();
  zone = await sharedZone(tdb.db, 'dyn.test');
  await tdb.db
    .insertInto('records')
    .values({ zone_id: zone.id, name: 'www.dyn.test', type: 'A', content: '192.0.2.1' })
    .execute();
  await txt('big.dyn.test', 16, 240); // a user's 3.9 KB TXT set
  await txt('huge.dyn.test', 63, 1000); // a 64 KB TXT set (one TCP message)
  await txt('fits.dyn.test', 4, 270); // just under 1232 bytes
});

afterAll(async () => {
  await tdb?.destroy();
});

function udpExchange(port: number, q: Buffer, from = '127.0.0.1'): Promise<Buffer> {
  const sock = dgram.createSocket('udp4');
  return new Promise<Buffer>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('no UDP reply')), 3000);
    sock.once('message', (m) => {
      clearTimeout(t);
      sock.close();
      resolve(m);
    });
    sock.bind(0, from, () => sock.send(q, port, '127.0.0.1'));
  });
}

const msgSize = (out: string) => Number(/MSG SIZE\s+rcvd: (\d+)/.exec(out)?.[1]);

describe('UDP amplification', () => {
  let dns: DnsProcess;
  beforeAll(async () => {
    dns = await startDnsProcess(tdb.url);
  }, 60_000);
  afterAll(async () => dns?.stop());

  it('a 3.9 KB TXT set: UDP reply ≤ 1232 bytes with TC whatever the client advertises, TCP gets it all', async () => {
    const args = ['@127.0.0.1', '-p', String(dns.port), 'big.dyn.test', 'TXT', '+norec', '+time=2'];
    const udp = await run('dig', [...args, '+bufsize=4096', '+ignore']);
    expect(udp).toMatch(/flags:[^;]* tc/);
    expect(udp).toMatch(/EDNS: version: 0, flags:; udp: 1232/);
    expect(msgSize(udp)).toBeLessThanOrEqual(1232);
    const tcp = await dig(dns.port, 'big.dyn.test', 'TXT', ['+tcp']);
    expect(tcp.answer).toHaveLength(16);
    const all = await run('dig', [...args, '+tcp']);
    expect(msgSize(all)).toBeGreaterThan(3900);
    // what the same query got before the cap: the whole set over UDP
    const q = makeQuery('big.dyn.test', TYPE.TXT, { edns: 4096 });
    const reply = await udpExchange(dns.port, q);
    expect(reply.length).toBeLessThanOrEqual(1232);
    process.stdout.write(
      `amplification, 3.9 KB TXT set: query ${q.length} B -> UDP reply ${reply.length} B ` +
        `(${(reply.length / q.length).toFixed(1)}x; uncapped it was ${msgSize(all)} B, ` +
        `${(msgSize(all) / q.length).toFixed(1)}x)\n`,
    );
  });

  it('the worst a user can arrange: a set just under the cap, asked with the shortest query', async () => {
    const q = makeQuery('fits.dyn.test', TYPE.TXT, { edns: 65535 });
    const reply = await udpExchange(dns.port, q);
    expect(reply.readUInt16BE(2) & 0x200).toBe(0); // whole, not truncated
    expect(reply.length).toBeGreaterThan(1100);
    expect(reply.length).toBeLessThanOrEqual(1232);
    // without EDNS: 512 bytes at most
    const classic = await udpExchange(dns.port, makeQuery('fits.dyn.test', TYPE.TXT));
    expect(classic.length).toBeLessThanOrEqual(512);
  });
});

/**
 * The amplification factor a user can arrange, measured: the shortest name a user can hold (the apex of a
 * zone like `x.io`: 6 bytes on the wire), the shortest query for it (22 bytes; 33 with an EDNS OPT, with or
 * without DO), and a TXT set grown until its answer fills the UDP limit exactly (512 without EDNS, 1232
 * with it, RRSIG included under DO). Each query is asked twice: on the native fast path the second answer
 * is a packet-cache hit, which must keep the same limits.
 */
describe('UDP amplification, worst case measured', () => {
  let dns: DnsProcess;
  let metricsPort: number;
  const CAP = 1232;
  const zones: Record<string, Zone> = {};
  beforeAll(async () => {
    for (const name of ['x.io', 'y.io', 'z.io']) zones[name] = await sharedZone(tdb.db, name);
    await activeZoneKey(tdb.db, zones['z.io']!.id); // z.io is signed: DO answers carry an RRSIG
    metricsPort = await freeDualPort();
    dns = await startDnsProcess(tdb.url, { DNS_METRICS_PORT: String(metricsPort) });
  }, 60_000);
  afterAll(async () => dns?.stop());

  const tc = (m: Buffer) => (m.readUInt16BE(2) & 0x200) !== 0;
  /** The shortest query for the apex: no EDNS, EDNS (payload 4096), or EDNS with DO. */
  function shortest(name: string, mode: 'plain' | 'edns' | 'do'): Buffer {
    const q = makeQuery(name, TYPE.TXT, mode === 'plain' ? {} : { edns: 4096 });
    if (mode === 'do') q[q.length - 4] = 0x80; // OPT TTL: the DO bit
    return q;
  }
  /** Asked twice (the second one a packet-cache hit on the native path): both replies, equal in size. */
  async function ask(q: Buffer): Promise<Buffer> {
    const first = await udpExchange(dns.port, q);
    const second = await udpExchange(dns.port, q);
    expect(second.length).toBe(first.length);
    return first;
  }
  const addTxt = (zone: string, contents: string[]) =>
    tdb.db
      .insertInto('records')
      .values(contents.map((content) => ({ zone_id: zones[zone]!.id, name: zone, type: 'TXT', content })))
      .execute();

  /**
   * Publishes `full` TXT strings of 255 bytes at the apex, measures the answer, then adds one more string
   * sized so the answer is exactly `limit` bytes (a TXT RR with a compressed owner costs 12 + 1 + length).
   */
  async function fill(zone: string, mode: 'plain' | 'edns' | 'do', full: number, limit: number) {
    const q = shortest(zone, mode);
    await addTxt(
      zone,
      Array.from({ length: full }, (_, i) => String(i).padEnd(255, 'x')),
    );
    const part = await eventually(async () => {
      const r = await udpExchange(dns.port, q);
      return r.readUInt16BE(6) >= full ? r : null; // the set is loaded
    });
    expect(tc(part)).toBe(false);
    const filler = limit - part.length - 13;
    expect(filler).toBeGreaterThan(0);
    expect(filler).toBeLessThanOrEqual(255);
    await addTxt(zone, ['f'.padEnd(filler, 'f')]);
    await eventually(async () => (await udpExchange(dns.port, q)).length !== part.length);
    const reply = await ask(q);
    return { q, reply };
  }

  it('1232-byte cap: the largest reply a user can arrange, and its factor', async () => {
    const rows: string[] = [];
    let worst = 0;
    const cases: [string, 'plain' | 'edns' | 'do', number, number][] = [
      ['y.io', 'plain', 1, 512],
      ['x.io', 'edns', 4, CAP],
      ['z.io', 'do', 4, CAP],
    ];
    for (const [zone, mode, full, limit] of cases) {
      const { q, reply } = await fill(zone, mode, full, limit);
      expect(tc(reply)).toBe(false);
      expect(reply.length).toBe(limit); // the answer fills the limit exactly
      const factor = reply.length / q.length;
      worst = Math.max(worst, factor);
      rows.push(`${mode} ${q.length} B -> ${reply.length} B (${factor.toFixed(1)}x)`);
      if (mode === 'do') expect(reply.readUInt16BE(6)).toBe(full + 2); // the set and its RRSIG
    }
    // the same names asked with more than a user controls: never above the cap, TC when it does not fit
    for (const zone of ['x.io', 'z.io']) {
      const plain = await ask(shortest(zone, 'plain'));
      expect(plain.length).toBeLessThanOrEqual(512);
      expect(tc(plain)).toBe(true);
      const big = makeQuery(zone, TYPE.TXT, { edns: 65535 });
      expect((await ask(big)).length).toBeLessThanOrEqual(CAP);
    }
    const signedX = await ask(shortest('x.io', 'do')); // unsigned zone: DO changes nothing
    expect(signedX.length).toBe(CAP);
    const native = Number(
      /dns_udp_answers_total\{path="native"\} (\d+)/.exec(await metrics(metricsPort))?.[1] ?? 0,
    );
    if (process.env.DNS_FAST_PATH === 'on') expect(native).toBeGreaterThan(0);
    process.stdout.write(
      `amplification, worst a user can arrange (DNS_FAST_PATH=${process.env.DNS_FAST_PATH ?? 'auto'}, ` +
        `${native} answers from the native cache): ${rows.join('; ')}; worst ${worst.toFixed(1)}x ` +
        `(was 3982/54 = 73.7x)\n`,
    );
    // the bound: a full-size reply to the shortest possible query (1232/33, 512/22)
    expect(worst).toBeLessThanOrEqual(CAP / 33);
  });
});

/** Opens a TCP connection (optionally from a given local address); resolves once connected or refused. */
function connect(port: number, localAddress?: string): Promise<net.Socket> {
  return new Promise((resolve) => {
    const s = net.connect({ port, host: '127.0.0.1', localAddress });
    s.on('error', () => undefined);
    s.once('connect', () => resolve(s));
    s.once('close', () => resolve(s));
  });
}

function closed(s: net.Socket): Promise<void> {
  return s.destroyed && s.readyState === 'closed'
    ? Promise.resolve()
    : new Promise((r) => s.once('close', () => r()));
}

/** One TCP query; resolves with the reply, or null when the connection closes first. */
function tcpQuery(port: number, name: string, localAddress?: string): Promise<Buffer | null> {
  return new Promise((resolve) => {
    const s = net.connect({ port, host: '127.0.0.1', localAddress });
    const dec = new FrameDecoder();
    s.on('error', () => undefined);
    s.on('data', (d: Buffer) => {
      const m = dec.push(d);
      if (m.length) {
        s.destroy();
        resolve(m[0]!);
      }
    });
    s.on('close', () => resolve(null));
    s.write(frame(makeQuery(name, TYPE.A)));
  });
}

async function metrics(port: number): Promise<string> {
  return run('curl', ['-s', `http://127.0.0.1:${port}/metrics`]);
}

describe('TCP answers left unread', () => {
  let dns: DnsProcess;
  let metricsPort: number;
  beforeAll(async () => {
    metricsPort = await freeDualPort();
    dns = await startDnsProcess(tdb.url, { DNS_METRICS_PORT: String(metricsPort) });
  }, 60_000);
  afterAll(async () => dns?.stop());

  it('8 connections pipelining 1000 queries for a 64 KB set without reading: RSS stays flat, they are closed', async () => {
    const pid = servingPid(dns.child.pid!);
    const huge = await dig(dns.port, 'huge.dyn.test', 'TXT', ['+tcp']);
    expect(huge.answer).toHaveLength(63);
    const before = rssMiB(pid);
    let peak = before;
    const sample = setInterval(() => (peak = Math.max(peak, rssMiB(pid))), 100);
    const q = frame(makeQuery('huge.dyn.test', TYPE.TXT));
    const burst = Buffer.concat(Array.from({ length: 1000 }, () => q));
    const conns = await Promise.all(Array.from({ length: 8 }, () => connect(dns.port)));
    const started = Date.now();
    let heldMs = 0;
    for (const c of conns) {
      c.pause(); // never read
      c.write(burst);
    }
    try {
      // the server gives up on each of them (a paused client only notices once it reads again)
      const closedByServer = /dns_tcp_closed_total\{reason="io_timeout"\} (\d+)/;
      await eventually(
        async () => Number(closedByServer.exec(await metrics(metricsPort))?.[1] ?? 0) >= 8,
        200,
        60_000,
      );
      heldMs = Date.now() - started;
      // and the service still answers everyone else
      const after = await kdig(dns.port, 'www.dyn.test', 'A', ['+tcp']);
      expect(after.answer).toHaveLength(1);
      peak = Math.max(peak, rssMiB(pid));
      // uncapped, this grew by ~476 MiB (64 MiB per connection)
      expect(peak - before).toBeLessThan(64);
    } finally {
      clearInterval(sample);
      for (const c of conns) c.destroy();
    }
    await new Promise((r) => setTimeout(r, 1000));
    const after = rssMiB(pid);
    process.stdout.write(
      `unread TCP answers: RSS ${before.toFixed(0)} MiB before, peak ${peak.toFixed(0)} MiB during, ` +
        `${after.toFixed(0)} MiB after (8 x 1000 x 64 KB asked; was 97 -> 573 MiB), connections closed after ` +
        `${heldMs} ms\n`,
    );
    expect(after - before).toBeLessThan(64);
  }, 90_000);
});

describe('TCP slots held by one address', () => {
  let dns: DnsProcess;
  let metricsPort: number;
  const IDLE_MS = 3000;
  beforeAll(async () => {
    metricsPort = await freeDualPort();
    dns = await startDnsProcess(tdb.url, {
      DNS_METRICS_PORT: String(metricsPort),
      DNS_TCP_MAX_PER_ADDRESS: '4',
      DNS_TCP_MAX_PER_NETWORK: '8',
      DNS_TCP_IDLE_TIMEOUT_MS: String(IDLE_MS),
      DNS_TCP_MAX_LIFETIME_MS: '6000',
    });
  }, 60_000);
  afterAll(async () => dns?.stop());

  /** UDP queries answered per second, 300 sent in 10 waves of 30. */
  async function udpRate(): Promise<number> {
    const sock = dgram.createSocket('udp4');
    await new Promise<void>((r) => sock.bind(0, '127.0.2.1', () => r()));
    let got = 0;
    sock.on('message', () => got++);
    const q = makeQuery('www.dyn.test', TYPE.A);
    const start = Date.now();
    for (let wave = 1; wave <= 10; wave++) {
      for (let i = 0; i < 30; i++) sock.send(q, dns.port, '127.0.0.1');
      await eventually(async () => got >= wave * 30, 2, 10_000);
    }
    sock.close();
    return (got * 1000) / (Date.now() - start);
  }

  it('one address (and its /24) cannot take every connection; trickled bytes do not keep one open', async () => {
    const pid = servingPid(dns.child.pid!);
    const rssBefore = rssMiB(pid);
    let rssPeak = rssBefore;
    const sample = setInterval(() => (rssPeak = Math.max(rssPeak, rssMiB(pid))), 100);
    const baseline = await udpRate();
    // three addresses of one /24 try 10 connections each and keep them with a byte every 500 ms
    const attackers = (
      await Promise.all(
        ['127.0.0.1', '127.0.0.2', '127.0.0.3'].flatMap((a) =>
          Array.from({ length: 10 }, () => connect(dns.port, a)),
        ),
      )
    ).map((s) => ({ s, opened: Date.now(), closedAt: 0 }));
    for (const a of attackers) a.s.once('close', () => (a.closedAt = Date.now()));
    const partial = frame(makeQuery('www.dyn.test', TYPE.A));
    let k = 0;
    const trickle = setInterval(() => {
      for (const a of attackers)
        if (!a.s.destroyed) a.s.write(partial.subarray(k % partial.length, (k % partial.length) + 1));
      k++;
    }, 500);
    try {
      // refused at once beyond 4 per address and 8 per /24
      await eventually(async () => attackers.filter((a) => a.closedAt).length >= 22, 20, 5000);
      const held = attackers.filter((a) => !a.closedAt);
      expect(held.length).toBeLessThanOrEqual(8);
      // meanwhile a client from another network is answered over TCP, and UDP keeps its rate
      const other = await tcpQuery(dns.port, 'www.dyn.test', '127.0.1.1');
      expect(other && [...other.subarray(-4)].join('.')).toBe('192.0.2.1');
      const overTcp = await kdig(dns.port, 'www.dyn.test', 'A', ['+tcp', '-b', '127.0.1.2']);
      expect(overTcp.answer).toHaveLength(1);
      const during = await udpRate();
      process.stdout.write(
        `TCP slots: ${held.length} of 30 attacker connections held; UDP ${baseline.toFixed(0)} q/s before, ` +
          `${during.toFixed(0)} q/s during\n`,
      );
      expect(during).toBeGreaterThan(baseline / 4);
      // the trickling connections are closed by the query timeout, not kept alive by their bytes
      await Promise.all(held.map((a) => closed(a.s)));
      for (const a of held) expect(a.closedAt - a.opened).toBeLessThan(IDLE_MS + 4000);
    } finally {
      clearInterval(trickle);
      clearInterval(sample);
      for (const a of attackers) a.s.destroy();
    }
    const rssAfter = rssMiB(pid);
    process.stdout.write(
      `TCP slots attack: RSS ${rssBefore.toFixed(0)} MiB before, peak ${rssPeak.toFixed(0)} MiB during, ` +
        `${rssAfter.toFixed(0)} MiB after\n`,
    );
    expect(rssPeak - rssBefore).toBeLessThan(64);
    const text = await metrics(metricsPort);
    expect(text).toMatch(/dns_tcp_rejected_total\{reason="per_address"\} \d+/);
    expect(text).toMatch(/dns_tcp_rejected_total\{reason="per_network"\} \d+/);
    expect(text).toMatch(/dns_tcp_closed_total\{reason="idle"\} [1-9]/);
  }, 60_000);

  it('a connection that keeps asking is closed after its lifetime, its answers delivered', async () => {
    const s = await connect(dns.port, '127.0.3.1');
    const dec = new FrameDecoder();
    let answers = 0;
    s.on('data', (d: Buffer) => (answers += dec.push(d).length));
    const opened = Date.now();
    const ask = setInterval(() => !s.destroyed && s.write(frame(makeQuery('www.dyn.test', TYPE.A))), 200);
    await closed(s);
    clearInterval(ask);
    const lived = Date.now() - opened;
    expect(lived).toBeGreaterThanOrEqual(5500);
    expect(lived).toBeLessThan(6000 + 8000);
    expect(answers).toBeGreaterThan(10);
  }, 30_000);
});

describe('DNS_UDP_MAX_PAYLOAD', () => {
  let dns: DnsProcess;
  beforeAll(async () => {
    dns = await startDnsProcess(tdb.url, { DNS_UDP_MAX_PAYLOAD: '2048' });
  }, 60_000);
  afterAll(async () => dns?.stop());

  it('raises the cap (a 1.1 KB set whole) and still bounds it (the 3.9 KB set truncated at 2048)', async () => {
    const fits = await udpExchange(dns.port, makeQuery('fits.dyn.test', TYPE.TXT, { edns: 4096 }));
    expect(fits.readUInt16BE(2) & 0x200).toBe(0);
    const big = await udpExchange(dns.port, makeQuery('big.dyn.test', TYPE.TXT, { edns: 4096 }));
    expect(big.readUInt16BE(2) & 0x200).toBe(0x200);
    expect(big.length).toBeLessThanOrEqual(2048);
    // the requestor's smaller size still wins
    const small = await udpExchange(dns.port, makeQuery('fits.dyn.test', TYPE.TXT, { edns: 1024 }));
    expect(small.readUInt16BE(2) & 0x200).toBe(0x200);
    expect(small.length).toBeLessThanOrEqual(1024);
  });
});

describe('TCP admission by network', () => {
  it('IPv6 addresses of one /56 share its cap, another /56 does not; mapped IPv4 counts as IPv4', () => {
    const adm = new TcpAdmission({ maxClients: 100, perAddress: 2, perNetwork: 3 });
    expect(adm.admit('2001:db8:0:100::1')).toBeNull();
    expect(adm.admit('2001:db8:0:100::1')).toBeNull();
    expect(adm.admit('2001:db8:0:100::1')).toBe('per_address');
    expect(adm.admit('2001:db8:0:1ff::2')).toBeNull(); // same /56 (2001:db8:0:100::/56)
    expect(adm.admit('2001:db8:0:1ff::3')).toBe('per_network');
    expect(adm.admit('2001:db8:0:200::1')).toBeNull(); // the next /56
    expect(adm.admit('::ffff:192.0.2.1')).toBeNull();
    expect(adm.admit('192.0.2.1')).toBeNull();
    expect(adm.admit('192.0.2.1')).toBe('per_address');
    expect(adm.admit('192.0.2.200')).toBeNull();
    expect(adm.admit('192.0.2.201')).toBe('per_network');
    adm.release('2001:db8:0:100::1');
    expect(adm.admit('2001:db8:0:1ff::3')).toBeNull();
    expect(adm.connections).toBe(7);
  });
});

describe('a zone transfer left unread', () => {
  let dns: DnsProcess;
  let metricsPort: number;
  const UNREAD = 8;
  beforeAll(async () => {
    const big = await sharedZone(tdb.db, 'xfr.test');
    await sql`INSERT INTO records (zone_id, name, type, content, ttl)
      SELECT ${big.id}, 'r' || g || '.xfr.test', 'TXT', lpad(g::text, 200, 'x'), 60
      FROM generate_series(1, 30000) g`.execute(tdb.db);
    metricsPort = await freeDualPort();
    dns = await startDnsProcess(tdb.url, {
      DNS_METRICS_PORT: String(metricsPort),
      DNS_SECONDARIES: '127.0.0.1:9',
    });
  }, 120_000);
  afterAll(async () => dns?.stop());

  it('8 transfers of a 7 MB zone never read: streamed with backpressure, RSS flat, closed; a reader gets it all', async () => {
    const pid = servingPid(dns.child.pid!);
    const before = rssMiB(pid);
    let peak = before;
    const sample = setInterval(() => (peak = Math.max(peak, rssMiB(pid))), 100);
    const axfr = frame(makeQuery('xfr.test', TYPE.AXFR));
    let unreadPeak = before;
    const conns = await Promise.all(Array.from({ length: UNREAD }, () => connect(dns.port)));
    for (const c of conns) {
      c.pause();
      c.write(axfr);
    }
    try {
      const closedByServer = /dns_tcp_closed_total\{reason="io_timeout"\} (\d+)/;
      await eventually(
        async () => Number(closedByServer.exec(await metrics(metricsPort))?.[1] ?? 0) >= UNREAD,
        200,
        60_000,
      );
      unreadPeak = peak;
      // a secondary that reads gets the whole zone meanwhile
      const records = await new Promise<number>((resolve) => {
        const s = net.connect({ port: dns.port, host: '127.0.0.1' });
        const dec = new FrameDecoder();
        let n = 0;
        const t = setTimeout(() => s.destroy(), 60_000);
        s.on('error', () => undefined);
        s.on('close', () => resolve(n));
        s.on('data', (d: Buffer) => {
          for (const m of dec.push(d)) n += m.readUInt16BE(6);
          if (n >= 30004) {
            clearTimeout(t);
            s.destroy();
          }
        });
        s.write(axfr);
      });
      expect(records).toBe(30004); // SOA, NS, A of ns1, 30,000 TXT, SOA
    } finally {
      clearInterval(sample);
      for (const c of conns) c.destroy();
    }
    const after = rssMiB(pid);
    process.stdout.write(
      `unread zone transfers (${UNREAD} x 30k records, 7 MB each): RSS ${before.toFixed(0)} MiB before, ` +
        `peak ${unreadPeak.toFixed(0)} MiB while unread, ${peak.toFixed(0)} MiB with a reader, ` +
        `${after.toFixed(0)} MiB after\n`,
    );
    expect(unreadPeak - before).toBeLessThan(64);
  }, 120_000);
});
