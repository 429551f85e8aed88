import { randomBytes } from 'node:crypto';
import dgram from 'node:dgram';
import { client, nameWire, opt, query, response, sleep, startEngine, until } from './helpers';

/**
 * Anything but a plain query is passed to JavaScript untouched, even when its question is cached: the
 * TypeScript responder decides FORMERR, NOTIMP, BADVERS, TSIG and the rest. Hostile bytes never crash.
 */
describe('udp-native: odd packets are misses', () => {
  const name = 'odd.example';
  const cached = response(name);
  const plain = query(name, { edns: { udpSize: 1232 } });
  const header = (q: Buffer, set: (h: Buffer) => void): Buffer => {
    const b = Buffer.from(q);
    set(b);
    return b;
  };
  const compressed = Buffer.concat([
    header(query('x'), (h) => h.writeUInt16BE(1, 4)).subarray(0, 12),
    Buffer.from([0xc0, 12, 0, 1, 0, 1]),
  ]);
  const tsigLike = Buffer.concat([
    header(query(name), (h) => h.writeUInt16BE(1, 10)),
    Buffer.from([0, 0, 250, 0, 255, 0, 0, 0, 0, 0, 0]),
  ]);
  const cases: Array<[string, Buffer]> = [
    ['a truncated header', plain.subarray(0, 10)],
    ['a truncated question', plain.subarray(0, 20)],
    ['a compressed qname', compressed],
    ['ARCOUNT=2', header(plain, (h) => h.writeUInt16BE(2, 10))],
    ['ANCOUNT=1', header(plain, (h) => h.writeUInt16BE(1, 6))],
    ['QDCOUNT=2', header(plain, (h) => h.writeUInt16BE(2, 4))],
    ['EDNS version 1', query(name, { edns: { udpSize: 1232, version: 1 } })],
    [
      'a malformed EDNS option',
      query(name, { edns: { udpSize: 1232, options: Buffer.from([0, 10, 0, 9, 1]) } }),
    ],
    ['an OPT whose RDATA runs past the end', header(plain, (h) => h.writeUInt16BE(4, h.length - 2))],
    ['trailing bytes', Buffer.concat([query(name), Buffer.from([0])])],
    ['trailing bytes after the OPT', Buffer.concat([plain, Buffer.from([0])])],
    ['QR=1', header(plain, (h) => (h[2] = h[2]! | 0x80))],
    ['opcode 4 (NOTIFY)', header(plain, (h) => (h[2] = (h[2]! & 0x87) | (4 << 3)))],
    ['a TSIG-like additional record', tsigLike],
    ['an additional record that is not OPT', Buffer.concat([query(name), opt(1232, false).fill(1, 1, 2)])],
  ];

  test.each(cases)('%s', async (_label, packet) => {
    const { engine, port, misses } = startEngine();
    const c = await client();
    try {
      engine.setVersion(1);
      engine.cacheSet(1, nameWire(name), 1, 1, false, cached, 0);
      expect(await c.ask(port, packet, 100)).toBeNull();
      await until(() => misses.length === 1);
      expect(misses[0]!.packet).toEqual(packet);
      // the same engine still answers the plain query from its cache
      expect(await c.ask(port, plain)).not.toBeNull();
      expect(engine.stats()).toMatchObject({ hits: 1, misses: 1 });
    } finally {
      engine.close();
      c.close();
    }
  });

  test('100k random and mutated packets: nothing crashes, the engine still answers', async () => {
    const { engine, port, misses } = startEngine({ maxPendingMisses: 1000 });
    const s = dgram.createSocket('udp4');
    const c = await client();
    try {
      engine.setVersion(1);
      engine.cacheSet(1, nameWire(name), 1, 1, false, cached, 0);
      engine.cacheSet(1, nameWire(name), 1, 1, true, cached, 0);
      const total = 100_000;
      for (let sent = 0; sent < total;) {
        const burst: Buffer[] = [];
        for (let i = 0; i < 500; i++, sent++) {
          if (i % 2 === 0) {
            burst.push(randomBytes(Math.floor(Math.random() * 64)));
          } else {
            // a valid query with a few bytes flipped: reaches deeper into the parser
            const b = Buffer.from(i % 4 === 1 ? plain : query(name));
            for (let k = 0; k < 3; k++)
              b[Math.floor(Math.random() * b.length)] = Math.floor(Math.random() * 256);
            burst.push(b.subarray(0, Math.floor(Math.random() * (b.length + 1))));
          }
        }
        await Promise.all(
          burst.map((b) => new Promise<void>((resolve) => s.send(b, port, '127.0.0.1', () => resolve()))),
        );
        misses.length = 0;
        await sleep(1);
      }
      expect(await c.ask(port, plain, 1000)).not.toBeNull();
      expect(engine.stats().received).toBeGreaterThan(total / 2); // loopback may drop some under the burst
    } finally {
      engine.close();
      s.close();
      c.close();
    }
  });
});
