import { base32Decode, hotp, totpStep } from '@ddns/registry';
import request from 'supertest';
import { apiAccount, resetLimits } from '../support/api-helpers';
import { createTestApp, type TestApp } from '../support/test-app';
import { as, login } from './v1-helpers';

let h: TestApp;
beforeAll(async () => {
  h = await createTestApp({ TRUST_PROXY: 'true' });
});
afterAll(async () => {
  await h.close();
});
beforeEach(async () => {
  await resetLimits(h);
});

describe('login and sessions', () => {
  test('a session cookie is httpOnly and SameSite; whoami shows the account and CSRF token', async () => {
    const a = await apiAccount(h.t.db);
    const res = await request(h.app).post('/v1/auth/login').send({ email: a.email, password: 'password123' });
    expect(res.status).toBe(200);
    const cookie = String(res.headers['set-cookie']?.[0]);
    expect(cookie).toMatch(/^ddns_session=[^;]+; Path=\/; HttpOnly; SameSite=Lax; Max-Age=\d+$/);
    expect(res.body.account).toMatchObject({ email: a.email, totpEnabled: false, emailVerified: true });
    const who = await request(h.app).get('/v1/auth/whoami').set('Cookie', cookie.split(';')[0]!);
    expect(who.status).toBe(200);
    expect(who.body).toMatchObject({ via: 'session', csrfToken: res.body.csrfToken, account: { id: a.id } });
  });

  test('behind https (PUBLIC_URL) the cookie is Secure', async () => {
    const tls = await createTestApp({ PUBLIC_URL: 'https://ddns.example' });
    try {
      const a = await apiAccount(tls.t.db);
      const res = await request(tls.app)
        .post('/v1/auth/login')
        .send({ email: a.email, password: 'password123' });
      expect(String(res.headers['set-cookie']?.[0])).toMatch(/; Secure$/);
    } finally {
      await tls.close();
    }
  });

  test('a wrong password is 401 in the /v1 error format', async () => {
    const a = await apiAccount(h.t.db);
    const res = await request(h.app)
      .post('/v1/auth/login')
      .send({ email: a.email, password: 'wrong-password' });
    expect(res.status).toBe(401);
    expect(res.body).toEqual({
      error: { code: 'unauthenticated', message: 'wrong e-mail address or password' },
    });
  });

  test('validation errors name the field', async () => {
    const res = await request(h.app).post('/v1/auth/login').send({ email: 'not-an-address', password: '' });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('invalid');
    expect(Object.keys(res.body.error.fields)).toEqual(expect.arrayContaining(['email', 'password']));
  });

  test('malformed JSON is a 400 in the same format, never a 5xx', async () => {
    const res = await request(h.app)
      .post('/v1/auth/login')
      .set('Content-Type', 'application/json')
      .send('{"email":');
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('invalid');
  });

  test('without the CSRF header a cookie-authenticated POST is refused', async () => {
    const a = await apiAccount(h.t.db);
    const b = await login(h, a.email);
    const res = await request(h.app).post('/v1/api-keys').set('Cookie', b.cookie).send({ name: 'k' });
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe('csrf');
    const wrong = await request(h.app)
      .post('/v1/api-keys')
      .set({ Cookie: b.cookie, 'X-CSRF-Token': 'nope' })
      .send({ name: 'k' });
    expect(wrong.body.error.code).toBe('csrf');
    const ok = await request(h.app).post('/v1/api-keys').set(as(b)).send({ name: 'k' });
    expect(ok.status).toBe(201);
  });

  test('logout ends the session', async () => {
    const a = await apiAccount(h.t.db);
    const b = await login(h, a.email);
    expect((await request(h.app).post('/v1/auth/logout').set(as(b))).status).toBe(204);
    const who = await request(h.app).get('/v1/auth/whoami').set('Cookie', b.cookie);
    expect(who.status).toBe(401);
  });

  test('no credentials: 401', async () => {
    const res = await request(h.app).get('/v1/domains');
    expect(res.status).toBe(401);
    expect(res.body.error.code).toBe('unauthenticated');
  });
});

describe('lockout is keyed per source network', () => {
  test("guessing from one network locks that network, the owner's network still gets in", async () => {
    const a = await apiAccount(h.t.db);
    const attacker = '198.51.100.7';
    for (let i = 0; i < 5; i++) {
      const res = await request(h.app)
        .post('/v1/auth/login')
        .set('X-Forwarded-For', attacker)
        .send({ email: a.email, password: `guess-${i}-xxxx` });
      expect(res.status).toBe(401);
    }
    const locked = await request(h.app)
      .post('/v1/auth/login')
      .set('X-Forwarded-For', '198.51.100.99')
      .send({ email: a.email, password: 'password123' });
    expect(locked.status).toBe(429);
    expect(locked.body.error.code).toBe('rate_limited');
    expect(Number(locked.headers['retry-after'])).toBeGreaterThan(0);
    const owner = await request(h.app)
      .post('/v1/auth/login')
      .set('X-Forwarded-For', '203.0.113.5')
      .send({ email: a.email, password: 'password123' });
    expect(owner.status).toBe(200);
  });
});

