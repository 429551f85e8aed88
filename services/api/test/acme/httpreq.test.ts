import { createHash } from 'node:crypto';
import request from 'supertest';
import { Redis } from 'ioredis';
import { addDomain, type CreatedAccount } from '@ddns/registry';
import { domainRecord, sharedZone } from '@ddns/testkit';
import { apiAccount, basic, resetLimits } from '../support/api-helpers';
import { createTestApp, type TestApp } from '../support/test-app';

let h: TestApp;
let a: CreatedAccount;
let b: CreatedAccount;
beforeAll(async () => {
  h = await createTestApp();
  await sharedZone(h.t.db, 'dyn.test');
  a = await apiAccount(h.t.db);
  b = await apiAccount(h.t.db);
  await addDomain(h.t.db, { name: 'alpha.dyn.test', accountEmail: a.email });
  await addDomain(h.t.db, { name: 'own.example', accountEmail: a.email });
  await addDomain(h.t.db, { name: 'bravo.dyn.test', accountEmail: b.email });
});
afterAll(async () => {
  await h.close();
});
beforeEach(async () => {
  await resetLimits(h);
});

const V1 = 'LHDhK3oGRvkiefQnx7OOczTY5Tic_xZ6HcMOc_gmttw';
const V2 = 'x9Bq3Jx1mS7k2Y0sLq8vW4nH6pT5rE3dC2bA1zZ0yXw';
const post = (op: string, body: unknown, auth = basic(a.email, a.apiKey)) =>
  request(h.app)
    .post(`/acme/httpreq/${op}`)
    .set('Authorization', auth)
    .send(body as object);
const txt = (name: string) =>
  h.t.db
    .selectFrom('records')
    .select(['content', 'ttl'])
    .where('name', '=', name)
    .where('type', '=', 'TXT')
    .orderBy('id')
    .execute()
    .then((rows) => rows.map((r) => r.content));

test('present adds the TXT value; apex and wildcard values coexist; cleanup removes by value', async () => {
  const res = await post('present', { fqdn: '_acme-challenge.alpha.dyn.test.', value: V1 });
  expect(res.status).toBe(200);
  expect(res.body).toEqual({ fqdn: '_acme-challenge.alpha.dyn.test.', value: V1 });
  expect((await post('present', { fqdn: '_acme-challenge.alpha.dyn.test.', value: V2 })).status).toBe(200);
  expect(await txt('_acme-challenge.alpha.dyn.test')).toEqual([V1, V2]);
  const rows = await h.t.db
    .selectFrom('records')
    .select('ttl')
    .where('name', '=', '_acme-challenge.alpha.dyn.test')
    .execute();
  expect(rows.every((r) => r.ttl === 60)).toBe(true);

  expect((await post('cleanup', { fqdn: '_acme-challenge.alpha.dyn.test.', value: V1 })).status).toBe(200);
  expect(await txt('_acme-challenge.alpha.dyn.test')).toEqual([V2]);
  expect((await post('cleanup', { fqdn: '_acme-challenge.alpha.dyn.test.', value: V2 })).status).toBe(200);
  expect(await txt('_acme-challenge.alpha.dyn.test')).toEqual([]);
});

test('present twice and cleanup of an absent value are harmless (lego retries)', async () => {
  expect((await post('present', { fqdn: '_acme-challenge.own.example', value: V1 })).status).toBe(200);
  expect((await post('present', { fqdn: '_acme-challenge.own.example', value: V1 })).status).toBe(200);
  expect(await txt('_acme-challenge.own.example')).toEqual([V1]);
  expect((await post('cleanup', { fqdn: '_acme-challenge.own.example', value: V2 })).status).toBe(200);
  expect((await post('cleanup', { fqdn: '_acme-challenge.own.example', value: V1 })).status).toBe(200);
  expect(await txt('_acme-challenge.own.example')).toEqual([]);
});

test('RAW mode: {domain, token, keyAuth} gives the ACME digest at _acme-challenge', async () => {
  const keyAuth = 'token123.thumbprint456';
  const digest = createHash('sha256').update(keyAuth).digest('base64url');
  const res = await post('present', { domain: '*.alpha.dyn.test', token: 'token123', keyAuth });
  expect(res.status).toBe(200);
  expect(await txt('_acme-challenge.alpha.dyn.test')).toEqual([digest]);
  expect((await post('cleanup', { domain: 'alpha.dyn.test', token: 'token123', keyAuth })).status).toBe(200);
  expect(await txt('_acme-challenge.alpha.dyn.test')).toEqual([]);
});

