import dgram from 'node:dgram';
import type { Zone } from '@ddns/db';
import { createTestDatabase, sharedZone, TEST_SECRETS_KEY, type TestDatabase } from '@ddns/testkit';
import { startDnsServer, type DnsServer } from '../src/server';
import { activeZoneKey, anchors } from './dnssec-helpers';
import { startValidatingUnbound, type ValidatingUnbound } from './unbound';

// Unbound (Debian) as a validating resolver: a stub zone to ddns through a UDP proxy, the zone's key as its
// trust anchor. Our answers come back with AD; an RRSIG with one byte flipped on the way is SERVFAIL.
let tdb: TestDatabase;
let zone: Zone;
let server: DnsServer;
let unbound: ValidatingUnbound;
let proxy: dgram.Socket;

/** Flips the last byte of every RRSIG in the answer section of a response (a signature corrupted in transit). */
function flipSignatures(msg: Buffer): Buffer {
  const out = Buffer.from(msg);
  const skipName = (p: number) => {
    while (out[p]! !== 0) {
      if ((out[p]! & 0xc0) === 0xc0) return p + 2;
      p += out[p]! + 1;
    }
    return p + 1;
  };
  let p = skipName(12) + 4;
  for (let i = 0; i < out.readUInt16BE(6); i++) {
    p = skipName(p);
    const type = out.readUInt16BE(p);
    const len = out.readUInt16BE(p + 8);
    p += 10 + len;
    if (type === 46) out[p - 1] = out[p - 1]! ^ 0x01;
  }
  return out;
}

/** A UDP relay to ddns that corrupts the signatures of answers about corrupt.dyn.test. */
async function startProxy(target: number): Promise<number> {
  proxy = dgram.createSocket('udp4');
  proxy.on('message', (query, client) => {
    const up = dgram.createSocket('udp4');
    up.on('message', (reply) => {
      const corrupt = /corrupt/i.test(reply.toString('latin1', 12, 40));
      proxy.send(corrupt ? flipSignatures(reply) : reply, client.port, client.address);
      up.close();
    });
    up.send(query, target, '127.0.0.1');
  });
  return new Promise((r) => proxy.bind(0, '127.0.0.1', () => r(proxy.address().port)));
}

beforeAll(async () => {
  tdb = await createTestDatabase();
  zone = await sharedZone(tdb.db, 'dyn.test');
  for (const [name, content] of [
    ['www.dyn.test', '192.0.2.80'],
    ['corrupt.dyn.test', '192.0.2.66'],
  ] as const)
    await tdb.db
      .insertInto('records')
      .values({ zone_id: zone.id, name, type: 'A', content, ttl: 120 })
      .execute();
  const key = await activeZoneKey(tdb.db, zone.id);
  server = await startDnsServer({
    databaseUrl: tdb.url,
    hosts: ['127.0.0.1'],
    port: 0,
    secretsKey: TEST_SECRETS_KEY,
    notify: false,
    rrl: null,
  });
  unbound = await startValidatingUnbound({
    zone: 'dyn.test',
    stubPort: await startProxy(server.port),
    anchor: anchors('dyn.test', key).unbound,
  });
});

afterAll(async () => {
  await unbound?.stop();
  proxy?.close();
  await server?.stop();
  await tdb?.destroy();
});

const resolve = (name: string, type: string) => unbound.resolve(name, type);

describe('Unbound validating ddns', () => {
  it.each([
    ['www.dyn.test', 'A', 'NOERROR'],
    ['dyn.test', 'DNSKEY', 'NOERROR'],
    ['www.dyn.test', 'TXT', 'NOERROR'],
    ['missing.dyn.test', 'A', 'NXDOMAIN'],
  ])('%s %s: %s with AD (validated)', async (name, type, status) => {
    const r = await resolve(name, type);
    expect({ status: r.status, ad: r.flags.includes('ad') }).toEqual({ status, ad: true });
  });

  it('a signature with one byte flipped in transit: SERVFAIL', async () => {
    const r = await resolve('corrupt.dyn.test', 'A');
    expect(r.status).toBe('SERVFAIL');
    expect(unbound.log()).toMatch(/corrupt\.dyn\.test/);
  });
});
