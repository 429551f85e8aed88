import request from 'supertest';
import { Redis } from 'ioredis';
import { addDomain } from '@ddns/registry';
import { createDb, type Db } from '@ddns/db';
import { hashToken } from '@ddns/secrets';
import { account, sharedZone } from '@ddns/testkit';
import type { EmailJob } from '@ddns/jobs';
import { REGISTRATION_LIMITS } from '../../src/surfaces/registration/service';
import { createTestApp, type TestApp } from '../support/test-app';
import { mintEmailSecret } from '../../../mailer/src/minted-secrets';

let h: TestApp;
let ipSeq = 0;
/** a fresh source network per call (TRUST_PROXY=loopback), so per-network limits never leak between tests */
const freshIp = () => `10.${Math.floor(++ipSeq / 250)}.${ipSeq % 250}.1`;

beforeAll(async () => {
  h = await createTestApp({
    TRUST_PROXY: 'loopback',
    REGISTRATION_ZONE: 'dyn.test',
    PUBLIC_URL: 'http://gw.test',
  });
  await sharedZone(h.t.db, 'dyn.test');
  await sharedZone(h.t.db, 'other.test');
});
afterAll(async () => {
  await h.close();
});
// /subscribe is limited per source network, and every mail per recipient (many tests mail one address):
// each test starts with fresh budgets (the budgets themselves are tested in test/registration/mail-abuse)
beforeEach(async () => {
  const keys = [
    ...(await h.deps.redis.keys(`${h.deps.redisPrefix}:limits:reg:subscribe:*`)),
    ...(await h.deps.redis.keys(`${h.deps.redisPrefix}:mail-budget:*`)),
  ];
  if (keys.length) await h.deps.redis.del(...keys);
});

/**
 * The newest outbox mail named `jobName` as the mailer renders it: the mailer mints its secret (token or
 * link) then, and stores only the hash; the outbox row itself carries none.
 */
async function rendered(jobName: string): Promise<{ to: string; vars: Record<string, string> }> {
  const row = await h.t.db
    .selectFrom('outbox')
    .select(['job_id', 'payload'])
    .where('job_name', '=', jobName)
    .orderBy('id', 'desc')
    .executeTakeFirstOrThrow();
  const job = row.payload as EmailJob;
  expect(job.vars.token).toBeUndefined();
  expect(job.vars.link).toBeUndefined();
  const minted = await mintEmailSecret(
    h.t.db,
    { secretsKey: h.deps.config.SECRETS_KEY, publicUrl: 'http://gw.test' },
    row.job_id,
    job,
  );
  return { to: job.to, vars: { ...job.vars, ...minted } };
}

const api = () => request(h.app);
let nameSeq = 0;
const freshName = (p = 'gw') => `${p}${++nameSeq}`;

async function subscribe(name = freshName(), query: Record<string, string> = {}): Promise<string> {
  const res = await api()
    .get('/subscribe')
    .set('X-Forwarded-For', freshIp())
    .query({ name, ...query });
  expect(res.status).toBe(200);
  return res.body.token as string;
}

async function domainRow(name: string) {
  return h.t.db.selectFrom('domains').selectAll().where('name', '=', `${name}.dyn.test`).executeTakeFirst();
}

/** gives the gateway a verified address, as if /setemail + /verifyemail had happened */
async function verifiedEmail(name: string, email = 'owner@example.com'): Promise<void> {
  await h.t.db
    .updateTable('domains')
    .set({ email, email_verified: true })
    .where('name', '=', `${name}.dyn.test`)
    .execute();
}

/** asks for a reclamation token and reads it from the outbox (what the mail will carry) */
async function reclamationToken(name: string): Promise<string> {
  const res = await api().get('/reclaim').query({ name }).set('X-Forwarded-For', freshIp());
  expect(res.status).toBe(200);
  const p = await rendered('reclamation-token');
  expect(p.vars.name).toBe(`${name}.dyn.test`);
  return p.vars.token!;
}

async function outboxCount(): Promise<number> {
  const r = await h.t.db
    .selectFrom('outbox')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .executeTakeFirstOrThrow();
  return Number(r.n);
}

