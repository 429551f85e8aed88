import { createGunzip } from 'node:zlib';
import { Readable } from 'node:stream';
import request from 'supertest';
import { decodeJwt, SignJWT } from 'jose';
import { extract } from 'tar-stream';
import { verifyPassword } from '@ddns/secrets';
import { account, sharedZone } from '@ddns/testkit';
import {
  createMailDomain,
  login,
  mailHarness,
  MAIL_HOST,
  PASSWORD,
  type MailHarness,
} from './support/harness';

let m: MailHarness;
beforeAll(async () => {
  m = await mailHarness();
});
afterAll(async () => {
  await m.h.close();
});

const app = () => m.h.app;
const db = () => m.h.t.db;

describe('POST /mail/auth', () => {
  test('answers a 30-minute HS256 JWT for the account e-mail and password', async () => {
    const res = await request(app())
      .post('/mail/auth')
      .field('username', m.alice.email)
      .field('password', PASSWORD);
    expect(res.status).toBe(200);
    expect(res.body.result).toBe(true);
    const claims = decodeJwt(res.body.token as string);
    expect(claims.exp! - claims.iat!).toBe(1800);
    expect(claims.sub).toBe(String(m.alice.id));
    expect(
      JSON.parse(Buffer.from((res.body.token as string).split('.')[0]!, 'base64url').toString()).alg,
    ).toBe('HS256');
  });

  test('accepts urlencoded bodies too', async () => {
    const res = await request(app())
      .post('/mail/auth')
      .type('form')
      .send({ username: m.bob.email.toUpperCase(), password: PASSWORD });
    expect(res.status).toBe(200);
    expect(res.body.result).toBe(true);
  });

  test.each([
    ['wrong password', () => ({ username: m.alice.email, password: 'wrong-password' })],
    ['unknown user', () => ({ username: 'nobody@example.com', password: PASSWORD })],
    ['missing fields', () => ({})],
  ])('%s: {"msg":"Username/password is not correct","result":false}', async (_name, body) => {
    const res = await request(app()).post('/mail/auth').type('form').send(body());
    expect(res.status).toBe(401);
    expect(res.body).toEqual({ msg: 'Username/password is not correct', result: false });
  });
});

test('5 failed logins from one network throttle that account there for 10 minutes (429 with Retry-After)', async () => {
  const victim = await account(m.h.t.db);
  for (let i = 0; i < 5; i++) {
    const res = await request(app())
      .post('/mail/auth')
      .type('form')
      .send({ username: victim.email, password: 'guess' + i });
    expect(res.status).toBe(401);
  }
  const locked = await request(app())
    .post('/mail/auth')
    .type('form')
    .send({ username: victim.email, password: PASSWORD });
  expect(locked.status).toBe(429);
  expect(Number(locked.headers['retry-after'])).toBeGreaterThan(0);
  expect(locked.body.result).toBe(false);
  expect(locked.body.msg).toMatch(/^Too many failed logins/);
  // other accounts are not affected
  expect(
    (await request(app()).post('/mail/auth').type('form').send({ username: m.bob.email, password: PASSWORD }))
      .status,
  ).toBe(200);
});

