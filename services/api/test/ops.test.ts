import request from 'supertest';
import { Redis } from 'ioredis';
import { createTestApp, type TestApp } from './support/test-app';

let h: TestApp;
beforeAll(async () => {
  h = await createTestApp();
});
afterAll(async () => {
  await h.close();
});

test('/healthz answers while the process lives', async () => {
  const res = await request(h.app).get('/healthz');
  expect(res.status).toBe(200);
  expect(res.body).toEqual({ status: 'ok' });
});

test('/readyz is 200 when Postgres and Redis answer', async () => {
  const res = await request(h.app).get('/readyz');
  expect(res.status).toBe(200);
  expect(res.body).toMatchObject({ status: 'ready', postgres: 'ok', redis: 'ok' });
});

test('/readyz names the failing dependency and recovers without a restart', async () => {
  const realRedis = h.deps.redis;
  // a Redis client pointed at a closed port stands in for Redis going away
  const dead = new Redis({ port: 1, lazyConnect: true, maxRetriesPerRequest: 0, enableOfflineQueue: false });
  dead.on('error', () => undefined);
  h.deps.redis = dead;
  try {
    const res = await request(h.app).get('/readyz');
    expect(res.status).toBe(503);
    expect(res.body.status).toBe('not ready');
    expect(res.body.postgres).toBe('ok');
    expect(res.body.redis).toMatch(/^unavailable: /);
  } finally {
    h.deps.redis = realRedis;
    dead.disconnect();
  }
  expect((await request(h.app).get('/readyz')).status).toBe(200);
});

test('unknown paths are 404', async () => {
  expect((await request(h.app).get('/nope')).status).toBe(404);
});
