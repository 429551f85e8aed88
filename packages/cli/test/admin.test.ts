import { spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '@ddns/cli';
import { verifyPassword } from '@ddns/secrets';
import { createTestDatabase, type TestDatabase } from '@ddns/testkit';
import { runAgainst, type CliResult } from './support';

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase();
  for (const argv of [
    ['zone', 'add', 'dyn.example', '--shared', '--ns', 'ns1.dyn.example=192.0.2.53'],
    ['zone', 'add', 'gw.example', '--shared'],
    ['account', 'create', '--email', 'ann@example.com', '--password', 'ann-password'],
    ['account', 'create', '--email', 'ben@example.com', '--password', 'ben-password', '--class', 'plus'],
    ['domain', 'add', 'ann1.dyn.example', '--account', 'ann@example.com'],
    ['domain', 'add', 'ann2.dyn.example', '--account', 'ann@example.com'],
    ['domain', 'add', 'ann.example.org', '--account', 'ann@example.com'],
    ['domain', 'add', 'ben1.dyn.example', '--account', 'ben@example.com'],
  ]) {
    const r = await cli(...argv);
    if (r.code !== 0) throw new Error(`${argv.join(' ')}: ${r.err}`);
  }
});
afterAll(async () => {
  await t.destroy();
});

const cli = (...argv: string[]): Promise<CliResult> => runAgainst(t.url, argv);
const json = <T>(r: CliResult): T => {
  expect(r).toMatchObject({ code: 0, err: '' });
  return JSON.parse(r.out) as T;
};
const names = async (table: 'zones' | 'domains') =>
  (await t.db.selectFrom(table).select('name').orderBy('name').execute()).map((r) => r.name);

/** An unknown name: exit 1, exactly one line on stderr naming it, nothing on stdout. */
async function refusedOneLine(argv: string[], message: RegExp) {
  const r = await cli(...argv);
  expect(r.code).toBe(1);
  expect(r.out).toBe('');
  expect(r.err.split('\n')).toHaveLength(1);
  expect(r.err).toMatch(message);
  const j = await cli(...argv, '--json');
  expect(j.code).toBe(1);
  expect(JSON.parse(j.err)).toEqual({ error: expect.stringMatching(message) });
}

describe('zone list / remove', () => {
  test('list shows every zone with its kind, owner and domain count', async () => {
    const zones = json<{ name: string; kind: string; account: string | null; domains: number }[]>(
      await cli('zone', 'list', '--json'),
    );
    expect(zones.map((z) => [z.name, z.kind, z.account, z.domains])).toEqual([
      ['ann.example.org', 'hosted', 'ann@example.com', 1],
      ['dyn.example', 'shared', null, 3],
      ['gw.example', 'shared', null, 0],
    ]);
    const text = await cli('zone', 'list');
    expect(text.out.split('\n')).toHaveLength(3);
    expect(text.out).toMatch(/dyn\.example\tshared\tactive\t-\tserial \d+\t3 domain\(s\)/);
  });

  test('unknown zone: one line', async () => {
    await refusedOneLine(['zone', 'remove', 'nope.example'], /^(ddns: )?no zone nope\.example$/);
  });

  test('a zone holding users’ domains is removed only with --force, domains and all', async () => {
    const r = await cli('zone', 'remove', 'dyn.example');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/holds 3 domain\(s\).*--force/);
    expect(await names('zones')).toContain('dyn.example');

    const empty = json<{ name: string; domains: string[] }>(
      await cli('zone', 'remove', 'gw.example', '--json'),
    );
    expect(empty).toMatchObject({ name: 'gw.example', domains: [] });
    expect(await names('zones')).not.toContain('gw.example');
  });
});

