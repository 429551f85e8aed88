import dgram from 'node:dgram';
import { createTestDatabase, sharedZone, type TestDatabase } from '@ddns/testkit';
import { listenHosts } from '../src/config';
import { startDnsServer, type DnsServer } from '../src/server';
import { TYPE } from '../src/wire/constants';
import { parseSecondary } from '../src/xfr/axfr';
import { dig, eventually, kdig, makeQuery } from './helpers';

let tdb: TestDatabase;
let server: DnsServer;

beforeAll(async () => {
  tdb = await createTestDatabase();
  const zone = await sharedZone(tdb.db, 'dyn.test');
  await tdb.db
    .insertInto('records')
    .values({ zone_id: zone.id, name: 'www.dyn.test', type: 'TXT', content: 'x'.repeat(100) })
    .execute();
  // no rrl option: the default applies (on)
  server = await startDnsServer({ databaseUrl: tdb.url, hosts: ['127.0.0.1'], port: 0 });
});

afterAll(async () => {
  await server?.stop();
  await tdb?.destroy();
});

describe('response rate limiting (on by default)', () => {
  it('a burst from one prefix gets far fewer full answers than queries; TCP still answers', async () => {
    const sock = dgram.createSocket('udp4');
    let full = 0;
    let slipped = 0;
    sock.on('message', (m: Buffer) => {
      if (m.readUInt16BE(2) & 0x200) slipped++;
      else full++;
    });
    await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
    sock.setRecvBufferSize(4 * 1024 * 1024);
    const q = makeQuery('www.dyn.test', TYPE.TXT, { edns: 4096 });
    const total = 400;
    await new Promise<void>((resolve) => {
      let sent = 0;
      for (let i = 0; i < total; i++)
        sock.send(q, server.port, '127.0.0.1', () => ++sent === total && resolve());
    });
    // limited queries alternate between dropped and answered with TC (slip 2)
    await eventually(async () => slipped > 0);
    const tcp = await kdig(server.port, 'www.dyn.test', 'TXT', ['+tcp']);
    expect(tcp.answer).toHaveLength(1);
    sock.close();
    // an amplifier would answer all 400 in full; the bucket allows 100 at once plus 50/s
    expect(full).toBeLessThan(total / 2);
  });

  it('a start that cannot bind fails cleanly (nothing left running)', async () => {
    await expect(
      startDnsServer({ databaseUrl: tdb.url, hosts: ['127.0.0.1'], port: server.port }),
    ).rejects.toThrow(/EADDRINUSE/);
  });

  it('config helpers: secondaries and listen addresses', async () => {
    expect(parseSecondary('192.0.2.1')).toEqual({ host: '192.0.2.1', port: 53 });
    expect(parseSecondary('192.0.2.1:5300')).toEqual({ host: '192.0.2.1', port: 5300 });
    expect(parseSecondary('[2001:db8::1]:5300')).toEqual({ host: '2001:db8::1', port: 5300 });
    expect(parseSecondary('2001:db8::1')).toEqual({ host: '2001:db8::1', port: 53 });
    expect(listenHosts('0.0.0.0')).toEqual({ hosts: ['0.0.0.0', '::'], optional: ['::'] });
    expect(listenHosts('127.0.0.1, ::1')).toEqual({ hosts: ['127.0.0.1', '::1'], optional: [] });
    // a different client prefix is not affected by the burst above
    expect((await dig(server.port, 'www.dyn.test', 'TXT', [], '127.0.0.1')).status).toMatch(/NOERROR|NONE/);
  });
});