describe('Auth-token', () => {
  const secret = () => new TextEncoder().encode(m.h.deps.config.JWT_SECRET);

  test('missing → 401 JSON', async () => {
    const res = await request(app()).get('/mail/domains');
    expect(res.status).toBe(401);
    expect(res.body).toEqual({ result: false, msg: 'Auth-token header is missing' });
  });

  test('garbage → 401', async () => {
    const res = await request(app()).get('/mail/domains').set('Auth-token', 'not-a-jwt');
    expect(res.status).toBe(401);
    expect(res.body).toEqual({ result: false, msg: 'Auth-token is not valid' });
  });

  test('expired → 401', async () => {
    const past = Math.floor(Date.now() / 1000) - 3600;
    const token = await new SignJWT({ username: m.alice.email })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(String(m.alice.id))
      .setAudience('ddns-mail')
      .setIssuedAt(past)
      .setExpirationTime(past + 1800)
      .sign(secret());
    const res = await request(app()).get('/mail/domains').set('Auth-token', token);
    expect(res.status).toBe(401);
    expect(res.body).toEqual({ result: false, msg: 'Auth-token has expired' });
  });

  test('signed with another secret → 401', async () => {
    const token = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(String(m.admin.id))
      .setAudience('ddns-mail')
      .setExpirationTime('10m')
      .sign(new TextEncoder().encode('another-secret-0123456789'));
    const res = await request(app()).get('/mail/domains').set('Auth-token', token);
    expect(res.status).toBe(401);
    expect(res.body.result).toBe(false);
  });

  test('for an account that no longer exists → 401', async () => {
    const token = await new SignJWT({})
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject('999999')
      .setAudience('ddns-mail')
      .setExpirationTime('10m')
      .sign(secret());
    const res = await request(app()).get('/mail/domains').set('Auth-token', token);
    expect(res.status).toBe(401);
    expect(res.body).toEqual({ result: false, msg: 'Auth-token is not valid' });
  });

  test('every other path needs it, DELETE included', async () => {
    for (const [method, path] of [
      ['post', '/mail/domains'],
      ['get', '/mail/users/1'],
      ['post', '/mail/user/1'],
      ['post', '/mail/users/1'],
      ['post', '/mail/user-change-password'],
      ['delete', '/mail/domain'],
      ['delete', '/mail/users'],
      ['post', '/mail/dkim/add-new-domain'],
      ['post', '/mail/ssl/letsencrypt/install'],
      ['post', '/mail/ssl/get-left-days'],
      ['post', '/mail/ssl/upload'],
      ['get', '/mail/export/domain'],
    ] as const) {
      const res = await request(app())[method](path);
      expect([method, path, res.status]).toEqual([method, path, 401]);
    }
  });
});