describe('domain list / remove', () => {
  test('list, all or one account’s or one zone’s', async () => {
    const all = json<{ name: string; account: string; kind: string }[]>(
      await cli('domain', 'list', '--json'),
    );
    expect(all.map((d) => d.name)).toEqual([
      'ann.example.org',
      'ann1.dyn.example',
      'ann2.dyn.example',
      'ben1.dyn.example',
    ]);
    const bens = json<{ name: string }[]>(
      await cli('domain', 'list', '--account', 'BEN@example.com', '--json'),
    );
    expect(bens.map((d) => d.name)).toEqual(['ben1.dyn.example']);
    const own = json<{ name: string }[]>(await cli('domain', 'list', '--zone', 'ann.example.org', '--json'));
    expect(own.map((d) => d.name)).toEqual(['ann.example.org']);
    expect((await cli('domain', 'list', '--account', 'ben@example.com')).out).toMatch(
      /^\d+\tben1\.dyn\.example\tin dyn\.example\tben@example\.com\t0 record\(s\)$/,
    );
    await refusedOneLine(['domain', 'list', '--account', 'zed@example.com'], /no account with e-mail zed@/);
    await refusedOneLine(['domain', 'list', '--zone', 'zed.example'], /no zone zed\.example/);
  });

  test('remove frees the name; a user’s own domain takes its zone', async () => {
    await refusedOneLine(['domain', 'remove', 'nope.dyn.example'], /no domain nope\.dyn\.example/);
    expect(json(await cli('domain', 'remove', 'ann2.dyn.example', '--json'))).toMatchObject({
      name: 'ann2.dyn.example',
      zone: null,
    });
    expect(await names('domains')).not.toContain('ann2.dyn.example');
    // ben can now take it
    expect((await cli('domain', 'add', 'ann2.dyn.example', '--account', 'ben@example.com')).code).toBe(0);

    const r = await cli('domain', 'remove', 'ann.example.org');
    expect(r).toMatchObject({ code: 0, out: 'domain ann.example.org removed with its zone ann.example.org' });
    expect(await names('zones')).not.toContain('ann.example.org');
  });
});

describe('account list / disable / enable / set-class / set-password', () => {
  test('disable and enable show in the list; again is harmless; unknown is one line', async () => {
    expect(json(await cli('account', 'disable', 'ann@example.com', '--json'))).toMatchObject({
      disabled: true,
      changed: true,
    });
    const list = json<{ email: string; disabledAt: string | null }[]>(await cli('account', 'list', '--json'));
    expect(list.find((a) => a.email === 'ann@example.com')?.disabledAt).toEqual(expect.any(String));
    expect((await cli('account', 'list')).out).toMatch(/ann@example\.com\tdefault\tDISABLED/);
    expect((await cli('account', 'disable', '--email', 'ann@example.com')).out).toBe(
      'account ann@example.com was already disabled',
    );
    expect((await cli('account', 'enable', 'ann@example.com')).out).toBe('account ann@example.com enabled');
    const row = await t.db
      .selectFrom('accounts')
      .select('disabled_at')
      .where('email', '=', 'ann@example.com')
      .executeTakeFirstOrThrow();
    expect(row.disabled_at).toBeNull();
    await refusedOneLine(
      ['account', 'disable', 'zed@example.com'],
      /no account with e-mail zed@example\.com/,
    );
    await refusedOneLine(['account', 'enable', 'zed@example.com'], /no account with e-mail zed@example\.com/);
  });

  test('set-class takes known classes only', async () => {
    expect(json(await cli('account', 'set-class', 'ben@example.com', 'unlimited', '--json'))).toMatchObject({
      class: 'unlimited',
      previous: 'plus',
    });
    const r = await cli('account', 'set-class', 'ben@example.com', 'gold');
    expect(r.code).toBe(1);
    expect(r.err).toBe('ddns: unknown account class "gold" (known: default, plus, unlimited)');
    const row = await t.db
      .selectFrom('accounts')
      .select('class')
      .where('email', '=', 'ben@example.com')
      .executeTakeFirstOrThrow();
    expect(row.class).toBe('unlimited');
    await refusedOneLine(['account', 'set-class', 'zed@example.com', 'plus'], /no account with e-mail zed@/);
    expect(
      (
        await cli(
          'account',
          'create',
          '--email',
          'c@example.com',
          '--password',
          'xxxxxxxx',
          '--class',
          'gold',
        )
      ).code,
    ).toBe(1);
  });

  test('set-password: the new one verifies, the old does not, earlier login tokens are revoked', async () => {
    const ben = await t.db
      .selectFrom('accounts')
      .select('id')
      .where('email', '=', 'ben@example.com')
      .executeTakeFirstOrThrow();
    await t.db
      .insertInto('api_tokens')
      .values({ account_id: ben.id, token_hash: 'f'.repeat(64) })
      .execute();
    expect((await cli('account', 'set-password', 'ben@example.com', '--password', 'short')).err).toMatch(
      /at least 8 characters/,
    );
    const r = await cli('account', 'set-password', 'ben@example.com', '--password', 'a new password');
    expect(r).toMatchObject({ code: 0, out: expect.stringMatching(/1 records-API token\(s\).*revoked/) });
    const row = await t.db
      .selectFrom('accounts')
      .select('password_hash')
      .where('id', '=', ben.id)
      .executeTakeFirstOrThrow();
    expect(await verifyPassword('a new password', row.password_hash)).toBe(true);
    expect(await verifyPassword('ben-password', row.password_hash)).toBe(false);
    expect(
      await t.db.selectFrom('api_tokens').select('id').where('account_id', '=', ben.id).execute(),
    ).toEqual([]);
    await refusedOneLine(
      ['account', 'set-password', 'zed@example.com', '--password', 'long enough'],
      /no account with e-mail zed@/,
    );
  });

  test('set-password --password-stdin, as a real process', async () => {
    const root = join(__dirname, '..', '..', '..');
    const child = spawn(
      join(root, 'node_modules', '.bin', 'tsx'),
      [
        join(root, 'packages/cli/src/main.ts'),
        'account',
        'set-password',
        'ann@example.com',
        '--password-stdin',
      ],
      { env: { ...process.env, DATABASE_URL: t.url }, stdio: ['pipe', 'pipe', 'pipe'] },
    );
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stdin.end('piped password\n');
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(code).toBe(0);
    expect(out).toBe('password of ann@example.com set\n');
    const row = await t.db
      .selectFrom('accounts')
      .select('password_hash')
      .where('email', '=', 'ann@example.com')
      .executeTakeFirstOrThrow();
    expect(await verifyPassword('piped password', row.password_hash)).toBe(true);
  }, 60000);
});

