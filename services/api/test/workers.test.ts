import { freePort } from '@ddns/local-services';
import {
  createTestDatabase,
  startServiceProcess,
  testEnv,
  type ServiceProcess,
  type TestDatabase,
} from '@ddns/testkit';
import { START_TIMEOUT_MS, update, updaters, type Updater } from './faults/api-process';

// API_WORKERS=2 as deployed: two processes share the port, a worker that dies is replaced, the metrics port
// serves both workers' numbers, and SIGTERM stops them all.
let t: TestDatabase;
let api: ServiceProcess;
let base: string;
let metricsPort: number;
let hosts: Updater[];

/** pids of the workers that said they listen, in order */
const listening = () =>
  api
    .output()
    .split('\n')
    .filter((l) => l.includes('api listening'))
    .map((l) => (JSON.parse(l) as { pid: number }).pid);

async function until(cond: () => boolean, ms: number): Promise<void> {
  for (const end = Date.now() + ms; !cond();) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 100));
  }
}

beforeAll(async () => {
  t = await createTestDatabase();
  hosts = await updaters(t, 'workers.test', 8);
  const port = await freePort();
  metricsPort = await freePort();
  const env = testEnv({
    DATABASE_URL: t.url,
    API_HOST: '127.0.0.1',
    API_PORT: String(port),
    API_METRICS_PORT: String(metricsPort),
    API_WORKERS: '2',
    UPDATER_RATE_LIMIT: 'off',
    LOG_LEVEL: 'info',
  });
  api = await startServiceProcess(
    'api',
    env as Record<string, string>,
    /api workers started/,
    START_TIMEOUT_MS,
  );
  await until(() => listening().length === 2, START_TIMEOUT_MS);
  base = `http://127.0.0.1:${port}`;
}, START_TIMEOUT_MS * 2);
afterAll(async () => {
  await api?.stop();
  await t?.destroy();
});

test('two workers answer updates; a killed one is replaced; metrics of both; SIGTERM stops all', async () => {
  const first = await Promise.all(hosts.map((h, i) => update(base, h, `192.0.2.${i + 1}`)));
  expect(first.map((r) => r.code)).toEqual(hosts.map(() => 'good'));
  const rows = await t.db
    .selectFrom('records')
    .select('content')
    .where('type', '=', 'A')
    .where(
      'name',
      'in',
      hosts.map((h) => h.name),
    )
    .execute();
  expect(rows).toHaveLength(hosts.length);

  const metrics = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
  expect(metrics).toMatch(/^nodejs_heap_size_total_bytes \d+/m);

  const [victim] = listening();
  process.kill(victim!, 'SIGKILL');
  await until(
    () => api.output().includes('api worker died; replacing it') && listening().length === 3,
    60_000,
  );
  const again = await Promise.all(hosts.map((h, i) => update(base, h, `192.0.2.${i + 101}`)));
  expect(again.map((r) => r.code)).toEqual(hosts.map(() => 'good'));

  const workers = listening().filter((pid) => pid !== victim);
  await api.stop();
  expect(api.child.exitCode).toBe(0);
  for (const pid of workers) expect(() => process.kill(pid, 0)).toThrow();
}, 120_000);
