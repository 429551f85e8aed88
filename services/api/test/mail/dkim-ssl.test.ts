import { createPrivateKey, createPublicKey, createSign, createVerify } from 'node:crypto';
import request from 'supertest';
import { decryptSecret } from '@ddns/secrets';
import { createMailDomain, mailHarness, type MailHarness } from './support/harness';
import { TestPki, type Issued } from './support/certs';

let m: MailHarness;
let pki: TestPki;
let root: Issued;
let inter: Issued;
beforeAll(async () => {
  m = await mailHarness();
  await createMailDomain(m.h, m.tokens.alice, 'alice.example');
  await createMailDomain(m.h, m.tokens.bob, 'bob.example');
  pki = new TestPki();
  root = pki.root();
  inter = pki.sign(root, { cn: 'Test Intermediate', ca: true });
});
afterAll(async () => {
  pki.cleanup();
  await m.h.close();
});

const app = () => m.h.app;
const db = () => m.h.t.db;

async function dkimRows(domain: string) {
  return db()
    .selectFrom('records')
    .select(['content', 'type'])
    .where('name', '=', `mail._domainkey.${domain}`)
    .execute();
}

describe('POST /mail/dkim/add-new-domain', () => {
  let first: string;

  test('publishes one TXT record at mail._domainkey with an RSA-2048 key; the private key is encrypted', async () => {
    const res = await request(app())
      .post('/mail/dkim/add-new-domain')
      .set('Auth-token', m.tokens.alice)
      .field('domain', 'alice.example');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      result: true,
      domain: 'alice.example',
      selector: 'mail',
      record: 'mail._domainkey.alice.example',
      type: 'TXT',
    });
    const value = res.body.value as string;
    expect(value).toMatch(/^v=DKIM1; k=rsa; p=[A-Za-z0-9+/=]+$/);
    expect(value.length).toBeGreaterThan(255);
    // the zone-file form shows several 255-byte strings in one record
    expect(res.body.txt).toMatch(
      /^mail\._domainkey\.alice\.example\. 3600 IN TXT \( "[^"]{255}" "[^"]+" \)$/,
    );
    const rows = await dkimRows('alice.example');
    expect(rows).toEqual([{ type: 'TXT', content: value }]);
    const keys = await db().selectFrom('dkim_keys').selectAll().execute();
    expect(keys).toHaveLength(1);
    const key = keys[0]!;
    expect(key.selector).toBe('mail');
    expect(key.private_key_enc).toMatch(/^v1:/);
    expect(key.private_key_enc).not.toContain('PRIVATE KEY');
    const priv = createPrivateKey(decryptSecret(key.private_key_enc, m.h.deps.config.SECRETS_KEY));
    expect(priv.asymmetricKeyDetails?.modulusLength).toBe(2048);
    const pub = createPublicKey({ key: Buffer.from(key.public_key, 'base64'), format: 'der', type: 'spki' });
    expect(value).toBe(`v=DKIM1; k=rsa; p=${key.public_key}`);
    const sig = createSign('sha256').update('dkim').sign(priv);
    expect(createVerify('sha256').update('dkim').verify(pub, sig)).toBe(true);
    first = key.public_key;
  });

  test('a re-run rotates: one active key, the TXT replaced (still one record)', async () => {
    const res = await request(app())
      .post('/mail/dkim/add-new-domain')
      .set('Auth-token', m.tokens.alice)
      .type('form')
      .send({ domain: 'alice.example' });
    expect(res.status).toBe(200);
    const keys = await db().selectFrom('dkim_keys').selectAll().orderBy('id').execute();
    expect(keys.map((k) => k.active)).toEqual([false, true]);
    expect(keys[1]!.public_key).not.toBe(first);
    expect(await dkimRows('alice.example')).toEqual([
      { type: 'TXT', content: `v=DKIM1; k=rsa; p=${keys[1]!.public_key}` },
    ]);
  });

  test('a third rotation deletes the oldest key: the active one and the one it replaced remain', async () => {
    const before = await db().selectFrom('dkim_keys').selectAll().orderBy('id').execute();
    const res = await request(app())
      .post('/mail/dkim/add-new-domain')
      .set('Auth-token', m.tokens.alice)
      .field('domain', 'alice.example');
    expect(res.status).toBe(200);
    const keys = await db().selectFrom('dkim_keys').selectAll().orderBy('id').execute();
    expect(keys.map((k) => k.active)).toEqual([false, true]);
    expect(keys[0]!.id).toBe(before[1]!.id);
  });

  test('key generation is throttled per account (6 an hour by default): then 429 with Retry-After', async () => {
    // alice has generated 3 keys so far
    for (let i = 0; i < 3; i++) {
      const ok = await request(app())
        .post('/mail/dkim/add-new-domain')
        .set('Auth-token', m.tokens.alice)
        .field('domain', 'alice.example');
      expect(ok.status).toBe(200);
    }
    const res = await request(app())
      .post('/mail/dkim/add-new-domain')
      .set('Auth-token', m.tokens.alice)
      .field('domain', 'alice.example');
    expect(res.status).toBe(429);
    expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
    expect(res.body).toMatchObject({ result: false, msg: expect.stringMatching(/at most 6 an hour/) });
    expect(await db().selectFrom('dkim_keys').select('id').execute()).toHaveLength(2);
  }, 120_000);

  test('two rotations at once leave exactly one active key and one TXT record', async () => {
    const send = () =>
      request(app())
        .post('/mail/dkim/add-new-domain')
        .set('Auth-token', m.tokens.bob)
        .field('domain', 'bob.example');
    const [a, b] = await Promise.all([send(), send()]);
    expect([a.status, b.status]).toEqual([200, 200]);
    const d = await db()
      .selectFrom('mail_domains')
      .select('id')
      .where('name', '=', 'bob.example')
      .executeTakeFirstOrThrow();
    const active = await db()
      .selectFrom('dkim_keys')
      .select('public_key')
      .where('mail_domain_id', '=', d.id)
      .where('active', '=', true)
      .execute();
    expect(active).toHaveLength(1);
    expect(await dkimRows('bob.example')).toEqual([
      { type: 'TXT', content: `v=DKIM1; k=rsa; p=${active[0]!.public_key}` },
    ]);
  });

  test("another account's domain → 404; missing or bad domain → 400", async () => {
    const other = await request(app())
      .post('/mail/dkim/add-new-domain')
      .set('Auth-token', m.tokens.bob)
      .field('domain', 'alice.example');
    expect(other.status).toBe(404);
    expect(other.body).toEqual({ result: false, msg: 'Domain not found' });
    const missing = await request(app()).post('/mail/dkim/add-new-domain').set('Auth-token', m.tokens.bob);
    expect(missing.status).toBe(400);
    expect(missing.body).toEqual({ result: false, msg: 'domain is required' });
    const bad = await request(app())
      .post('/mail/dkim/add-new-domain')
      .set('Auth-token', m.tokens.bob)
      .field('domain', '-bad-.example');
    expect(bad.status).toBe(400);
  });
});

