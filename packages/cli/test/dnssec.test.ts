import { runCli } from '@ddns/cli';
import { createTestDatabase, type TestDatabase } from '@ddns/testkit';

// `ddns zone dnssec|keys|rollover`: signing on/off, the DNSKEY/DS an operator publishes, a rollover step by step
let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(async () => {
  await t.destroy();
});

const SECRETS_KEY = 'test-secrets-key-0123456789-abcdefghijklm';

async function cli(env: Record<string, string>, ...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(
    argv,
    { DATABASE_URL: t.url, ...env },
    { out: (s) => out.push(s), err: (s) => err.push(s) },
  );
  return { code, out: out.join('\n'), err: err.join('\n') };
}
const withKey = (...argv: string[]) => cli({ SECRETS_KEY }, ...argv);
const noKey = (...argv: string[]) => cli({}, ...argv);

interface KeysJson {
  zone: string;
  dnssec: boolean;
  keys: { keyTag: number; algorithm: number; state: string; dnskey: string; ds: string }[];
}

test('zone add signs the zone when SECRETS_KEY is set; keys shows DNSKEY and DS (text and --json)', async () => {
  const add = await withKey('zone', 'add', 'signed.test', '--shared', '--json');
  expect(add.code).toBe(0);
  expect(JSON.parse(add.out)).toMatchObject({ name: 'signed.test', dnssec: true });
  const keys = await noKey('zone', 'keys', 'signed.test', '--json');
  const k = JSON.parse(keys.out) as KeysJson;
  expect(k.dnssec).toBe(true);
  expect(k.keys).toHaveLength(1);
  expect(k.keys[0]).toMatchObject({ algorithm: 13, state: 'active' });
  expect(k.keys[0]!.ds).toMatch(
    new RegExp(`^signed\\.test\\. IN DS ${k.keys[0]!.keyTag} 13 2 [0-9A-F]{64}$`),
  );
  const text = await noKey('zone', 'keys', 'signed.test');
  expect(text.out.split('\n')).toEqual([
    'signed.test: signing on',
    `key ${k.keys[0]!.keyTag} (algorithm 13) active`,
    `  ${k.keys[0]!.dnskey}`,
    `  ${k.keys[0]!.ds}`,
  ]);
});

test('without SECRETS_KEY a new zone waits for its key; migrate makes it; --unsigned stays unsigned', async () => {
  expect((await noKey('zone', 'add', 'later.test')).out).toMatch(/signed\)/);
  expect((await noKey('zone', 'add', 'plain.test', '--unsigned')).out).toMatch(/unsigned\)$/);
  expect((await noKey('zone', 'keys', 'later.test')).out).toBe(
    'later.test: signing on, no keys yet (the DNSSEC sweep makes one)',
  );
  const m = await withKey('migrate', '--json');
  expect(JSON.parse(m.out)).toMatchObject({ keyed: ['later.test'] });
  expect((await noKey('zone', 'keys', 'plain.test')).out).toBe('plain.test: signing off, no keys');
});

test('dnssec on|off with --algorithm 15, and usage errors', async () => {
  const on = await withKey('zone', 'dnssec', 'plain.test', 'on', '--algorithm', '15', '--json');
  expect(on.code).toBe(0);
  expect((JSON.parse(on.out) as KeysJson).keys.map((k) => [k.algorithm, k.state])).toEqual([[15, 'active']]);
  const off = await noKey('zone', 'dnssec', 'plain.test', 'off');
  expect(off.out.split('\n')[0]).toBe('plain.test: signing off');
  expect((await noKey('zone', 'dnssec', 'plain.test', 'maybe')).code).toBe(2);
  expect((await withKey('zone', 'dnssec', 'plain.test', 'on', '--algorithm', '8')).err).toMatch(
    /algorithm 8 is not supported/,
  );
  const missing = await noKey('zone', 'dnssec', 'plain.test', 'on');
  expect(missing.code).toBe(2);
  expect(missing.err).toMatch(/SECRETS_KEY/);
  expect((await noKey('zone', 'keys', 'nope.test', '--json')).err).toBe('{"error":"no zone nope.test"}');
});

test('rollover: start, then each step with --now; a step not due waits', async () => {
  const before = JSON.parse((await noKey('zone', 'keys', 'signed.test', '--json')).out) as KeysJson;
  const old = before.keys[0]!.keyTag;
  const start = await withKey('zone', 'rollover', 'signed.test', '--json');
  expect(start.code).toBe(0);
  const s1 = JSON.parse(start.out) as { action: string; keys: KeysJson };
  expect(s1.action).toBe('started');
  const fresh = s1.keys.keys.find((k) => k.state === 'published')!;
  // not due (DNSKEY TTL + propagation delay): waits, asking no parent
  const wait = await noKey('zone', 'rollover', 'signed.test', '--json');
  expect(JSON.parse(wait.out)).toMatchObject({ action: 'waiting' });
  const text = await noKey('zone', 'rollover', 'signed.test', '--now');
  expect(text.out.split('\n')[0]).toMatch(
    new RegExp(`^signed\\.test: activated: key ${fresh.keyTag} signs now`),
  );
  expect(text.out).toContain(`key ${old} (algorithm 13) retired, deleted after `);
  const last = JSON.parse((await noKey('zone', 'rollover', 'signed.test', '--now', '--json')).out) as {
    action: string;
    keys: KeysJson;
  };
  expect(last.action).toBe('deleted');
  expect(last.keys.keys.map((k) => [k.keyTag, k.state])).toEqual([[fresh.keyTag, 'active']]);
});
