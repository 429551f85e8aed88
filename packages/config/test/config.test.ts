import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { ConfigError, parseConfig, pick } from '@ddns/config';

const root = join(__dirname, '..', '..', '..');

test('parses and applies defaults', () => {
  const c = parseConfig(pick('API_PORT', 'DNS_SECONDARIES', 'DNS_RRL'), {});
  expect(c).toEqual({ API_PORT: 8080, DNS_SECONDARIES: [], DNS_RRL: true });
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
    expect(lines).toContain('config: JWT_SECRET must be at least 16 characters');
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
      JWT_SECRET: 'x'.repeat(20),
      SECRETS_KEY: 'y'.repeat(20),
      API_PORT: 'abc',
      DNS_PORT: '99999',
    };
    const r = spawnSync(
      join(root, 'node_modules', '.bin', 'tsx'),
      [join(root, 'services', svc, 'src', 'main.ts')],
      {
        env,
        encoding: 'utf8',
        timeout: 20_000,
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