describe('/subscribe', () => {
  test('registers under REGISTRATION_ZONE with a default description, mode 0; answers JSON', async () => {
    const name = freshName();
    const res = await api()
      .get('/subscribe')
      .query({ name: `  ${name.toUpperCase()}  ` });
    expect(res.status).toBe(200);
    expect(res.type).toBe('application/json');
    expect(res.body).toEqual({ name, token: expect.stringMatching(/^[0-9a-f-]{36}$/) });
    const d = await domainRow(name);
    expect(d).toMatchObject({
      mode: 0,
      description: expect.stringContaining(name),
      token_hash: hashToken(res.body.token),
    });
    const z = await h.t.db
      .selectFrom('zones')
      .select('name')
      .where('id', '=', d!.zone_id)
      .executeTakeFirstOrThrow();
    expect(z.name).toBe('dyn.test');
  });

  test('desc and mode (0/1, Tunneled/DynamicDNS)', async () => {
    for (const [mode, want] of [
      ['1', 1],
      ['0', 0],
      ['DynamicDNS', 1],
      ['Tunneled', 0],
      ['dynamicdns', 1],
    ] as const) {
      const name = freshName();
      await subscribe(name, { mode, desc: 'my gateway' });
      expect(await domainRow(name)).toMatchObject({ mode: want, description: 'my gateway' });
    }
  });

  test.each([
    [{}, 'UnavailableName'],
    [{ name: '' }, 'UnavailableName'],
    [{ name: '   ' }, 'UnavailableName'],
    [{ name: 'a.b' }, 'UnavailableName'],
    [{ name: '-ab' }, 'UnavailableName'],
    [{ name: 'ab-' }, 'UnavailableName'],
    [{ name: 'a_b' }, 'UnavailableName'],
    [{ name: 'x'.repeat(64) }, 'UnavailableName'],
    [{ name: '_psl' }, 'UnavailableName'],
    [{ name: 'ns' }, 'UnavailableName'],
    [{ name: 'NS1' }, 'UnavailableName'],
    [{ name: 'ns42' }, 'UnavailableName'],
    [{ name: 'api' }, 'UnavailableName'],
    [{ name: 'www' }, 'UnavailableName'],
    [{ name: 'okname', mode: '2' }, 'InvalidMode'],
    [{ name: 'okname', mode: 'direct' }, 'InvalidMode'],
    [{ name: 'okname', email: 'not-an-email' }, 'InvalidEmail'],
    [{ name: 'okname', desc: 'd'.repeat(201) }, 'InvalidDescription'],
  ])('400 JSON for %j', async (query, code) => {
    const res = await api().get('/subscribe').query(query);
    expect(res.status).toBe(400);
    expect(res.type).toBe('application/json');
    expect(res.body).toEqual({ error: code });
  });

  test('a 63-character name is fine', async () => {
    await subscribe('y'.repeat(63));
  });

  test('a taken name: UnavailableName, or UnavailableNameReclamationPossible for its verified e-mail', async () => {
    const name = freshName();
    await subscribe(name);
    const plain = await api().get('/subscribe').query({ name });
    expect(plain.status).toBe(400);
    expect(plain.body).toEqual({ error: 'UnavailableName' });
    await h.t.db
      .updateTable('domains')
      .set({ email: 'owner@example.com', email_verified: false })
      .where('name', '=', `${name}.dyn.test`)
      .execute();
    // an unverified address proves nothing
    expect((await api().get('/subscribe').query({ name, email: 'owner@example.com' })).body).toEqual({
      error: 'UnavailableName',
    });
    await verifiedEmail(name);
    expect((await api().get('/subscribe').query({ name, email: 'someone@else.com' })).body).toEqual({
      error: 'UnavailableName',
    });
    const possible = await api().get('/subscribe').query({ name, email: 'OWNER@example.com' });
    expect(possible.status).toBe(400);
    expect(possible.body).toEqual({ error: 'UnavailableNameReclamationPossible' });
  });

  test('names held by zone-level records or by another account are unavailable', async () => {
    const zone = await h.t.db
      .selectFrom('zones')
      .selectAll()
      .where('name', '=', 'dyn.test')
      .executeTakeFirstOrThrow();
    await h.t.db
      .insertInto('records')
      .values({ zone_id: zone.id, name: 'mail.dyn.test', type: 'A', content: '192.0.2.25' })
      .execute();
    expect((await api().get('/subscribe').query({ name: 'mail' })).body).toEqual({
      error: 'UnavailableName',
    });
    const a = await account(h.t.db);
    await addDomain(h.t.db, { name: 'owned.dyn.test', accountEmail: a.email });
    expect((await api().get('/subscribe').query({ name: 'owned' })).body).toEqual({
      error: 'UnavailableName',
    });
  });

  test('reclamationToken for an unknown name: NoSuchName', async () => {
    const res = await api()
      .get('/subscribe')
      .query({ name: freshName(), reclamationToken: crypto.randomUUID() });
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ error: 'NoSuchName' });
  });

  test('hole: an empty or missing reclamation token never matches (no reclamation pending)', async () => {
    const name = freshName();
    const token = await subscribe(name);
    for (const q of [{ reclamationToken: '' }, { reclamationToken: '  ' }, {}]) {
      const res = await api()
        .get('/subscribe')
        .query({ name, ...q });
      expect(res.status).toBe(400);
      expect(res.body).toEqual({ error: 'UnavailableName' });
    }
    // the owner keeps the domain
    expect((await api().get('/info').query({ token })).status).toBe(200);
  });

  test('a wrong reclamation token: ReclamationTokenMismatch, and the domain is untouched', async () => {
    const name = freshName();
    const token = await subscribe(name);
    await verifiedEmail(name);
    await reclamationToken(name);
    const res = await api().get('/subscribe').query({ name, reclamationToken: crypto.randomUUID() });
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ error: 'ReclamationTokenMismatch' });
    expect((await api().get('/info').query({ token })).status).toBe(200);
  });

  test('hole: reclamation tokens work once', async () => {
    const name = freshName();
    await subscribe(name);
    await verifiedEmail(name);
    const rt = await reclamationToken(name);
    const first = await api().get('/subscribe').query({ name, reclamationToken: rt });
    expect(first.status).toBe(200);
    const second = await api().get('/subscribe').query({ name, reclamationToken: rt });
    expect(second.status).toBe(400);
    expect(second.body).toEqual({ error: 'ReclamationTokenMismatch' });
    expect((await api().get('/info').query({ token: first.body.token })).status).toBe(200);
  });

  test('hole: reclamation tokens expire after 24 h', async () => {
    const name = freshName();
    await subscribe(name);
    await verifiedEmail(name);
    const rt = await reclamationToken(name);
    const d = await domainRow(name);
    const expires = new Date(d!.reclamation_expires_at!).getTime() - Date.now();
    expect(expires).toBeGreaterThan(23 * 3600 * 1000);
    expect(expires).toBeLessThanOrEqual(24 * 3600 * 1000);
    await h.t.db
      .updateTable('domains')
      .set({ reclamation_expires_at: new Date(Date.now() - 1000) })
      .where('id', '=', d!.id)
      .execute();
    const res = await api().get('/subscribe').query({ name, reclamationToken: rt });
    expect(res.body).toEqual({ error: 'ReclamationTokenMismatch' });
  });

  test('a reclaimed domain drops its old token, ACME values and ping state', async () => {
    const name = freshName();
    const old = await subscribe(name);
    await api().get('/dnsconfig').query({ token: old, challenge: 'abc' });
    await api().get('/ping').query({ token: old });
    await verifiedEmail(name);
    const rt = await reclamationToken(name);
    const res = await api().get('/subscribe').query({ name, reclamationToken: rt, desc: 'new box' });
    expect(res.status).toBe(200);
    const d = await domainRow(name);
    expect(d).toMatchObject({ last_ping_ip4: null, description: 'new box', reclamation_token_hash: null });
    expect(await h.t.db.selectFrom('records').select('id').where('domain_id', '=', d!.id).execute()).toEqual(
      [],
    );
    expect((await api().get('/ping').query({ token: old })).status).toBe(404);
  });
});

