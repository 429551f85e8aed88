import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { devEnvFile, runCli, writeDevEnv } from '@ddns/cli';
import { createTestDatabase, type TestDatabase } from '@ddns/testkit';

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(async () => {
  await t.destroy();
});

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(
    argv,
    { DATABASE_URL: t.url },
    { out: (s) => out.push(s), err: (s) => err.push(s) },
  );
  return { code, out: out.join('\n'), err: err.join('\n') };
}

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

test('account create --json prints the secrets once; the database holds only their hashes', async () => {
  const r = await cli(
    'account',
    'create',
    '--email',
    'Alice@Example.com',
    '--password',
    'correct horse',
    '--json',
  );
  expect(r.code).toBe(0);
  const created = JSON.parse(r.out) as { id: number; email: string; apiKey: string; updateToken: string };
  expect(Object.keys(created).sort()).toEqual(['apiKey', 'email', 'id', 'updateToken']);
  expect(created.apiKey).toMatch(/^[A-Za-z0-9_-]{43}$/);

  const row = await t.db
    .selectFrom('accounts')
    .selectAll()
    .where('id', '=', created.id)
    .executeTakeFirstOrThrow();
  const stored = JSON.stringify(row);
  expect(stored).not.toContain(created.apiKey);
  expect(stored).not.toContain(created.updateToken);
  expect(stored).not.toContain('correct horse');
  expect(row.api_key_hash).toBe(sha256(created.apiKey));
  expect(row.update_token_hash).toBe(sha256(created.updateToken));
  expect(row.password_hash).toMatch(/^\$argon2id\$/);

  // listing never shows secrets again
  const list = await cli('account', 'list', '--json');
  expect(list.out).not.toContain(created.apiKey);
  expect(JSON.parse(list.out)).toEqual([
    expect.objectContaining({ email: 'Alice@Example.com', admin: false }),
  ]);
});

test('e-mail addresses are unique regardless of case', async () => {
  const r = await cli('account', 'create', '--email', 'alice@example.COM', '--password', 'another one');
  expect(r.code).toBe(1);
  expect(r.err).toMatch(/already exists/);
});

test('rotate-key replaces the API key only; rotate-update-token the update token only', async () => {
  const before = await t.db.selectFrom('accounts').selectAll().executeTakeFirstOrThrow();
  const r = await cli('account', 'rotate-key', '--email', 'alice@example.com', '--json');
  expect(r.code).toBe(0);
  const k = JSON.parse(r.out) as { apiKey: string; updateToken?: string };
  expect(k.updateToken).toBeUndefined();
  const after = await t.db.selectFrom('accounts').selectAll().executeTakeFirstOrThrow();
  expect(after.api_key_hash).toBe(sha256(k.apiKey));
  expect(after.api_key_hash).not.toBe(before.api_key_hash);
  expect(after.update_token_hash).toBe(before.update_token_hash);

  const u = await cli('account', 'rotate-update-token', 'alice@example.com', '--json');
  expect(u.code).toBe(0);
  const ut = JSON.parse(u.out) as { updateToken: string; apiKey?: string };
  expect(ut.apiKey).toBeUndefined();
  const last = await t.db.selectFrom('accounts').selectAll().executeTakeFirstOrThrow();
  expect(last.update_token_hash).toBe(sha256(ut.updateToken));
  expect(last.update_token_hash).not.toBe(before.update_token_hash);
  expect(last.api_key_hash).toBe(after.api_key_hash);
});

