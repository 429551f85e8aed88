import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { freePort } from '@ddns/local-services';
import {
  createTestDatabase,
  sharedZone,
  startDnsProcess,
  type DnsProcess,
  type TestDatabase,
} from '@ddns/testkit';
import { main as healthcheck } from '../docker/healthcheck';

// The image's healthcheck commands, run against the real dns service process and a stand-in /readyz.
let t: TestDatabase;
let dns: DnsProcess;
const quiet = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);

beforeAll(async () => {
  t = await createTestDatabase();
  await sharedZone(t.db, 'health.test');
  dns = await startDnsProcess(t.url);
}, 60_000);
afterAll(async () => {
  quiet.mockRestore();
  await dns?.stop();
  await t?.destroy();
});

const said = () => quiet.mock.calls.map((c) => String(c[0])).join('');

test('dns: healthy when the zone answers its SOA authoritatively', async () => {
  expect(await healthcheck(['dns'], { DNS_PORT: String(dns.port), DDNS_ZONE: 'health.test' })).toBe(0);
  // no zone configured: any DNS answer will do
  expect(await healthcheck(['dns'], { DNS_PORT: String(dns.port) })).toBe(0);
});

test('dns: unhealthy for a zone it does not serve, and when nothing answers', async () => {
  quiet.mockClear();
  expect(await healthcheck(['dns'], { DNS_PORT: String(dns.port), DDNS_ZONE: 'other.test' })).toBe(1);
  expect(said()).toMatch(/^unhealthy: rcode 5 for the zone's SOA/);
  quiet.mockClear();
  const closed = await freePort();
  expect(await healthcheck(['dns'], { DNS_PORT: String(closed), DDNS_ZONE: 'health.test' })).toBe(1);
  expect(said()).toMatch(/^unhealthy: /);
}, 20_000);

test('api: healthy only when /readyz says 200', async () => {
  let status = 200;
  const server = createServer((req, res) => res.writeHead(req.url === '/readyz' ? status : 404).end('{}'));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = String((server.address() as AddressInfo).port);
  try {
    expect(await healthcheck(['api'], { API_PORT: port })).toBe(0);
    status = 503;
    expect(await healthcheck(['api'], { API_PORT: port })).toBe(1);
  } finally {
    server.close();
  }
});

test('an unknown check is a usage error', async () => {
  expect(await healthcheck(['nope'], {})).toBe(2);
});