describe('POST /mail/ssl/upload', () => {
  const fmt = (d: Date) => d.toISOString().replace(/[-:T]/g, '').slice(0, 14) + 'Z';
  let leaf: Issued;

  beforeAll(() => {
    leaf = pki.sign(inter, { cn: 'mail.alice.example', names: ['mail.alice.example', 'alice.example'] });
  });

  async function certCount(): Promise<number> {
    return (await db().selectFrom('certificates').select('id').execute()).length;
  }

  test('rejects a key that does not match, and stores nothing', async () => {
    const other = pki.sign(inter, { cn: 'mail.alice.example' });
    const res = await request(app())
      .post('/mail/ssl/upload')
      .set('Auth-token', m.tokens.alice)
      .field('ssl_certificate', leaf.cert + inter.cert)
      .field('ssl_certificate_key', other.key);
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ result: false, msg: 'ssl_certificate_key does not match the certificate' });
    expect(await certCount()).toBe(0);
  });

  test('rejects an expired certificate, and stores nothing', async () => {
    const old = pki.sign(inter, {
      cn: 'mail.alice.example',
      start: fmt(new Date(Date.now() - 100 * 86_400_000)),
      end: fmt(new Date(Date.now() - 10 * 86_400_000)),
    });
    const res = await request(app())
      .post('/mail/ssl/upload')
      .set('Auth-token', m.tokens.alice)
      .field('ssl_certificate', old.cert + inter.cert)
      .field('ssl_certificate_key', old.key);
    expect(res.status).toBe(400);
    expect(res.body.msg).toMatch(/^the certificate expired on \d{4}-/);
    expect(await certCount()).toBe(0);
  });

  test('rejects a chain out of order, and stores nothing', async () => {
    const res = await request(app())
      .post('/mail/ssl/upload')
      .set('Auth-token', m.tokens.alice)
      .field('ssl_certificate', leaf.cert + root.cert + inter.cert)
      .field('ssl_certificate_key', leaf.key);
    expect(res.status).toBe(400);
    expect(res.body.msg).toContain(
      'the certificate chain is out of order: certificate 1 is not issued by certificate 2',
    );
    expect(await certCount()).toBe(0);
  });

  test.each([
    ['missing certificate', {}, 'ssl_certificate is required'],
    ['missing key', { ssl_certificate: 'x' }, 'ssl_certificate_key is required'],
    [
      'not PEM',
      { ssl_certificate: 'hello', ssl_certificate_key: 'x' },
      'ssl_certificate is not a PEM certificate',
    ],
  ])('%s → 400', async (_n, body, msg) => {
    const res = await request(app())
      .post('/mail/ssl/upload')
      .set('Auth-token', m.tokens.alice)
      .type('form')
      .send(body);
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ result: false, msg });
  });

  test('a bad key PEM → 400', async () => {
    const res = await request(app())
      .post('/mail/ssl/upload')
      .set('Auth-token', m.tokens.alice)
      .field('ssl_certificate', leaf.cert)
      .field('ssl_certificate_key', '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n');
    expect(res.status).toBe(400);
    expect(res.body.msg).toBe('ssl_certificate_key is not a PEM private key');
  });

  test("a certificate for another account's domain → 400, nothing stored", async () => {
    const res = await request(app())
      .post('/mail/ssl/upload')
      .set('Auth-token', m.tokens.bob)
      .field('ssl_certificate', leaf.cert + inter.cert)
      .field('ssl_certificate_key', leaf.key);
    expect(res.status).toBe(400);
    expect(res.body.msg).toContain('names no host inside your mail domains');
    expect(await certCount()).toBe(0);
  });

  test('stores a valid certificate (files sent with -F name=@file) with its chain and an encrypted key', async () => {
    const res = await request(app())
      .post('/mail/ssl/upload')
      .set('Auth-token', m.tokens.alice)
      .attach('ssl_certificate', Buffer.from(leaf.cert + inter.cert), 'cert.pem')
      .attach('ssl_certificate_key', Buffer.from(leaf.key), 'key.pem');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      result: true,
      hostname: 'mail.alice.example',
      names: ['mail.alice.example', 'alice.example'],
    });
    const c = await db().selectFrom('certificates').selectAll().executeTakeFirstOrThrow();
    expect(c.source).toBe('upload');
    expect(c.account_id).toBe(m.alice.id);
    expect(c.cert_pem.trim()).toBe(leaf.cert.trim());
    expect(c.chain_pem.trim()).toBe(inter.cert.trim());
    expect(c.key_enc).not.toContain('PRIVATE KEY');
    const key = createPrivateKey(decryptSecret(c.key_enc, m.h.deps.config.SECRETS_KEY));
    expect(key.asymmetricKeyType).toBe('ec');
  });

  test('an explicit hostname must be one the certificate names', async () => {
    const bad = await request(app())
      .post('/mail/ssl/upload')
      .set('Auth-token', m.tokens.alice)
      .field('hostname', 'smtp.alice.example')
      .field('ssl_certificate', leaf.cert + inter.cert)
      .field('ssl_certificate_key', leaf.key);
    expect(bad.status).toBe(400);
    expect(bad.body.msg).toContain('does not cover smtp.alice.example');
    const ok = await request(app())
      .post('/mail/ssl/upload')
      .set('Auth-token', m.tokens.alice)
      .field('hostname', 'alice.example')
      .field('ssl_certificate', leaf.cert + inter.cert)
      .field('ssl_certificate_key', leaf.key);
    expect(ok.status).toBe(200);
    expect(ok.body.hostname).toBe('alice.example');
  });
});

