import request from 'supertest';
import type { CreatedAccount } from '@ddns/registry';
import { sharedZone } from '@ddns/testkit';
import { apiAccount, resetLimits } from '../support/api-helpers';
import { createTestApp, type TestApp } from '../support/test-app';

let h: TestApp;
let a: CreatedAccount;
let b: CreatedAccount;
beforeAll(async () => {
  h = await createTestApp();
  await sharedZone(h.t.db, 'dyn.test');
  a = await apiAccount(h.t.db, 'default');
  b = await apiAccount(h.t.db);
});
afterAll(async () => {
  await h.close();
});
beforeEach(async () => {
  await resetLimits(h);
});

const auth = (acc: CreatedAccount) => ({ Authorization: `Bearer ${acc.apiKey}` });

test('get_account_info: e-mail, class and limits, counters; never the secrets', async () => {
  const res = await request(h.app).get('/api?get_account_info').set(auth(a));
  expect(res.status).toBe(200);
  expect(res.body).toEqual({
    email: a.email,
    account_status: 'activ',
    reg_date: expect.stringMatching(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/),
    admin: false,
    dyndns_updates: 0,
    api_updates: 1,
    domains: 0,
    healthchecks: 0,
    account_class: {
      class_name: 'default',
      dyndns_domain_limit: 20,
      dyndns_update_limit: 48,
      api_limit: 64,
      healthcheck_limit: 50,
    },
    info: 'success',
    status: '200 OK',
    get_account_info: 'get_account_info',
  });
  expect(JSON.stringify(res.body)).not.toContain(a.apiKey);
  expect(JSON.stringify(res.body)).not.toContain(a.updateToken);
});

test('get_logs: the last 100 entries of the caller only, newest first', async () => {
  const base = Date.UTC(2026, 0, 1);
  const rows = Array.from({ length: 105 }, (_, i) => ({
    account_id: a.id,
    at: new Date(base + i * 60000),
    source_ip: '192.0.2.1',
    hosts: 'alpha.dyn.test',
    result: i % 2 ? 'good' : 'nochg',
    detail: i === 104 ? 'good 192.0.2.1' : null,
  }));
  await h.t.db.insertInto('update_log').values(rows).execute();
  await h.t.db
    .insertInto('update_log')
    .values({ account_id: b.id, at: new Date(base + 10 ** 9), hosts: 'bravo.dyn.test', result: 'good' })
    .execute();
  const res = await request(h.app).get('/api.php?get_logs').set(auth(a));
  expect(res.status).toBe(200);
  expect(res.body).toMatchObject({ info: 'success', status: '200 OK', get_logs: 'get_logs' });
  expect(res.body.logs).toHaveLength(100);
  expect(res.body.logs[0]).toEqual({
    subdomain: 'alpha.dyn.test',
    time: '2026-01-01 01:44:00',
    header: 'DynDNS Update: nochg',
    content: 'good 192.0.2.1',
  });
  expect(res.body.logs[1]).toEqual({
    subdomain: 'alpha.dyn.test',
    time: '2026-01-01 01:43:00',
    header: 'DynDNS Update: good',
    content: 'good from 192.0.2.1',
  });
  expect(res.body.logs[99].time).toBe('2026-01-01 00:05:00');
  expect(JSON.stringify(res.body.logs)).not.toContain('bravo');
});

test('changes made through the API are logged too', async () => {
  const add = await request(h.app)
    .post('/api')
    .set(auth(b))
    .type('form')
    .send({ add_domain: 'logged.dyn.test' });
  expect(add.status).toBe(201);
  const res = await request(h.app).get('/api?get_logs').set(auth(b));
  expect(res.body.logs[0]).toMatchObject({
    subdomain: 'logged.dyn.test',
    header: 'API',
    content: 'API: domain logged.dyn.test added',
  });
});

test('get_domains counts the updater log entries of each domain', async () => {
  const d = await h.t.db
    .selectFrom('domains')
    .select('id')
    .where('name', '=', 'logged.dyn.test')
    .executeTakeFirstOrThrow();
  await h.t.db
    .insertInto('update_log')
    .values(
      [1, 2, 3].map(() => ({ account_id: b.id, domain_id: d.id, hosts: 'logged.dyn.test', result: 'good' })),
    )
    .execute();
  const res = await request(h.app).get('/api?get_domains').set(auth(b));
  expect(res.body.subdomains['logged.dyn.test'].updates).toBe(3);
  const info = await request(h.app).get('/api?get_account_info').set(auth(b));
  expect(info.body).toMatchObject({ dyndns_updates: 3, domains: 1 });
});