describe('/unsubscribe', () => {
  test('400 without any token, 404 for unknown ones', async () => {
    for (const q of [{}, { token: '' }, { reclamationToken: '' }, { token: '', reclamationToken: '' }]) {
      const res = await api().get('/unsubscribe').query(q);
      expect(res.status).toBe(400);
    }
    expect((await api().get('/unsubscribe').query({ token: crypto.randomUUID() })).status).toBe(404);
    expect((await api().get('/unsubscribe').query({ reclamationToken: crypto.randomUUID() })).status).toBe(
      404,
    );
  });

  test('hole: with a reclamation token it deletes exactly that domain', async () => {
    const names = [freshName(), freshName(), freshName()];
    const tokens = [];
    for (const n of names) tokens.push(await subscribe(n));
    await verifiedEmail(names[0]!);
    const rt = await reclamationToken(names[0]!);
    const before = await h.t.db.selectFrom('domains').select('id').execute();
    const res = await api().get('/unsubscribe').query({ reclamationToken: rt });
    expect(res.status).toBe(200);
    expect(res.text).toBe('');
    const after = await h.t.db.selectFrom('domains').select('id').execute();
    expect(after).toHaveLength(before.length - 1);
    expect(await domainRow(names[0]!)).toBeUndefined();
    expect((await api().get('/info').query({ token: tokens[1] })).status).toBe(200);
    expect((await api().get('/info').query({ token: tokens[2] })).status).toBe(200);
  });

  test('an expired reclamation token deletes nothing', async () => {
    const name = freshName();
    await subscribe(name);
    await verifiedEmail(name);
    const rt = await reclamationToken(name);
    await h.t.db
      .updateTable('domains')
      .set({ reclamation_expires_at: new Date(Date.now() - 1) })
      .where('name', '=', `${name}.dyn.test`)
      .execute();
    expect((await api().get('/unsubscribe').query({ reclamationToken: rt })).status).toBe(404);
    expect(await domainRow(name)).toBeDefined();
  });

  test("an account domain's token is not a gateway token", async () => {
    const a = await account(h.t.db);
    const d = await addDomain(h.t.db, { name: 'acct.dyn.test', accountEmail: a.email });
    for (const path of ['/unsubscribe', '/ping', '/info', '/revokeemail'])
      expect((await api().get(path).query({ token: d.token })).status).toBe(404);
    expect((await api().get('/dnsconfig').query({ token: d.token, challenge: 'x' })).status).toBe(404);
    expect((await api().get('/setemail').query({ token: d.token, email: 'a@b.co' })).status).toBe(404);
    expect(
      await h.t.db.selectFrom('domains').select('id').where('name', '=', 'acct.dyn.test').executeTakeFirst(),
    ).toBeDefined();
  });
});

