import request from 'supertest';
import { digUntil, sharedZone, startDnsProcess, type DnsProcess } from '@ddns/testkit';
import { createTestApp, type TestApp } from '../support/test-app';

// A stock WebThings gateway against a default deployment (no TUNNEL_IPV4/6): the gateway never sends `mode`,
// so it is tunnelled (mode 0); without a tunnel its name must answer the address of its last /ping, as a
// direct (mode 1) gateway's does. The DNS service runs as its own process, asked with dig.
let h: TestApp;
let dns: DnsProcess;

beforeAll(async () => {
  h = await createTestApp();
  await sharedZone(h.t.db, 'gw.test');
  dns = await startDnsProcess(h.t.url); // TUNNEL_IPV4/6 unset, the documented default
}, 40_000);

afterAll(async () => {
  await dns?.stop();
  await h.close();
});

test("the gateway's registration sequence, then /ping: name.zone and *.name.zone answer the ping address", async () => {
  // the calls in the gateway's order, with its parameters (shared/CLIENTS.md)
  const sub = await request(h.app).get('/subscribe').query({ name: 'stock', email: 'owner@example.com' });
  expect(sub.status).toBe(200);
  const { token } = JSON.parse(sub.text) as { token: string };
  expect(
    (await request(h.app).get('/setemail').query({ token, email: 'owner@example.com', optout: '0' })).status,
  ).toBe(200);
  const challenge = 'c'.repeat(43);
  expect((await request(h.app).get('/dnsconfig').query({ token, challenge })).status).toBe(200);
  expect(await digUntil(dns.port, '_acme-challenge.stock.gw.test', 'TXT', (a) => a.length === 1)).toEqual([
    `"${challenge}"`,
  ]);
  const row = await h.t.db
    .selectFrom('domains')
    .select('mode')
    .where('name', '=', 'stock.gw.test')
    .executeTakeFirstOrThrow();
  expect(row.mode).toBe(0);

  expect((await request(h.app).get('/ping').query({ token })).status).toBe(200);
  expect(await digUntil(dns.port, 'stock.gw.test', 'A', (a) => a.length > 0)).toEqual(['127.0.0.1']);
  expect(await digUntil(dns.port, 'things.stock.gw.test', 'A', (a) => a.length > 0)).toEqual(['127.0.0.1']);
});
