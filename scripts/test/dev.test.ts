import { execFileSync, spawn } from 'node:child_process';
import { join } from 'node:path';
import { freePort } from '@ddns/local-services';
import { createTestDatabase, testRedisUrl, type TestDatabase } from '@ddns/testkit';

const root = join(__dirname, '..', '..');
let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(async () => {
  await t.destroy();
});

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

test('pnpm dev brings up api, dns and mailer; Ctrl-C stops them all', async () => {
  const [apiPort, dnsPort, smtpPort] = [await freePort(), await freePort(), await freePort()];
  const dev = spawn(join(root, 'node_modules', '.bin', 'tsx'), [join(root, 'scripts', 'dev.ts')], {
    env: {
      PATH: process.env.PATH,
      DATABASE_URL: t.url,
      REDIS_URL: testRedisUrl(),
      API_PORT: String(apiPort),
      DNS_PORT: String(dnsPort),
      DNS_METRICS_PORT: String(await freePort()),
      DEV_SMTP_PORT: String(smtpPort),
      DEV_DEMO_ZONE: 'demo.test',
      LOG_LEVEL: 'info',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  dev.stdout.on('data', (c: Buffer) => (out += c.toString()));
  dev.stderr.on('data', (c: Buffer) => (out += c.toString()));
  try {
    // ready: /readyz answers 200
    const until = Date.now() + 90_000;
    let ready = 0;
    while (Date.now() < until) {
      ready = await fetch(`http://127.0.0.1:${apiPort}/readyz`).then(
        (r) => r.status,
        () => 0,
      );
      if (ready === 200 && /mailer consuming queues/.test(out) && /"name":"dns"/.test(out)) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(ready).toBe(200);
    expect(out).toMatch(/first run: demo shared zone demo\.test and an admin account/);
    expect(out).toMatch(/password: +\S+/);

    const soa = execFileSync(
      'dig',
      ['@127.0.0.1', '-p', String(dnsPort), 'demo.test', 'SOA', '+short', '+tries=3', '+time=2'],
      {
        encoding: 'utf8',
      },
    );
    expect(soa).toMatch(/^ns1\.demo\.test\. hostmaster\.demo\.test\. \d+ /);
  } finally {
    const pids = [...out.matchAll(/"pid":(\d+)/g)].map((m) => Number(m[1]));
    const exited = new Promise<number | null>((resolve) => dev.once('exit', (code) => resolve(code)));
    dev.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(out).toMatch(/all stopped/);
    for (const pid of new Set(pids)) expect(alive(pid) ? `pid ${pid} still running` : 'gone').toBe('gone');
  }
}, 150_000);
