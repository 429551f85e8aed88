import request from 'supertest';
import { Redis } from 'ioredis';
import type { CreatedAccount } from '@ddns/registry';
import { hashToken } from '@ddns/secrets';
import { apiAccount, resetLimits } from '../support/api-helpers';
import { createTestApp, type TestApp } from '../support/test-app';

let h: TestApp;
let a: CreatedAccount;
let b: CreatedAccount;
let token = '';
let checkId = 0;
beforeAll(async () => {
  h = await createTestApp({ PUBLIC_URL: 'https://ddns.example.net/' });
  a = await apiAccount(h.t.db);
  b = await apiAccount(h.t.db);
});
afterAll(async () => {
  await h.close();
});
beforeEach(async () => {
  await resetLimits(h);
});

const auth = (acc: CreatedAccount) => ({ Authorization: `Bearer ${acc.apiKey}` });
const check = (id: number) =>
  h.t.db.selectFrom('health_checks').selectAll().where('id', '=', id).executeTakeFirst();

test('add_healthcheck: 201 with the ping token shown once, stored hashed', async () => {
  const res = await request(h.app)
    .post('/api')
    .set(auth(a))
    .type('form')
    .send({ add_healthcheck: 'backup job', period: '86400', grace: '3600' });
  expect(res.status).toBe(201);
  expect(res.body).toMatchObject({
    info: 'success',
    status: '201 Created',
    add_healthcheck: 'backup job',
    period: 86400,
    grace: 3600,
  });
  token = res.body.healthtoken;
  checkId = res.body.id;
  expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
  expect(res.body.ping_url).toBe(`https://ddns.example.net/health/${token}`);
  const row = await check(checkId);
  expect(row).toMatchObject({
    account_id: a.id,
    state: 'new',
    ping_token_hash: hashToken(token),
    last_ping_at: null,
  });
});

test('defaults for period and grace', async () => {
  const res = await request(h.app).post('/api').set(auth(a)).field('add_healthcheck', 'hourly');
  expect(res.status).toBe(201);
  expect(res.body).toMatchObject({ period: 3600, grace: 300 });
});

test.each([
  [{ add_healthcheck: '' }, /name/],
  [{ add_healthcheck: 'x'.repeat(101) }, /name/],
  [{ add_healthcheck: 'p', period: '59' }, /period/],
  [{ add_healthcheck: 'p', period: 'daily' }, /period/],
  [{ add_healthcheck: 'p', grace: '-1' }, /grace/],
  [{ add_healthcheck: 'hourly' }, /exists/],
])('invalid %j is 400', async (fields, msg) => {
  const res = await request(h.app).post('/api').set(auth(a)).type('form').send(fields);
  expect(res.status).toBe(400);
  expect(res.body.add_healthcheck).toMatch(msg);
});

test('get_healthchecks lists the caller’s checks without tokens', async () => {
  const res = await request(h.app).get('/api?get_healthchecks').set(auth(a));
  expect(res.status).toBe(200);
  expect(res.body.healthchecks).toEqual([
    {
      id: checkId,
      name: 'backup job',
      period: 86400,
      grace: 3600,
      state: 'new',
      last_ping: '',
      created: expect.any(String),
    },
    expect.objectContaining({ name: 'hourly' }),
  ]);
  expect(JSON.stringify(res.body)).not.toContain(token);
  const other = await request(h.app).get('/api?get_healthchecks').set(auth(b));
  expect(other.body.healthchecks).toEqual([]);
});

test('GET /health/<token> records a ping and brings a new check up', async () => {
  const res = await request(h.app).get(`/health/${token}`);
  expect(res.status).toBe(200);
  expect(res.text).toBe('OK\n');
  const row = await check(checkId);
  expect(row?.state).toBe('up');
  expect(row?.last_ping_at).toBeInstanceOf(Date);
  expect(row?.state_changed_at).toBeInstanceOf(Date);
});

test('POST /health/<token> pings too; a down check stays down for the sweep to report', async () => {
  await h.t.db
    .updateTable('health_checks')
    .set({ state: 'down', last_ping_at: new Date(0) })
    .where('id', '=', checkId)
    .execute();
  const res = await request(h.app).post(`/health/${token}`).send('payload');
  expect(res.status).toBe(200);
  const row = await check(checkId);
  expect(row?.state).toBe('down');
  expect(row!.last_ping_at!.getTime()).toBeGreaterThan(0);
});

test('an unknown token is 404; other methods are 405', async () => {
  expect((await request(h.app).get('/health/not-a-token')).status).toBe(404);
  expect((await request(h.app).delete(`/health/${token}`)).status).toBe(405);
});

test('pings are limited to 120 a minute per address (429 with Retry-After), and still count without Redis', async () => {
  for (let i = 0; i < 120; i++) expect((await request(h.app).get(`/health/${token}`)).status).toBe(200);
  const res = await request(h.app).get(`/health/${token}`);
  expect(res.status).toBe(429);
  expect(Number(res.headers['retry-after'])).toBeGreaterThanOrEqual(1);
  const real = h.deps.redis;
  const dead = new Redis({ port: 1, lazyConnect: true, maxRetriesPerRequest: 0, enableOfflineQueue: false });
  dead.on('error', () => undefined);
  h.deps.redis = dead;
  try {
    expect((await request(h.app).post(`/health/${token}`)).status).toBe(200);
  } finally {
    h.deps.redis = real;
    dead.disconnect();
  }
});

test("del_healthcheck: another account's check is 403 and stays", async () => {
  const res = await request(h.app)
    .delete('/api')
    .set(auth(b))
    .type('form')
    .send({ del_healthcheck: String(checkId) });
  expect(res.status).toBe(403);
  expect(await check(checkId)).toBeDefined();
});

test('del_healthcheck by id and by name', async () => {
  const byId = await request(h.app)
    .delete('/api')
    .set(auth(a))
    .type('form')
    .send({ del_healthcheck: String(checkId) });
  expect(byId.status).toBe(200);
  expect(byId.body).toMatchObject({ info: 'success', del_healthcheck: 'backup job' });
  expect(await check(checkId)).toBeUndefined();
  expect((await request(h.app).get(`/health/${token}`)).status).toBe(404);
  const byName = await request(h.app).delete('/api').set(auth(a)).field('del_healthcheck', 'hourly');
  expect(byName.status).toBe(200);
  const empty = await request(h.app).delete('/api').set(auth(a)).type('form').send({ del_healthcheck: '' });
  expect(empty.status).toBe(400);
});
