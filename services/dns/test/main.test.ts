import { spawn } from 'node:child_process';
import { join } from 'node:path';
import {
  createTestDatabase,
  dnsPathEnv,
  sharedZone,
  TEST_SECRETS_KEY,
  type TestDatabase,
} from '@ddns/testkit';
import { dig, eventually, run } from './helpers';
import { freeDualPort } from './ports';

const ROOT = join(__dirname, '..', '..', '..');

let tdb: TestDatabase;

beforeAll(async () => {
  tdb = await createTestDatabase();
  const zone = await sharedZone(tdb.db, 'dyn.test');
  await tdb.db
    .insertInto('records')
    .values({ zone_id: zone.id, name: 'www.dyn.test', type: 'A', content: '192.0.2.1' })
    .execute();
});

afterAll(async () => {
  await tdb?.destroy();
});

describe('the dns service process', () => {
  it.each([1, 2])(
    'starts from the environment with %i worker(s), answers, and exits cleanly on SIGTERM',
    async (workers) => {
      const port = await freeDualPort();
      const metricsPort = await freeDualPort();
      const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'services/dns/src/main.ts')], {
        cwd: ROOT,
        stdio: ['ignore', 'ignore', 'pipe'],
        env: {
          PATH: process.env.PATH,
          DATABASE_URL: tdb.url,
          DNS_HOST: '127.0.0.1',
          DNS_PORT: String(port),
          DNS_METRICS_PORT: String(metricsPort),
          DNS_WORKERS: String(workers),
          SECRETS_KEY: TEST_SECRETS_KEY,
          LOG_LEVEL: 'silent',
          ...dnsPathEnv(),
        },
      });
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
      try {
        await eventually(
          async () => (await dig(port, 'www.dyn.test', 'A')).answer[0]?.data === '192.0.2.1',
          200,
        );
        // metrics on the one port whatever the worker count (the cluster primary aggregates its workers)
        const metrics = await eventually(async () => {
          const text = await run('curl', ['-s', `http://127.0.0.1:${metricsPort}/metrics`]);
          return /dns_queries_total\{qtype="A",rcode="NOERROR",transport="udp"\} \d+/.test(text)
            ? text
            : null;
        }, 200);
        expect(metrics).toMatch(/dns_store_zones 1\b/);
        child.kill('SIGTERM');
        expect(await exited).toBe(0);
        expect(stderr).toBe('');
      } finally {
        if (child.exitCode === null) child.kill('SIGKILL');
      }
    },
  );

  it('rejects a bad environment with a clear message', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'services/dns/src/main.ts')], {
      cwd: ROOT,
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { PATH: process.env.PATH, DATABASE_URL: tdb.url, DNS_PORT: 'not-a-port', LOG_LEVEL: 'silent' },
    });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
    expect(code).not.toBe(0);
    expect(stderr).toMatch(/DNS_PORT/);
  });
});
