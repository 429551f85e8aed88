import request from 'supertest';
import { Redis } from 'ioredis';
import type { CreatedAccount } from '@ddns/registry';
import { sharedZone } from '@ddns/testkit';
import { apiAccount, basic, resetLimits } from '../support/api-helpers';
import { createTestApp, type TestApp } from '../support/test-app';

let h: TestApp;
let a: CreatedAccount;
beforeAll(async () => {
  h = await createTestApp();
  await sharedZone(h.t.db, 'dyn.test');
  a = await apiAccount(h.t.db);
});
afterAll(async () => {
  await h.close();
});
beforeEach(async () => {
  await resetLimits(h);
});

describe('authentication', () => {
  test('Bearer API key', async () => {
    const res = await request(h.app).get('/api?get_account_info').set('Authorization', `Bearer ${a.apiKey}`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ info: 'success', status: '200 OK', email: a.email });
  });

  test('Basic with the key as password, any user', async () => {
    const res = await request(h.app)
      .get('/api.php?get_account_info')
      .set('Authorization', basic('xyz', a.apiKey));
    expect(res.status).toBe(200);
    expect(res.body.email).toBe(a.email);
  });

  test('Basic with the key as user name', async () => {
    const res = await request(h.app).get('/api?get_account_info').set('Authorization', basic(a.apiKey, ''));
    expect(res.status).toBe(200);
  });

  test('apikey query parameter', async () => {
    const res = await request(h.app).get(`/api?get_account_info&apikey=${encodeURIComponent(a.apiKey)}`);
    expect(res.status).toBe(200);
  });

  test('token parameter in a POST form body', async () => {
    const res = await request(h.app)
      .post('/api')
      .type('form')
      .send({ get_account_info: '', token: a.apiKey });
    expect(res.status).toBe(200);
  });

  test('the update token is not an API key', async () => {
    const res = await request(h.app)
      .get('/api?get_account_info')
      .set('Authorization', `Bearer ${a.updateToken}`);
    expect(res.status).toBe(401);
  });

  test('a wrong key is 401 in the envelope', async () => {
    const res = await request(h.app).get('/api?get_domains').set('Authorization', 'Bearer nope');
    expect(res.status).toBe(401);
    expect(res.body).toEqual({
      info: 'error',
      status: '401 Unauthorized',
      get_domains: 'missing or wrong API key',
    });
  });

  test('no credentials at all is 401', async () => {
    const res = await request(h.app).get('/api?get_account_info');
    expect(res.status).toBe(401);
    expect(res.body.status).toBe('401 Unauthorized');
  });
});

describe('requests', () => {
  const auth = () => ({ Authorization: `Bearer ${a.apiKey}` });

  test('no call named is 400', async () => {
    const res = await request(h.app).get('/api').set(auth());
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ info: 'error', status: '400 Bad Request' });
    expect(res.body.api).toMatch(/no API call/);
  });

  test('two calls at once are 400', async () => {
    const res = await request(h.app).get('/api?get_domains&get_logs').set(auth());
    expect(res.status).toBe(400);
  });

  test('a write by GET is refused with 400 and changes nothing', async () => {
    const res = await request(h.app).get('/api?add_domain=viaget.dyn.test').set(auth());
    expect(res.status).toBe(400);
    expect(res.body.add_domain).toMatch(/POST/);
    expect(
      await h.t.db.selectFrom('domains').select('id').where('name', '=', 'viaget.dyn.test').execute(),
    ).toEqual([]);
  });

  test('an unreadable body is 400 in the envelope', async () => {
    const res = await request(h.app)
      .post('/api')
      .set(auth())
      .set('Content-Type', 'application/json')
      .send('{"add_domain":');
    expect(res.status).toBe(400);
    expect(res.body.status).toBe('400 Bad Request');
  });

  test('multipart form-data bodies are read (POST)', async () => {
    const res = await request(h.app).post('/api').set(auth()).field('add_domain', 'multi.dyn.test');
    expect(res.status).toBe(201);
    expect(res.body.add_domain).toBe('multi.dyn.test');
  });

  test('urlencoded bodies are read on DELETE', async () => {
    const res = await request(h.app)
      .delete('/api')
      .set(auth())
      .type('form')
      .send('del_domain=multi.dyn.test');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ info: 'success', del_domain: 'multi.dyn.test' });
  });

  test('multipart bodies are read on DELETE', async () => {
    await request(h.app).post('/api').set(auth()).type('form').send({ add_domain: 'multi2.dyn.test' });
    await resetLimits(h);
    const res = await request(h.app).delete('/api.php').set(auth()).field('del_domain', 'multi2.dyn.test');
    expect(res.status).toBe(200);
  });

  test('a file upload is refused with 400', async () => {
    const res = await request(h.app)
      .post('/api')
      .set(auth())
      .field('add_domain', 'file.dyn.test')
      .attach('f', Buffer.from('x'), 'x.txt');
    expect(res.status).toBe(400);
  });
});

