import request from 'supertest';
import { Redis } from 'ioredis';
import { createDb } from '@ddns/db';
import { TcpProxy, viaPort } from '@ddns/testkit';
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

test('/readyz names Redis when Redis is away and recovers without a restart', async () => {
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

test('/readyz fails with a clear reason while Postgres is away and recovers when it returns', async () => {
  const u = new URL(h.t.url);
  const proxy = new TcpProxy(u.hostname, Number(u.port || 5432));
  await proxy.start();
  const db = createDb(viaPort(h.t.url, proxy.port), { max: 2 });
  const realDb = h.deps.db;
  h.deps.db = db;
  try {
    expect((await request(h.app).get('/readyz')).status).toBe(200);
    await proxy.cut();
    const down = await request(h.app).get('/readyz');
    expect(down.status).toBe(503);
    expect(down.body.postgres).toMatch(/^unavailable: /);
    expect(down.body.redis).toBe('ok');
    await proxy.start(); // Postgres is back, same address; the app was not restarted
    const until = Date.now() + 10_000;
    let status = 0;
    while (Date.now() < until && status !== 200) status = (await request(h.app).get('/readyz')).status;
    expect(status).toBe(200);
  } finally {
    h.deps.db = realDb;
    await db.destroy();
    await proxy.stop();
  }
});