describe('/reclaim', () => {
  test('400 for a missing or malformed name; NoSuchName; NoEmail (none, or unverified)', async () => {
    for (const q of [{}, { name: '' }, { name: 'a.b' }]) {
      const res = await api().get('/reclaim').query(q).set('X-Forwarded-For', freshIp());
      expect(res.status).toBe(400);
    }
    const unknown = await api()
      .get('/reclaim')
      .query({ name: freshName() })
      .set('X-Forwarded-For', freshIp());
    expect(unknown.status).toBe(400);
    expect(unknown.body).toEqual({ error: 'NoSuchName' });
    const name = freshName();
    await subscribe(name);
    const none = await api().get('/reclaim').query({ name }).set('X-Forwarded-For', freshIp());
    expect(none.body).toEqual({ error: 'NoEmail' });
    await h.t.db
      .updateTable('domains')
      .set({ email: 'x@example.com', email_verified: false })
      .where('name', '=', `${name}.dyn.test`)
      .execute();
    const unverified = await api().get('/reclaim').query({ name }).set('X-Forwarded-For', freshIp());
    expect(unverified.body).toEqual({ error: 'NoEmail' });
  });

  test('the reclamation mail is queued in the same transaction, to the verified address', async () => {
    const name = freshName();
    await subscribe(name);
    await verifiedEmail(name, 'me@example.org');
    const n = await outboxCount();
    const token = await reclamationToken(name);
    expect(await outboxCount()).toBe(n + 1);
    const row = await h.t.db.selectFrom('outbox').selectAll().orderBy('id', 'desc').executeTakeFirstOrThrow();
    expect(row.queue).toBe('email');
    expect(row.payload).toMatchObject({ to: 'me@example.org', template: 'reclamation-token' });
    expect((await domainRow(name))!.reclamation_token_hash).toBe(hashToken(token));
  });

  test('rate-limited per name', async () => {
    const name = freshName();
    await subscribe(name);
    await verifiedEmail(name);
    const { limit } = REGISTRATION_LIMITS.reclaim.perName;
    for (let i = 0; i < limit; i++)
      expect((await api().get('/reclaim').query({ name }).set('X-Forwarded-For', freshIp())).status).toBe(
        200,
      );
    const n = await outboxCount();
    const res = await api().get('/reclaim').query({ name }).set('X-Forwarded-For', freshIp());
    expect(res.status).toBe(429);
    expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
    expect(await outboxCount()).toBe(n);
  });

  test('rate-limited per source address', async () => {
    const ip = freshIp();
    const { limit } = REGISTRATION_LIMITS.reclaim.perIp;
    const names: string[] = [];
    for (let i = 0; i <= limit; i++) {
      const name = freshName('rl');
      await subscribe(name);
      await verifiedEmail(name);
      names.push(name);
    }
    for (let i = 0; i < limit; i++)
      expect((await api().get('/reclaim').query({ name: names[i] }).set('X-Forwarded-For', ip)).status).toBe(
        200,
      );
    const res = await api().get('/reclaim').query({ name: names[limit] }).set('X-Forwarded-For', ip);
    expect(res.status).toBe(429);
    // another address is not affected
    expect(
      (await api().get('/reclaim').query({ name: names[limit] }).set('X-Forwarded-For', freshIp())).status,
    ).toBe(200);
  });
});

