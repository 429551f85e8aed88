import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { ConfigError, MIN_SECRET_LENGTH, parseConfig, pick } from '@ddns/config';

const root = join(__dirname, '..', '..', '..');

test('parses and applies defaults', () => {
  const c = parseConfig(pick('API_PORT', 'DNS_SECONDARIES', 'DNS_RRL'), {});
  expect(c).toEqual({ API_PORT: 8080, DNS_SECONDARIES: [], DNS_RRL: true });
});

test('MAIL_CORS_ORIGINS: * by default, or a list of origins; anything else is refused', () => {
  const mail = pick('MAIL_CORS_ORIGINS');
  expect(parseConfig(mail, {})).toEqual({ MAIL_CORS_ORIGINS: ['*'] });
  expect(
    parseConfig(mail, { MAIL_CORS_ORIGINS: 'https://panel.example.net, http://127.0.0.1:8000' }),
  ).toEqual({ MAIL_CORS_ORIGINS: ['https://panel.example.net', 'http://127.0.0.1:8000'] });
  for (const bad of ['https://panel.example.net/', 'panel.example.net', 'ftp://x.example', ' '])
    expect(() => parseConfig(mail, { MAIL_CORS_ORIGINS: bad })).toThrow(/MAIL_CORS_ORIGINS/);
});

test('one line per wrong or missing variable, secrets not echoed', () => {
  try {
    parseConfig(pick('API_PORT', 'DATABASE_URL', 'JWT_SECRET', 'TUNNEL_IPV4'), {
      API_PORT: 'abc',
      JWT_SECRET: 'short',
      TUNNEL_IPV4: '2001:db8::1',
    });
    throw new Error('expected a ConfigError');
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    const lines = (err as ConfigError).problems;
    expect(lines).toHaveLength(4);
    expect(lines).toContain('config: API_PORT must be a port number (got "abc")');
    expect(lines).toContain('config: DATABASE_URL is required');
    expect(lines).toContain(
      'config: JWT_SECRET must be at least 32 characters (generate one: openssl rand -hex 32)',
    );
    expect(lines).toContain('config: TUNNEL_IPV4 must be an IPv4 address (got "2001:db8::1")');
  }
});

test.each(['api', 'dns', 'mailer'])(
  'the %s service refuses to start on API_PORT=abc / a bad URL, naming it',
  (svc) => {
    const env = {
      PATH: process.env.PATH,
      DATABASE_URL: 'mysql://nope',
      REDIS_URL: 'redis://127.0.0.1:6379',
      JWT_SECRET: randomBytes(32).toString('hex'),
      SECRETS_KEY: randomBytes(32).toString('hex'),
      API_PORT: 'abc',
      DNS_PORT: '99999',
    };
    const r = spawnSync(
      join(root, 'node_modules', '.bin', 'tsx'),
      [join(root, 'services', svc, 'src', 'main.ts')],
      {
        env,
        encoding: 'utf8',
        timeout: 90_000,
      },
    );
    expect(r.status).toBe(1);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toContain(
      'config: DATABASE_URL must be a PostgreSQL URL (postgres:// or postgresql://...)',
    );
    if (svc === 'api') expect(lines).toContain('config: API_PORT must be a port number (got "abc")');
    if (svc === 'dns')
      expect(lines).toContain('config: DNS_PORT must be a port number between 1 and 65535 (got "99999")');
    expect(lines.every((l) => l.startsWith('config: '))).toBe(true);
  },
  120_000,
);

test('metrics listen on loopback ports of their own unless opened on purpose', () => {
  expect(
    parseConfig(pick('API_METRICS_HOST', 'API_METRICS_PORT', 'DNS_METRICS_HOST', 'DNS_METRICS_PORT'), {}),
  ).toEqual({
    API_METRICS_HOST: '127.0.0.1',
    API_METRICS_PORT: 9464,
    DNS_METRICS_HOST: '127.0.0.1',
    DNS_METRICS_PORT: 9153,
  });
  // and never on the public ports
  const d = parseConfig(pick('API_PORT', 'API_HTTP_PORT', 'DNS_PORT'), {});
  expect([d.API_PORT, d.API_HTTP_PORT, d.DNS_PORT]).not.toContain(9464);
  expect([d.API_PORT, d.API_HTTP_PORT, d.DNS_PORT]).not.toContain(9153);
});

test('ACME_DNS_SERVER is host:port', () => {
  expect(parseConfig(pick('ACME_DNS_SERVER'), { ACME_DNS_SERVER: 'dns:5353' })).toEqual({
    ACME_DNS_SERVER: 'dns:5353',
  });
  expect(parseConfig(pick('ACME_DNS_SERVER'), {})).toEqual({ ACME_DNS_SERVER: undefined });
  expect(() => parseConfig(pick('ACME_DNS_SERVER'), { ACME_DNS_SERVER: 'dns' })).toThrow(
    'config: ACME_DNS_SERVER must be host:port (e.g. dns:53 or 127.0.0.1:1053) (got "dns")',
  );
});

