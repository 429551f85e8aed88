import { execFile } from 'node:child_process';
import dgram from 'node:dgram';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
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

const run = promisify(execFile);

/** Asks the cached name (prints 1 when answered) and then an uncached one (a miss), from wherever it is pinned. */
const pinnedClient = `
const dgram = require('node:dgram');
const port = Number(process.argv[1]);
const q = (name) => {
  const labels = name.split('.').map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l)]));
  return Buffer.concat([Buffer.from([0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0]), ...labels, Buffer.from([0, 0, 1, 0, 1])]);
};
const s = dgram.createSocket('udp4');
const t = setTimeout(() => { console.log(0); s.close(); }, 2000);
s.on('message', () => { clearTimeout(t); console.log(1); s.send(q('miss.example'), port, '127.0.0.1', () => s.close()); });
s.send(q('t.example'), port, '127.0.0.1');
`;

/** Two CPUs this process may use, one even and one odd (the engine steers by cpu % threads), or just one. */
function twoCpus(): number[] {
  const list = /Cpus_allowed_list:\s*(\S+)/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? '0';
  const all = list.split(',').flatMap((r) => {
    const [a, b] = r.split('-').map(Number);
    return Array.from({ length: (b ?? a!) - a! + 1 }, (_, i) => a! + i);
  });
  const even = all.find((c) => c % 2 === 0);
  const odd = all.find((c) => c % 2 === 1);
  return even !== undefined && odd !== undefined ? [even, odd] : [all[0]!];
}

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
    // a late reply to a miss is counted, never written to a descriptor number reused since
    engine.send([[misses[0]!.peer, Buffer.from('late')]]);
    expect(engine.stats().sendErrors).toBe(1);
  });
});

describe('udp-native sockets', () => {
  test('several threads on one port all serve (a datagram goes to the socket of the CPU that received it)', async () => {
    const { engine, port, misses } = startEngine({}, 2);
    try {
      engine.setVersion(1);
      engine.cacheSet(1, nameWire('t.example'), 1, 1, false, response('t.example'), 0);
      // a client process per CPU (loopback delivers on the sender's CPU): each gets its hit, and its misses
      // show (the first 4 bytes of the opaque peer) which socket took them
      const pinned = twoCpus();
      const cpus = pinned.length;
      const answered = await Promise.all(
        pinned.map((cpu) =>
          run('taskset', ['-c', String(cpu), process.execPath, '-e', pinnedClient, String(port)]).then((r) =>
            Number(r.stdout.trim()),
          ),
        ),
      );
      expect(answered).toEqual(Array(cpus).fill(1));
      await until(() => misses.length === cpus);
      expect(new Set(misses.map((m) => m.peer.readUInt32LE(0))).size).toBe(cpus);
      expect(engine.stats().hits).toBe(cpus);
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

  test('engines on port 0 never share a port, whatever their threads; an address not ours is EADDRNOTAVAIL', () => {
    const engines = Array.from({ length: 20 }, () => startEngine({}, 2));
    try {
      expect(new Set(engines.map((e) => e.port)).size).toBe(engines.length);
      let err: unknown;
      try {
        engines[0]!.engine.bind('192.0.2.1', 0, 2);
      } catch (e) {
        err = e;
      }
      expect(err).toMatchObject({ code: 'EADDRNOTAVAIL' });
    } finally {
      for (const e of engines) e.engine.close();
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
