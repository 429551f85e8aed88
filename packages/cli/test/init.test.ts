import { randomBytes } from 'node:crypto';
import { runCli } from '@ddns/cli';
import { verifyPassword } from '@ddns/secrets';
import { createTestDatabase, type TestDatabase } from '@ddns/testkit';

// `ddns init` is what docker compose runs at every start: the first run creates the shared zone and the admin
// and prints the admin's credentials; later runs change nothing and print no secrets.
let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(async () => {
  await t.destroy();
});

const env = {
  JWT_SECRET: randomBytes(32).toString('hex'),
  SECRETS_KEY: randomBytes(32).toString('hex'),
  DDNS_ZONE: 'Dyn.Example.net.',
  DDNS_NS: 'ns1.dyn.example.net=192.0.2.53, ns2.example.org',
  DDNS_ADMIN_EMAIL: 'admin@example.net',
};

async function init(over: Record<string, string> = {}, ...args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(
    ['init', ...args],
    { DATABASE_URL: t.url, ...env, ...over },
    { out: (s) => out.push(s), err: (s) => err.push(s) },
  );
  return { code, out: out.join('\n'), err: err.join('\n') };
}

const snapshot = async () => ({
  zones: await t.db.selectFrom('zones').selectAll().orderBy('id').execute(),
  records: await t.db.selectFrom('records').selectAll().orderBy('id').execute(),
  accounts: await t.db.selectFrom('accounts').selectAll().orderBy('id').execute(),
});

test('first run: the shared zone with its name servers and glue, and an admin whose credentials work', async () => {
  const r = await init();
  expect(r.err).toBe('');
  expect(r.code).toBe(0);
  expect(r.out).toMatch(/^zone dyn\.example\.net: created \(shared\)$/m);
  expect(r.out).toMatch(/^DNSSEC keys made for: dyn\.example\.net /m);
  const password = /^ {2}password: +(\S+)$/m.exec(r.out)?.[1];
  expect(r.out).toMatch(/^ {2}API key: +[A-Za-z0-9_-]{43}$/m);
  expect(r.out).toMatch(/^ {2}update token: +[A-Za-z0-9_-]{43}$/m);

  const zone = await t.db
    .selectFrom('zones')
    .selectAll()
    .where('name', '=', 'dyn.example.net')
    .executeTakeFirstOrThrow();
  expect(zone.kind).toBe('shared');
  const records = await t.db
    .selectFrom('records')
    .select(['name', 'type', 'content'])
    .where('zone_id', '=', zone.id)
    .orderBy('id')
    .execute();
  expect(records).toEqual([
    { name: 'dyn.example.net', type: 'NS', content: 'ns1.dyn.example.net' },
    { name: 'ns1.dyn.example.net', type: 'A', content: '192.0.2.53' },
    { name: 'dyn.example.net', type: 'NS', content: 'ns2.example.org' },
  ]);
  const admin = await t.db
    .selectFrom('accounts')
    .selectAll()
    .where('email', '=', 'admin@example.net')
    .executeTakeFirstOrThrow();
  expect(admin.is_admin).toBe(true);
  expect(await verifyPassword(password!, admin.password_hash)).toBe(true);
});

test('second run changes nothing and prints no secret', async () => {
  const before = await snapshot();
  const r = await init();
  expect(r.code).toBe(0);
  expect(r.out).toBe(
    'zone dyn.example.net: exists, unchanged\n' +
      'admin admin@example.net: exists, unchanged (its credentials were printed when it was created; ' +
      '`ddns account rotate-key` makes new ones)',
  );
  expect(await snapshot()).toEqual(before);
  const json = await init({}, '--json');
  expect(JSON.parse(json.out)).toEqual({
    zone: { name: 'dyn.example.net', created: false },
    keyed: [],
    admin: { email: 'admin@example.net', created: false },
  });
});

test('clear errors for bad settings, nothing written', async () => {
  const before = await snapshot();
  const bad = await init({ DDNS_ZONE: 'not a zone', DDNS_ADMIN_EMAIL: 'nobody' });
  expect(bad.code).toBe(2);
  expect(bad.err.split('\n')).toEqual([
    'config: DDNS_ZONE must be a domain name (e.g. dyn.example.net) (got "not a zone")',
    'config: DDNS_ADMIN_EMAIL must be an e-mail address (got "nobody")',
  ]);
  const inZone = await init({ DDNS_ZONE: 'other.example.net', DDNS_NS: 'ns1.other.example.net' });
  expect(inZone.code).toBe(1);
  expect(inZone.err).toBe(
    'ddns: name server ns1.other.example.net is inside other.example.net: give its address (--ns ns1.other.example.net=IP)',
  );
  expect(await snapshot()).toEqual(before);
});

test('without settings it says what to set', async () => {
  const out: string[] = [];
  const code = await runCli(
    ['init'],
    { DATABASE_URL: t.url, JWT_SECRET: env.JWT_SECRET, SECRETS_KEY: env.SECRETS_KEY },
    { out: (s) => out.push(s), err: () => undefined },
  );
  expect(code).toBe(0);
  expect(out.join('\n')).toBe('nothing to do: set DDNS_ZONE and/or DDNS_ADMIN_EMAIL');
});

test('a placeholder secret stops it before anything is written', async () => {
  const before = await snapshot();
  const r = await init({ DDNS_ZONE: 'new.example.net', JWT_SECRET: 'compose-dev-jwt-secret-change-me' });
  expect(r.code).toBe(2);
  expect(r.err).toBe(
    'config: JWT_SECRET is a placeholder, not a secret (generate one: openssl rand -hex 32)',
  );
  expect(await snapshot()).toEqual(before);
});
