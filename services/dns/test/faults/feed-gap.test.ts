import dgram from 'node:dgram';
import { execFile } from 'node:child_process';
import { sql } from '@ddns/db';
import { freePort } from '@ddns/local-services';
import { digShort, digUntil, sharedZone, startDnsProcess, viaPort, type DnsProcess } from '@ddns/testkit';
import { metric, proxiedDatabase, until } from './feed-link';

/**
 * The dns process whose change-feed link is down while names change and the mailer prunes those changes'
 * feed rows (DNS_CHANGES_RETENTION_DAYS passed): once the link is back the feed finds rows it never read
 * gone, the process reloads every zone from Postgres (answering from the old data meanwhile), swaps it in,
 * drops cached answers and publishes the zones' new serials, instead of serving the old data forever.
 */

const link = proxiedDatabase();
let dns: DnsProcess | undefined;

afterAll(async () => {
  await dns?.stop();
});

/** The zones named by the NOTIFY messages (opcode 4) a fake secondary receives. */
async function notifyListener(): Promise<{ port: number; zones: string[]; close(): void }> {
  const sock = dgram.createSocket('udp4');
  const zones: string[] = [];
  sock.on('message', (m) => {
    if (m.length < 13 || ((m[2]! >> 3) & 0xf) !== 4) return;
    const labels: string[] = [];
    for (let i = 12; m[i]! > 0 && i < m.length; i += m[i]! + 1)
      labels.push(m.subarray(i + 1, i + 1 + m[i]!).toString());
    zones.push(labels.join('.').toLowerCase());
  });
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
  return { port: sock.address().port, zones, close: () => sock.close() };
}

/** `dig IXFR=serial` over TCP: the transfer as text lines. */
function ixfr(port: number, zone: string, serial: number): Promise<string[]> {
  return new Promise((resolve, reject) =>
    execFile(
      'dig',
      ['@127.0.0.1', '-p', String(port), zone, `IXFR=${serial}`, '+tcp', '+nocmd', '+nostats', '+time=5'],
      { timeout: 20_000 },
      (err, stdout) =>
        err ? reject(err) : resolve(stdout.split('\n').filter((l) => l && !l.startsWith(';'))),
    ),
  );
}

const soaSerial = async (port: number, zone: string) =>
  Number((await digShort(port, zone, 'SOA'))[0]?.split(' ')[2]);

