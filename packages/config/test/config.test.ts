import { spawnSync } from 'node:child_process';
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

  test.each(['api', 'mailer'])(
    'the %s service refuses a placeholder secret',
    (svc) => {
      const r = spawnSync(
        join(root, 'node_modules', '.bin', 'tsx'),
        [join(root, 'services', svc, 'src', 'main.ts')],
        {
          env: {
            PATH: process.env.PATH,
            DATABASE_URL: 'postgres://127.0.0.1:1/none',
            REDIS_URL: 'redis://127.0.0.1:1',
            JWT_SECRET: randomBytes(32).toString('hex'),
            SECRETS_KEY: 'compose-dev-secrets-key-change-me',
          },
          encoding: 'utf8',
          timeout: 90_000,
        },
      );
      expect(r.status).toBe(1);
      expect(r.stderr.trim()).toBe(
        'config: SECRETS_KEY is a placeholder, not a secret (generate one: openssl rand -hex 32)',
      );
    },
    120_000,
  );
});
