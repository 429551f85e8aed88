import { addZone } from '@ddns/registry';
import type { Zone, ZoneStatus } from '@ddns/db';
import { createTestDatabase, type TestDatabase } from '@ddns/testkit';
import { startDnsServer, type DnsServer } from '../src/server';
import { dig, eventually } from './helpers';

/**
 * Ownership (DESIGN.md): a hosted zone whose control is not proven (`pending`) or no longer proven
 * (`suspended`) is not served at all: REFUSED, as for any name that is not ours. Status changes reach the
 * running server through the change feed.
 */
let tdb: TestDatabase;
let server: DnsServer;
let zone: Zone;

const setStatus = (status: ZoneStatus) =>
  tdb.db.updateTable('zones').set({ status }).where('id', '=', zone.id).execute();

beforeAll(async () => {
  tdb = await createTestDatabase();
  zone = await addZone(tdb.db, { name: 'claimed.example', kind: 'hosted' });
  await tdb.db
    .insertInto('records')
    .values({ zone_id: zone.id, name: 'www.claimed.example', type: 'A', content: '192.0.2.7' })
    .execute();
  await setStatus('pending');
  server = await startDnsServer({
    databaseUrl: tdb.url,
    hosts: ['127.0.0.1'],
    port: 0,
    metricsPort: 0,
    feed: { pollMs: 200 },
  });
}, 60_000);

afterAll(async () => {
  await server?.stop();
  await tdb?.destroy();
});

describe('zone status', () => {
  it('a pending zone is REFUSED from the start, then answered once active, REFUSED again when suspended', async () => {
    const ask = () => dig(server.port, 'www.claimed.example', 'A');
    const pending = await ask();
    expect(pending.status).toBe('REFUSED');
    expect(pending.answer).toEqual([]);
    expect((await dig(server.port, 'claimed.example', 'SOA')).status).toBe('REFUSED');

    await setStatus('active');
    const active = await eventually(async () => {
      const r = await ask();
      return r.status === 'NOERROR' ? r : null;
    });
    expect(active.flags).toContain('aa');
    expect(active.answer.map((a) => a.data)).toEqual(['192.0.2.7']);

    await setStatus('suspended');
    await eventually(async () => (await ask()).status === 'REFUSED');
    expect((await dig(server.port, 'claimed.example', 'NS')).status).toBe('REFUSED');
  }, 90_000);

  it('a record written into a suspended zone stays silent', async () => {
    await tdb.db
      .insertInto('records')
      .values({ zone_id: zone.id, name: 'new.claimed.example', type: 'A', content: '192.0.2.8' })
      .execute();
    // give the feed time to deliver the change, then the answer must still be REFUSED
    await new Promise((r) => setTimeout(r, 1500));
    expect((await dig(server.port, 'new.claimed.example', 'A')).status).toBe('REFUSED');
  }, 30_000);
});
