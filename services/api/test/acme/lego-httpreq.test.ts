import { rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { addDomain, type CreatedAccount } from '@ddns/cli';
import { sharedZone, startPebble, type Pebble } from '@ddns/testkit';
import { freeUdpPort, runLego } from '../support/acme-e2e';
import { apiAccount } from '../support/api-helpers';
import { createTestApp, type TestApp } from '../support/test-app';

/**
 * The real lego client (Debian's /usr/bin/lego) drives our httpreq endpoint, with no DNS responder: lego cannot
 * see the TXT records and gives up before asking pebble to validate. What is checked here is the HTTP side
 * (lego's exact requests, our answers, both TXT values present at once, none left afterwards). Issuance through
 * the DNS responder is lego-issue.test.ts.
 */
let h: TestApp;
let a: CreatedAccount;
let pebble: Pebble;
let server: Server;
let base = '';
const calls: { method: string; path: string; auth: string; status: number }[] = [];

beforeAll(async () => {
  h = await createTestApp();
  await sharedZone(h.t.db, 'dyn.test');
  a = await apiAccount(h.t.db);
  await addDomain(h.t.db, { name: 'name.dyn.test', accountEmail: a.email });
  server = createServer((req, res) => {
    res.on('finish', () =>
      calls.push({
        method: req.method ?? '',
        path: req.url ?? '',
        auth: req.headers.authorization ?? '',
        status: res.statusCode,
      }),
    );
    h.app(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  pebble = await startPebble(`127.0.0.1:${await freeUdpPort()}`);
});
afterAll(async () => {
  await pebble?.stop();
  await new Promise((resolve) => server?.close(resolve));
  await h.close();
});

const challengeTxt = () =>
  h.t.db
    .selectFrom('records')
    .select('content')
    .where('name', '=', '_acme-challenge.name.dyn.test')
    .where('type', '=', 'TXT')
    .execute();

test('lego --dns httpreq presents the apex and wildcard values together and cleans both up', async () => {
  let most = 0;
  let done = false;
  const run = runLego({
    pebble,
    endpoint: `${base}/acme/httpreq`,
    user: a.email,
    apiKey: a.apiKey,
    domains: ['name.dyn.test', '*.name.dyn.test'],
    resolver: `127.0.0.1:${await freeUdpPort()}`,
    propagationTimeout: 3,
  }).finally(() => {
    done = true;
  });
  while (!done) {
    most = Math.max(most, (await challengeTxt()).length);
    await new Promise((r) => setTimeout(r, 100));
  }
  const result = await run;
  rmSync(result.dir, { recursive: true, force: true });
  expect(result.output).toMatch(/Checking DNS record propagation/);
  expect(most).toBe(2);
  const expectedAuth = `Basic ${Buffer.from(`${a.email}:${a.apiKey}`).toString('base64')}`;
  expect(calls).toEqual([
    { method: 'POST', path: '/acme/httpreq/present', auth: expectedAuth, status: 200 },
    { method: 'POST', path: '/acme/httpreq/present', auth: expectedAuth, status: 200 },
    { method: 'POST', path: '/acme/httpreq/cleanup', auth: expectedAuth, status: 200 },
    { method: 'POST', path: '/acme/httpreq/cleanup', auth: expectedAuth, status: 200 },
  ]);
  expect(await challengeTxt()).toEqual([]);
  // nothing else of the domain was touched
  const rest = await h.t.db
    .selectFrom('records')
    .select('name')
    .where('name', 'like', '%name.dyn.test')
    .execute();
  expect(rest).toEqual([]);
});
