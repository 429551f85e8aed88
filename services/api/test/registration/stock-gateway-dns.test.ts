import { readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { Agent } from 'node:https';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import {
  digUntil,
  sharedZone,
  startDnsProcess,
  startPebble,
  type DnsProcess,
  type Pebble,
} from '@ddns/testkit';
import { createTestApp, type TestApp } from '../support/test-app';

// A stock WebThings gateway against a default deployment (no TUNNEL_IPV4/6): the gateway never sends `mode`,
// so it is tunnelled (mode 0); without a tunnel its name must answer the address of its last /ping, as a
// direct (mode 1) gateway's does. The DNS service runs as its own process, asked with dig.
//
// The gateway's own sequence (WebThingsIO/gateway src/certificate-manager.ts register(), tunnel-service.ts),
// replayed with only `ssltunnel.registration_endpoint` pointed at us and Let's Encrypt replaced by pebble
// validating through our DNS process:
// - `GET /subscribe?name=&email=` (URLSearchParams), `res.json()`; a JSON `error` stops it;
// - `GET /setemail?token=&email=&optout=0` (only a network error stops it);
// - acme-client 5 (the gateway's ^5.4.0, here the one the mailer depends on) `client.auto()` with
//   `skipChallengeVerification` and a challengeCreateFn that calls `GET /dnsconfig?token=&challenge=<digest>`,
//   throws unless `response.ok`, then sleeps 2.5 s;
// - `POST /newsletter/subscribe` (JSON; its failure is only logged);
// - then `GET /ping?token=` every hour (errors only logged).
// node-fetch 2 is its HTTP client: `User-Agent: node-fetch/1.0 (+https://github.com/bitinn/node-fetch)`.

/** The part of acme-client 5 the gateway uses (the API package does not depend on it: see below). */
interface AcmeClient {
  axios: { defaults: { httpsAgent?: unknown } };
  forge: {
    createPrivateKey(): Promise<Buffer>;
    createCsr(o: { commonName: string }): Promise<[Buffer, Buffer]>;
  };
  Client: new (o: { directoryUrl: string; accountKey: Buffer }) => {
    auto(o: {
      csr: Buffer;
      email: string;
      termsOfServiceAgreed: boolean;
      skipChallengeVerification: boolean;
      challengePriority: string[];
      challengeCreateFn: (authz: unknown, challenge: unknown, keyAuthorization: string) => Promise<void>;
      challengeRemoveFn: () => Promise<void>;
    }): Promise<string>;
  };
}
// acme-client resolved as the mailer resolves it
const acme = createRequire(join(__dirname, '../../../mailer/package.json'))('acme-client') as AcmeClient;

jest.setTimeout(90_000);

const UA = { 'User-Agent': 'node-fetch/1.0 (+https://github.com/bitinn/node-fetch)' };
let h: TestApp;
let dns: DnsProcess;
let pebble: Pebble;
let server: Server;
let endpoint: string;

beforeAll(async () => {
  h = await createTestApp();
  await sharedZone(h.t.db, 'gw.test');
  dns = await startDnsProcess(h.t.url); // TUNNEL_IPV4/6 unset, the documented default
  pebble = await startPebble(`127.0.0.1:${dns.port}`);
  acme.axios.defaults.httpsAgent = new Agent({ ca: readFileSync(pebble.caFile) });
  server = h.app.listen(0, '127.0.0.1');
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}, 60_000);

afterAll(async () => {
  server?.closeAllConnections();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  await pebble?.stop();
  await dns?.stop();
  await h.close();
});

/** register(email, null, subdomain, fulldomain, optout=false): the gateway's outcome ('' on success). */
async function register(
  email: string,
  subdomain: string,
  fulldomain: string,
): Promise<{ err: string; token: string; cert: string; newsletter: number }> {
  let token: string;
  {
    const params = new URLSearchParams();
    params.set('name', subdomain);
    params.set('email', email);
    const res = await fetch(`${endpoint}/subscribe?${params.toString()}`, { headers: UA });
    const jsonToken = (await res.json()) as { error?: string; token: string };
    if (jsonToken.error) return { err: jsonToken.error, token: '', cert: '', newsletter: 0 };
    token = jsonToken.token;
  }
  {
    const params = new URLSearchParams();
    params.set('token', token);
    params.set('email', email);
    params.set('optout', '0');
    await (await fetch(`${endpoint}/setemail?${params.toString()}`, { headers: UA })).arrayBuffer();
  }
  const challengeCreateFn = async (_a: unknown, _c: unknown, keyAuthorization: string) => {
    const params = new URLSearchParams();
    params.set('token', token);
    params.set('challenge', keyAuthorization);
    const response = await fetch(`${endpoint}/dnsconfig?${params.toString()}`, { headers: UA });
    await response.arrayBuffer();
    if (!response.ok) throw new Error(`Failed to set DNS token on server: ${response.status}`);
    await new Promise((r) => setTimeout(r, 2500));
  };
  let cert: string;
  try {
    const client = new acme.Client({
      directoryUrl: pebble.directoryUrl,
      accountKey: await acme.forge.createPrivateKey(),
    });
    const [, csr] = await acme.forge.createCsr({ commonName: fulldomain });
    cert = await client.auto({
      csr,
      email: 'certs@example.com',
      termsOfServiceAgreed: true,
      skipChallengeVerification: true,
      challengePriority: ['dns-01'],
      challengeCreateFn,
      challengeRemoveFn: async () => {},
    });
  } catch (e) {
    return { err: (e as Error).message, token, cert: '', newsletter: 0 };
  }
  let newsletter = 0;
  try {
    const res = await fetch(`${endpoint}/newsletter/subscribe`, {
      method: 'POST',
      headers: { ...UA, 'Content-Type': 'application/json' },
      body: JSON.stringify({ email, subscribe: true }),
    });
    await res.arrayBuffer();
    newsletter = res.status;
  } catch {
    // logged only
  }
  return { err: '', token, cert, newsletter };
}

test("the gateway's own registration (certificate from pebble through our DNS), then /ping: name.zone and *.name.zone answer the ping address", async () => {
  const r = await register('owner@example.com', 'stock', 'stock.gw.test');
  expect(r.err).toBe('');
  expect(r.cert).toContain('BEGIN CERTIFICATE');
  expect(r.newsletter).toBe(404); // not a registration call here; the gateway only logs its failure
  const row = await h.t.db
    .selectFrom('domains')
    .select('mode')
    .where('name', '=', 'stock.gw.test')
    .executeTakeFirstOrThrow();
  expect(row.mode).toBe(0); // it never sent mode: tunnelled

  // the certificate issued, but before the first ping the name has no address (nothing to answer yet)
  expect(await digUntil(dns.port, 'stock.gw.test', 'A', (a) => a.length === 0)).toEqual([]);

  // tunnel-service.ts pingRegistrationServer()
  await (await fetch(`${endpoint}/ping?token=${r.token}`, { headers: UA })).arrayBuffer();
  expect(await digUntil(dns.port, 'stock.gw.test', 'A', (a) => a.length > 0)).toEqual(['127.0.0.1']);
  expect(await digUntil(dns.port, 'things.stock.gw.test', 'A', (a) => a.length > 0)).toEqual(['127.0.0.1']);
});
