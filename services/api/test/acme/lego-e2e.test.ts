import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { addDomain } from '@ddns/registry';
import {
  account,
  sharedZone,
  startPebble,
  startDnsProcess,
  type Pebble,
  type DnsProcess,
} from '@ddns/testkit';
import { createTestApp, type TestApp } from '../support/test-app';

// End to end with real programs: Debian's pebble (ACME test CA) validates DNS-01 against the ddns DNS
// responder, and lego's httpreq provider sets and removes the TXT records through the ddns API.
let h: TestApp;
let dns: DnsProcess;
let dnsPort = 0;
let pebble: Pebble;
let http: Server;
let dir: string;

beforeAll(async () => {
  h = await createTestApp();
  await sharedZone(h.t.db, 'dyn.test');
  dns = await startDnsProcess(h.t.url);
  dnsPort = dns.port;
  pebble = await startPebble(`127.0.0.1:${dnsPort}`);
  http = h.app.listen(0, '127.0.0.1');
  await new Promise((r) => http.once('listening', r));
  dir = mkdtempSync(join(tmpdir(), 'ddns-lego-'));
}, 30_000);

afterAll(async () => {
  await new Promise((r) => http.close(r));
  await pebble?.stop();
  await dns?.stop();
  await h.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Runs Debian's lego with the httpreq provider against the ddns API, as `who`, for `domains`. */
function lego(
  who: { email: string; apiKey: string },
  path: string,
  domains: string[],
): Promise<{ code: number; out: string }> {
  const port = (http.address() as AddressInfo).port;
  const env = {
    PATH: process.env.PATH,
    HTTPREQ_ENDPOINT: `http://127.0.0.1:${port}/acme/httpreq`,
    HTTPREQ_USERNAME: who.email,
    HTTPREQ_PASSWORD: who.apiKey,
    LEGO_CA_CERTIFICATES: pebble.caFile,
  };
  const args = [
    ...['--server', pebble.directoryUrl, '--email', who.email, '--accept-tos', '--path', path],
    ...['--dns', 'httpreq', '--dns.resolvers', `127.0.0.1:${dnsPort}`, '--dns.disable-cp'],
    ...domains.flatMap((d) => ['--domains', d]),
    'run',
  ];
  return new Promise((resolve) => {
    execFile('lego', args, { env, timeout: 90_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, out: stdout + stderr }),
    );
  });
}

test('lego --dns httpreq gets a certificate for name.zone and *.name.zone through ddns', async () => {
  const owner = await account(h.t.db);
  await addDomain(h.t.db, { name: 'home.dyn.test', accountEmail: owner.email });
  const r = await lego(owner, dir, ['home.dyn.test', '*.home.dyn.test']);
  expect({ code: r.code, out: r.code === 0 ? '' : r.out }).toEqual({ code: 0, out: '' });

  const cert = new X509Certificate(readFileSync(join(dir, 'certificates', 'home.dyn.test.crt')));
  expect(cert.subjectAltName).toContain('DNS:home.dyn.test');
  expect(cert.subjectAltName).toContain('DNS:*.home.dyn.test');

  // cleanup removed both TXT values again
  const left = await h.t.db
    .selectFrom('records')
    .select('content')
    .where('name', '=', '_acme-challenge.home.dyn.test')
    .execute();
  expect(left).toEqual([]);
}, 120_000);

test('lego is refused for a name the account does not own, and nothing is written', async () => {
  const owner = await account(h.t.db);
  const other = await account(h.t.db);
  await addDomain(h.t.db, { name: 'theirs.dyn.test', accountEmail: other.email });
  const r = await lego(owner, join(dir, 'refused'), ['theirs.dyn.test']);
  expect(r.code).not.toBe(0);
  const txt = await h.t.db
    .selectFrom('records')
    .select('id')
    .where('name', '=', '_acme-challenge.theirs.dyn.test')
    .execute();
  expect(txt).toEqual([]);
}, 120_000);
