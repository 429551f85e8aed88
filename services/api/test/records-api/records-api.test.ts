import request from 'supertest';
import { Redis } from 'ioredis';
import { addDomain, type CreatedAccount } from '@ddns/registry';
import { hashToken } from '@ddns/secrets';
import { domainRecord, sharedZone } from '@ddns/testkit';
import { apiAccount, resetLimits } from '../support/api-helpers';
import { createTestApp, type TestApp } from '../support/test-app';

let h: TestApp;
let a: CreatedAccount;
let b: CreatedAccount;
let tokenA = '';
let tokenB = '';
const ids = { a4: 0, a6: 0, cn: 0, own: 0, b4: 0 };

beforeAll(async () => {
  h = await createTestApp();
  const zone = await sharedZone(h.t.db, 'dyn.test');
  a = await apiAccount(h.t.db);
  b = await apiAccount(h.t.db);
  const da = await addDomain(h.t.db, { name: 'alpha.dyn.test', accountEmail: a.email });
  const db = await addDomain(h.t.db, { name: 'bravo.dyn.test', accountEmail: b.email });
  const hosted = await addDomain(h.t.db, { name: 'own.example', accountEmail: a.email });
  const hostedZone = await h.t.db
    .selectFrom('zones')
    .select('id')
    .where('name', '=', 'own.example')
    .executeTakeFirstOrThrow();
  const rows = [
    {
      key: 'a4',
      zone_id: zone.id,
      domain_id: da.id,
      name: 'alpha.dyn.test',
      type: 'A' as const,
      content: '54.238.66.12',
      ttl: 3600,
    },
    {
      key: 'a6',
      zone_id: zone.id,
      domain_id: da.id,
      name: 'alpha.dyn.test',
      type: 'AAAA' as const,
      content: '2001:db8::1',
      ttl: 60,
    },
    {
      key: 'cn',
      zone_id: zone.id,
      domain_id: da.id,
      name: 'www.alpha.dyn.test',
      type: 'CNAME' as const,
      content: 'alpha.dyn.test',
      ttl: 60,
    },
    {
      key: 'own',
      zone_id: hostedZone.id,
      domain_id: hosted.id,
      name: 'own.example',
      type: 'A' as const,
      content: '192.0.2.7',
      ttl: 300,
    },
    {
      key: 'b4',
      zone_id: zone.id,
      domain_id: db.id,
      name: 'bravo.dyn.test',
      type: 'A' as const,
      content: '192.0.2.99',
      ttl: 60,
    },
  ];
  for (const { key, ...row } of rows) {
    ids[key as keyof typeof ids] = (
      await h.t.db.insertInto('records').values(row).returning('id').executeTakeFirstOrThrow()
    ).id;
  }
});
afterAll(async () => {
  await h.close();
});
beforeEach(async () => {
  await resetLimits(h);
});

describe('POST /api-token-auth', () => {
  test('e-mail and password give a token, stored hashed', async () => {
    const res = await request(h.app)
      .post('/api-token-auth')
      .send({ email: a.email, password: 'password123' });
    expect(res.status).toBe(200);
    expect(res.type).toBe('application/json');
    expect(Object.keys(res.body)).toEqual(['token']);
    tokenA = res.body.token;
    const row = await h.t.db
      .selectFrom('api_tokens')
      .selectAll()
      .where('account_id', '=', a.id)
      .executeTakeFirstOrThrow();
    expect(row.token_hash).toBe(hashToken(tokenA));
    const rb = await request(h.app)
      .post('/api-token-auth')
      .type('form')
      .send({ email: b.email.toUpperCase(), password: 'password123' });
    expect(rb.status).toBe(200);
    tokenB = rb.body.token;
  });

  test('a wrong password is 400 with the DRF message', async () => {
    const res = await request(h.app)
      .post('/api-token-auth')
      .send({ email: a.email, password: 'wrong-password' });
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ non_field_errors: ['Unable to log in with provided credentials.'] });
  });

  test('missing fields are 400 per field', async () => {
    const res = await request(h.app).post('/api-token-auth').send({});
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ email: ['This field is required.'], password: ['This field is required.'] });
  });

  test('broken JSON is 400', async () => {
    const res = await request(h.app)
      .post('/api-token-auth')
      .set('Content-Type', 'application/json')
      .send('{"email":');
    expect(res.status).toBe(400);
  });

  test('5 failures from one network throttle logins to that account there for 10 minutes (429)', async () => {
    const c = await apiAccount(h.t.db);
    for (let i = 0; i < 5; i++) {
      const r = await request(h.app).post('/api-token-auth').send({ email: c.email, password: 'nope-nope' });
      expect(r.status).toBe(400);
    }
    const res = await request(h.app)
      .post('/api-token-auth')
      .send({ email: c.email, password: 'password123' });
    expect(res.status).toBe(429);
    expect(Number(res.headers['retry-after'])).toBeGreaterThan(500);
    expect(res.body.detail).toMatch(/throttled/);
    await resetLimits(h);
    expect(
      (await request(h.app).post('/api-token-auth').send({ email: c.email, password: 'password123' })).status,
    ).toBe(200);
  });

  test('old tokens beyond the newest 20 are dropped', async () => {
    const c = await apiAccount(h.t.db);
    const first = (
      await request(h.app).post('/api-token-auth').send({ email: c.email, password: 'password123' })
    ).body.token;
    for (let i = 0; i < 20; i++)
      await request(h.app).post('/api-token-auth').send({ email: c.email, password: 'password123' });
    const n = await h.t.db.selectFrom('api_tokens').select('id').where('account_id', '=', c.id).execute();
    expect(n).toHaveLength(20);
    expect((await request(h.app).get('/user/record/').set('Authorization', first)).status).toBe(401);
  });
});

