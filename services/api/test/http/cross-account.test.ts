import request from 'supertest';
import type { CreatedAccount } from '@ddns/registry';
import { sharedZone } from '@ddns/testkit';
import { issueMailToken } from '../../src/surfaces/mail/token';
import { issueToken } from '../../src/surfaces/records-api/service';
import { apiAccount, basic, resetLimits } from '../support/api-helpers';
import { as, login, type Browser } from '../v1/v1-helpers';
import { createTestApp, type TestApp } from '../support/test-app';

/**
 * The audit's cross-account probes, as one matrix: Mallory, holding every credential of her own account,
 * aims every surface at Victor's names, records, mail domain, mailboxes, health check and certificate.
 * Every probe is refused (never 2xx, never a DynDNS2 success code), and afterwards not one of Victor's rows
 * differs.
 */
let h: TestApp;
let victor: CreatedAccount;
let mallory: CreatedAccount;
let v: { recordId: number; checkId: number; mailDomainId: number; mailboxId: number; apiKeyId: number };
let m: { jwt: string; recordsToken: string; browser: Browser; v1Key: string };

const VNAME = 'victor.dyn.test';
const VMAIL = 'victor-mail.example';

beforeAll(async () => {
  h = await createTestApp({ MAIL_HOST: 'mx.test' });
  await sharedZone(h.t.db, 'dyn.test');
  victor = await apiAccount(h.t.db);
  mallory = await apiAccount(h.t.db);
  await apiAccount(h.t.db);
  const vauth = { Authorization: `Bearer ${victor.apiKey}` };
  const api = (fields: Record<string, string>) =>
    request(h.app).post('/api').set(vauth).type('form').send(fields);
  expect((await api({ add_domain: VNAME })).status).toBe(201);
  expect(
    (
      await request(h.app)
        .post('/api')
        .set({ Authorization: `Bearer ${mallory.apiKey}` })
        .type('form')
        .send({ add_domain: 'mallory.dyn.test' })
    ).status,
  ).toBe(201);
  expect((await api({ add_record: VNAME, praefix: 'www', type: 'A', content: '192.0.2.7' })).status).toBe(
    201,
  );
  const check = await api({ add_healthcheck: 'victor-backup' });
  expect(check.status).toBe(201);
  const vjwt = await issueMailToken(h.deps.config.JWT_SECRET, victor);
  const md = await request(h.app)
    .post('/mail/domains')
    .set('Auth-token', vjwt)
    .type('form')
    .send({ domain: VMAIL, username: 'boss', password: 'mailbox-pass-1' });
  expect(md.status).toBe(201);
  const rec = await h.t.db
    .selectFrom('records')
    .select('id')
    .where('name', '=', `www.${VNAME}`)
    .executeTakeFirstOrThrow();
  const key = await h.t.db
    .insertInto('api_keys')
    .values({ account_id: victor.id, name: 'victor-key', key_hash: 'f'.repeat(64) })
    .returning('id')
    .executeTakeFirstOrThrow();
  v = {
    recordId: rec.id,
    checkId: check.body.id as number,
    mailDomainId: md.body.domain.id as number,
    mailboxId: md.body.user.id as number,
    apiKeyId: key.id,
  };
  const browser = await login(h, mallory.email);
  const v1Key = await request(h.app).post('/v1/api-keys').set(as(browser)).send({ name: 'm', write: true });
  expect(v1Key.status).toBe(201);
  m = {
    jwt: await issueMailToken(h.deps.config.JWT_SECRET, mallory),
    recordsToken: await issueToken(h.t.db, mallory.id),
    browser,
    v1Key: v1Key.body.secret as string,
  };
}, 60_000);

afterAll(async () => {
  await h.close();
});

