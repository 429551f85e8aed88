import { freePort } from '@ddns/local-services';
import { digShort, digUntil, sharedZone, startDnsProcess, viaPort, type DnsProcess } from '@ddns/testkit';
import { metric, proxiedDatabase, until } from './feed-link';

/**
 * The dns process whose change-feed link to Postgres silently stops forwarding (a TCP proxy that holds every
 * byte without closing anything): the feed must notice, say so (metrics, /readyz, logs), keep answering
 * from memory, and once the link forwards again serve what changed meanwhile.
 */

const link = proxiedDatabase();
let dns: DnsProcess | undefined;

afterAll(async () => {
  await dns?.stop();
});

async function readyz(port: number): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`http://127.0.0.1:${port}/readyz`);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

test('a black-holed feed link: feed_connected drops, lag grows, then the change made meanwhile is served', async () => {
  const zone = await sharedZone(link.t.db, 'stall.test');
  await link.t.db
    .insertInto('records')
    .values({ zone_id: zone.id, name: 'before.stall.test', type: 'A', content: '192.0.2.1' })
    .execute();
  const metricsPort = await freePort();
  dns = await startDnsProcess(
    viaPort(link.t.url, link.proxy.port),
    {
      DNS_METRICS_PORT: String(metricsPort),
      DB_STATEMENT_TIMEOUT_MS: '1000',
      DB_CONNECT_TIMEOUT_MS: '1000',
    },
    120_000, // a loaded machine starts processes slowly
  );
  await until(async () => (await metric(metricsPort, 'dns_feed_connected')) === 1, 10_000);
  expect((await readyz(metricsPort)).status).toBe(200);

  link.proxy.blackhole();
  const detectedMs = await until(async () => (await metric(metricsPort, 'dns_feed_connected')) === 0, 20_000);
  console.log(`stalled feed link detected after ${detectedMs} ms`);
  expect(detectedMs).toBeLessThan(15_000); // poll 2 s + deadline 3 s, with room for a loaded machine

  await link.t.db
    .insertInto('records')
    .values({ zone_id: zone.id, name: 'meanwhile.stall.test', type: 'A', content: '192.0.2.2' })
    .execute();
  await new Promise((r) => setTimeout(r, 3000));
  // still answering from memory, and saying how far behind it may be
  expect(await digShort(dns.port, 'before.stall.test', 'A')).toEqual(['192.0.2.1']);
  expect(await digShort(dns.port, 'meanwhile.stall.test', 'A')).toEqual([]);
  expect(await metric(metricsPort, 'dns_feed_connected')).toBe(0);
  expect(await metric(metricsPort, 'dns_feed_lag_seconds')).toBeGreaterThan(3);
  const r = await readyz(metricsPort);
  expect(r.body).toMatchObject({ feedConnected: false });
  expect(r.body.lagSeconds).toEqual(expect.any(Number));
  expect(dns.output()).toMatch(/change feed disconnected.*|"lagSeconds"/);
  expect(dns.output()).toMatch(/did not answer within 3000 ms|timeout/);

  link.proxy.resume();
  expect(await digUntil(dns.port, 'meanwhile.stall.test', 'A', (a) => a.length > 0, 20_000)).toEqual([
    '192.0.2.2',
  ]);
  await until(async () => (await metric(metricsPort, 'dns_feed_connected')) === 1, 10_000);
  await until(async () => (await metric(metricsPort, 'dns_feed_lag_seconds')) < 3, 10_000);
  expect((await readyz(metricsPort)).status).toBe(200);
  expect(dns.child.exitCode).toBeNull();
}, 90_000);