describe('authentication', () => {
  test('Basic with anything as user and the API key as password', async () => {
    expect(
      (
        await post(
          'present',
          { fqdn: '_acme-challenge.alpha.dyn.test', value: V1 },
          basic('whatever', a.apiKey),
        )
      ).status,
    ).toBe(200);
  });
  test('Bearer API key', async () => {
    expect(
      (await post('cleanup', { fqdn: '_acme-challenge.alpha.dyn.test', value: V1 }, `Bearer ${a.apiKey}`))
        .status,
    ).toBe(200);
  });
  test('wrong, missing, or password-instead-of-key credentials are 401 with a Basic challenge', async () => {
    for (const auth of [
      basic(a.email, 'wrong'),
      basic(a.email, 'password123'),
      basic(a.email, a.updateToken),
      '',
    ]) {
      const res = await post('present', { fqdn: '_acme-challenge.alpha.dyn.test', value: V1 }, auth);
      expect(res.status).toBe(401);
      expect(res.headers['www-authenticate']).toMatch(/^Basic/);
    }
    expect(await txt('_acme-challenge.alpha.dyn.test')).toEqual([]);
  });
});

describe('ownership and validation', () => {
  test("another account's domain is 403 and nothing changes", async () => {
    const res = await post('present', { fqdn: '_acme-challenge.bravo.dyn.test.', value: V1 });
    expect(res.status).toBe(403);
    expect(await txt('_acme-challenge.bravo.dyn.test')).toEqual([]);
    await domainRecord(h.t.db, 'bravo.dyn.test', {
      name: '_acme-challenge.bravo.dyn.test',
      type: 'TXT',
      content: V2,
    });
    expect((await post('cleanup', { fqdn: '_acme-challenge.bravo.dyn.test.', value: V2 })).status).toBe(403);
    expect(await txt('_acme-challenge.bravo.dyn.test')).toEqual([V2]);
  });

  test('names outside any domain (the shared zone apex, unknown zones) are 403', async () => {
    expect((await post('present', { fqdn: '_acme-challenge.dyn.test.', value: V1 })).status).toBe(403);
    expect((await post('present', { fqdn: '_acme-challenge.example.com.', value: V1 })).status).toBe(403);
  });

  test.each([
    [{ fqdn: 'alpha.dyn.test.', value: V1 }, /_acme-challenge/],
    [{ fqdn: 'www.alpha.dyn.test.', value: V1 }, /_acme-challenge/],
    [{ fqdn: '_acme-challenge.alpha.dyn.test.', value: 'has spaces' }, /value/],
    [{ fqdn: '_acme-challenge.alpha.dyn.test.', value: '' }, /value/],
    [{ fqdn: '_acme-challenge..bad', value: V1 }, /valid/],
    [{ fqdn: 5, value: V1 }, /expected/],
    [{}, /expected/],
  ])('%j is 400', async (body, msg) => {
    const res = await post('present', body);
    expect(res.status).toBe(400);
    expect(res.body.error).toMatch(msg);
  });

  test('a body that is not JSON is 400', async () => {
    const res = await request(h.app)
      .post('/acme/httpreq/present')
      .set('Authorization', basic('u', a.apiKey))
      .set('Content-Type', 'application/json')
      .send('{"fqdn":');
    expect(res.status).toBe(400);
  });

  test('a CNAME at the challenge name makes present a 400', async () => {
    const api = await request(h.app)
      .post('/api')
      .set('Authorization', `Bearer ${a.apiKey}`)
      .type('form')
      .send({
        add_record: 'own.example',
        praefix: '_acme-challenge',
        type: 'CNAME',
        content: 'acme.example.net',
      });
    expect(api.status).toBe(201);
    expect((await post('present', { fqdn: '_acme-challenge.own.example.', value: V1 })).status).toBe(400);
  });
});

describe('limits', () => {
  test('20 calls per 10 s, then 429 with Retry-After', async () => {
    for (let i = 0; i < 20; i++)
      expect((await post('cleanup', { fqdn: '_acme-challenge.alpha.dyn.test.', value: V1 })).status).toBe(
        200,
      );
    const res = await post('cleanup', { fqdn: '_acme-challenge.alpha.dyn.test.', value: V1 });
    expect(res.status).toBe(429);
    expect(Number(res.headers['retry-after'])).toBeGreaterThanOrEqual(1);
  });
  test('Redis down: 503', async () => {
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
      expect((await post('present', { fqdn: '_acme-challenge.alpha.dyn.test.', value: V1 })).status).toBe(
        503,
      );
    } finally {
      h.deps.redis = real;
      dead.disconnect();
    }
  });
});
