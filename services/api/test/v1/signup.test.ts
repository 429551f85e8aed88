import { solvePow } from '@ddns/registry';
import request from 'supertest';
import { apiAccount, resetLimits } from '../support/api-helpers';
import { createTestApp, type TestApp } from '../support/test-app';
import { as, login, mintLatestToken } from './v1-helpers';

let open: TestApp;
let closed: TestApp;
let invite: TestApp;
beforeAll(async () => {
  open = await createTestApp({ SIGNUP_MODE: 'open', SIGNUP_POW_DIFFICULTY: '4' });
  closed = await createTestApp();
  invite = await createTestApp({ SIGNUP_MODE: 'invite' });
});
afterAll(async () => {
  await Promise.all([open.close(), closed.close(), invite.close()]);
});
beforeEach(async () => {
  await Promise.all([resetLimits(open), resetLimits(closed), resetLimits(invite)]);
});

const solved = async (h: TestApp) => {
  const c = await request(h.app).post('/v1/signup/challenge');
  expect(c.status).toBe(200);
  return { challenge: c.body.challenge as string, nonce: solvePow(c.body.challenge, c.body.difficulty) };
};

test('closed (the default): no sign-up', async () => {
  expect((await request(closed.app).get('/v1/meta')).body.signupMode).toBe('closed');
  const res = await request(closed.app)
    .post('/v1/signup')
    .send({ email: 'a@example.com', password: 'password123' });
  expect(res.status).toBe(403);
  expect(res.body.error.code).toBe('signup_closed');
});

test('open: proof of work, verification mail through the outbox (no secret in it), then login', async () => {
  const email = 'new-user@example.com';
  const noPow = await request(open.app).post('/v1/signup').send({ email, password: 'password123' });
  expect(noPow.body.error.fields.pow).toBeDefined();
  const pow = await solved(open);
  const res = await request(open.app).post('/v1/signup').send({ email, password: 'password123', pow });
  expect(res.status).toBe(202);
  expect(res.body).toEqual({ status: 'verification_sent', verified: false });
  const reuse = await request(open.app)
    .post('/v1/signup')
    .send({ email: 'x@example.com', password: 'password123', pow });
  expect(reuse.body.error.fields.pow).toBeDefined();
  const mail = await open.t.db
    .selectFrom('outbox')
    .select(['job_name', 'payload'])
    .orderBy('id', 'desc')
    .executeTakeFirstOrThrow();
  expect(mail.job_name).toBe('account-verify');
  const tokenRow = await open.t.db
    .selectFrom('account_tokens')
    .selectAll()
    .where('email', '=', email)
    .executeTakeFirstOrThrow();
  expect(tokenRow.secret_hash).toBeNull();
  const unverified = await request(open.app).post('/v1/auth/login').send({ email, password: 'password123' });
  expect(unverified.status).toBe(403);
  expect(unverified.body.error.code).toBe('email_unverified');
  const secret = await mintLatestToken(open.t.db, 'signup', email);
  const v = await request(open.app).post('/v1/auth/verify-email').send({ token: secret });
  expect(v.body).toEqual({ email, purpose: 'signup' });
  expect((await request(open.app).post('/v1/auth/verify-email').send({ token: secret })).status).toBe(400);
  await login(open, email);
});

test('an existing address gets the same answer and no second account', async () => {
  const a = await apiAccount(open.t.db);
  const res = await request(open.app)
    .post('/v1/signup')
    .send({ email: a.email, password: 'password123', pow: await solved(open) });
  expect(res.status).toBe(202);
  expect(res.body).toEqual({ status: 'verification_sent', verified: false });
});

test('password reset: always 202, single-use link, sessions end', async () => {
  const a = await apiAccount(open.t.db);
  const b = await login(open, a.email);
  expect(
    (await request(open.app).post('/v1/auth/password-reset').send({ email: 'nobody@example.com' })).status,
  ).toBe(202);
  expect((await request(open.app).post('/v1/auth/password-reset').send({ email: a.email })).status).toBe(202);
  const secret = await mintLatestToken(open.t.db, 'password_reset', a.email);
  const short = await request(open.app)
    .post('/v1/auth/password-reset/confirm')
    .send({ token: secret, password: 'short' });
  expect(short.body.error.fields.password).toBeDefined();
  const ok = await request(open.app)
    .post('/v1/auth/password-reset/confirm')
    .send({ token: secret, password: 'reset-password-1' });
  expect(ok.status).toBe(204);
  expect(
    (
      await request(open.app)
        .post('/v1/auth/password-reset/confirm')
        .send({ token: secret, password: 'reset-password-2' })
    ).status,
  ).toBe(400);
  expect((await request(open.app).get('/v1/account').set('Cookie', b.cookie)).status).toBe(401);
  await login(open, a.email, 'reset-password-1');
});

