import { X509Certificate } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { addDomain, type CreatedAccount } from '@ddns/cli';
import { sharedZone, startPebble, type Pebble } from '@ddns/testkit';
// test-only: the real DNS responder, so pebble validates against what ddns actually serves
import { startDnsServer, type DnsServer } from '../../../dns/src/server';
import { runLego } from '../support/acme-e2e';
import { apiAccount } from '../support/api-helpers';
import { createTestApp, type TestApp } from '../support/test-app';

/**
 * End to end with real programs: lego (`--dns httpreq`) asks ddns to publish the DNS-01 values, the ddns DNS
 * responder serves them from the database (change feed), pebble validates against that responder and issues a
 * certificate for name.zone and *.name.zone; afterwards the TXT records are gone.
 */
let h: TestApp;
let a: CreatedAccount;
let dns: DnsServer;
let pebble: Pebble;
let server: Server;
let base = '';
const calls: { method: string; path: string; auth: string; status: number }[] = [];

beforeAll(async () => {
  h = await createTestApp();
  await sharedZone(h.t.db, 'dyn.test');
  a = await apiAccount(h.t.db);
  await addDomain(h.t.db, { name: 'name.dyn.test', accountEmail: a.email });
  dns = await startDnsServer({
    databaseUrl: h.t.url,
    hosts: ['127.0.0.1'],
    port: 0,
    rrl: null,
    notify: false,
    feed: { pollMs: 200 },
  });
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
  pebble = await startPebble(`127.0.0.1:${dns.port}`);
});
afterAll(async () => {
  await pebble?.stop();
  await new Promise((resolve) => server?.close(resolve));
  await dns?.stop();
  await h.close();
});

const challengeTxt = () =>
  h.t.db
    .selectFrom('records')
    .select('content')
    .where('name', '=', '_acme-challenge.name.dyn.test')
    .where('type', '=', 'TXT')
    .execute();

test('lego + pebble issue a certificate for name.zone and *.name.zone through ddns; no TXT is left', async () => {
  let most = 0;
  let done = false;
  const pending = runLego({
    pebble,
    endpoint: `${base}/acme/httpreq`,
    user: a.email,
    apiKey: a.apiKey,
    domains: ['name.dyn.test', '*.name.dyn.test'],
    resolver: `127.0.0.1:${dns.port}`,
    propagationTimeout: 30,
  }).finally(() => {
    done = true;
  });
  while (!done) {
    most = Math.max(most, (await challengeTxt()).length);
    await new Promise((r) => setTimeout(r, 100));
  }
  const run = await pending;
  try {
    expect({ code: run.code, output: run.code === 0 ? '' : run.output }).toEqual({ code: 0, output: '' });
    const cert = new X509Certificate(readFileSync(join(run.dir, 'certificates', 'name.dyn.test.crt')));
    expect(cert.subjectAltName?.split(', ').sort()).toEqual(['DNS:*.name.dyn.test', 'DNS:name.dyn.test']);
    // lego presented the apex and the wildcard value (both at _acme-challenge.name.dyn.test at once), with the
    // API key as the Basic password, then removed both
    expect(most).toBe(2);
    const auth = `Basic ${Buffer.from(`${a.email}:${a.apiKey}`).toString('base64')}`;
    const call = (op: string) => ({ method: 'POST', path: `/acme/httpreq/${op}`, auth, status: 200 });
    expect(calls).toEqual([call('present'), call('present'), call('cleanup'), call('cleanup')]);
    expect(await challengeTxt()).toEqual([]);
  } finally {
    rmSync(run.dir, { recursive: true, force: true });
  }
}, 120_000);
