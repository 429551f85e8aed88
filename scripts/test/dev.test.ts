import { execFile, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from '@ddns/local-services';
import { createTestDatabase, testRedisUrl, type TestDatabase } from '@ddns/testkit';

const root = join(__dirname, '..', '..');
let t: TestDatabase;
let dataDir: string;
beforeAll(async () => {
  t = await createTestDatabase();
  dataDir = mkdtempSync(join(tmpdir(), 'ddns-dev-'));
});
afterAll(async () => {
  await t.destroy();
  rmSync(dataDir, { recursive: true, force: true });
});

/**
 * Ctrl-C as a terminal sends it: SIGINT to the whole process group (dev runs in a group of its own, `detached`).
 * SIGINT to the tsx wrapper alone is not the same: tsx relays it and SIGKILLs dev (exit 130) when dev does not
 * confirm within 30 ms, which a loaded machine can miss.
 */
function ctrlC(pid: number): void {
  process.kill(-pid, 'SIGINT');
}

/** Polls until `check` holds or `ms` pass; returns whether it held. */
async function eventually(ms: number, check: () => boolean | Promise<boolean>): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, 250));
  }
  return check();
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

test('pnpm dev brings up api, dns and mailer; Ctrl-C stops them all', async () => {
  const [apiPort, dnsPort, smtpPort, webPort] = [
    await freePort(),
    await freePort(),
    await freePort(),
    await freePort(),
  ];
  // dev's queues use the production prefix (`ddns`) and job ids like `verify-1-1`: give it a Redis database of
  // its own, emptied first, so another run's finished job with the same id cannot swallow this one's mail
  const redisUrl = new URL(testRedisUrl());
  redisUrl.pathname = '/12';
  execFileSync('redis-cli', ['-u', redisUrl.toString(), 'flushdb']);
  const dev = spawn(join(root, 'node_modules', '.bin', 'tsx'), [join(root, 'scripts', 'dev.ts')], {
    env: {
      PATH: process.env.PATH,
      DATABASE_URL: t.url,
      REDIS_URL: redisUrl.toString(),
      API_PORT: String(apiPort),
      DNS_PORT: String(dnsPort),
      DNS_METRICS_PORT: String(await freePort()),
      API_METRICS_PORT: String(await freePort()),
      DEV_SMTP_PORT: String(smtpPort),
      WEB_DEV_PORT: String(webPort),
      DEV_DEMO_ZONE: 'demo.test',
      DEV_DATA_DIR: dataDir,
      LOG_LEVEL: 'info',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let out = '';
  dev.stdout.on('data', (c: Buffer) => (out += c.toString()));
  dev.stderr.on('data', (c: Buffer) => (out += c.toString()));
  try {
    // ready: /readyz answers 200
    const until = Date.now() + 150_000;
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

    // health polls leave no trace in the logs; other requests do
    expect(out).not.toMatch(/"url":"\/(readyz|healthz)/);
    await fetch(`http://127.0.0.1:${apiPort}/tools/whatismyip/`);
    expect(await eventually(10_000, () => /"url":"\/tools\/whatismyip\/"/.test(out))).toBe(true);

    // the dashboard from its sources under Vite (hot reload); the api sends browsers there; Vite proxies the API
    const web = `http://127.0.0.1:${webPort}`;
    let page = '';
    const webUntil = Date.now() + 60_000;
    while (Date.now() < webUntil && !page.includes('/@vite/client'))
      page = await fetch(`${web}/login`).then(
        (r) => r.text(),
        () => '',
      );
    expect(page).toContain('/@vite/client');
    expect(page).toContain('/src/main.tsx');
    const toVite = await fetch(`http://127.0.0.1:${apiPort}/domains?x=1`, { redirect: 'manual' });
    expect(toVite.status).toBe(302);
    expect(toVite.headers.get('location')).toBe(`${web}/domains?x=1`);
    expect(await fetch(`${web}/healthz`).then((r) => r.json())).toEqual({ status: 'ok' });

    // `pnpm ddns` next to it, with no DATABASE_URL in its environment: it finds dev's settings itself
    const envFile = join(dataDir, 'dev.env');
    expect(statSync(envFile).mode & 0o777).toBe(0o600);
    expect(readFileSync(envFile, 'utf8')).toContain(`DATABASE_URL=${t.url}`);
    const cli = await promisify(execFile)('pnpm', ['--silent', 'ddns', 'account', 'list', '--json'], {
      cwd: root,
      env: { PATH: process.env.PATH, DEV_DATA_DIR: dataDir },
    });
    expect(JSON.parse(cli.stdout)).toEqual([
      expect.objectContaining({ email: 'admin@example.com', admin: true }),
    ]);
    expect(cli.stderr).toMatch(/DATABASE_URL is not set; using pnpm dev's database/);

    // a mail the catcher prints is decoded: its verification link is whole and works
    const api = `http://127.0.0.1:${apiPort}`;
    const sub = (await (await fetch(`${api}/subscribe?name=mailcheck`)).json()) as { token: string };
    const set = await fetch(
      `${api}/setemail?token=${encodeURIComponent(sub.token)}&email=owner%40example.com`,
    );
    expect(set.status).toBe(200);
    expect(await eventually(60_000, () => /\[dev\] mail to owner@example\.com/.test(out))).toBe(true);
    const mail = out.slice(out.indexOf('[dev] mail to owner@example.com'));
    expect(mail).toMatch(/Subject: \S/);
    expect(mail).not.toMatch(/=\r?\n|=3D/); // no quoted-printable left
    const link = /http:\/\/localhost:\d+\/verifyemail\?s=[^\s"<>]+/.exec(mail)?.[0];
    expect(link).toBeDefined();
    const verified = await fetch(link!.replace('localhost', '127.0.0.1'));
    expect(verified.status).toBe(200);
    expect(await verified.text()).toMatch(/E-mail address verified/);
  } finally {
    const pids = [...out.matchAll(/"pid":(\d+)/g)].map((m) => Number(m[1]));
    const exited = new Promise<number | null>((resolve) => dev.once('exit', (code) => resolve(code)));
    ctrlC(dev.pid!);
    expect(await exited).toBe(0);
    expect(out).toMatch(/all stopped/);
    expect(existsSync(join(dataDir, 'dev.env'))).toBe(false);
    for (const pid of new Set(pids)) expect(alive(pid) ? `pid ${pid} still running` : 'gone').toBe('gone');
  }
}, 300_000);

/** Whether something accepts TCP connections on 127.0.0.1:port. */
function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const c = net.connect(port, '127.0.0.1');
    c.once('connect', () => {
      c.destroy();
      resolve(true);
    });
    c.once('error', () => resolve(false));
  });
}

test('pnpm dev with nothing set: embedded Postgres, a private redis-server, their addresses printed; pnpm ddns finds them', async () => {
  // the new user's case: no DATABASE_URL, REDIS_URL or SMTP_URL anywhere (only ports moved off the defaults)
  const own = mkdtempSync(join(tmpdir(), 'ddns-dev-embedded-'));
  const [apiPort, pgPort, redisPort] = [await freePort(), await freePort(), await freePort()];
  const dev = spawn(join(root, 'node_modules', '.bin', 'tsx'), [join(root, 'scripts', 'dev.ts')], {
    env: {
      PATH: process.env.PATH,
      API_PORT: String(apiPort),
      API_METRICS_PORT: String(await freePort()),
      DNS_PORT: String(await freePort()),
      DNS_METRICS_PORT: String(await freePort()),
      DEV_PG_PORT: String(pgPort),
      DEV_REDIS_PORT: String(redisPort),
      DEV_SMTP_PORT: String(await freePort()),
      WEB_DEV_PORT: String(await freePort()),
      DEV_DATA_DIR: own,
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let out = '';
  dev.stdout.on('data', (c: Buffer) => (out += c.toString()));
  dev.stderr.on('data', (c: Buffer) => (out += c.toString()));
  const exited = new Promise<number | null>((resolve) => dev.once('exit', (code) => resolve(code)));
  let failure: Error | undefined;
  try {
    const ready = await eventually(
      180_000,
      async () =>
        /\(in \S+dev\.env: `pnpm ddns …` uses them\)/.test(out) &&
        (await fetch(`http://127.0.0.1:${apiPort}/readyz`).then(
          (r) => r.status === 200,
          () => false,
        )),
    );
    expect(ready ? 'ready' : out).toBe('ready');
    expect(out).toMatch(/starting embedded Postgres/);
    // where the database and Redis are, the database password hidden
    expect(out).toContain(
      `database postgres://postgres:***@127.0.0.1:${pgPort}/postgres  redis redis://127.0.0.1:${redisPort}`,
    );
    expect(out).not.toContain('postgres:postgres@');

    // `pnpm ddns account list` with nothing exported
    const cli = await promisify(execFile)('pnpm', ['--silent', 'ddns', 'account', 'list'], {
      cwd: root,
      env: { PATH: process.env.PATH, DEV_DATA_DIR: own },
    });
    expect(cli.stdout).toMatch(/^\d+\tadmin@example\.com\tdefault\tadmin\t0 domain\(s\)\n$/);
    expect(cli.stderr).toContain(
      `DATABASE_URL is not set; using pnpm dev's database (${join(own, 'dev.env')})`,
    );
  } catch (err) {
    // what dev printed explains most failures; the stop below must not hide this error
    failure = new Error(
      `${(err as Error).message}\n--- pnpm dev printed (last 4000 characters):\n${out.slice(-4000)}`,
    );
  }
  ctrlC(dev.pid!);
  const stopped = {
    code: await exited,
    // Ctrl-C stopped the embedded Postgres and redis-server too, and took dev.env away
    postgres: await listening(pgPort),
    redis: await listening(redisPort),
    devEnv: existsSync(join(own, 'dev.env')),
  };
  rmSync(own, { recursive: true, force: true });
  if (failure) throw failure;
  expect(stopped).toEqual({ code: 0, postgres: false, redis: false, devEnv: false });
}, 300_000);
