import request from 'supertest';
import type { CreatedAccount } from '@ddns/cli';
import { sharedZone } from '@ddns/testkit';
import { apiAccount, resetLimits } from '../support/api-helpers';
import { createTestApp, type TestApp } from '../support/test-app';

let h: TestApp;
let a: CreatedAccount;
let b: CreatedAccount;
beforeAll(async () => {
  h = await createTestApp();
  await sharedZone(h.t.db, 'dyn.test');
  a = await apiAccount(h.t.db);
  b = await apiAccount(h.t.db);
});
afterAll(async () => {
  await h.close();
});
beforeEach(async () => {
  await resetLimits(h);
});

const api = (key: string) => ({ Authorization: `Bearer ${key}` });

test('add_domain under a shared zone creates the domain and an A record for the caller', async () => {
  const res = await request(h.app)
    .post('/api')
    .set(api(a.apiKey))
    .type('form')
    .send({ add_domain: 'Alpha.dyn.test' });
  expect(res.status).toBe(201);
  expect(res.body).toMatchObject({ info: 'success', status: '201 Created', add_domain: 'alpha.dyn.test' });
  expect(typeof res.body.domain_update_hash).toBe('string');
  const recs = await h.t.db.selectFrom('records').selectAll().where('name', '=', 'alpha.dyn.test').execute();
  expect(recs).toEqual([expect.objectContaining({ type: 'A', content: '127.0.0.1', ttl: 60 })]);
});

test('get_domains lists the domain with its records', async () => {
  const res = await request(h.app).get('/api.php?get_domains').set(api(a.apiKey));
  expect(res.status).toBe(200);
  expect(res.body).toMatchObject({ info: 'success', status: '200 OK', get_domains: 'get_domains' });
  expect(res.body.subdomains['alpha.dyn.test']).toMatchObject({
    updates: 0,
    wildcard: 0,
    records: [expect.objectContaining({ type: 'A', content: '127.0.0.1', praefix: '', ttl: 60 })],
  });
});