describe('/ping', () => {
  test('400 without token, 404 for an unknown one', async () => {
    expect((await api().get('/ping')).status).toBe(400);
    expect((await api().get('/ping').query({ token: '' })).status).toBe(400);
    expect((await api().get('/ping').query({ token: crypto.randomUUID() })).status).toBe(404);
  });

  test('records the IPv4 and IPv6 source addresses and the time, and clears an expiry warning', async () => {
    const name = freshName();
    const token = await subscribe(name, { mode: '1' });
    await h.t.db
      .updateTable('domains')
      .set({ expiry_warned_at: new Date() })
      .where('name', '=', `${name}.dyn.test`)
      .execute();
    const before = Date.now();
    expect((await api().get('/ping').query({ token }).set('X-Forwarded-For', '203.0.113.9')).status).toBe(
      200,
    );
    expect((await api().get('/ping').query({ token }).set('X-Forwarded-For', '2001:db8::9')).status).toBe(
      200,
    );
    const d = await domainRow(name);
    expect(d).toMatchObject({
      last_ping_ip4: '203.0.113.9',
      last_ping_ip6: '2001:db8::9',
      expiry_warned_at: null,
    });
    expect(new Date(d!.last_ping_at!).getTime()).toBeGreaterThanOrEqual(before - 1000);
    expect((await api().get('/ping').query({ token }).set('X-Forwarded-For', '203.0.113.10')).status).toBe(
      200,
    );
    expect(await domainRow(name)).toMatchObject({
      last_ping_ip4: '203.0.113.10',
      last_ping_ip6: '2001:db8::9',
    });
  });
});