describe('authentication', () => {
  test.each([
    ['bare', (t: string) => t],
    ['Token', (t: string) => `Token ${t}`],
    ['Bearer', (t: string) => `Bearer ${t}`],
  ])('%s token', async (_name, header) => {
    const res = await request(h.app).get('/user/record/').set('Authorization', header(tokenA));
    expect(res.status).toBe(200);
  });

  test('no header is 401 "not provided"', async () => {
    const res = await request(h.app).get('/user/record/');
    expect(res.status).toBe(401);
    expect(res.body).toEqual({ detail: 'Authentication credentials were not provided.' });
  });

  test('a wrong token, or an account API key, is 401 "Invalid token."', async () => {
    for (const t of ['nope', a.apiKey, `Token ${a.updateToken}`]) {
      const res = await request(h.app).get('/user/record/1').set('Authorization', t);
      expect(res.status).toBe(401);
      expect(res.body).toEqual({ detail: 'Invalid token.' });
    }
  });

  test('at most 5 calls per 10 s, then 429 with Retry-After', async () => {
    for (let i = 0; i < 5; i++)
      expect((await request(h.app).get('/user/record/').set('Authorization', tokenA)).status).toBe(200);
    const res = await request(h.app).get('/user/record/').set('Authorization', tokenA);
    expect(res.status).toBe(429);
    expect(Number(res.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    // another account is not affected
    expect((await request(h.app).get('/user/record/').set('Authorization', tokenB)).status).toBe(200);
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
      expect((await request(h.app).get('/user/record/').set('Authorization', tokenA)).status).toBe(503);
    } finally {
      h.deps.redis = real;
      dead.disconnect();
    }
  });
});

describe('GET /user/record/', () => {
  test("lists the caller's records in the seed's shape", async () => {
    const res = await request(h.app).get('/user/record/').set('Authorization', tokenA);
    expect(res.status).toBe(200);
    expect(res.body).toEqual([
      {
        id: ids.a4,
        name: 'alpha.dyn.test',
        type: 'A',
        content: '54.238.66.12',
        ttl: 3600,
        auth: null,
        active: true,
        is_free: true,
        owner: a.email,
      },
      expect.objectContaining({ id: ids.a6, type: 'AAAA' }),
      expect.objectContaining({
        id: ids.cn,
        name: 'www.alpha.dyn.test',
        type: 'CNAME',
        content: 'alpha.dyn.test',
      }),
      expect.objectContaining({ id: ids.own, name: 'own.example', is_free: false }),
    ]);
    expect(JSON.stringify(res.body)).not.toContain('bravo');
  });

  test('?type=A,AAAA and ?type=cname filter', async () => {
    const both = await request(h.app).get('/user/record/?type=A,AAAA').set('Authorization', tokenA);
    expect(both.body.map((r: { id: number }) => r.id)).toEqual([ids.a4, ids.a6, ids.own]);
    const cname = await request(h.app).get('/user/record?type=cname').set('Authorization', tokenA);
    expect(cname.body.map((r: { id: number }) => r.id)).toEqual([ids.cn]);
  });

  test('an unknown type is 400', async () => {
    const res = await request(h.app).get('/user/record/?type=A,BOGUS').set('Authorization', tokenA);
    expect(res.status).toBe(400);
    expect(res.body.type[0]).toMatch(/BOGUS/);
  });
});

describe('GET /user/record/<id>', () => {
  test('one record', async () => {
    const res = await request(h.app).get(`/user/record/${ids.a4}`).set('Authorization', tokenA);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      id: ids.a4,
      name: 'alpha.dyn.test',
      type: 'A',
      content: '54.238.66.12',
      ttl: 3600,
      auth: null,
      active: true,
      is_free: true,
      owner: a.email,
    });
  });

  test("another account's record, an unknown id, a non-number: 404", async () => {
    for (const id of [String(ids.b4), '999999', 'abc']) {
      const res = await request(h.app).get(`/user/record/${id}`).set('Authorization', tokenA);
      expect(res.status).toBe(404);
      expect(res.body).toEqual({ detail: 'Not found.' });
      await resetLimits(h);
    }
  });
});

