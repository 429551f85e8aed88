import dgram from 'node:dgram';
import { once } from 'node:events';
import { loadUdpNative, type UdpEngine } from '../src';
import {
  client,
  nameWire,
  native,
  query,
  response,
  restamped,
  startEngine,
  until,
  type Client,
} from './helpers';

/** The engine's two paths over real sockets: misses to JavaScript and back out through send(), hits answered natively. */
describe('udp-native engine', () => {
  let engine: UdpEngine;
  let port: number;
  let misses: ReturnType<typeof startEngine>['misses'];
  let c: Client;

  beforeEach(async () => {
    ({ engine, port, misses } = startEngine());
    c = await client();
  });
  afterEach(() => {
    engine.close();
    c.close();
  });

  test('a miss reaches onMisses with the client address and a send() reply arrives', async () => {
    engine.close();
    ({ engine, port } = startEngine({
      onMisses: (batch) => {
        misses.push(...batch);
        engine.send(batch.map((m) => [m.peer, Buffer.concat([Buffer.from('re:'), m.packet])] as const));
      },
    }));
    const q = query('www.example.com');
    const reply = await c.ask(port, q);
    expect(reply).toEqual(Buffer.concat([Buffer.from('re:'), q]));
    expect(misses).toHaveLength(1);
    expect(misses[0]!.address).toBe('127.0.0.1');
    expect(misses[0]!.port).toBe(c.port);
    expect(misses[0]!.packet).toEqual(q);
    expect(engine.stats()).toMatchObject({ received: 1, misses: 1, hits: 0 });
  });

  test.each([
    ['no EDNS', null],
    ['EDNS without DO', { udpSize: 1232, dnssecOk: false }],
    ['EDNS with DO', { udpSize: 4096, dnssecOk: true }],
  ])('a cached answer is re-stamped natively (%s)', async (_label, edns) => {
    engine.setVersion(7);
    const cached = response('www.example.com');
    engine.cacheSet(7, nameWire('www.example.com'), 1, 1, edns?.dnssecOk ?? false, cached, 0);
    for (const [id, rd, name] of [
      [1, true, 'www.example.com'],
      [0xfedc, false, 'WwW.ExAmPlE.cOm'],
    ] as const) {
      const q = query(name, { id, rd, edns });
      const reply = await c.ask(port, q);
      expect(reply).toEqual(restamped(cached, q, edns));
    }
    expect(misses).toHaveLength(0);
    const s = engine.stats();
    expect(s).toMatchObject({ hits: 2, misses: 0, cacheEntries: 1 });
    expect(s.answered).toEqual([[1, 0, 2]]);
  });

  test('the DO bit and the type are part of the key', async () => {
    engine.setVersion(1);
    engine.cacheSet(1, nameWire('a.example'), 1, 1, false, response('a.example'), 0);
    expect(
      await c.ask(port, query('a.example', { edns: { udpSize: 1232, dnssecOk: true } }), 150),
    ).toBeNull();
    expect(await c.ask(port, query('a.example', { type: 28 }), 150)).toBeNull();
    await until(() => misses.length === 2);
    expect(await c.ask(port, query('a.example'))).not.toBeNull();
  });

  test('a store version change turns hits into misses; entries of another version are ignored', async () => {
    engine.setVersion(1);
    const cached = response('v.example');
    engine.cacheSet(1, nameWire('v.example'), 1, 1, false, cached, 0);
    expect(await c.ask(port, query('v.example'))).not.toBeNull();
    engine.setVersion(2);
    expect(await c.ask(port, query('v.example'), 150)).toBeNull();
    engine.cacheSet(1, nameWire('v.example'), 1, 1, false, cached, 0); // late fill of the old version
    expect(await c.ask(port, query('v.example'), 150)).toBeNull();
    await until(() => misses.length === 2);
    engine.cacheSet(2, nameWire('v.example'), 1, 1, false, cached, 0);
    expect(await c.ask(port, query('v.example'))).not.toBeNull();
  });

  test('an answer larger than the client may receive is a miss (512 without EDNS, its size with)', async () => {
    engine.setVersion(1);
    const big = response('big.example', { pad: 600 });
    expect(big.length).toBeGreaterThan(512);
    engine.cacheSet(1, nameWire('big.example'), 1, 1, false, big, 0);
    expect(await c.ask(port, query('big.example'), 150)).toBeNull();
    expect(await c.ask(port, query('big.example', { edns: { udpSize: 512 } }), 150)).toBeNull();
    await until(() => misses.length === 2);
    const q = query('big.example', { edns: { udpSize: 1232 } });
    expect(await c.ask(port, q)).toEqual(restamped(big, q, { dnssecOk: false }));
  });

  test('rcodes are counted per qtype (NXDOMAIN answered natively)', async () => {
    engine.setVersion(3);
    engine.cacheSet(
      3,
      nameWire('nx.example'),
      28,
      1,
      false,
      response('nx.example', { type: 28, rcode: 3, answers: 0 }),
      3,
    );
    expect(await c.ask(port, query('nx.example', { type: 28 }))).not.toBeNull();
    expect(engine.stats().answered).toEqual([[28, 3, 1]]);
  });

  test('close() twice is fine and stats stay readable', async () => {
    expect(await c.ask(port, query('before.close.example'), 100)).toBeNull();
    await until(() => misses.length === 1);
    const before = engine.stats();
    engine.close();
    engine.close();
    expect(engine.stats()).toEqual(before);
  });
});

