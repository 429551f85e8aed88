import request from 'supertest';
import type { CreatedAccount } from '@ddns/registry';
import { digShort, digUntil, sharedZone, startDnsProcess, type DnsProcess } from '@ddns/testkit';
import { apiAccount, resetLimits } from '../support/api-helpers';
import { createTestApp, type TestApp } from '../support/test-app';

// What /api writes is what the ddns DNS responder (its own process, reading the same database) answers.
let h: TestApp;
let a: CreatedAccount;
let dns: DnsProcess;
beforeAll(async () => {
  h = await createTestApp();
  await sharedZone(h.t.db, 'dyn.test');
  a = await apiAccount(h.t.db);
  dns = await startDnsProcess(h.t.url);
}, 60_000);
afterAll(async () => {
  await dns?.stop();
  await h.close();
});
beforeEach(async () => {
  await resetLimits(h);
});

const sorted = (xs: string[]) => [...xs].sort();
/** the DNS answer once it equals `expected` (or whatever it is after 10 s) */
const answer = (name: string, type: string, expected: string[]) =>
  digUntil(dns.port, name, type, (got) => JSON.stringify(got) === JSON.stringify(sorted(expected)));
const post = (fields: Record<string, string>) =>
  request(h.app).post('/api').set('Authorization', `Bearer ${a.apiKey}`).type('form').send(fields);
const del = (fields: Record<string, string>) =>
  request(h.app).delete('/api').set('Authorization', `Bearer ${a.apiKey}`).type('form').send(fields);

test('add_domain: the A record for the caller', async () => {
  expect((await post({ add_domain: 'web.dyn.test' })).status).toBe(201);
  expect(await answer('web.dyn.test', 'A', ['127.0.0.1'])).toEqual(['127.0.0.1']);
});

test('add_record: two TXT values at one name, MX, CNAME', async () => {
  for (const content of ['apex-value', 'wildcard-value'])
    expect(
      (await post({ add_record: 'web.dyn.test', praefix: '_acme-challenge', type: 'TXT', content })).status,
    ).toBe(201);
  expect(
    (await post({ add_record: 'web.dyn.test', type: 'MX', content: '10 mail.example.net' })).status,
  ).toBe(201);
  await resetLimits(h);
  expect(
    (await post({ add_record: 'web.dyn.test', praefix: 'www', type: 'CNAME', content: 'web.dyn.test' }))
      .status,
  ).toBe(201);
  const txt = ['"apex-value"', '"wildcard-value"'];
  expect(await answer('_acme-challenge.web.dyn.test', 'TXT', txt)).toEqual(sorted(txt));
  expect(await answer('web.dyn.test', 'MX', ['10 mail.example.net.'])).toEqual(['10 mail.example.net.']);
  const chased = sorted(['web.dyn.test.', '127.0.0.1']);
  expect(await answer('www.web.dyn.test', 'A', chased)).toEqual(chased);
});

test('a hosted domain is silent until its ownership is proven, then answers with our name servers', async () => {
  const res = await post({ add_domain: 'own.example' });
  expect(res.status).toBe(201);
  expect(res.body.ownership.status).toBe('pending');
  expect(await digShort(dns.port, 'own.example', 'NS')).toEqual([]); // REFUSED
  // the proof itself (delegation or TXT, asked of a real parent) is tested in ownership-e2e.test.ts
  await h.t.db.updateTable('zones').set({ status: 'active' }).where('name', '=', 'own.example').execute();
  expect(await answer('own.example', 'NS', ['ns1.dyn.test.'])).toEqual(['ns1.dyn.test.']);
  expect(await answer('own.example', 'A', ['127.0.0.1'])).toEqual(['127.0.0.1']);
});

test('del_record by value and del_domain disappear from DNS', async () => {
  expect(
    (
      await del({
        del_record: 'web.dyn.test',
        praefix: '_acme-challenge',
        type: 'TXT',
        content: 'apex-value',
      })
    ).status,
  ).toBe(200);
  expect(await answer('_acme-challenge.web.dyn.test', 'TXT', ['"wildcard-value"'])).toEqual([
    '"wildcard-value"',
  ]);
  expect((await del({ del_domain: 'web.dyn.test' })).status).toBe(200);
  expect(await answer('web.dyn.test', 'A', [])).toEqual([]);
  expect(await answer('www.web.dyn.test', 'A', [])).toEqual([]);
});