describe('account rotate-key / rotate-update-token', () => {
  test('each replaces its own secret (shown once); an unknown account is one line', async () => {
    const key = await cli('account', 'rotate-key', 'ben@example.com');
    expect(key.code).toBe(0);
    expect(key.out).toMatch(
      /^new API key for ben@example\.com\nAPI key: [A-Za-z0-9_-]{43}\n.*update token is unchanged/,
    );
    const token = await cli('account', 'rotate-update-token', '--email', 'ben@example.com');
    expect(token.code).toBe(0);
    expect(token.out).toMatch(
      /^new update token for ben@example\.com\nupdate token: [A-Za-z0-9_-]{43}\n.*API key is unchanged/,
    );
    await refusedOneLine(
      ['account', 'rotate-key', 'zed@example.com'],
      /no account with e-mail zed@example\.com/,
    );
    await refusedOneLine(
      ['account', 'rotate-update-token', 'zed@example.com'],
      /no account with e-mail zed@example\.com/,
    );
  });
});

describe('account delete', () => {
  test('needs --yes; then the account goes and its names are free again', async () => {
    const before = await names('domains');
    const no = await cli('account', 'delete', 'ann@example.com');
    expect(no.code).toBe(2);
    expect(no.err).toMatch(/add --yes/);
    expect(await names('domains')).toEqual(before);

    await t.db
      .insertInto('records')
      .values({
        zone_id: (
          await t.db
            .selectFrom('zones')
            .select('id')
            .where('name', '=', 'dyn.example')
            .executeTakeFirstOrThrow()
        ).id,
        domain_id: (
          await t.db
            .selectFrom('domains')
            .select('id')
            .where('name', '=', 'ann1.dyn.example')
            .executeTakeFirstOrThrow()
        ).id,
        name: 'ann1.dyn.example',
        type: 'A',
        content: '192.0.2.1',
      })
      .execute();
    expect((await cli('domain', 'add', 'ann-own.example.net', '--account', 'ann@example.com')).code).toBe(0);
    const r = json<{ email: string; domains: string[]; zones: string[] }>(
      await cli('account', 'delete', 'ann@example.com', '--yes', '--json'),
    );
    expect(r).toMatchObject({
      email: 'ann@example.com',
      domains: ['ann-own.example.net', 'ann1.dyn.example'],
      zones: ['ann-own.example.net'],
    });
    expect(await names('domains')).toEqual(['ann2.dyn.example', 'ben1.dyn.example']);
    expect(await names('zones')).toEqual(['dyn.example']);
    expect(
      await t.db.selectFrom('records').select('id').where('name', '=', 'ann1.dyn.example').execute(),
    ).toEqual([]);
    // the DNS hears of it through the change feed
    const feed = await t.db
      .selectFrom('dns_changes')
      .select(['name', 'op'])
      .where('name', '=', 'ann1.dyn.example')
      .where('op', '=', 'DELETE')
      .execute();
    expect(feed.length).toBeGreaterThan(0);
    // released: another account can take both names
    expect((await cli('domain', 'add', 'ann1.dyn.example', '--account', 'ben@example.com')).code).toBe(0);
    expect((await cli('domain', 'add', 'ann-own.example.net', '--account', 'ben@example.com')).code).toBe(0);
    await refusedOneLine(['account', 'delete', 'ann@example.com', '--yes'], /no account with e-mail ann@/);
  });
});