describe('/dnsconfig', () => {
  test('400 for missing or malformed parameters, 404 for an unknown token', async () => {
    const token = await subscribe();
    for (const q of [
      {},
      { token },
      { token, challenge: '' },
      { token, challenge: 'has space' },
      { token, challenge: 'quote"d' },
      { token, challenge: 'back\\slash' },
      { token, challenge: 'x'.repeat(256) },
      { challenge: 'abc' },
    ]) {
      const res = await api().get('/dnsconfig').query(q);
      expect(res.status).toBe(400);
    }
    expect(
      (await api().get('/dnsconfig').query({ token: crypto.randomUUID(), challenge: 'abc' })).status,
    ).toBe(404);
  });

  test('keeps the newest values up to the bound (wildcard + apex validate together)', async () => {
    const name = freshName();
    const token = await subscribe(name);
    const values = ['v1', 'v2', 'v3', 'v4', 'v5'];
    for (const challenge of values)
      expect((await api().get('/dnsconfig').query({ token, challenge })).status).toBe(200);
    // repeating a value refreshes it instead of duplicating
    expect((await api().get('/dnsconfig').query({ token, challenge: 'v3' })).status).toBe(200);
    const rows = await h.t.db
      .selectFrom('records')
      .select(['content', 'ttl', 'type'])
      .where('name', '=', `_acme-challenge.${name}.dyn.test`)
      .execute();
    expect(rows.map((r) => r.content).sort()).toEqual(['v3', 'v4', 'v5']);
    expect(rows.every((r) => r.type === 'TXT' && r.ttl === 60)).toBe(true);
  });
});

describe('/info', () => {
  test('400 without token, 404 for unknown', async () => {
    expect((await api().get('/info')).status).toBe(400);
    expect((await api().get('/info').query({ token: crypto.randomUUID() })).status).toBe(404);
  });

  test('public state only, never a secret', async () => {
    const name = freshName();
    const token = await subscribe(name);
    await verifiedEmail(name);
    await reclamationToken(name);
    const res = await api().get('/info').query({ token });
    expect(res.status).toBe(200);
    const d = (await domainRow(name))!;
    const text = JSON.stringify(res.body);
    for (const secret of [token, d.token_hash!, d.reclamation_token_hash!])
      expect(text).not.toContain(secret);
    expect(Object.keys(res.body).some((k) => /token|hash|secret/i.test(k))).toBe(false);
    expect(res.body).toMatchObject({ name, domain: `${name}.dyn.test`, mode: 0, email: 'owner@example.com' });
  });
});