test('changes whose feed rows were pruned while the link was down are served after a reload', async () => {
  const zone = await sharedZone(link.t.db, 'gap.test');
  const other = await sharedZone(link.t.db, 'gapother.test');
  for (const [name, ip] of [
    ['moved.gap.test', '192.0.2.1'],
    ['gone.gap.test', '192.0.2.2'],
  ] as const)
    await link.t.db
      .insertInto('records')
      .values({ zone_id: zone.id, name, type: 'A', content: ip })
      .execute();
  const metricsPort = await freePort();
  // a secondary: allowed to transfer from 127.0.0.1, sent NOTIFY on this port
  const secondary = await notifyListener();
  dns = await startDnsProcess(
    viaPort(link.t.url, link.proxy.port),
    {
      DNS_METRICS_PORT: String(metricsPort),
      DNS_SECONDARIES: `127.0.0.1:${secondary.port}`,
      DB_STATEMENT_TIMEOUT_MS: '1000',
      DB_CONNECT_TIMEOUT_MS: '1000',
    },
    120_000, // a loaded machine starts processes slowly
  );
  await until(async () => (await metric(metricsPort, 'dns_feed_connected')) === 1, 10_000);
  // answered (and cached) before the outage
  for (let i = 0; i < 3; i++) {
    expect(await digShort(dns.port, 'moved.gap.test', 'A')).toEqual(['192.0.2.1']);
    expect(await digShort(dns.port, 'gone.gap.test', 'A')).toEqual(['192.0.2.2']);
  }
  const serialBefore = await soaSerial(dns.port, 'gap.test');
  expect(await metric(metricsPort, 'dns_feed_resyncs_total')).toBe(0);

  link.proxy.blackhole();
  await until(async () => (await metric(metricsPort, 'dns_feed_connected')) === 0, 20_000);
  await link.t.db
    .updateTable('records')
    .set({ content: '192.0.2.9' })
    .where('name', '=', 'moved.gap.test')
    .execute();
  await link.t.db.deleteFrom('records').where('name', '=', 'gone.gap.test').execute();
  await link.t.db
    .insertInto('records')
    .values({ zone_id: zone.id, name: 'new.gap.test', type: 'A', content: '192.0.2.3' })
    .execute();
  // the newest feed row stays (pruneLogs keeps it): another zone's change
  await link.t.db
    .insertInto('records')
    .values({ zone_id: other.id, name: 'last.gapother.test', type: 'A', content: '192.0.2.4' })
    .execute();
  // what the mailer's pruneLogs deletes once the retention has passed
  const pruned = await sql`DELETE FROM dns_changes
    WHERE changed_at < now() + interval '1 minute' AND seq < (SELECT max(seq) FROM dns_changes)`.execute(
    link.t.db,
  );
  expect(Number(pruned.numAffectedRows)).toBeGreaterThanOrEqual(3);
  // still the old data, from memory
  expect(await digShort(dns.port, 'moved.gap.test', 'A')).toEqual(['192.0.2.1']);

  await new Promise((r) => setTimeout(r, 500));
  secondary.zones.length = 0; // (the NOTIFYs sent at start)
  const t0 = Date.now();
  link.proxy.resume();
  expect(await digUntil(dns.port, 'moved.gap.test', 'A', (a) => a[0] === '192.0.2.9', 20_000)).toEqual([
    '192.0.2.9',
  ]);
  const servedMs = Date.now() - t0;
  console.log(`pruned changes served ${servedMs} ms after the feed link came back`);
  expect(servedMs).toBeLessThan(15_000);
  expect(await digShort(dns.port, 'gone.gap.test', 'A')).toEqual([]);
  expect(await digShort(dns.port, 'new.gap.test', 'A')).toEqual(['192.0.2.3']);
  expect(await digShort(dns.port, 'last.gapother.test', 'A')).toEqual(['192.0.2.4']);
  // the zone's serial as Postgres has it: secondaries follow (NOTIFY, then a transfer)
  const row = await link.t.db
    .selectFrom('zones')
    .select('serial')
    .where('id', '=', zone.id)
    .executeTakeFirstOrThrow();
  const serialAfter = await soaSerial(dns.port, 'gap.test');
  expect(serialAfter).toBe(Number(BigInt(row.serial) % 4294967296n));
  expect(serialAfter).not.toBe(serialBefore);
  // the secondary is told, and a transfer from its old serial has the new data (the whole zone: the reload
  // is one change the journal cannot describe)
  await until(async () => secondary.zones.includes('gap.test'), 10_000);
  const xfr = await ixfr(dns.port, 'gap.test', serialBefore);
  secondary.close();
  expect(xfr.filter((l) => /\sSOA\s/.test(l))[0]).toContain(` ${serialAfter} `);
  expect(xfr.some((l) => l.startsWith('moved.gap.test.') && l.endsWith('192.0.2.9'))).toBe(true);
  expect(xfr.some((l) => l.startsWith('new.gap.test.'))).toBe(true);
  expect(xfr.some((l) => l.startsWith('gone.gap.test.') || l.endsWith('192.0.2.1'))).toBe(false);
  expect(await metric(metricsPort, 'dns_feed_resyncs_total')).toBe(1);
  expect(dns.output()).toMatch(/pruned before they were read; reloading every zone/);
  expect(dns.output()).toMatch(/zones reloaded after a change-feed gap/);

  // and the feed goes on from the reload
  await link.t.db
    .insertInto('records')
    .values({ zone_id: zone.id, name: 'after.gap.test', type: 'A', content: '192.0.2.5' })
    .execute();
  expect(await digUntil(dns.port, 'after.gap.test', 'A', (a) => a.length > 0, 10_000)).toEqual(['192.0.2.5']);
  expect(await metric(metricsPort, 'dns_feed_resyncs_total')).toBe(1);
  expect(dns.child.exitCode).toBeNull();
}, 120_000);
