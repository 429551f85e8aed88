import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { fields } from '@ddns/config';

// Static checks of docker-compose.yml and the Dockerfile, part of `pnpm test`. The real thing (a Docker engine
// building the image and running the stack) is `pnpm test:compose` (infra/test/compose/).
const root = join(__dirname, '..', '..');
interface Service {
  image?: string;
  build?: unknown;
  command?: string[];
  environment?: Record<string, string>;
  ports?: string[];
  profiles?: string[];
  healthcheck?: { test: string[] };
  depends_on?: Record<string, { condition: string }>;
}
const composeText = readFileSync(join(root, 'docker-compose.yml'), 'utf8');
const compose = parse(composeText, { merge: true }) as { services: Record<string, Service> };
const envExample = new Set(
  readFileSync(join(root, '.env.example'), 'utf8')
    .split('\n')
    .filter((l) => /^[A-Z0-9_]+=/.test(l))
    .map((l) => l.split('=')[0]!),
);
const s = compose.services;

test('every service is there, each long-running one with a healthcheck of its own kind', () => {
  expect(Object.keys(s)).toEqual(
    expect.arrayContaining(['postgres', 'redis', 'migrate', 'init', 'api', 'dns', 'mailer', 'mailpit']),
  );
  for (const name of ['postgres', 'redis', 'api', 'dns', 'mailer'])
    expect(s[name]!.healthcheck?.test).toBeTruthy();
  expect(s.api!.healthcheck!.test).toEqual(['CMD', 'ddns-healthcheck', 'api']);
  expect(s.dns!.healthcheck!.test).toEqual(['CMD', 'ddns-healthcheck', 'dns']);
  expect(s.mailer!.healthcheck!.test).toEqual(['CMD', 'ddns-healthcheck', 'mailer']);
  for (const name of ['api', 'dns', 'mailer']) {
    expect(s[name]!.command).toEqual([name]);
    expect(s[name]!.depends_on?.postgres?.condition).toBe('service_healthy');
    expect(s[name]!.depends_on?.init?.condition).toBe('service_completed_successfully');
  }
  expect(s.api!.depends_on?.redis?.condition).toBe('service_healthy');
  expect(s.mailer!.depends_on?.redis?.condition).toBe('service_healthy');
});

test('migrations, then the bootstrap, at every start', () => {
  expect(s.migrate!.command).toEqual(['ddns', 'migrate']);
  expect(s.init!.command).toEqual(['ddns', 'init']);
  expect(s.init!.depends_on?.migrate?.condition).toBe('service_completed_successfully');
  expect(s.migrate!.depends_on?.postgres?.condition).toBe('service_healthy');
});

test('published: the API ports and DNS only; mail UI on loopback in the dev profile', () => {
  expect(s.api!.ports).toEqual([
    '${DDNS_API_ADDRESS:-0.0.0.0}:${DDNS_API_PORT:-8080}:8080',
    '${DDNS_API_ADDRESS:-0.0.0.0}:${DDNS_API_HTTP_PORT:-8081}:8081',
  ]);
  const dnsPort = s.dns!.environment!.DNS_PORT;
  expect(s.dns!.ports).toEqual([
    `\${DDNS_DNS_ADDRESS:-0.0.0.0}:\${DDNS_DNS_PORT:-53}:${dnsPort}/udp`,
    `\${DDNS_DNS_ADDRESS:-0.0.0.0}:\${DDNS_DNS_PORT:-53}:${dnsPort}/tcp`,
  ]);
  for (const name of ['postgres', 'redis', 'migrate', 'init', 'mailer'])
    expect(s[name]!.ports).toBeUndefined();
  expect(s.mailpit!.profiles).toEqual(['dev']);
  expect(s.mailpit!.ports).toEqual(['127.0.0.1:${DDNS_MAILPIT_PORT:-8025}:8025']);
  // metrics listen on the compose network only
  const published = JSON.stringify(Object.values(s).map((v) => v.ports ?? []));
  expect(published).not.toMatch(/9153|9464/);
});

test('secrets and the bootstrap settings are required, never defaulted', () => {
  for (const v of ['JWT_SECRET', 'SECRETS_KEY', 'DDNS_ZONE', 'DDNS_NS', 'DDNS_ADMIN_EMAIL'])
    expect(s.api!.environment![v]).toMatch(new RegExp(`^\\$\\{${v}:\\?set ${v} in \\.env`));
  expect(composeText).not.toMatch(/change-me|compose-dev/);
});

test('SMTP goes to the operator’s relay: SMTP_URL comes from .env; Mailpit is only in the dev profile', () => {
  for (const name of ['api', 'mailer', 'init'])
    expect(s[name]!.environment!.SMTP_URL).toMatch(/^\$\{SMTP_URL:-/);
  for (const [name, svc] of Object.entries(s))
    if (name !== 'mailpit') expect(svc.depends_on?.mailpit).toBeUndefined();
  expect(s.mailpit!.profiles).toEqual(['dev']);
});

test('third-party images are pinned', () => {
  for (const [name, svc] of Object.entries(s)) {
    if (!svc.image || svc.image.startsWith('ddns:')) continue;
    expect(`${name}: ${svc.image}`).toMatch(/:[^:]*\d[^:]*$/); // a version in the tag
    expect(svc.image).not.toMatch(/:latest$/);
  }
});

test('the environment of the services is exactly what .env.example documents and config validates', () => {
  for (const name of ['api', 'dns', 'mailer', 'init']) {
    const env = Object.keys(s[name]!.environment ?? {});
    for (const v of env) expect(envExample.has(v) ? v : `${v} missing from .env.example`).toBe(v);
  }
  const known = new Set(Object.keys(fields));
  for (const v of envExample) expect(known.has(v) ? v : `${v} not validated by @ddns/config`).toBe(v);
  for (const v of known) expect(envExample.has(v) ? v : `${v} missing from .env.example`).toBe(v);
});

test('the Dockerfile: Node 24, multi-stage, non-root, copies paths that exist', () => {
  const df = readFileSync(join(root, 'infra', 'docker', 'Dockerfile'), 'utf8');
  const froms = df.match(/^FROM \S+/gm) ?? [];
  expect(froms.length).toBeGreaterThanOrEqual(2);
  for (const f of froms) expect(f).toMatch(/^FROM node:24-/);
  expect(df).toMatch(/^USER node$/m);
  for (const m of df.matchAll(/^COPY (?!--from)(?:--chown=\S+ )?(.+) \S+$/gm)) {
    for (const src of m[1]!.split(' '))
      expect(existsSync(join(root, src)) ? src : `${src} does not exist`).toBe(src);
  }
  const entry = readFileSync(join(root, 'infra', 'docker', 'bin', 'ddns-entrypoint'), 'utf8');
  expect(entry).toContain('api|dns|mailer)');
});