test('a wildcard-only certificate is stored under its wildcard name', async () => {
  const wild = pki.sign(inter, { cn: '*.bob.example', names: ['*.bob.example'] });
  const res = await request(app())
    .post('/mail/ssl/upload')
    .set('Auth-token', m.tokens.bob)
    .field('ssl_certificate', wild.cert + inter.cert)
    .field('ssl_certificate_key', wild.key);
  expect(res.status).toBe(200);
  expect(res.body.hostname).toBe('*.bob.example');
  const left = await request(app())
    .post('/mail/ssl/get-left-days')
    .set('Auth-token', m.tokens.bob)
    .field('hostname', '*.bob.example');
  expect(left.status).toBe(200);
  expect(left.body.left_days).toBeGreaterThan(80);
});

describe('POST /mail/ssl/get-left-days', () => {
  test("reports the days until the stored certificate's expiry", async () => {
    const c = await db()
      .selectFrom('certificates')
      .select('not_after')
      .where('hostname', '=', 'mail.alice.example')
      .executeTakeFirstOrThrow();
    const expected = Math.floor((c.not_after.getTime() - Date.now()) / 86_400_000);
    const res = await request(app())
      .post('/mail/ssl/get-left-days')
      .set('Auth-token', m.tokens.alice)
      .field('hostname', 'mail.alice.example');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ result: true, hostname: 'mail.alice.example', source: 'upload' });
    expect([expected, expected - 1]).toContain(res.body.left_days);
    expect(res.body.days).toBe(res.body.left_days);
    // the original server's field (an EasyMail panel reads `days_left`)
    expect(res.body.days_left).toBe(res.body.left_days);
    expect(res.body.left_days).toBeGreaterThan(80);
  });

  test('unknown hostname → 404, someone else’s → 404, missing or bad → 400', async () => {
    const unknown = await request(app())
      .post('/mail/ssl/get-left-days')
      .set('Auth-token', m.tokens.alice)
      .field('hostname', 'imap.alice.example');
    expect(unknown.status).toBe(404);
    expect(unknown.body).toEqual({ result: false, msg: 'No certificate for imap.alice.example' });
    const other = await request(app())
      .post('/mail/ssl/get-left-days')
      .set('Auth-token', m.tokens.bob)
      .field('hostname', 'mail.alice.example');
    expect(other.status).toBe(404);
    const admin = await request(app())
      .post('/mail/ssl/get-left-days')
      .set('Auth-token', m.tokens.admin)
      .field('hostname', 'mail.alice.example');
    expect(admin.status).toBe(200);
    const missing = await request(app()).post('/mail/ssl/get-left-days').set('Auth-token', m.tokens.alice);
    expect(missing.status).toBe(400);
    expect(missing.body).toEqual({ result: false, msg: 'hostname is required' });
    const bad = await request(app())
      .post('/mail/ssl/get-left-days')
      .set('Auth-token', m.tokens.alice)
      .field('hostname', 'a b');
    expect(bad.status).toBe(400);
  });
});

