import { execFile } from 'node:child_process';
import request from 'supertest';
import type { CreatedAccount } from '@ddns/cli';
import { sharedZone } from '@ddns/testkit';
// test-only: the real DNS responder, to see that what /api writes is what DNS answers
import { startDnsServer, type DnsServer } from '../../../dns/src/server';
import { apiAccount, resetLimits } from '../support/api-helpers';
import { createTestApp, type TestApp } from '../support/test-app';

let h: TestApp;
let a: CreatedAccount;
let dns: DnsServer;
beforeAll(async () => {
  h = await createTestApp();
  await sharedZone(h.t.db, 'dyn.test');
  a = await apiAccount(h.t.db);
  dns = await startDnsServer({
    databaseUrl: h.t.url,
    hosts: ['127.0.0.1'],
    port: 0,
    rrl: null,
    notify: false,
    feed: { pollMs: 200 },
  });
});
afterAll(async () => {
  await dns?.stop();
  await h.close();
});
beforeEach(async () => {
  await resetLimits(h);
});

/** `dig +short` answer lines (sorted), or the status when asked for it. */
function dig(name: string, type: string, status = false): Promise<string[]> {
  const args = [`@127.0.0.1`, '-p', String(dns.port), name, type, '+norec', '+time=2', '+tries=2'];
  return new Promise((resolve, reject) =>
    execFile('dig', status ? args : [...args, '+short'], (err, out) => {
      if (err) return reject(err);
      if (status) return resolve([/status: (\w+)/.exec(out)?.[1] ?? '']);
      resolve(out.split('\n').filter(Boolean).sort());
    }),
  );
}

/** Polls until DNS answers `expected` (the change feed applies writes asynchronously; the jest timeout bounds it). */
async function answers(name: string, type: string, expected: string[], status = false): Promise<void> {
  for (;;) {
    const got = await dig(name, type, status).catch(() => []);
    if (JSON.stringify(got) === JSON.stringify([...expected].sort())) return;
    await new Promise((r) => setTimeout(r, 100));
  }
}

const api = () => request(h.app).post('/api').set('Authorization', `Bearer ${a.apiKey}`).type('form');

test('what /api writes is what the DNS responder answers', async () => {
  expect((await api().send({ add_domain: 'web.dyn.test' })).status).toBe(201);
  await answers('web.dyn.test', 'A', ['127.0.0.1']);

  for (const content of ['apex-value', 'wildcard-value'])
    expect(
      (await api().send({ add_record: 'web.dyn.test', praefix: '_acme-challenge', type: 'TXT', content }))
        .status,
    ).toBe(201);
  await answers('_acme-challenge.web.dyn.test', 'TXT', ['"apex-value"', '"wildcard-value"']);

  expect(
    (await api().send({ add_record: 'web.dyn.test', type: 'MX', content: '10 mail.example.net' })).status,
  ).toBe(201);
  await answers('web.dyn.test', 'MX', ['10 mail.example.net.']);

  await resetLimits(h);
  expect(
    (await api().send({ add_record: 'web.dyn.test', praefix: 'www', type: 'CNAME', content: 'web.dyn.test' }))
      .status,
  ).toBe(201);
  await answers('www.web.dyn.test', 'A', ['127.0.0.1', 'web.dyn.test.']);

  expect((await api().send({ add_domain: 'own.example' })).status).toBe(201);
  await answers('own.example', 'NS', ['ns1.dyn.test.']);
  await answers('own.example', 'A', ['127.0.0.1']);

  const del = await request(h.app)
    .delete('/api')
    .set('Authorization', `Bearer ${a.apiKey}`)
    .type('form')
    .send({ del_record: 'web.dyn.test', praefix: '_acme-challenge', type: 'TXT', content: 'apex-value' });
  expect(del.status).toBe(200);
  await answers('_acme-challenge.web.dyn.test', 'TXT', ['"wildcard-value"']);

  await resetLimits(h);
  const gone = await request(h.app)
    .delete('/api')
    .set('Authorization', `Bearer ${a.apiKey}`)
    .type('form')
    .send({ del_domain: 'web.dyn.test' });
  expect(gone.status).toBe(200);
  await answers('web.dyn.test', 'A', ['NXDOMAIN'], true);
}, 60_000);