describe('mail domains', () => {
  let aliceDomain: { id: number; name: string };

  test('POST /mail/domains creates the hosted zone, its MX/SPF/DMARC and the first mailbox', async () => {
    const res = await request(app())
      .post('/mail/domains')
      .set('Auth-token', m.tokens.alice)
      .field('domain', 'Alice-Mail.Example')
      .field('username', 'postmaster@alice-mail.example')
      .field('password', 'first-mailbox-pw');
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      result: true,
      domain: { name: 'alice-mail.example', users_count: 1, status: 'pending' },
      user: { email: 'postmaster@alice-mail.example' },
      // not served until Alice proves control: delegation to our name servers or this TXT record
      ownership: {
        status: 'pending',
        challenge: { name: '_ddns-challenge.alice-mail.example', type: 'TXT', value: expect.any(String) },
        nameservers: ['ns1.dyn.test'],
      },
    });
    aliceDomain = res.body.domain as { id: number; name: string };
    const zone = await db()
      .selectFrom('zones')
      .selectAll()
      .where('name', '=', 'alice-mail.example')
      .executeTakeFirstOrThrow();
    expect(zone.kind).toBe('hosted');
    expect(zone.account_id).toBe(m.alice.id);
    expect(zone.primary_ns).toBe('ns1.dyn.test');
    const records = await db()
      .selectFrom('records')
      .select(['name', 'type', 'content'])
      .where('zone_id', '=', zone.id)
      .orderBy('id')
      .execute();
    expect(records).toEqual(
      expect.arrayContaining([
        { name: 'alice-mail.example', type: 'NS', content: 'ns1.dyn.test' },
        { name: 'alice-mail.example', type: 'MX', content: `10 ${MAIL_HOST}` },
        { name: 'alice-mail.example', type: 'TXT', content: 'v=spf1 mx ~all' },
        { name: '_dmarc.alice-mail.example', type: 'TXT', content: expect.stringMatching(/^v=DMARC1; p=/) },
      ]),
    );
    const mb = await db()
      .selectFrom('mailboxes')
      .selectAll()
      .where('email', '=', 'postmaster@alice-mail.example')
      .executeTakeFirstOrThrow();
    expect(mb.password_hash).toMatch(/^\{ARGON2ID\}\$argon2id\$/);
    expect(await verifyPassword('first-mailbox-pw', mb.password_hash)).toBe(true);
  });

  test('a bare local part as username is an address in the domain (urlencoded)', async () => {
    const res = await request(app())
      .post('/mail/domains')
      .set('Auth-token', m.tokens.bob)
      .type('form')
      .send({ domain: 'bob-mail.example', username: 'Bob', password: 'bob-mailbox-pw' });
    expect(res.status).toBe(201);
    expect(res.body.user.email).toBe('bob@bob-mail.example');
  });

  test.each([
    ['missing domain', { username: 'a', password: 'long-enough-pw' }, 400, 'domain is required'],
    [
      'bad domain',
      { domain: 'not a domain', username: 'a', password: 'long-enough-pw' },
      400,
      'is not a domain name',
    ],
    [
      'single label',
      { domain: 'localhost', username: 'a', password: 'long-enough-pw' },
      400,
      'is not a domain name',
    ],
    ['bad username', { domain: 'x1.example', username: 'a b', password: 'long-enough-pw' }, 400, 'username'],
    [
      'username in another domain',
      { domain: 'x2.example', username: 'a@other.example', password: 'long-enough-pw' },
      400,
      '@x2.example',
    ],
    ['short password', { domain: 'x3.example', username: 'a', password: 'short' }, 400, 'at least 8'],
    ['missing password', { domain: 'x4.example', username: 'a' }, 400, 'password is required'],
    [
      'existing domain',
      { domain: 'alice-mail.example', username: 'a', password: 'long-enough-pw' },
      409,
      'claimed by another account',
    ],
    ['a public suffix', { domain: 'co.uk', username: 'a', password: 'long-enough-pw' }, 409, 'public suffix'],
    [
      'inside a zone we serve',
      { domain: 'foo.dyn.test', username: 'a', password: 'long-enough-pw' },
      409,
      'inside the zone dyn.test',
    ],
  ])('%s', async (_n, body, status, msg) => {
    const res = await request(app())
      .post('/mail/domains')
      .set('Auth-token', m.tokens.bob)
      .type('form')
      .send(body);
    expect(res.status).toBe(status);
    expect(res.body.result).toBe(false);
    expect(res.body.msg).toContain(msg);
  });

  test('a parent of a zone we serve is refused (409)', async () => {
    await sharedZone(db(), 'gw.corp.example');
    const res = await request(app())
      .post('/mail/domains')
      .set('Auth-token', m.tokens.bob)
      .type('form')
      .send({ domain: 'corp.example', username: 'a', password: 'long-enough-pw' });
    expect(res.status).toBe(409);
    expect(res.body).toEqual({
      result: false,
      msg: 'corp.example contains the zone gw.corp.example, which is not yours to host',
    });
  });

  test('nothing is left behind by a refused creation', async () => {
    const z = await db().selectFrom('zones').select('name').where('name', 'like', 'x%.example').execute();
    expect(z).toEqual([]);
  });

  test('GET /mail/domains: users see their own, admins see all, with users_count', async () => {
    await request(app())
      .post(`/mail/users/${aliceDomain.id}`)
      .set('Auth-token', m.tokens.alice)
      .field('email', 'second@alice-mail.example')
      .field('password', 'second-mailbox-pw')
      .expect(201);
    const mine = await request(app()).get('/mail/domains').set('Auth-token', m.tokens.alice);
    expect(mine.status).toBe(200);
    expect(mine.body).toEqual({
      domains: [{ id: aliceDomain.id, name: 'alice-mail.example', users_count: 2, status: 'pending' }],
    });
    const bobs = await request(app()).get('/mail/domains').set('Auth-token', m.tokens.bob);
    expect(bobs.body.domains.map((d: { name: string }) => d.name)).toEqual(['bob-mail.example']);
    const all = await request(app()).get('/mail/domains').set('Auth-token', m.tokens.admin);
    expect(all.body.domains.map((d: { name: string }) => d.name)).toEqual([
      'alice-mail.example',
      'bob-mail.example',
    ]);
  });

  test('GET /mail/users/:domain_id lists the mailboxes', async () => {
    const res = await request(app()).get(`/mail/users/${aliceDomain.id}`).set('Auth-token', m.tokens.alice);
    expect(res.status).toBe(200);
    expect(res.body.users).toEqual([
      { id: expect.any(Number), domain_id: aliceDomain.id, email: 'postmaster@alice-mail.example' },
      { id: expect.any(Number), domain_id: aliceDomain.id, email: 'second@alice-mail.example' },
    ]);
    const admin = await request(app()).get(`/mail/users/${aliceDomain.id}`).set('Auth-token', m.tokens.admin);
    expect(admin.body.users).toHaveLength(2);
  });

  test("another account's domain is not found; a bad id is a 400", async () => {
    const other = await request(app()).get(`/mail/users/${aliceDomain.id}`).set('Auth-token', m.tokens.bob);
    expect(other.status).toBe(404);
    expect(other.body).toEqual({ result: false, msg: 'Domain not found' });
    const bad = await request(app()).get('/mail/users/abc').set('Auth-token', m.tokens.bob);
    expect(bad.status).toBe(400);
    expect(bad.body.msg).toContain('domain_id');
    const none = await request(app()).get('/mail/users/99999').set('Auth-token', m.tokens.admin);
    expect(none.status).toBe(404);
  });

  test('POST /mail/user/:domain_id (the documented spelling) creates a mailbox', async () => {
    const res = await request(app())
      .post(`/mail/user/${aliceDomain.id}`)
      .set('Auth-token', m.tokens.alice)
      .field('email', 'Third@Alice-Mail.Example')
      .field('password', 'third-mailbox-pw');
    expect(res.status).toBe(201);
    expect(res.body).toEqual({
      result: true,
      user: { id: expect.any(Number), domain_id: aliceDomain.id, email: 'third@alice-mail.example' },
    });
  });

  test.each([
    ['duplicate', 'third@alice-mail.example', 'third-mailbox-pw', 409, 'already exists'],
    ['other domain', 'x@bob-mail.example', 'long-enough-pw', 400, '@alice-mail.example'],
    ['bad address', 'a..b@alice-mail.example', 'long-enough-pw', 400, 'email'],
    ['short password', 'x@alice-mail.example', 'short', 400, 'at least 8'],
  ])('creating a mailbox: %s', async (_n, email, password, status, msg) => {
    const res = await request(app())
      .post(`/mail/user/${aliceDomain.id}`)
      .set('Auth-token', m.tokens.alice)
      .type('form')
      .send({ email, password });
    expect(res.status).toBe(status);
    expect(res.body.result).toBe(false);
    expect(res.body.msg).toContain(msg);
  });

  test("creating a mailbox in another account's domain is 404; admins may", async () => {
    const res = await request(app())
      .post(`/mail/users/${aliceDomain.id}`)
      .set('Auth-token', m.tokens.bob)
      .field('email', 'intruder@alice-mail.example')
      .field('password', 'long-enough-pw');
    expect(res.status).toBe(404);
    const admin = await request(app())
      .post(`/mail/users/${aliceDomain.id}`)
      .set('Auth-token', m.tokens.admin)
      .field('email', 'helpdesk@alice-mail.example')
      .field('password', 'long-enough-pw');
    expect(admin.status).toBe(201);
  });

  test('POST /mail/user-change-password replaces the hash', async () => {
    const mb = await db()
      .selectFrom('mailboxes')
      .selectAll()
      .where('email', '=', 'second@alice-mail.example')
      .executeTakeFirstOrThrow();
    const res = await request(app())
      .post('/mail/user-change-password')
      .set('Auth-token', m.tokens.alice)
      .field('id', String(mb.id))
      .field('password', 'a-new-password')
      .field('domain_id', String(aliceDomain.id));
    expect(res.status).toBe(200);
    expect(res.body.result).toBe(true);
    const after = await db()
      .selectFrom('mailboxes')
      .select('password_hash')
      .where('id', '=', mb.id)
      .executeTakeFirstOrThrow();
    expect(after.password_hash).toMatch(/^\{ARGON2ID\}/);
    expect(await verifyPassword('a-new-password', after.password_hash)).toBe(true);
    expect(await verifyPassword('second-mailbox-pw', after.password_hash)).toBe(false);
  });

  test.each([
    [
      'missing id',
      (_mb: number, d: number) => ({ password: 'long-enough-pw', domain_id: d }),
      400,
      'id is required',
    ],
    [
      'missing domain_id',
      (mb: number) => ({ id: mb, password: 'long-enough-pw' }),
      400,
      'domain_id is required',
    ],
    [
      'short password',
      (mb: number, d: number) => ({ id: mb, domain_id: d, password: 'x' }),
      400,
      'at least 8',
    ],
    [
      'mailbox of another domain',
      (mb: number, d: number) => ({ id: mb + 100000, domain_id: d, password: 'long-enough-pw' }),
      404,
      'User not found',
    ],
  ])('changing a password: %s', async (_n, body, status, msg) => {
    const mb = await db()
      .selectFrom('mailboxes')
      .select('id')
      .where('email', '=', 'second@alice-mail.example')
      .executeTakeFirstOrThrow();
    const res = await request(app())
      .post('/mail/user-change-password')
      .set('Auth-token', m.tokens.alice)
      .type('form')
      .send(body(mb.id, aliceDomain.id));
    expect(res.status).toBe(status);
    expect(res.body.msg).toContain(msg);
  });

  test("changing the password of another account's mailbox is 404", async () => {
    const mb = await db()
      .selectFrom('mailboxes')
      .select('id')
      .where('email', '=', 'second@alice-mail.example')
      .executeTakeFirstOrThrow();
    const res = await request(app())
      .post('/mail/user-change-password')
      .set('Auth-token', m.tokens.bob)
      .type('form')
      .send({ id: mb.id, domain_id: aliceDomain.id, password: 'long-enough-pw' });
    expect(res.status).toBe(404);
    expect(res.body).toEqual({ result: false, msg: 'Domain not found' });
  });

  test('DELETE /mail/users reads a form-data body', async () => {
    const denied = await request(app())
      .delete('/mail/users')
      .set('Auth-token', m.tokens.bob)
      .field('email', 'third@alice-mail.example');
    expect(denied.status).toBe(404);
    expect(denied.body).toEqual({ result: false, msg: 'User not found' });
    const res = await request(app())
      .delete('/mail/users')
      .set('Auth-token', m.tokens.alice)
      .field('email', 'third@alice-mail.example');
    expect(res.status).toBe(200);
    expect(res.body.result).toBe(true);
    const left = await db()
      .selectFrom('mailboxes')
      .select('id')
      .where('email', '=', 'third@alice-mail.example')
      .execute();
    expect(left).toEqual([]);
    const again = await request(app())
      .delete('/mail/users')
      .set('Auth-token', m.tokens.alice)
      .type('form')
      .send({ email: 'third@alice-mail.example' });
    expect(again.status).toBe(404);
    const missing = await request(app()).delete('/mail/users').set('Auth-token', m.tokens.alice);
    expect(missing.status).toBe(400);
    expect(missing.body).toEqual({ result: false, msg: 'email is required' });
    const bad = await request(app())
      .delete('/mail/users')
      .set('Auth-token', m.tokens.alice)
      .type('form')
      .send({ email: 'nope' });
    expect(bad.status).toBe(400);
  });

  test('GET /mail/export/domain answers a .tar.gz with JSON files and a README', async () => {
    const res = await request(app())
      .get('/mail/export/domain')
      .set('Auth-token', m.tokens.alice)
      .field('domain', 'alice-mail.example')
      .buffer(true)
      .parse((r, cb) => {
        const chunks: Buffer[] = [];
        r.on('data', (c: Buffer) => chunks.push(c));
        r.on('end', () => cb(null, Buffer.concat(chunks)));
      });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('application/gzip');
    expect(res.headers['content-disposition']).toMatch(
      /attachment; filename="?alice-mail\.example-\d{4}-\d\d-\d\d\.tar\.gz"?/,
    );
    const files = await untar(res.body as Buffer);
    expect(Object.keys(files).sort()).toEqual(
      ['README.txt', 'certificates.json', 'dkim.json', 'domain.json', 'mailboxes.json', 'records.json'].map(
        (f) => `alice-mail.example/${f}`,
      ),
    );
    const mailboxes = JSON.parse(files['alice-mail.example/mailboxes.json']!) as {
      email: string;
      password_hash: string;
    }[];
    expect(mailboxes.map((x) => x.email)).toEqual([
      'postmaster@alice-mail.example',
      'second@alice-mail.example',
      'helpdesk@alice-mail.example',
    ]);
    expect(mailboxes.every((x) => x.password_hash.startsWith('{ARGON2ID}$argon2id$'))).toBe(true);
    const records = JSON.parse(files['alice-mail.example/records.json']!) as { type: string }[];
    expect(records.map((r) => r.type).sort()).toEqual(['MX', 'NS', 'TXT', 'TXT']);
    expect(JSON.parse(files['alice-mail.example/domain.json']!).domain.name).toBe('alice-mail.example');
    expect(files['alice-mail.example/README.txt']).toContain('Export of the mail domain alice-mail.example');
  });

  test('export: query parameter works, admins may, others get 404, domain is required', async () => {
    const q = await request(app())
      .get('/mail/export/domain?domain=alice-mail.example')
      .set('Auth-token', m.tokens.admin);
    expect(q.status).toBe(200);
    const other = await request(app())
      .get('/mail/export/domain?domain=alice-mail.example')
      .set('Auth-token', m.tokens.bob);
    expect(other.status).toBe(404);
    expect(other.body).toEqual({ result: false, msg: 'Domain not found' });
    const missing = await request(app()).get('/mail/export/domain').set('Auth-token', m.tokens.bob);
    expect(missing.status).toBe(400);
    expect(missing.body).toEqual({ result: false, msg: 'domain is required' });
  });

  test('DELETE /mail/domain removes the zone, records, mailboxes, keys and certificates at once', async () => {
    const zone = await db()
      .selectFrom('zones')
      .select('id')
      .where('name', '=', 'alice-mail.example')
      .executeTakeFirstOrThrow();
    await db()
      .insertInto('dkim_keys')
      .values({
        mail_domain_id: aliceDomain.id,
        selector: 'mail',
        public_key: 'AAAA',
        private_key_enc: 'v1:x:y:z',
      })
      .execute();
    const now = new Date();
    await db()
      .insertInto('certificates')
      .values({
        hostname: 'mail.alice-mail.example',
        account_id: m.alice.id,
        mail_domain_id: null,
        cert_pem: 'x',
        chain_pem: '',
        key_enc: 'v1:x:y:z',
        not_before: now,
        not_after: now,
        source: 'upload',
      })
      .execute();
    const denied = await request(app())
      .delete('/mail/domain')
      .set('Auth-token', m.tokens.bob)
      .field('domain', 'alice-mail.example');
    expect(denied.status).toBe(404);
    const res = await request(app())
      .delete('/mail/domain')
      .set('Auth-token', m.tokens.alice)
      .field('domain', 'alice-mail.example');
    expect(res.status).toBe(200);
    expect(res.body.result).toBe(true);
    const counts = await Promise.all([
      db().selectFrom('zones').select('id').where('id', '=', zone.id).execute(),
      db().selectFrom('records').select('id').where('zone_id', '=', zone.id).execute(),
      db().selectFrom('mail_domains').select('id').where('id', '=', aliceDomain.id).execute(),
      db().selectFrom('mailboxes').select('id').where('mail_domain_id', '=', aliceDomain.id).execute(),
      db().selectFrom('dkim_keys').select('id').where('mail_domain_id', '=', aliceDomain.id).execute(),
      db().selectFrom('certificates').select('id').where('hostname', 'like', '%alice-mail.example').execute(),
    ]);
    expect(counts.map((c) => c.length)).toEqual([0, 0, 0, 0, 0, 0]);
    const gone = await request(app())
      .delete('/mail/domain')
      .set('Auth-token', m.tokens.alice)
      .type('form')
      .send({ domain: 'alice-mail.example' });
    expect(gone.status).toBe(404);
    const missing = await request(app()).delete('/mail/domain').set('Auth-token', m.tokens.alice);
    expect(missing.status).toBe(400);
  });

  test('the same name can be created again after deletion', async () => {
    const again = await createMailDomain(m.h, m.tokens.alice, 'alice-mail.example');
    expect(again.user.email).toBe('admin@alice-mail.example');
  });

  test('a fresh login works after the old token was used', async () => {
    const t = await login(m.h, m.alice.email);
    expect((await request(app()).get('/mail/domains').set('Auth-token', t)).status).toBe(200);
  });

  test('unknown paths under /mail are a JSON 404', async () => {
    const res = await request(app()).get('/mail/nope').set('Auth-token', m.tokens.alice);
    expect(res.status).toBe(404);
    expect(res.body).toEqual({ result: false, msg: 'Not found' });
  });
});