describe('limits', () => {
  test('at most 5 requests in 10 s: the 6th is 429 with Retry-After', async () => {
    for (let i = 0; i < 5; i++) {
      const ok = await request(h.app).get('/api?get_account_info').set('Authorization', `Bearer ${a.apiKey}`);
      expect(ok.status).toBe(200);
    }
    const res = await request(h.app).get('/api?get_account_info').set('Authorization', `Bearer ${a.apiKey}`);
    expect(res.status).toBe(429);
    expect(res.body).toMatchObject({ info: 'error', status: '429 Too Many Requests' });
    expect(Number(res.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(Number(res.headers['retry-after'])).toBeLessThanOrEqual(10);
  });

  test('the limit is per account', async () => {
    const other = await apiAccount(h.t.db);
    for (let i = 0; i < 6; i++)
      await request(h.app).get('/api?get_logs').set('Authorization', `Bearer ${a.apiKey}`);
    const res = await request(h.app).get('/api?get_logs').set('Authorization', `Bearer ${other.apiKey}`);
    expect(res.status).toBe(200);
  });

  test('the daily quota of the default class (64) ends in 429 until midnight UTC', async () => {
    const d = await apiAccount(h.t.db, 'default');
    const rateKey = `${h.deps.redisPrefix}:limits:api:${d.id}`;
    for (let i = 0; i < 64; i++) {
      await h.deps.redis.del(rateKey);
      const ok = await request(h.app).get('/api?get_account_info').set('Authorization', `Bearer ${d.apiKey}`);
      expect(ok.status).toBe(200);
      expect(ok.body.api_updates).toBe(i + 1);
      expect(ok.body.account_class).toMatchObject({ class_name: 'default', api_limit: 64 });
    }
    await h.deps.redis.del(rateKey);
    const res = await request(h.app).get('/api?get_account_info').set('Authorization', `Bearer ${d.apiKey}`);
    expect(res.status).toBe(429);
    expect(res.body.get_account_info).toMatch(/daily/);
    expect(Number(res.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(Number(res.headers['retry-after'])).toBeLessThanOrEqual(86400);
  });

  test('calls refused by the 10-s limit do not use up the daily quota', async () => {
    const d = await apiAccount(h.t.db, 'default');
    const rateKey = `${h.deps.redisPrefix}:limits:api:${d.id}`;
    for (let i = 0; i < 8; i++)
      await request(h.app).get('/api?get_logs').set('Authorization', `Bearer ${d.apiKey}`);
    await h.deps.redis.del(rateKey);
    const res = await request(h.app).get('/api?get_account_info').set('Authorization', `Bearer ${d.apiKey}`);
    // 5 allowed + this one; the 3 refused ones were not counted
    expect(res.body.api_updates).toBe(6);
  });

  test('Redis down: 503 with Retry-After, not an unlimited API', async () => {
    const realRedis = h.deps.redis;
    const dead = new Redis({
      port: 1,
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      enableOfflineQueue: false,
    });
    dead.on('error', () => undefined);
    h.deps.redis = dead;
    try {
      const res = await request(h.app)
        .get('/api?get_account_info')
        .set('Authorization', `Bearer ${a.apiKey}`);
      expect(res.status).toBe(503);
      expect(res.headers['retry-after']).toBeDefined();
    } finally {
      h.deps.redis = realRedis;
      dead.disconnect();
    }
  });
});