describe('TOTP', () => {
  test('enrol, confirm, log in with a code once, recovery code, turn off', async () => {
    const a = await apiAccount(h.t.db);
    const b = await login(h, a.email);
    const start = await request(h.app).post('/v1/account/totp').set(as(b));
    expect(start.status).toBe(200);
    expect(start.body.uri).toMatch(/^otpauth:\/\/totp\//);
    const key = base32Decode(start.body.secret);
    const step = totpStep(new Date());
    const bad = await request(h.app).post('/v1/account/totp/confirm').set(as(b)).send({ code: '12345' });
    expect(bad.status).toBe(400);
    expect(bad.body.error.fields.code).toBeDefined();
    const conf = await request(h.app)
      .post('/v1/account/totp/confirm')
      .set(as(b))
      .send({ code: hotp(key, step) });
    expect(conf.status).toBe(200);
    expect(conf.body.recoveryCodes).toHaveLength(10);

    const noCode = await request(h.app)
      .post('/v1/auth/login')
      .send({ email: a.email, password: 'password123' });
    expect(noCode.status).toBe(401);
    expect(noCode.body.error.code).toBe('totp_required');
    // the code that confirmed enrolment is used up; the next step's code works once
    const used = await request(h.app)
      .post('/v1/auth/login')
      .send({ email: a.email, password: 'password123', totp: hotp(key, step) });
    expect(used.status).toBe(401);
    const next = hotp(key, step + 1);
    await login(h, a.email, 'password123', next);
    const again = await request(h.app)
      .post('/v1/auth/login')
      .send({ email: a.email, password: 'password123', totp: next });
    expect(again.status).toBe(401);
    const rec = conf.body.recoveryCodes[0];
    const b2 = await login(h, a.email, 'password123', rec);
    const reuse = await request(h.app)
      .post('/v1/auth/login')
      .send({ email: a.email, password: 'password123', totp: rec });
    expect(reuse.status).toBe(401);
    expect(
      (await request(h.app).delete('/v1/account/totp').set(as(b2)).send({ password: 'password123' })).status,
    ).toBe(204);
    await login(h, a.email);
  });
});

describe('account', () => {
  test('password change keeps this session, ends others, needs the current password', async () => {
    const a = await apiAccount(h.t.db);
    const b1 = await login(h, a.email);
    const b2 = await login(h, a.email);
    const wrong = await request(h.app)
      .put('/v1/account/password')
      .set(as(b1))
      .send({ currentPassword: 'nope', newPassword: 'new-password-1' });
    expect(wrong.status).toBe(403);
    expect(wrong.body.error.fields.currentPassword).toBeDefined();
    const ok = await request(h.app)
      .put('/v1/account/password')
      .set(as(b1))
      .send({ currentPassword: 'password123', newPassword: 'new-password-1' });
    expect(ok.status).toBe(204);
    expect((await request(h.app).get('/v1/account').set('Cookie', b1.cookie)).status).toBe(200);
    expect((await request(h.app).get('/v1/account').set('Cookie', b2.cookie)).status).toBe(401);
  });

  test('an API key cannot change account settings', async () => {
    const a = await apiAccount(h.t.db);
    const b = await login(h, a.email);
    const key = await request(h.app).post('/v1/api-keys').set(as(b)).send({ name: 'rw', write: true });
    const res = await request(h.app)
      .put('/v1/account/password')
      .set('Authorization', `Bearer ${key.body.secret}`)
      .send({ currentPassword: 'password123', newPassword: 'new-password-1' });
    expect(res.status).toBe(403);
    expect(
      (await request(h.app).get('/v1/api-keys').set('Authorization', `Bearer ${key.body.secret}`)).status,
    ).toBe(403);
  });

  test('the update token rotates (shown once)', async () => {
    const a = await apiAccount(h.t.db);
    const b = await login(h, a.email);
    const res = await request(h.app).post('/v1/account/update-token').set(as(b));
    expect(res.status).toBe(200);
    expect(res.body.token).not.toBe(a.updateToken);
  });

  test('deleting the account releases its names and needs the password', async () => {
    const a = await apiAccount(h.t.db);
    const b = await login(h, a.email);
    const wrong = await request(h.app).delete('/v1/account').set(as(b)).send({ password: 'nope' });
    expect(wrong.status).toBe(403);
    const ok = await request(h.app).delete('/v1/account').set(as(b)).send({ password: 'password123' });
    expect(ok.status).toBe(204);
    const gone = await h.t.db.selectFrom('accounts').select('id').where('id', '=', a.id).executeTakeFirst();
    expect(gone).toBeUndefined();
  });
});