/** Every row that belongs to Victor, as JSON. */
async function victorsRows(): Promise<string> {
  const db = h.t.db;
  const domains = await db
    .selectFrom('domains')
    .selectAll()
    .where('account_id', '=', victor.id)
    .orderBy('id')
    .execute();
  const zones = await db
    .selectFrom('zones')
    .selectAll()
    .where('account_id', '=', victor.id)
    .orderBy('id')
    .execute();
  const domainIds = domains.map((d) => d.id);
  const zoneIds = zones.map((z) => z.id);
  const records = await db
    .selectFrom('records')
    .selectAll()
    .where((eb) => eb.or([eb('domain_id', 'in', [0, ...domainIds]), eb('zone_id', 'in', [0, ...zoneIds])]))
    .orderBy('id')
    .execute();
  const mailDomains = await db
    .selectFrom('mail_domains')
    .selectAll()
    .where('id', '=', v.mailDomainId)
    .execute();
  const mailboxes = await db
    .selectFrom('mailboxes')
    .selectAll()
    .where('mail_domain_id', '=', v.mailDomainId)
    .orderBy('id')
    .execute();
  const dkim = await db
    .selectFrom('dkim_keys')
    .selectAll()
    .where('mail_domain_id', '=', v.mailDomainId)
    .orderBy('id')
    .execute();
  const checks = await db
    .selectFrom('health_checks')
    .selectAll()
    .where('account_id', '=', victor.id)
    .orderBy('id')
    .execute();
  const certs = await db.selectFrom('certificates').selectAll().orderBy('id').execute();
  const account = await db.selectFrom('accounts').selectAll().where('id', '=', victor.id).execute();
  const apiKeys = await db
    .selectFrom('api_keys')
    .selectAll()
    .where('account_id', '=', victor.id)
    .orderBy('id')
    .execute();
  return JSON.stringify({
    domains,
    zones,
    records,
    mailDomains,
    mailboxes,
    dkim,
    checks,
    certs,
    account,
    apiKeys,
  });
}

type Probe = [string, () => request.Test];

/** Every /v1 route that names a domain, record, key or check, aimed at Victor's by a caller of Mallory's. */
function v1Probes(as: string, auth: (r: request.Test) => request.Test): Probe[] {
  const rec = (name: string) => `/v1/domains/${name}/records/${v.recordId}`;
  const txt = { type: 'TXT', subname: 'evil', text: 'x' };
  const probes: [string, () => request.Test][] = [
    ['get domain', () => request(h.app).get(`/v1/domains/${VNAME}`)],
    ['delete domain', () => request(h.app).delete(`/v1/domains/${VNAME}`)],
    ['rotate domain token', () => request(h.app).post(`/v1/domains/${VNAME}/token`)],
    ['dnssec', () => request(h.app).get(`/v1/domains/${VNAME}/dnssec`)],
    ['list records', () => request(h.app).get(`/v1/domains/${VNAME}/records`)],
    ['create record', () => request(h.app).post(`/v1/domains/${VNAME}/records`).send(txt)],
    ['replace record', () => request(h.app).put(rec(VNAME)).send(txt)],
    ['delete record', () => request(h.app).delete(rec(VNAME))],
    ['replace record via own domain', () => request(h.app).put(rec('mallory.dyn.test')).send(txt)],
    ['delete record via own domain', () => request(h.app).delete(rec('mallory.dyn.test'))],
    ['create taken domain', () => request(h.app).post('/v1/domains').send({ name: VNAME })],
    [
      'create domain inside',
      () =>
        request(h.app)
          .post('/v1/domains')
          .send({ name: `sub.${VNAME}` }),
    ],
    ['delete health check', () => request(h.app).delete(`/v1/health-checks/${v.checkId}`)],
    ['delete api key', () => request(h.app).delete(`/v1/api-keys/${v.apiKeyId}`)],
  ];
  return probes.map(([name, send]) => [`v1 ${as}: ${name}`, () => auth(send())]);
}

