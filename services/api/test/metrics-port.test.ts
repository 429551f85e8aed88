import { networkInterfaces } from 'node:os';
import { freePort } from '@ddns/local-services';
import {
  createTestDatabase,
  startServiceProcess,
  testEnv,
  type ServiceProcess,
  type TestDatabase,
} from '@ddns/testkit';

// The API process as deployed: Prometheus metrics on their own port, on loopback, and not on the public port.
let t: TestDatabase;
let api: ServiceProcess;
let apiPort: number;
let metricsPort: number;

beforeAll(async () => {
  t = await createTestDatabase();
  apiPort = await freePort();
  metricsPort = await freePort();
  const env = testEnv({
    DATABASE_URL: t.url,
    API_HOST: '0.0.0.0',
    API_PORT: String(apiPort),
    API_METRICS_PORT: String(metricsPort),
    LOG_LEVEL: 'info',
  });
  api = await startServiceProcess('api', env as Record<string, string>, /metrics listening/, 60_000);
}, 90_000);
afterAll(async () => {
  await api?.stop();
  await t?.destroy();
});

test('/metrics is not on the public API port', async () => {
  const res = await fetch(`http://127.0.0.1:${apiPort}/metrics`);
  expect(res.status).toBe(404);
  expect((await fetch(`http://127.0.0.1:${apiPort}/healthz`)).status).toBe(200);
});

test('the metrics port serves Prometheus text on 127.0.0.1', async () => {
  const res = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
  expect(await res.text()).toMatch(/^process_cpu_user_seconds_total \d/m);
  expect((await fetch(`http://127.0.0.1:${metricsPort}/`)).status).toBe(404);
});

test('by default the metrics port is not reachable on the other addresses of the machine', async () => {
  const others = Object.values(networkInterfaces())
    .flat()
    .filter((a) => a && a.family === 'IPv4' && !a.internal)
    .map((a) => a!.address);
  if (others.length === 0) return; // nothing but loopback here: nothing to check
  for (const ip of others) {
    expect((await fetch(`http://${ip}:${apiPort}/healthz`)).status).toBe(200); // the public port is
    await expect(fetch(`http://${ip}:${metricsPort}/metrics`)).rejects.toThrow();
  }
});
