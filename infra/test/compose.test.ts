import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { fields } from '@ddns/config';

// No Docker engine runs here: the compose file and Dockerfile are checked by reading them.
const root = join(__dirname, '..', '..');
interface Service {
  image?: string;
  build?: unknown;
  command?: string[];
  environment?: Record<string, string>;
  ports?: string[];
  healthcheck?: { test: string[] };
  depends_on?: Record<string, { condition: string }>;
}
const compose = parse(readFileSync(join(root, 'docker-compose.yml'), 'utf8'), { merge: true }) as {
  services: Record<string, Service>;
};
const envExample = new Set(
  readFileSync(join(root, '.env.example'), 'utf8')
    .split('\n')
    .filter((l) => /^[A-Z0-9_]+=/.test(l))
    .map((l) => l.split('=')[0]!),
);

test('every service is there, with a healthcheck where others wait on it', () => {
  const s = compose.services;
  expect(Object.keys(s)).toEqual(
    expect.arrayContaining(['postgres', 'redis', 'api', 'dns', 'mailer', 'mailpit']),
  );
  for (const name of ['postgres', 'redis', 'api', 'dns', 'mailpit'])
    expect(s[name]!.healthcheck?.test).toBeTruthy();
  for (const name of ['api', 'dns', 'mailer']) {
    expect(s[name]!.command).toEqual([name]);
    expect(s[name]!.depends_on?.postgres?.condition).toBe('service_healthy');
  }
  expect(s.api!.depends_on?.redis?.condition).toBe('service_healthy');
  expect(s.mailer!.depends_on?.redis?.condition).toBe('service_healthy');
});

test('ports: api 8080 (+8081 for old routers), dns 53 over UDP and TCP, mail UI 8025', () => {
  expect(compose.services.api!.ports).toEqual(expect.arrayContaining(['8080:8080', '8081:8081']));
  const dnsPort = compose.services.dns!.environment!.DNS_PORT;
  expect(compose.services.dns!.ports).toEqual(
    expect.arrayContaining([`53:${dnsPort}/udp`, `53:${dnsPort}/tcp`]),
  );
  expect(compose.services.mailpit!.ports).toContain('8025:8025');
});

test('the environment of the services is exactly what .env.example documents and config validates', () => {
  for (const name of ['api', 'dns', 'mailer']) {
    const env = Object.keys(compose.services[name]!.environment ?? {});
    for (const v of env) expect(envExample.has(v) ? v : `${v} missing from .env.example`).toBe(v);
  }
  const known = new Set(Object.keys(fields));
  for (const v of envExample) expect(known.has(v) ? v : `${v} not validated by @ddns/config`).toBe(v);
  for (const v of known) expect(envExample.has(v) ? v : `${v} missing from .env.example`).toBe(v);
});

test('the Dockerfile is multi-stage, runs as non-root, and copies paths that exist', () => {
  const df = readFileSync(join(root, 'infra', 'docker', 'Dockerfile'), 'utf8');
  expect(df.match(/^FROM /gm)?.length).toBeGreaterThanOrEqual(2);
  expect(df).toMatch(/^USER node$/m);
  for (const m of df.matchAll(/^COPY (?!--from)(?:--chown=\S+ )?(.+) \S+$/gm)) {
    for (const src of m[1]!.split(' '))
      expect(existsSync(join(root, src)) ? src : `${src} does not exist`).toBe(src);
  }
  const entry = readFileSync(join(root, 'infra', 'docker', 'entrypoint.sh'), 'utf8');
  expect(entry).toContain('api|dns|mailer)');
});
