import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { sql } from '@ddns/db';
import { createMailDomain, mailHarness, type MailHarness } from './support/harness';

/** infra/mail against what the API stores: Dovecot verifies the hash; every shipped query runs on our schema. */

const INFRA = join(__dirname, '..', '..', '..', '..', 'infra', 'mail');

let m: MailHarness;
beforeAll(async () => {
  m = await mailHarness();
  await createMailDomain(m.h, m.tokens.alice, 'dove.example', 'Alice', 'correct horse battery');
});
afterAll(async () => {
  await m.h.close();
});

async function storedHash(email: string): Promise<string> {
  const r = await m.h.t.db
    .selectFrom('mailboxes')
    .select('password_hash')
    .where('email', '=', email)
    .executeTakeFirstOrThrow();
  return r.password_hash;
}

test('doveadm pw -t accepts a hash the API stored, and rejects a wrong password', async () => {
  const hash = await storedHash('alice@dove.example');
  expect(hash.startsWith('{ARGON2ID}$argon2id$')).toBe(true);
  const out = execFileSync('doveadm', ['pw', '-t', hash, '-p', 'correct horse battery'], {
    encoding: 'utf8',
  });
  expect(out).toContain('(verified)');
  const wrong = spawnSync('doveadm', ['pw', '-t', hash, '-p', 'wrong password'], { encoding: 'utf8' });
  expect(wrong.status).not.toBe(0);
});

/** `key = value` lines of a Postfix/Dovecot config file. */
function setting(file: string, key: string): string {
  const line = readFileSync(join(INFRA, file), 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`${key} =`));
  if (!line) throw new Error(`${file}: no ${key}`);
  return line.slice(key.length + 2).trim();
}

async function run(query: string, subst: Record<string, string>): Promise<Record<string, unknown>[]> {
  let q = query;
  for (const [k, v] of Object.entries(subst)) q = q.split(k).join(v.replace(/'/g, "''"));
  const r = await sql.raw<Record<string, unknown>>(q).execute(m.h.t.db);
  return r.rows;
}

test('the Dovecot passdb/userdb queries read our tables', async () => {
  const f = 'dovecot/dovecot-sql.conf.ext';
  const pass = await run(setting(f, 'password_query'), { '%u': 'Alice@Dove.Example' });
  expect(pass).toEqual([{ user: 'alice@dove.example', password: await storedHash('alice@dove.example') }]);
  const user = await run(setting(f, 'user_query'), { '%u': 'alice@dove.example' });
  expect(user).toEqual([
    {
      mail: 'maildir:/var/vmail/dove.example/alice/',
      uid: 5000,
      gid: 5000,
      home: '/var/vmail/dove.example/alice',
      quota_rule: '*:storage=1024M',
    },
  ]);
  expect(await run(setting(f, 'iterate_query'), {})).toEqual([{ user: 'alice@dove.example' }]);
  expect(await run(setting(f, 'password_query'), { '%u': 'nobody@dove.example' })).toEqual([]);
});

test('the Postfix maps read our tables', async () => {
  const one = async (file: string, key: string) =>
    Object.values((await run(setting(`postfix/${file}`, 'query'), { '%s': key }))[0] ?? {});
  expect(await one('pgsql-virtual-mailbox-domains.cf', 'dove.example')).toEqual(['dove.example']);
  expect(await one('pgsql-virtual-mailbox-domains.cf', 'other.example')).toEqual([]);
  expect(await one('pgsql-virtual-mailbox-maps.cf', 'alice@dove.example')).toEqual(['dove.example/alice/']);
  expect(await one('pgsql-virtual-mailbox-maps.cf', 'bob@dove.example')).toEqual([]);
  expect(await one('pgsql-sender-login-maps.cf', 'alice@dove.example')).toEqual(['alice@dove.example']);
});