describe('PUT /user/record/<id>', () => {
  const put = (id: number, body: unknown, token = tokenA) =>
    request(h.app)
      .put(`/user/record/${id}`)
      .set('Authorization', token)
      .send(body as object);
  const content = async (id: number) =>
    await h.t.db
      .selectFrom('records')
      .select(['content', 'ttl'])
      .where('id', '=', id)
      .executeTakeFirstOrThrow();

  test('updates the content and answers the record', async () => {
    const res = await put(ids.a4, { content: '203.0.113.5' });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      id: ids.a4,
      name: 'alpha.dyn.test',
      type: 'A',
      content: '203.0.113.5',
      ttl: 3600,
      auth: null,
      active: true,
      is_free: true,
      owner: a.email,
    });
    expect(await content(ids.a4)).toEqual({ content: '203.0.113.5', ttl: 3600 });
  });

  test('content is canonicalised per type; ttl may change too; PATCH works the same', async () => {
    const res = await put(ids.a6, { content: '2001:DB8:0:0::9', ttl: 120 });
    expect(res.status).toBe(200);
    expect(await content(ids.a6)).toEqual({ content: '2001:db8::9', ttl: 120 });
    const p = await request(h.app)
      .patch(`/user/record/${ids.cn}`)
      .set('Authorization', tokenA)
      .send({ content: 'Other.Example.NET.' });
    expect(p.status).toBe(200);
    expect(p.body.content).toBe('other.example.net');
  });

  test('a form-encoded body works', async () => {
    const res = await request(h.app)
      .put(`/user/record/${ids.own}`)
      .set('Authorization', `Token ${tokenA}`)
      .type('form')
      .send({ content: '192.0.2.8' });
    expect(res.status).toBe(200);
    expect(await content(ids.own)).toEqual({ content: '192.0.2.8', ttl: 300 });
  });

  test.each([
    [{ content: 'not-an-ip' }, 'content'],
    [{ content: '2001:db8::1' }, 'content'],
    [{}, 'content'],
    [{ content: 42 }, 'content'],
    [{ content: '192.0.2.1', ttl: 0 }, 'ttl'],
    [{ content: '192.0.2.1', ttl: 'x' }, 'ttl'],
    [{ content: '192.0.2.1', ttl: [1] }, 'ttl'],
  ])('invalid %j is 400 on the field, nothing changes', async (body, field) => {
    const before = await content(ids.a4);
    const res = await put(ids.a4, body);
    expect(res.status).toBe(400);
    expect(Object.keys(res.body)).toEqual([field]);
    expect(await content(ids.a4)).toEqual(before);
  });

  test("another account's record is 404 and stays", async () => {
    const res = await put(ids.b4, { content: '192.0.2.66' });
    expect(res.status).toBe(404);
    expect(await content(ids.b4)).toEqual({ content: '192.0.2.99', ttl: 60 });
  });

  test('unauthenticated PUT is 401 and changes nothing', async () => {
    const res = await request(h.app).put(`/user/record/${ids.a4}`).send({ content: '192.0.2.66' });
    expect(res.status).toBe(401);
    expect((await content(ids.a4)).content).toBe('203.0.113.5');
  });

  test('a duplicate of another record at the same name is 400', async () => {
    const dup = await domainRecord(h.t.db, 'alpha.dyn.test', {
      name: 'alpha.dyn.test',
      type: 'A',
      content: '198.51.100.1',
    });
    const res = await put(dup, { content: '203.0.113.5' });
    expect(res.status).toBe(400);
    expect(res.body.content[0]).toMatch(/already/);
  });
});