test('wrong command lines exit 2 with the group’s usage', async () => {
  for (const argv of [
    ['zone', 'frob'],
    ['domain', 'list', 'extra'],
    ['account', 'disable'],
    ['account', 'list', '--bogus'],
  ]) {
    const r = await cli(...argv);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/usage: ddns/);
  }
  expect((await cli('zone', '--help')).out).toMatch(/zone remove NAME/);
});

describe('--json everywhere', () => {
  test('every operator command prints exactly one JSON document on stdout', async () => {
    const commands = [
      ['migrate'],
      ['zone', 'add', 'json.example', '--shared'],
      ['zone', 'list'],
      ['account', 'create', '--email', 'jo@example.com', '--password', 'jo-password'],
      ['account', 'list'],
      ['account', 'disable', 'jo@example.com'],
      ['account', 'enable', 'jo@example.com'],
      ['account', 'set-class', 'jo@example.com', 'plus'],
      ['account', 'set-password', 'jo@example.com', '--password', 'another password'],
      ['account', 'rotate-key', 'jo@example.com'],
      ['account', 'rotate-update-token', 'jo@example.com'],
      ['domain', 'add', 'jo.json.example', '--account', 'jo@example.com'],
      ['domain', 'list'],
      ['domain', 'remove', 'jo.json.example'],
      ['account', 'delete', 'jo@example.com', '--yes'],
      ['zone', 'remove', 'json.example'],
      ['tsig', 'generate', 'json-key'],
    ];
    for (const argv of commands) {
      const r = await cli(...argv, '--json');
      expect({ argv, code: r.code, err: r.err }).toEqual({ argv, code: 0, err: '' });
      expect(r.out.split('\n')).toHaveLength(1);
      expect(typeof JSON.parse(r.out)).toBe('object');
    }
  });

  test('with --json, a wrong command line and a bad configuration are one JSON object on stderr (exit 2)', async () => {
    const usage = await cli('account', 'frob', '--json');
    expect(usage).toMatchObject({ code: 2, out: '' });
    expect(JSON.parse(usage.err)).toEqual({
      error: 'unknown command "account frob"',
      usage: expect.arrayContaining([
        'ddns account list',
        expect.stringMatching(/^ddns account rotate-key E/),
      ]),
    });
    const option = await cli('account', 'list', '--bogus', '--json');
    expect(option.code).toBe(2);
    expect(JSON.parse(option.err)).toMatchObject({ error: expect.stringMatching(/--bogus/) });
    const unknown = await cli('frobnicate', '--json');
    expect(unknown.code).toBe(2);
    expect(JSON.parse(unknown.err)).toMatchObject({ error: 'unknown command "frobnicate --json"' });

    const err: string[] = [];
    const out: string[] = [];
    // no DATABASE_URL and no running pnpm dev
    const code = await runCli(
      ['account', 'list', '--json'],
      { DEV_DATA_DIR: join(tmpdir(), 'ddns-no-dev-here') },
      {
        out: (s) => out.push(s),
        err: (s) => err.push(s),
      },
    );
    expect(code).toBe(2);
    expect(out).toEqual([]);
    expect(err).toHaveLength(1);
    expect(JSON.parse(err[0]!)).toEqual({
      error: 'config: DATABASE_URL is required',
      problems: ['config: DATABASE_URL is required'],
    });
  });
});