test('zone add creates SOA data, apex NS and glue; domain add registers under it', async () => {
  const z = await cli(
    'zone',
    'add',
    'Dyn.Example.',
    '--shared',
    '--ns',
    'ns1.dyn.example=192.0.2.53',
    '--json',
  );
  expect(z.code).toBe(0);
  expect(JSON.parse(z.out)).toMatchObject({ name: 'dyn.example', kind: 'shared' });
  const recs = await t.db.selectFrom('records').select(['name', 'type', 'content']).orderBy('id').execute();
  expect(recs).toEqual([
    { name: 'dyn.example', type: 'NS', content: 'ns1.dyn.example' },
    { name: 'ns1.dyn.example', type: 'A', content: '192.0.2.53' },
  ]);

  const d = await cli('domain', 'add', 'home.dyn.example', '--account', 'alice@example.com', '--json');
  expect(d.code).toBe(0);
  const dom = JSON.parse(d.out) as { id: number; name: string; token: string };
  expect(dom.token).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  const row = await t.db.selectFrom('domains').selectAll().where('id', '=', dom.id).executeTakeFirstOrThrow();
  expect(row.token_hash).toBe(sha256(dom.token));

  // a name outside every zone becomes a hosted zone of the account
  const h = await cli('domain', 'add', 'alice.example.org', '--account', 'alice@example.com', '--json');
  expect(h.code).toBe(0);
  const zone = await t.db
    .selectFrom('zones')
    .selectAll()
    .where('name', '=', 'alice.example.org')
    .executeTakeFirst();
  expect(zone?.kind).toBe('hosted');
  // not served until the account proves control of it
  expect(zone?.status).toBe('pending');
  expect(JSON.parse(h.out)).toMatchObject({
    ownership: { status: 'pending', challenge: { name: '_ddns-challenge.alice.example.org', type: 'TXT' } },
  });
});

test('bad input is refused with a clear message and changes nothing', async () => {
  const count = async () => (await t.db.selectFrom('zones').select('id').execute()).length;
  const before = await count();
  expect((await cli('zone', 'add', 'not a zone')).err).toMatch(/not a valid zone name/);
  expect((await cli('zone', 'add', 'x.example', '--ns', 'ns.x.example=999.1.1.1')).err).toMatch(
    /not an IP address/,
  );
  expect((await cli('domain', 'add', 'a.dyn.example', '--account', 'nobody@example.com')).err).toMatch(
    /no account/,
  );
  expect((await cli('account', 'create', '--email', 'bob@example.com')).err).toMatch(
    /--password is required/,
  );
  expect((await cli('frobnicate')).code).toBe(2);
  // ownership rules: public suffixes, and parents of existing zones
  expect((await cli('domain', 'add', 'co.uk', '--account', 'alice@example.com')).err).toMatch(
    /public suffix/,
  );
  expect((await cli('domain', 'add', 'example.org', '--account', 'alice@example.com')).err).toMatch(
    /contains the zone/,
  );
  expect(await count()).toBe(before);
});

test('a missing DATABASE_URL is one clear line', async () => {
  const err: string[] = [];
  // no pnpm dev either (a developer's running one must not answer for it)
  const env = { DEV_DATA_DIR: join(tmpdir(), 'ddns-no-dev-here') };
  const code = await runCli(['migrate'], env, { out: () => undefined, err: (s) => err.push(s) });
  expect(code).toBe(2);
  expect(err).toEqual(['config: DATABASE_URL is required']);
});

test('no DATABASE_URL: the CLI uses a running pnpm dev’s settings (.data/dev.env), never a stopped one’s', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ddns-dev-env-'));
  const env = { DEV_DATA_DIR: dir };
  const run = async () => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await runCli(['account', 'list', '--json'], env, {
      out: (s) => out.push(s),
      err: (s) => err.push(s),
    });
    return { code, out: out.join('\n'), err: err.join('\n') };
  };
  try {
    // written by a live process (this one, as pnpm dev writes it): used, and said so on stderr
    writeDevEnv(devEnvFile(env), { DATABASE_URL: t.url, REDIS_URL: 'redis://127.0.0.1:1' });
    const live = await run();
    expect(live.code).toBe(0);
    expect(JSON.parse(live.out)).toEqual([expect.objectContaining({ email: 'Alice@Example.com' })]);
    expect(live.err).toBe(`ddns: DATABASE_URL is not set; using pnpm dev's database (${devEnvFile(env)})`);
    // left behind by a pnpm dev that is gone (killed): ignored
    const gone = spawnSync('true').pid;
    writeFileSync(devEnvFile(env), `DATABASE_URL=${t.url}\nDEV_PID=${gone}\n`);
    expect(await run()).toEqual({
      code: 2,
      out: '',
      err: '{"error":"config: DATABASE_URL is required","problems":["config: DATABASE_URL is required"]}',
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
