import dgram from 'node:dgram';
import net from 'node:net';
import { createTestDatabase, sharedZone, type TestDatabase } from '@ddns/testkit';
import { startDnsServer, type DnsServer } from '../src/server';
import { TYPE } from '../src/wire/constants';
import { frame, FrameDecoder } from '../src/wire/framing';
import { dig, kdig, makeQuery } from './helpers';

/** Deterministic PRNG (mulberry32) so a failure can be replayed. */
function rng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const seeds = [
  makeQuery('www.dyn.test', TYPE.A, { edns: 1232 }),
  makeQuery('dyn.test', TYPE.SOA),
  makeQuery('x.y.dyn.test', TYPE.TXT, { rd: true }),
  makeQuery('example.com', TYPE.AAAA, { edns: 512 }),
  makeQuery('dyn.test', TYPE.AXFR),
];

/** 256 KiB of seeded noise; random packets are slices of it (a PRNG call per byte would dominate the test). */
const NOISE = (() => {
  const r = rng(0x5eed);
  const b = Buffer.allocUnsafe(1 << 18);
  for (let k = 0; k < b.length; k += 4) b.writeUInt32LE(Math.floor(r() * 4294967296), k);
  return b;
})();

function noise(int: (n: number) => number, len: number): Buffer {
  const at = int(NOISE.length - len);
  return Buffer.from(NOISE.subarray(at, at + len));
}

/** Random bytes, mutated real queries, and hand-made pointer traps. */
function packet(rand: () => number, i: number): Buffer {
  const int = (n: number) => Math.floor(rand() * n);
  switch (i % 4) {
    case 0:
      return noise(int, int(600));
    case 1: {
      const b = Buffer.from(seeds[int(seeds.length)]!);
      for (let k = int(6) + 1; k > 0; k--) b[int(b.length)] = int(256);
      return int(4) === 0 ? b.subarray(0, int(b.length + 1)) : b;
    }
    case 2: {
      // pointer loops: self, forward, two-step, chains; anywhere a name may sit
      const b = Buffer.from(seeds[int(seeds.length)]!);
      const at = 12 + int(Math.max(1, b.length - 13));
      b[at] = 0xc0 | int(2);
      b[at + 1] = int(4) === 0 ? at & 0xff : int(b.length + 20);
      if (int(2)) b.writeUInt16BE(int(4), 4 + 2 * int(4)); // counts that lie
      return b;
    }
    default: {
      // structurally valid header with garbage sections
      const b = noise(int, 12 + int(300));
      b[2] = b[2]! & 0x7f; // a query, so the responder tries hard
      b.writeUInt16BE(1 + int(2), 4);
      return b;
    }
  }
}

let tdb: TestDatabase;
let server: DnsServer;

beforeAll(async () => {
  tdb = await createTestDatabase();
  const zone = await sharedZone(tdb.db, 'dyn.test');
  await tdb.db
    .insertInto('records')
    .values({ zone_id: zone.id, name: 'www.dyn.test', type: 'A', content: '192.0.2.1' })
    .execute();
  server = await startDnsServer({ databaseUrl: tdb.url, hosts: ['127.0.0.1'], port: 0, rrl: null });
});

afterAll(async () => {
  await server?.stop();
  await tdb?.destroy();
});

/** FUZZ_UDP_PACKETS overrides the run; every fourth packet also goes over TCP (a frame each). */
const TOTAL = Number(process.env.FUZZ_UDP_PACKETS ?? 200_000);

describe('fuzz', () => {
  it(`survives ${TOTAL / 1000}k random and mutated packets over UDP and ${TOTAL / 4000}k as TCP frames (pointer loops included), then still answers`, async () => {
    const rand = rng(0xddd5);
    const total = TOTAL;
    const sock = dgram.createSocket('udp4');
    let replies = 0;
    sock.on('message', () => replies++);
    await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
    await new Promise<void>((r) => sock.connect(server.port, '127.0.0.1', () => r()));
    // TCP answers are read (unread ones would close the connection); a closed connection is opened again
    let tcpFrames = 0;
    let tcpAnswers = 0;
    let tcpConnections = 0;
    let lastAnswered = false;
    const openTcp = () => {
      const c = net.connect(server.port, '127.0.0.1');
      tcpConnections++;
      const dec = new FrameDecoder();
      c.on('data', (d: Buffer) => {
        for (const m of dec.push(d)) {
          tcpAnswers++;
          if (m.readUInt16BE(0) === 0xfeed && m.subarray(-4).equals(Buffer.from([192, 0, 2, 1])))
            lastAnswered = true;
        }
      });
      c.on('error', () => undefined);
      return c;
    };
    let tcp = openTcp();
    const the18 = Buffer.from([0xbe, 0xef, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 12, 0, 1, 0, 1]);
    let sent = 0;
    const started = Date.now();
    for (let i = 0; i < total; i += 1000) {
      for (let k = i; k < i + 1000; k++) {
        const pkt = k === 0 ? the18 : packet(rand, k);
        if (k % 4 === 0) {
          if (tcp.destroyed || tcp.writableEnded) tcp = openTcp();
          tcp.write(frame(pkt));
          tcpFrames++;
        }
        sock.send(pkt, () => sent++);
      }
      // let the sends drain (and the server answer) before the next thousand
      while (sent < i + 1000 || (!tcp.destroyed && tcp.writableLength > 0))
        await new Promise((r) => setImmediate(r));
    }
    // a real query behind them on the same connection: answered in order, so every frame was taken
    tcp.write(frame(makeQuery('www.dyn.test', TYPE.A, { id: 0xfeed })));
    for (let i = 0; i < 600 && !lastAnswered; i++) await new Promise((r) => setTimeout(r, 50));
    const overSockets = Date.now() - started;
    // the same packets straight into the query path: nothing may throw
    const direct = rng(0xddd5);
    for (let i = 0; i < total; i++)
      server.responder.handle(packet(direct, i), { address: '127.0.0.1', transport: 'udp' });
    await new Promise((r) => setTimeout(r, 500));
    sock.close();
    tcp.destroy();
    process.stdout.write(
      `dns fuzz: ${sent} UDP packets (${replies} answered), ${tcpFrames} TCP frames on ${tcpConnections} ` +
        `connection(s) (${tcpAnswers} answered) in ${(overSockets / 1000).toFixed(1)} s, ${total} more straight ` +
        `into the responder\n`,
    );
    expect(replies).toBeGreaterThan(0);
    expect(tcpFrames).toBe(total / 4);
    expect(tcpAnswers).toBeGreaterThan(0);
    expect(tcpConnections).toBe(1); // never closed on us
    expect(lastAnswered).toBe(true);
    // on a loaded machine the kernel may still hold a backlog of fuzz packets: ask again a few times
    let udp = await dig(server.port, 'www.dyn.test', 'A');
    for (let i = 0; i < 5 && !udp.answer[0]; i++) {
      await new Promise((r) => setTimeout(r, 1000));
      udp = await dig(server.port, 'www.dyn.test', 'A');
    }
    expect(udp.answer[0]?.data).toBe('192.0.2.1');
    const overTcp = await kdig(server.port, 'www.dyn.test', 'A', ['+tcp']);
    expect(overTcp.answer[0]!.data).toBe('192.0.2.1');
  }, 240_000);
});