describe('/setemail, /verifyemail, /revokeemail', () => {
  test('/setemail: 400 for missing/malformed parameters', async () => {
    const token = await subscribe();
    for (const q of [
      {},
      { token },
      { email: 'a@example.com' },
      { token, email: '' },
      { token, email: 'nope' },
      { token, email: 'a@b' },
      { token, email: `${'a'.repeat(250)}@example.com` },
      { token, email: 'a@example.com', optout: 'maybe' },
    ]) {
      const res = await api().get('/setemail').query(q).set('X-Forwarded-For', freshIp());
      expect(res.status).toBe(400);
    }
  });

  test('hole: /setemail checks the token before touching anything', async () => {
    const n = await outboxCount();
    const v = await h.t.db.selectFrom('email_verifications').select('id').execute();
    const ip = freshIp();
    const res = await api()
      .get('/setemail')
      .query({ token: crypto.randomUUID(), email: 'victim@example.com' })
      .set('X-Forwarded-For', ip);
    expect(res.status).toBe(404);
    expect(await outboxCount()).toBe(n);
    expect(await h.t.db.selectFrom('email_verifications').select('id').execute()).toEqual(v);
    const keys = await h.deps.redis.keys(`${h.deps.redisPrefix}:limits:*${ip}*`);
    expect(keys).toEqual([]);
  });

  test('/setemail queues a verification link; a newer one cancels the older; revoke cancels it', async () => {
    const name = freshName();
    const token = await subscribe(name);
    const link = async (email: string) => {
      expect(
        (await api().get('/setemail').query({ token, email }).set('X-Forwarded-For', freshIp())).status,
      ).toBe(200);
      const mail = await rendered('verify-email');
      expect(mail.to).toBe(email);
      const l = mail.vars.link!;
      expect(l).toMatch(/^http:\/\/gw\.test\/verifyemail\?s=[0-9a-f-]{36}$/);
      return new URL(l).search;
    };
    const first = await link('first@example.com');
    const second = await link('second@example.com');
    expect((await api().get(`/verifyemail${first}`)).status).toBe(404);
    // not verified yet: the address is not the domain's
    expect((await api().get('/info').query({ token })).body.email).toBeNull();
    const third = await link('third@example.com');
    expect((await api().get('/revokeemail').query({ token })).status).toBe(200);
    const gone = await api().get(`/verifyemail${third}`);
    expect(gone.status).toBe(404);
    expect(gone.type).toBe('text/html');
    expect((await api().get(`/verifyemail${second}`)).status).toBe(404);
  });

  test('/verifyemail: 400 HTML without s, 404 HTML for unknown or expired links', async () => {
    for (const path of ['/verifyemail', '/verifyemail?s=']) {
      const res = await api().get(path);
      expect(res.status).toBe(400);
      expect(res.type).toBe('text/html');
      expect(res.text).toContain('<html');
    }
    const unknown = await api().get('/verifyemail').query({ s: crypto.randomUUID() });
    expect(unknown.status).toBe(404);
    expect(unknown.type).toBe('text/html');
    const name = freshName();
    const token = await subscribe(name);
    expect(
      (
        await api()
          .get('/setemail')
          .query({ token, email: 'late@example.com' })
          .set('X-Forwarded-For', freshIp())
      ).status,
    ).toBe(200);
    const s = new URL((await rendered('verify-email')).vars.link!).searchParams.get('s')!;
    await h.t.db
      .updateTable('email_verifications')
      .set({ expires_at: new Date(Date.now() - 1) })
      .where('secret_hash', '=', hashToken(s))
      .execute();
    expect((await api().get('/verifyemail').query({ s })).status).toBe(404);
  });

  test('/verifyemail escapes what it shows', async () => {
    const name = freshName();
    const token = await subscribe(name);
    expect(
      (
        await api()
          .get('/setemail')
          .query({ token, email: "o'<b>@example.com" })
          .set('X-Forwarded-For', freshIp())
      ).status,
    ).toBe(400);
    expect(
      (
        await api()
          .get('/setemail')
          .query({ token, email: "o'neil@example.com" })
          .set('X-Forwarded-For', freshIp())
      ).status,
    ).toBe(200);
    const link = new URL((await rendered('verify-email')).vars.link!);
    const res = await api().get(link.pathname + link.search);
    expect(res.status).toBe(200);
    expect(res.text).toContain('o&#39;neil@example.com');
  });

  test('/revokeemail: 400 without token, 404 for unknown', async () => {
    expect((await api().get('/revokeemail')).status).toBe(400);
    expect((await api().get('/revokeemail').query({ token: crypto.randomUUID() })).status).toBe(404);
  });

  test('/setemail is rate-limited per name', async () => {
    const token = await subscribe();
    const { limit } = REGISTRATION_LIMITS.setemail.perName;
    for (let i = 0; i < limit; i++)
      expect(
        (
          await api()
            .get('/setemail')
            .query({ token, email: `a${i}@example.com` })
            .set('X-Forwarded-For', freshIp())
        ).status,
      ).toBe(200);
    const res = await api()
      .get('/setemail')
      .query({ token, email: 'more@example.com' })
      .set('X-Forwarded-For', freshIp());
    expect(res.status).toBe(429);
  });

  test('/setemail is rate-limited per source network', async () => {
    const ip = freshIp();
    const { limit } = REGISTRATION_LIMITS.setemail.perIp;
    for (let i = 0; i < limit; i++) {
      const token = await subscribe(freshName('se'));
      expect(
        (
          await api()
            .get('/setemail')
            .query({ token, email: `x${i}@example.com` })
            .set('X-Forwarded-For', ip)
        ).status,
      ).toBe(200);
    }
    const token = await subscribe(freshName('se'));
    expect(
      (await api().get('/setemail').query({ token, email: 'x@example.com' }).set('X-Forwarded-For', ip))
        .status,
    ).toBe(429);
    expect(
      (
        await api()
          .get('/setemail')
          .query({ token, email: 'x@example.com' })
          .set('X-Forwarded-For', freshIp())
      ).status,
    ).toBe(200);
  });

  test('with Redis down /setemail still answers 200 (mail waits in the outbox); the per-name budget holds', async () => {
    const token = await subscribe();
    const real = h.deps.redis;
    const dead = new Redis({
      port: 1,
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      enableOfflineQueue: false,
    });
    dead.on('error', () => undefined);
    h.deps.redis = dead;
    try {
      const { limit } = REGISTRATION_LIMITS.setemail.perName;
      for (let i = 0; i < limit; i++) {
        const n = await outboxCount();
        expect(
          (
            await api()
              .get('/setemail')
              .query({ token, email: `d${i}@example.com` })
          ).status,
        ).toBe(200);
        expect(await outboxCount()).toBe(n + 1);
      }
      expect((await api().get('/setemail').query({ token, email: 'more@example.com' })).status).toBe(429);
    } finally {
      h.deps.redis = real;
      dead.disconnect();
    }
  });
});

