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
  server = createServer(h.app);
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

test('lego + pebble issue a certificate for name.zone and *.name.zone through ddns; no TXT is left', async () => {
  const run = await runLego({
    pebble,
    endpoint: `${base}/acme/httpreq`,
    user: a.email,
    apiKey: a.apiKey,
    domains: ['name.dyn.test', '*.name.dyn.test'],
    resolver: `127.0.0.1:${dns.port}`,
    propagationTimeout: 30,
  });
  try {
    expect({ code: run.code, output: run.code === 0 ? '' : run.output }).toEqual({ code: 0, output: '' });
    const cert = new X509Certificate(readFileSync(join(run.dir, 'certificates', 'name.dyn.test.crt')));
    expect(cert.subjectAltName?.split(', ').sort()).toEqual(['DNS:*.name.dyn.test', 'DNS:name.dyn.test']);
    const left = await h.t.db
      .selectFrom('records')
      .select('id')
      .where('name', '=', '_acme-challenge.name.dyn.test')
      .execute();
    expect(left).toEqual([]);
  } finally {
    rmSync(run.dir, { recursive: true, force: true });
  }
}, 120_000);
