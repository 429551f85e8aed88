import { client, nameWire, query, response, sleep, startEngine } from './helpers';

/** Response rate limiting on native hits, as services/dns/src/limits/rrl.ts does it on the TypeScript path. */
describe('udp-native RRL', () => {
  const name = 'rrl.example';
  const cached = response(name);

  async function burst(
    exempt: string[],
  ): Promise<{ replies: Buffer[]; engine: ReturnType<typeof startEngine>['engine'] }> {
    // rate 1/s, burst 5: nothing refills noticeably during the test
    const { engine, port } = startEngine({ rrl: { rate: 1, burst: 5, slip: 2, exempt } });
    engine.setVersion(1);
    engine.cacheSet(1, nameWire(name), 1, 1, false, cached, 0);
    const c = await client();
    const replies: Buffer[] = [];
    c.socket.on('message', (m) => replies.push(m));
    for (let i = 0; i < 10; i++) c.socket.send(query(name, { id: i }), port, '127.0.0.1');
    await sleep(300);
    c.close();
    return { replies, engine };
  }

  test('over the burst, replies are dropped except every 2nd, sent truncated with no records', async () => {
    const { replies, engine } = await burst([]);
    try {
      const full = replies.filter((r) => (r[2]! & 0x02) === 0);
      const slipped = replies.filter((r) => (r[2]! & 0x02) !== 0);
      expect(full).toHaveLength(5);
      expect(slipped).toHaveLength(2);
      for (const s of slipped) {
        // responder.ts slipped(): header + question, TC set, AN/NS/AR 0
        const q = query(name, { id: s.readUInt16BE(0) });
        const expected = Buffer.from(cached.subarray(0, q.length));
        expected.writeUInt16BE(q.readUInt16BE(0), 0);
        expected[2] = expected[2]! | 0x02;
        expected.fill(0, 6, 12);
        expect(s).toEqual(expected);
      }
      expect(engine.stats()).toMatchObject({ hits: 10, rrlDropped: 3, rrlSlipped: 2 });
      // slipped replies count as answers, dropped ones do not (as the TypeScript metrics)
      expect(engine.stats().answered).toEqual([[1, 0, 7]]);
      // JavaScript replies share the buckets: the whole /24 (IPv4-mapped too) is limited, others are not
      expect(engine.rrlCheck('127.0.0.9')).not.toBe(0);
      expect(engine.rrlCheck('::ffff:127.0.0.10')).not.toBe(0);
      expect(engine.rrlCheck('10.0.0.1')).toBe(0);
    } finally {
      engine.close();
    }
  });

  test('exempt addresses are never limited', async () => {
    const { replies, engine } = await burst(['127.0.0.1']);
    try {
      expect(replies).toHaveLength(10);
      expect(engine.stats()).toMatchObject({ rrlDropped: 0, rrlSlipped: 0 });
    } finally {
      engine.close();
    }
  });

  test('rrlCheck: IPv6 clients share a bucket per /56; slip 0 always drops; no RRL always sends', () => {
    const { engine } = startEngine({ rrl: { rate: 1, burst: 2, slip: 0, exempt: [] } });
    try {
      expect([engine.rrlCheck('2001:db8:0:100::1'), engine.rrlCheck('2001:db8:0:1ff::2')]).toEqual([0, 0]);
      expect(engine.rrlCheck('2001:db8:0:1ab::3')).toBe(2);
      expect(engine.rrlCheck('2001:db8:0:1ab::3')).toBe(2);
      expect(engine.rrlCheck('2001:db8:0:200::1')).toBe(0);
    } finally {
      engine.close();
    }
    const off = startEngine();
    try {
      for (let i = 0; i < 10; i++) expect(off.engine.rrlCheck('192.0.2.1')).toBe(0);
    } finally {
      off.engine.close();
    }
  });
});