describe('/connectivity-check and CORS', () => {
  test('/connectivity-check answers OK', async () => {
    const res = await api().get('/connectivity-check');
    expect(res.status).toBe(200);
    expect(res.text).toBe('OK');
    expect(res.type).toBe('text/plain');
    expect(res.headers['access-control-allow-origin']).toBe('*');
  });

  test('browser endpoints carry CORS headers', async () => {
    const token = await subscribe();
    for (const path of [
      '/subscribe?name=',
      `/info?token=${token}`,
      '/verifyemail?s=x',
      '/connectivity-check',
    ]) {
      const res = await api().get(path).set('Origin', 'http://gateway.local');
      expect(res.headers['access-control-allow-origin']).toBe('*');
    }
    const pre = await api()
      .options('/info')
      .set('Origin', 'http://gateway.local')
      .set('Access-Control-Request-Method', 'GET')
      .set('Access-Control-Request-Headers', 'x-requested-with');
    expect(pre.status).toBe(204);
    expect(pre.headers['access-control-allow-origin']).toBe('*');
    expect(pre.headers['access-control-allow-methods']).toContain('GET');
  });
});

describe('internal failures', () => {
  test('501 when the database is unreachable (JSON; HTML for /verifyemail)', async () => {
    const token = await subscribe();
    const real = h.deps.db;
    const dead: Db = createDb('postgres://postgres@127.0.0.1:1/none', { max: 1 });
    h.deps.db = dead;
    try {
      const calls: Array<[string, Record<string, string>]> = [
        ['/subscribe', { name: 'fresh' }],
        ['/unsubscribe', { token }],
        ['/reclaim', { name: 'fresh' }],
        ['/ping', { token }],
        ['/dnsconfig', { token, challenge: 'abc' }],
        ['/info', { token }],
        ['/setemail', { token, email: 'a@example.com' }],
        ['/revokeemail', { token }],
      ];
      for (const [path, q] of calls) {
        const res = await api().get(path).query(q).set('X-Forwarded-For', freshIp());
        expect([path, res.status]).toEqual([path, 501]);
        expect(res.body).toEqual({ error: 'InternalError' });
      }
      const v = await api().get('/verifyemail').query({ s: crypto.randomUUID() });
      expect(v.status).toBe(501);
      expect(v.type).toBe('text/html');
      expect((await api().get('/connectivity-check')).status).toBe(200);
    } finally {
      h.deps.db = real;
      await dead.destroy();
    }
    expect((await api().get('/info').query({ token })).status).toBe(200);
  });

  test('501 when no registration zone can be chosen', async () => {
    const other = await createTestApp({ REGISTRATION_ZONE: 'missing.test' });
    try {
      const res = await request(other.app).get('/subscribe').query({ name: 'x' });
      expect(res.status).toBe(501);
      expect(res.body).toEqual({ error: 'InternalError' });
    } finally {
      await other.close();
    }
  });
});