test('e-mail change applies once the new address is verified', async () => {
  const a = await apiAccount(open.t.db);
  const b = await login(open, a.email);
  const res = await request(open.app)
    .put('/v1/account/email')
    .set(as(b))
    .send({ password: 'password123', email: 'changed@example.com' });
  expect(res.status).toBe(202);
  expect((await request(open.app).get('/v1/account').set('Cookie', b.cookie)).body).toMatchObject({
    email: a.email,
    pendingEmail: 'changed@example.com',
  });
  const secret = await mintLatestToken(open.t.db, 'email_change', 'changed@example.com');
  expect((await request(open.app).post('/v1/auth/verify-email').send({ token: secret })).body.purpose).toBe(
    'email_change',
  );
  expect((await request(open.app).get('/v1/account').set('Cookie', b.cookie)).body).toMatchObject({
    email: 'changed@example.com',
    pendingEmail: null,
  });
});

test('invite mode: an admin invite for an address signs up verified; without an invite nothing', async () => {
  const admin = await apiAccount(invite.t.db);
  await invite.t.db.updateTable('accounts').set({ is_admin: true }).where('id', '=', admin.id).execute();
  const user = await apiAccount(invite.t.db);
  const ab = await login(invite, admin.email);
  const ub = await login(invite, user.email);
  expect((await request(invite.app).post('/v1/admin/invites').set(as(ub)).send({})).status).toBe(403);
  const none = await request(invite.app)
    .post('/v1/signup')
    .send({ email: 'i@example.com', password: 'password123' });
  expect(none.body.error.code).toBe('signup_closed');
  const link = await request(invite.app).post('/v1/admin/invites').set(as(ab)).send({});
  expect(link.status).toBe(201);
  expect(link.body.link).toContain('/signup?token=');
  const s1 = await request(invite.app)
    .post('/v1/signup')
    .send({ email: 'i@example.com', password: 'password123', invite: link.body.token });
  expect(s1.body).toEqual({ status: 'verification_sent', verified: false });
  const again = await request(invite.app)
    .post('/v1/signup')
    .send({ email: 'j@example.com', password: 'password123', invite: link.body.token });
  expect(again.body.error.code).toBe('signup_closed');
  const mailed = await request(invite.app)
    .post('/v1/admin/invites')
    .set(as(ab))
    .send({ email: 'k@example.com' });
  expect(mailed.body).toMatchObject({ mailed: true, link: null, token: null });
  const secret = await mintLatestToken(invite.t.db, 'invite', 'k@example.com');
  const wrong = await request(invite.app)
    .post('/v1/signup')
    .send({ email: 'z@example.com', password: 'password123', invite: secret });
  expect(wrong.status).toBe(403);
  const s2 = await request(invite.app)
    .post('/v1/signup')
    .send({ email: 'k@example.com', password: 'password123', invite: secret });
  expect(s2.body.verified).toBe(true);
  await login(invite, 'k@example.com');
});

test('admin: search, create, disable, class, zones, links', async () => {
  const admin = await apiAccount(invite.t.db);
  await invite.t.db.updateTable('accounts').set({ is_admin: true }).where('id', '=', admin.id).execute();
  const ab = await login(invite, admin.email);
  const created = await request(invite.app)
    .post('/v1/admin/accounts')
    .set(as(ab))
    .send({ email: 'made@example.com', password: 'password123' });
  expect(created.status).toBe(201);
  expect(created.body).toMatchObject({ email: 'made@example.com', emailVerified: true, class: 'default' });
  const dup = await request(invite.app)
    .post('/v1/admin/accounts')
    .set(as(ab))
    .send({ email: 'made@example.com', password: 'password123' });
  expect(dup.status).toBe(409);
  const found = await request(invite.app).get('/v1/admin/accounts?q=MADE@').set('Cookie', ab.cookie);
  expect(found.body.accounts.map((x: { email: string }) => x.email)).toEqual(['made@example.com']);
  const mb = await login(invite, 'made@example.com');
  const dis = await request(invite.app)
    .patch(`/v1/admin/accounts/${created.body.id}`)
    .set(as(ab))
    .send({ disabled: true, class: 'plus' });
  expect(dis.body).toMatchObject({ disabled: true, class: 'plus' });
  expect((await request(invite.app).get('/v1/account').set('Cookie', mb.cookie)).status).toBe(401);
  expect(
    (await request(invite.app).patch(`/v1/admin/accounts/${created.body.id}`).set(as(ab)).send({})).status,
  ).toBe(400);
  expect(
    (await request(invite.app).patch(`/v1/admin/accounts/999999`).set(as(ab)).send({ class: 'plus' })).status,
  ).toBe(404);
  expect((await request(invite.app).get('/v1/admin/zones').set('Cookie', ab.cookie)).body.zones).toEqual(
    expect.any(Array),
  );
  expect((await request(invite.app).get('/v1/admin/links').set('Cookie', ab.cookie)).body).toEqual({
    queueDashboard: '/admin/queues',
  });
  expect((await request(invite.app).get('/v1/admin/zones').set('Cookie', mb.cookie)).status).toBe(401);
});