describe('JWT_SECRET and SECRETS_KEY', () => {
  const problem = (v: string | undefined) => {
    try {
      parseConfig(pick('JWT_SECRET', 'SECRETS_KEY'), {
        JWT_SECRET: v,
        SECRETS_KEY: randomBytes(32).toString('hex'),
      });
      return null;
    } catch (err) {
      return (err as ConfigError).problems.join('\n');
    }
  };

  test('a random 32-byte hex string passes', () => {
    expect(MIN_SECRET_LENGTH).toBe(32);
    expect(problem(randomBytes(32).toString('hex'))).toBeNull();
    expect(problem(randomBytes(24).toString('base64url'))).toBeNull(); // 32 characters
  });

  test.each([
    [undefined, 'config: JWT_SECRET is required'],
    ['', 'config: JWT_SECRET is required'],
    [randomBytes(15).toString('hex'), 'config: JWT_SECRET must be at least 32 characters'],
    // the strings the compose file and .env.example once shipped
    ['compose-dev-jwt-secret-change-me', 'config: JWT_SECRET is a placeholder, not a secret'],
    ['compose-dev-secrets-key-change-me', 'config: JWT_SECRET is a placeholder, not a secret'],
    ['change-me-to-a-long-random-string', 'config: JWT_SECRET is a placeholder, not a secret'],
    ['change-me-to-another-long-random-string', 'config: JWT_SECRET is a placeholder, not a secret'],
    ['please-CHANGEME-0123456789abcdefghijkl', 'config: JWT_SECRET is a placeholder, not a secret'],
    ['x'.repeat(64), 'config: JWT_SECRET is too repetitive to be a secret'],
  ])('%j is refused', (value, message) => {
    const p = problem(value);
    expect(p).toContain(message);
    if (value) expect(p).not.toContain(value); // never echoed
  });

  // Outside `pnpm dev` (which makes random ones in .data/dev-secrets.json) a service gets its secrets from its
  // environment only: each refuses to start, with one line naming the variable, when one is missing, short or
  // a placeholder. api needs JWT_SECRET and SECRETS_KEY; dns (DNSSEC keys) and mailer SECRETS_KEY.
  const unfit: [string, string | undefined, string][] = [
    ['missing', undefined, 'is required'],
    [
      'short',
      randomBytes(15).toString('hex'),
      'must be at least 32 characters (generate one: openssl rand -hex 32)',
    ],
    [
      'a placeholder',
      'compose-dev-secrets-key-change-me',
      'is a placeholder, not a secret (generate one: openssl rand -hex 32)',
    ],
  ];
  const start = (svc: string, env: Record<string, string | undefined>) =>
    new Promise<{ code: number | null; stderr: string }>((resolve) => {
      const child = spawn(
        join(root, 'node_modules', '.bin', 'tsx'),
        [join(root, 'services', svc, 'src', 'main.ts')],
        {
          env: {
            PATH: process.env.PATH,
            DATABASE_URL: 'postgres://127.0.0.1:1/none',
            REDIS_URL: 'redis://127.0.0.1:1',
            JWT_SECRET: randomBytes(32).toString('hex'),
            SECRETS_KEY: randomBytes(32).toString('hex'),
            ...env,
          },
          stdio: ['ignore', 'ignore', 'pipe'],
        },
      );
      let stderr = '';
      child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
      const timer = setTimeout(() => child.kill('SIGKILL'), 90_000);
      child.on('close', (code) => {
        clearTimeout(timer);
        resolve({ code, stderr });
      });
    });

  test.each([
    ['api', ['JWT_SECRET', 'SECRETS_KEY']],
    ['dns', ['SECRETS_KEY']],
    ['mailer', ['SECRETS_KEY']],
  ])(
    'the %s service refuses to start with a missing, short or placeholder %j',
    async (svc, names) => {
      const cases = names.flatMap((name) =>
        unfit.map(([what, value, message]) => ({
          name,
          what,
          value,
          expected: `config: ${name} ${message}`,
        })),
      );
      // side by side: each start fails at its configuration, before any connection
      const results = await Promise.all(
        cases.map(async (c) => {
          const r = await start(svc, { [c.name]: c.value });
          return { case: `${c.name} ${c.what}`, code: r.code, stderr: r.stderr.trim() };
        }),
      );
      expect(results).toEqual(
        cases.map((c) => ({ case: `${c.name} ${c.what}`, code: 1, stderr: c.expected })),
      );
    },
    180_000,
  );
});