describe('POST /mail/ssl/letsencrypt/install', () => {
  test('queues a certificates job through the outbox and answers at once with its id', async () => {
    const res = await request(app())
      .post('/mail/ssl/letsencrypt/install')
      .set('Auth-token', m.tokens.bob)
      .field('hostname', 'mail.bob.example');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ result: true, hostname: 'mail.bob.example' });
    const jobId = res.body.job_id as string;
    expect(jobId).toMatch(/^cert-mail\.bob\.example-/);
    expect(jobId).not.toContain(':');
    const row = await db()
      .selectFrom('outbox')
      .selectAll()
      .where('job_id', '=', jobId)
      .executeTakeFirstOrThrow();
    const d = await db()
      .selectFrom('mail_domains')
      .select('id')
      .where('name', '=', 'bob.example')
      .executeTakeFirstOrThrow();
    expect(row.queue).toBe('certificates');
    expect(row.job_name).toBe('issue');
    expect(row.payload).toEqual({ hostname: 'mail.bob.example', accountId: m.bob.id, mailDomainId: d.id });
  });

  test('more than 5 requests per host name and hour → 429 with Retry-After', async () => {
    const send = () =>
      request(app())
        .post('/mail/ssl/letsencrypt/install')
        .set('Auth-token', m.tokens.bob)
        .field('hostname', 'smtp.bob.example');
    for (let i = 0; i < 5; i++) expect((await send()).status).toBe(200);
    const res = await send();
    expect(res.status).toBe(429);
    expect(Number(res.headers['retry-after'])).toBeGreaterThan(0);
    expect(res.body.msg).toMatch(/^Too many certificate requests for smtp\.bob\.example/);
  });

  test('a host outside the caller’s mail domains → 404; missing → 400', async () => {
    const res = await request(app())
      .post('/mail/ssl/letsencrypt/install')
      .set('Auth-token', m.tokens.bob)
      .field('hostname', 'mail.alice.example');
    expect(res.status).toBe(404);
    expect(res.body).toEqual({
      result: false,
      msg: 'mail.alice.example is not inside one of your mail domains',
    });
    const missing = await request(app())
      .post('/mail/ssl/letsencrypt/install')
      .set('Auth-token', m.tokens.bob);
    expect(missing.status).toBe(400);
    expect(missing.body).toEqual({ result: false, msg: 'hostname is required' });
  });
});