test('every cross-account probe is refused and changes nothing of the victim', async () => {
  const before = await victorsRows();
  const key = { Authorization: `Bearer ${mallory.apiKey}` };
  const api = (method: 'post' | 'delete' | 'get', fields: Record<string, string>) =>
    request(h.app)[method]('/api').set(key).type('form').send(fields);
  const mail = (method: 'get' | 'post' | 'delete', path: string, fields: Record<string, string> = {}) =>
    request(h.app)[method](`/mail${path}`).set('Auth-token', m.jwt).type('form').send(fields);
  const upd = (query: string, auth = basic('mallory', mallory.updateToken)) =>
    request(h.app).get(`/nic/update?${query}`).set('Authorization', auth);
  const probes: Probe[] = [
    // account API
    ['del_domain', () => api('delete', { del_domain: VNAME })],
    ['add_domain (taken)', () => api('post', { add_domain: VNAME })],
    ['add_domain inside', () => api('post', { add_domain: `sub.${VNAME}` })],
    [
      'add_record',
      () => api('post', { add_record: VNAME, praefix: 'evil', type: 'A', content: '203.0.113.66' }),
    ],
    ['add_record TXT apex', () => api('post', { add_record: VNAME, praefix: '', type: 'TXT', content: 'x' })],
    ['del_record by id', () => api('delete', { del_record: String(v.recordId) })],
    [
      'del_record by value',
      () => api('delete', { del_record: VNAME, praefix: 'www', type: 'A', content: '192.0.2.7' }),
    ],
    ['del_healthcheck by id', () => api('delete', { del_healthcheck: String(v.checkId) })],
    ['del_healthcheck by name', () => api('delete', { del_healthcheck: 'victor-backup' })],
    ['add_domain of the mail zone', () => api('post', { add_domain: `x.${VMAIL}` })],
    // DynDNS2
    ['nic/update', () => upd(`hostname=${VNAME}&myip=203.0.113.66`)],
    ['nic/update sub-name', () => upd(`hostname=www.${VNAME}&myip=203.0.113.66`)],
    ['nic/update two hosts', () => upd(`hostname=${VNAME},www.${VNAME}&myip=203.0.113.66`)],
    [
      'update.php key',
      () => request(h.app).get(`/update.php?key=${mallory.updateToken}&domain=${VNAME}&ip=203.0.113.66`),
    ],
    [
      'nic/update e-mail + password',
      () => upd(`hostname=${VNAME}&myip=203.0.113.66`, basic(mallory.email, 'password123')),
    ],
    ['nic/update API key', () => upd(`hostname=${VNAME}&myip=203.0.113.66`, `Bearer ${mallory.apiKey}`)],
    // records API
    [
      'records GET',
      () => request(h.app).get(`/user/record/${v.recordId}`).set('Authorization', m.recordsToken),
    ],
    [
      'records PUT',
      () =>
        request(h.app)
          .put(`/user/record/${v.recordId}`)
          .set('Authorization', m.recordsToken)
          .send({ content: '203.0.113.66' }),
    ],
    [
      'records PATCH',
      () =>
        request(h.app)
          .patch(`/user/record/${v.recordId}`)
          .set('Authorization', m.recordsToken)
          .send({ ttl: 7 }),
    ],
    // ACME
    [
      'acme present',
      () =>
        request(h.app)
          .post('/acme/httpreq/present')
          .set('Authorization', basic('x', mallory.apiKey))
          .send({ fqdn: `_acme-challenge.${VNAME}.`, value: 'v'.repeat(43) }),
    ],
    [
      'acme present mail',
      () =>
        request(h.app)
          .post('/acme/httpreq/present')
          .set('Authorization', basic('x', mallory.apiKey))
          .send({ fqdn: `_acme-challenge.${VMAIL}.`, value: 'v'.repeat(43) }),
    ],
    [
      'acme cleanup',
      () =>
        request(h.app)
          .post('/acme/httpreq/cleanup')
          .set('Authorization', basic('x', mallory.apiKey))
          .send({ fqdn: `_acme-challenge.${VNAME}.`, value: 'v'.repeat(43) }),
    ],
    // mail
    ['mail users list', () => mail('get', `/users/${v.mailDomainId}`)],
    [
      'mail add user',
      () => mail('post', `/user/${v.mailDomainId}`, { email: 'spy', password: 'spy-password-1' }),
    ],
    [
      'mail add users',
      () => mail('post', `/users/${v.mailDomainId}`, { email: `spy@${VMAIL}`, password: 'spy-password-1' }),
    ],
    [
      'mail change password',
      () =>
        mail('post', '/user-change-password', {
          id: String(v.mailboxId),
          domain_id: String(v.mailDomainId),
          password: 'taken-over-1',
        }),
    ],
    [
      'mail change password (own domain id)',
      () =>
        mail('post', '/user-change-password', {
          id: String(v.mailboxId),
          domain_id: '999999',
          password: 'taken-over-1',
        }),
    ],
    ['mail delete user', () => mail('delete', '/users', { email: `boss@${VMAIL}` })],
    ['mail delete domain', () => mail('delete', '/domain', { domain: VMAIL })],
    [
      'mail create same domain',
      () => mail('post', '/domains', { domain: VMAIL, username: 'a', password: 'mailbox-pass-2' }),
    ],
    [
      'mail create sub-domain',
      () => mail('post', '/domains', { domain: `x.${VMAIL}`, username: 'a', password: 'mailbox-pass-2' }),
    ],
    ['mail dkim', () => mail('post', '/dkim/add-new-domain', { domain: VMAIL })],
    ['mail letsencrypt', () => mail('post', '/ssl/letsencrypt/install', { hostname: VMAIL })],
    ['mail left days', () => mail('post', '/ssl/get-left-days', { hostname: VMAIL })],
    [
      'mail ssl upload',
      () => mail('post', '/ssl/upload', { hostname: VMAIL, ssl_certificate: 'x', ssl_certificate_key: 'y' }),
    ],
    ['mail export', () => mail('get', `/export/domain?domain=${VMAIL}`)],
    // registration: a name someone holds
    ['subscribe taken name', () => request(h.app).get('/subscribe?name=victor')],
    // /v1 with Mallory's session, then with her own API key
    ...v1Probes('session', (req) => req.set(as(m.browser))),
    ...v1Probes('api key', (req) => req.set('Authorization', `Bearer ${m.v1Key}`)),
    [
      'v1 admin: disable Victor',
      () =>
        request(h.app).patch(`/v1/admin/accounts/${victor.id}`).set(as(m.browser)).send({ disabled: true }),
    ],
    ['v1 admin: list accounts', () => request(h.app).get('/v1/admin/accounts').set(as(m.browser))],
  ];
  const accepted: string[] = [];
  for (const [name, send] of probes) {
    await resetLimits(h);
    const res = await send();
    const text = res.text ?? '';
    if (
      res.status < 300 &&
      !/^(nohost|notfqdn|badauth|abuse)/m.test(text) &&
      !/"status":"(nohost|badauth|[45]\d\d)/.test(text)
    )
      accepted.push(`${name}: ${res.status} ${text.slice(0, 120)}`);
    if (/^(good|nochg)/m.test(text)) accepted.push(`${name}: ${text}`);
  }
  // Mallory's own list shows nothing of Victor's
  const list = await mail('get', '/domains');
  expect(JSON.stringify(list.body)).not.toContain(VMAIL);
  const domains = await api('get', { get_domains: '' });
  expect(JSON.stringify(domains.body)).not.toContain(VNAME);
  // nor do the /v1 lists
  for (const path of ['/v1/domains', '/v1/logs', '/v1/health-checks', '/v1/api-keys', '/v1/mail-domains']) {
    const res = await request(h.app).get(path).set(as(m.browser));
    expect({ path, status: res.status }).toEqual({ path, status: 200 });
    // (Mallory's log holds her own failed attempts, naming Victor's hosts: nothing of Victor's own)
    expect(JSON.stringify(res.body)).not.toMatch(/"(name|domain)":"[^"]*victor|domain victor/);
  }
  console.log(`cross-account probes: ${probes.length}, accepted ${accepted.length}`);

  expect(probes.length).toBeGreaterThanOrEqual(60);
  expect(accepted).toEqual([]);
  expect(await victorsRows()).toBe(before);
}, 120_000);
