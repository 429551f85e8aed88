import { hashToken } from '@ddns/secrets';
import { sharedZone } from '@ddns/testkit';
import request from 'supertest';
import { apiAccount, resetLimits } from '../support/api-helpers';
import { createTestApp, type TestApp } from '../support/test-app';
import { as, login } from './v1-helpers';

let h: TestApp;
let zoneId: number;
beforeAll(async () => {
  h = await createTestApp();
  zoneId = (await sharedZone(h.t.db, 'dyn.test')).id;
});
afterAll(async () => {
  await h.close();
});
beforeEach(async () => {
  await resetLimits(h);
});

test('a session idle for a day, or past its absolute expiry, is gone', async () => {
  const a = await apiAccount(h.t.db);
  const idle = await login(h, a.email);
  const old = await login(h, a.email);
  const rows = await h.t.db
    .selectFrom('sessions')
    .select('id')
    .where('account_id', '=', a.id)
    .orderBy('id')
    .execute();
  await h.t.db
    .updateTable('sessions')
    .set({ last_seen_at: new Date(Date.now() - 25 * 3600 * 1000) })
    .where('id', '=', rows[0]!.id)
    .execute();
  await h.t.db
    .updateTable('sessions')
    .set({ expires_at: new Date(Date.now() - 1000) })
    .where('id', '=', rows[1]!.id)
    .execute();
  expect((await request(h.app).get('/v1/account').set('Cookie', idle.cookie)).status).toBe(401);
  expect((await request(h.app).get('/v1/account').set('Cookie', old.cookie)).status).toBe(401);
});

test('a disabled account cannot log in, and its API keys stop working', async () => {
  const a = await apiAccount(h.t.db);
  const b = await login(h, a.email);
  const k = await request(h.app).post('/v1/api-keys').set(as(b)).send({ name: 'k' });
  await h.t.db.updateTable('accounts').set({ disabled_at: new Date() }).where('id', '=', a.id).execute();
  expect(
    (await request(h.app).post('/v1/auth/login').send({ email: a.email, password: 'password123' })).status,
  ).toBe(401);
  expect(
    (await request(h.app).get('/v1/domains').set('Authorization', `Bearer ${k.body.secret}`)).status,
  ).toBe(401);
});

test('admin routes refuse users and API keys (even an admin key)', async () => {
  const admin = await apiAccount(h.t.db);
  await h.t.db.updateTable('accounts').set({ is_admin: true }).where('id', '=', admin.id).execute();
  const ab = await login(h, admin.email);
  const key = await request(h.app).post('/v1/api-keys').set(as(ab)).send({ name: 'k', write: true });
  expect(
    (await request(h.app).get('/v1/admin/accounts').set('Authorization', `Bearer ${key.body.secret}`)).status,
  ).toBe(403);
  const user = await login(h, (await apiAccount(h.t.db)).email);
  const res = await request(h.app).get('/v1/admin/accounts').set('Cookie', user.cookie);
  expect(res.status).toBe(403);
  expect(res.body.error.code).toBe('forbidden');
  expect((await request(h.app).get('/v1/admin/accounts').set('Cookie', ab.cookie)).status).toBe(200);
  const self = await request(h.app)
    .patch(`/v1/admin/accounts/${admin.id}`)
    .set(as(ab))
    .send({ disabled: true });
  expect(self.status).toBe(403);
});

test('a gateway registered without an account can be claimed with its token, once', async () => {
  await h.t.db
    .insertInto('domains')
    .values({
      zone_id: zoneId,
      name: 'gw.dyn.test',
      token_hash: hashToken('gw-token'),
      mode: 1,
      last_ping_ip4: '192.0.2.9',
    })
    .execute();
  const b = await login(h, (await apiAccount(h.t.db)).email);
  const c = await request(h.app).post('/v1/gateways/claim').set(as(b)).send({ token: 'gw-token' });
  expect(c.status).toBe(200);
  expect(c.body).toMatchObject({ name: 'gw.dyn.test', mode: 'direct', ipv4: '192.0.2.9' });
  expect((await request(h.app).get('/v1/gateways').set('Cookie', b.cookie)).body.gateways).toHaveLength(1);
  const other = await login(h, (await apiAccount(h.t.db)).email);
  const again = await request(h.app).post('/v1/gateways/claim').set(as(other)).send({ token: 'gw-token' });
  expect(again.status).toBe(409);
  const list = await request(h.app).get('/v1/domains').set('Cookie', b.cookie);
  expect(list.body.domains[0]).toMatchObject({ name: 'gw.dyn.test', gateway: true, ipv4: '192.0.2.9' });
});

test('deleting an account releases its names for others', async () => {
  const a = await apiAccount(h.t.db);
  const b = await login(h, a.email);
  await request(h.app).post('/v1/domains').set(as(b)).send({ name: 'freed.dyn.test' }).expect(201);
  await request(h.app).delete('/v1/account').set(as(b)).send({ password: 'password123' }).expect(204);
  const c = await login(h, (await apiAccount(h.t.db)).email);
  expect((await request(h.app).post('/v1/domains').set(as(c)).send({ name: 'freed.dyn.test' })).status).toBe(
    201,
  );
});

test('meta tells a client the sign-up mode, zones and update URL without logging in', async () => {
  const res = await request(h.app).get('/v1/meta');
  expect(res.body).toMatchObject({
    signupMode: 'closed',
    registrationZones: ['dyn.test'],
    updateUrl: expect.stringMatching(/\/nic\/update$/),
    recordTypes: ['A', 'AAAA', 'TXT', 'CNAME', 'MX', 'SRV', 'CAA'],
  });
  expect((await request(h.app).get('/v1/nope')).body.error.code).toBe('not_found');
});