describe('udp-native sockets', () => {
  test('several threads on one port all serve', async () => {
    const { engine, port, misses } = startEngine({}, 2);
    try {
      engine.setVersion(1);
      engine.cacheSet(1, nameWire('t.example'), 1, 1, false, response('t.example'), 0);
      const clients = await Promise.all(Array.from({ length: 24 }, () => client()));
      const replies = await Promise.all(clients.map((x) => x.ask(port, query('t.example'))));
      expect(replies.every((r) => r !== null)).toBe(true);
      // misses tell which socket took each client (the first 4 bytes of the opaque peer): both did
      await Promise.all(clients.map((x) => x.ask(port, query('miss.example'), 100)));
      await until(() => misses.length === clients.length);
      expect(new Set(misses.map((m) => m.peer.readUInt32LE(0))).size).toBe(2);
      for (const x of clients) x.close();
    } finally {
      engine.close();
    }
  });

  test('binding a port held by a plain socket throws EADDRINUSE', async () => {
    const holder = dgram.createSocket('udp4');
    holder.bind(0, '127.0.0.1');
    await once(holder, 'listening');
    const { engine } = startEngine();
    try {
      for (const threads of [1, 2]) {
        let err: unknown;
        try {
          engine.bind('127.0.0.1', holder.address().port, threads);
        } catch (e) {
          err = e;
        }
        // (an Error of the addon's realm, not jest's: compared by shape)
        expect(err).toMatchObject({ code: 'EADDRINUSE', message: expect.stringMatching(/EADDRINUSE/) });
      }
    } finally {
      engine.close();
      holder.close();
    }
  });

  test('an IPv6 host is bound v6-only and reports the v6 client address', async () => {
    const { engine } = startEngine();
    const misses: string[] = [];
    const e6 = native().createEngine({
      cacheBytes: 1 << 16,
      udpMaxPayload: 1232,
      rrl: null,
      maxPendingMisses: 100,
      onMisses: (b) => misses.push(...b.map((m) => m.address)),
    });
    try {
      const port = e6.bind('::1', 0, 1);
      const s = dgram.createSocket('udp6');
      s.send(query('six.example'), port, '::1');
      await until(() => misses.length === 1);
      expect(misses[0]).toBe('::1');
      s.close();
    } finally {
      e6.close();
      engine.close();
    }
  });
});

describe('loadUdpNative', () => {
  const saved = process.env.DDNS_UDP_NATIVE;
  afterEach(() => {
    if (saved === undefined) delete process.env.DDNS_UDP_NATIVE;
    else process.env.DDNS_UDP_NATIVE = saved;
  });

  test('an explicit path that does not exist is reported, not thrown', () => {
    process.env.DDNS_UDP_NATIVE = '/nonexistent/udp_native.node';
    const r = loadUdpNative();
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toMatch(/nonexistent/);
  });

  test('"off" reports the addon unavailable', () => {
    process.env.DDNS_UDP_NATIVE = 'off';
    expect(loadUdpNative()).toEqual({ ok: false, reason: 'DDNS_UDP_NATIVE=off' });
  });
});
