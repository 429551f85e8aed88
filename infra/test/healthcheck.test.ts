import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { freePort } from '@ddns/local-services';
import {
  createTestDatabase,
  sharedZone,
  startDnsProcess,
  startServiceProcess,
  TcpProxy,
  testEnv,
  testRedisUrl,
  type DnsProcess,
  type TestDatabase,
} from '@ddns/testkit';
import { main as healthcheck } from '../docker/healthcheck';

// The image's healthcheck commands, run against the real dns and api service processes (the mailer's heartbeat:
// services/mailer/test/heartbeat.test.ts).
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

test('api: the real API process is healthy while Postgres and Redis answer, unhealthy while Redis is away; polls not logged', async () => {
  const u = new URL(testRedisUrl());
  const redis = new TcpProxy(u.hostname, Number(u.port || 6379));
  await redis.start();
  u.port = String(redis.port);
  const apiPort = String(await freePort());
  const api = await startServiceProcess(
    'api',
    testEnv({
      DATABASE_URL: t.url,
      REDIS_URL: u.toString(),
      API_HOST: '127.0.0.1',
      API_PORT: apiPort,
      API_METRICS_PORT: String(await freePort()),
      LOG_LEVEL: 'info',
    }) as Record<string, string>,
    /metrics listening/,
    60_000,
  );
  const check = async () => {
    quiet.mockClear();
    const code = await healthcheck(['api'], { API_PORT: apiPort });
    return { code, said: said() };
  };
  /** the healthcheck's verdict once it says healthy, or its last one after 20 s (Redis may still be connecting) */
  const healthySoon = async () => {
    const until = Date.now() + 20_000;
    let r = await check();
    while (r.code !== 0 && Date.now() < until) {
      await new Promise((done) => setTimeout(done, 250));
      r = await check();
    }
    return r;
  };
  try {
    expect(await healthySoon()).toEqual({ code: 0, said: '' });
    await redis.cut();
    expect(await check()).toEqual({
      code: 1,
      said: expect.stringMatching(/^unhealthy: \/readyz 503: .*redis/),
    });
    await redis.start();
    expect(await healthySoon()).toEqual({ code: 0, said: '' });
    // the container polls every 10 s: none of it in the log
    expect(api.output()).not.toMatch(/readyz/);
  } finally {
    await api.stop();
    await redis.stop();
  }
}, 120_000);

test('an unknown check is a usage error', async () => {
  expect(await healthcheck(['nope'], {})).toBe(2);
});