async function untar(gz: Buffer): Promise<Record<string, string>> {
  const files: Record<string, string> = {};
  const ex = extract();
  ex.on('entry', (header, stream, next) => {
    const chunks: Buffer[] = [];
    stream.on('data', (c: unknown) => chunks.push(c as Buffer));
    stream.on('end', () => {
      files[header.name] = Buffer.concat(chunks).toString('utf8');
      next();
    });
  });
  await new Promise<void>((resolve, reject) => {
    ex.on('finish', resolve);
    ex.on('error', reject);
    Readable.from(gz).pipe(createGunzip()).pipe(ex);
  });
  return files;
}

describe('caps', () => {
  test('an account holds at most 5 mail domains (default class): then 403, nothing written', async () => {
    const mine = async () =>
      (await db().selectFrom('mail_domains').select('id').where('account_id', '=', m.bob.id).execute())
        .length;
    let last = 0;
    for (let i = 0; i < 6 && (await mine()) < 5; i++) {
      const res = await request(app())
        .post('/mail/domains')
        .set('Auth-token', m.tokens.bob)
        .type('form')
        .send({ domain: `cap${i}.example`, username: 'a', password: 'long-enough-pw' });
      last = res.status;
    }
    expect(last).toBe(201);
    expect(await mine()).toBe(5);
    const res = await request(app())
      .post('/mail/domains')
      .set('Auth-token', m.tokens.bob)
      .type('form')
      .send({ domain: 'one-too-many.example', username: 'a', password: 'long-enough-pw' });
    expect(res.status).toBe(403);
    expect(res.body).toEqual({ result: false, msg: 'your account may hold at most 5 mail domains' });
    expect(await mine()).toBe(5);
    expect(
      await db().selectFrom('zones').select('id').where('name', '=', 'one-too-many.example').execute(),
    ).toEqual([]);
  }, 120_000);
});
