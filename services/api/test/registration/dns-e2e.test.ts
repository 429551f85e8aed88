import request from 'supertest';
import { digUntil, sharedZone, startDnsProcess, type DnsProcess } from '@ddns/testkit';
import { createTestApp, type TestApp } from '../support/test-app';

// The registration API and the DNS service (its own process) over one database: what a gateway sets
// through the API is what resolvers get from dig.
let h: TestApp;
let dns: DnsProcess;

beforeAll(async () => {
  h = await createTestApp();
  await sharedZone(h.t.db, 'gw.test');
  dns = await startDnsProcess(h.t.url, { TUNNEL_IPV4: '203.0.113.7', TUNNEL_IPV6: '2001:db8:7::7' });
}, 40_000);

afterAll(async () => {
  await dns?.stop();
  await h.close();
});

test('mode 0 (tunnelled): name.zone and *.name.zone answer the tunnel addresses', async () => {
  const sub = await request(h.app).get('/subscribe').query({ name: 'tunnelled', mode: 'Tunneled' });
  expect(sub.status).toBe(200);
  expect(await digUntil(dns.port, 'tunnelled.gw.test', 'A', (a) => a.length > 0)).toEqual(['203.0.113.7']);
  expect(await digUntil(dns.port, 'tunnelled.gw.test', 'AAAA', (a) => a.length > 0)).toEqual([
    '2001:db8:7::7',
  ]);
  expect(await digUntil(dns.port, 'any.thing.tunnelled.gw.test', 'A', (a) => a.length > 0)).toEqual([
    '203.0.113.7',
  ]);
});

test('mode 1 (direct): the address of the last /ping, for the name and its wildcard', async () => {
  const sub = await request(h.app).get('/subscribe').query({ name: 'direct', mode: '1' });
  const { token } = sub.body as { token: string };
  expect(
    (await request(h.app).get('/ping').query({ token }).set('X-Forwarded-For', '198.51.100.1')).status,
  ).toBe(200);
  // TRUST_PROXY is off: the source address of the connection counts, not the header
  expect(await digUntil(dns.port, 'direct.gw.test', 'A', (a) => a.length > 0)).toEqual(['127.0.0.1']);
  expect(await digUntil(dns.port, 'www.direct.gw.test', 'A', (a) => a.length > 0)).toEqual(['127.0.0.1']);
});

test('/dnsconfig values are served as _acme-challenge TXT, two at once for apex + wildcard', async () => {
  const sub = await request(h.app).get('/subscribe').query({ name: 'certs' });
  const { token } = sub.body as { token: string };
  const v1 = 'a'.repeat(43);
  const v2 = 'b'.repeat(43);
  expect((await request(h.app).get('/dnsconfig').query({ token, challenge: v1 })).status).toBe(200);
  expect((await request(h.app).get('/dnsconfig').query({ token, challenge: v2 })).status).toBe(200);
  const txt = await digUntil(dns.port, '_acme-challenge.certs.gw.test', 'TXT', (a) => a.length === 2);
  expect(txt).toEqual([`"${v1}"`, `"${v2}"`]);
});

test('/unsubscribe removes the name from DNS', async () => {
  const sub = await request(h.app).get('/subscribe').query({ name: 'leaving', mode: '0' });
  const { token } = sub.body as { token: string };
  expect(await digUntil(dns.port, 'leaving.gw.test', 'A', (a) => a.length > 0)).toEqual(['203.0.113.7']);
  expect((await request(h.app).get('/unsubscribe').query({ token })).status).toBe(200);
  expect(await digUntil(dns.port, 'leaving.gw.test', 'A', (a) => a.length === 0)).toEqual([]);
});
