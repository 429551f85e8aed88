/**
 * Issue 12, finding 2: failed logins are throttled per source network (IPv4 /24, IPv6 /56) and per account,
 * so guessing stays slow while the owner, from elsewhere and with the right secret, still gets in; with Redis
 * down every login fails closed. Source addresses come from X-Forwarded-For (TRUST_PROXY=true).
 */
import { Redis } from 'ioredis';
import request from 'supertest';
import { addDomain } from '@ddns/registry';
import { account, sharedZone } from '@ddns/testkit';
import { AUTH_THROTTLE } from '../../src/limits';
import { closeQueueDashboards } from '../../src/surfaces/ops/queue-dashboard';
import { looksLikeSuccess } from '../../src/surfaces/dyndns2/format';
import { basic } from '../support/api-helpers';
import { createTestApp, type TestApp } from '../support/test-app';

jest.setTimeout(120_000);

let h: TestApp;
beforeAll(async () => {
  h = await createTestApp({ TRUST_PROXY: 'true' });
  await sharedZone(h.t.db, 'dyn.test');
});
afterAll(async () => {
  await closeQueueDashboards();
  await h.close();
});

let net = 0;
/** A fresh IPv4 /24 for each test: 10.<n>.<n>.0/24 */
const network4 = () => {
  const n = (net += 1);
  return (host: number) => `10.${n}.${n}.${host}`;
};

const from = (ip: string) => ({ 'X-Forwarded-For': ip });

test('dyndns2: wrong passwords from network A throttle A, the owner from network B still updates', async () => {
  const o = await account(h.t.db);
  const host = `owner${Date.now()}.dyn.test`;
  await addDomain(h.t.db, { name: host, accountEmail: o.email });
  const a = network4();
  const b = network4();
  const update = (ip: string, password: string) =>
    request(h.app)
      .get('/nic/update')
      .set(from(ip))
      .query({ hostname: host, myip: '192.0.2.7', username: o.email, password });
  const codes: number[] = [];
  for (let i = 0; i < 8; i++) codes.push((await update(a(10 + i), `guess-${i}`)).status);
  expect(codes.slice(0, AUTH_THROTTLE.loginFailuresPerNetworkAccount)).toEqual([401, 401, 401, 401, 401]);
  expect(codes.slice(AUTH_THROTTLE.loginFailuresPerNetworkAccount).every((c) => c === 429)).toBe(true);
  // the throttled network is refused even with the right password (it is not checked at all)
  const fromA = await update(a(99), 'password123');
  expect(fromA.status).toBe(429);
  expect(looksLikeSuccess(fromA.text)).toBe(false);
  // the owner elsewhere gets in
  const fromB = await update(b(1), 'password123');
  expect(fromB.status).toBe(200);
  expect(fromB.text).toBe('good 192.0.2.7\n');
});

test('/api-token-auth: 30 guesses from 30 addresses of one IPv4 /24 are throttled; the owner elsewhere signs in', async () => {
  const o = await account(h.t.db);
  const a = network4();
  const statuses: number[] = [];
  for (let i = 1; i <= 30; i++) {
    const r = await request(h.app)
      .post('/api-token-auth')
      .set(from(a(i)))
      .send({ email: o.email, password: `guess-${i}` });
    statuses.push(r.status);
  }
  expect(statuses.filter((s) => s === 400)).toHaveLength(AUTH_THROTTLE.loginFailuresPerNetworkAccount);
  expect(statuses.filter((s) => s === 429)).toHaveLength(30 - AUTH_THROTTLE.loginFailuresPerNetworkAccount);
  const ok = await request(h.app)
    .post('/api-token-auth')
    .set(from(network4()(1)))
    .send({ email: o.email, password: 'password123' });
  expect(ok.status).toBe(200);
  expect(typeof ok.body.token).toBe('string');
});

test('/admin/queues: 30 guesses from 30 addresses of one IPv6 /56 are throttled; the admin elsewhere gets in', async () => {
  const admin = await account(h.t.db, { admin: true });
  const statuses: number[] = [];
  for (let i = 1; i <= 30; i++) {
    // a different /64 each time, all inside 2001:db8:0:ab00::/56
    const ip = `2001:db8:0:ab${i.toString(16).padStart(2, '0')}::${i}`;
    const r = await request(h.app)
      .get('/admin/queues')
      .set(from(ip))
      .set('Authorization', basic(admin.email, `guess-${i}`));
    statuses.push(r.status);
  }
  expect(statuses.filter((s) => s === 401)).toHaveLength(AUTH_THROTTLE.loginFailuresPerNetworkAccount);
  expect(statuses.filter((s) => s === 429)).toHaveLength(30 - AUTH_THROTTLE.loginFailuresPerNetworkAccount);
  const other = await request(h.app)
    .get('/admin/queues')
    .set(from('2001:db8:0:cd00::1'))
    .set('Authorization', basic(admin.email, 'password123'));
  expect(other.status).toBe(200);
});

test('/v1/auth/login (dashboard): 30 guesses from 30 addresses of one IPv4 /24 are throttled; the owner elsewhere signs in', async () => {
  const o = await account(h.t.db);
  const a = network4();
  const statuses: number[] = [];
  for (let i = 1; i <= 30; i++) {
    const r = await request(h.app)
      .post('/v1/auth/login')
      .set(from(a(i)))
      .send({ email: o.email, password: `guess-${i}-xxxx` });
    statuses.push(r.status);
    if (r.status === 429) expect(r.body.error.code).toBe('rate_limited');
  }
  expect(statuses.filter((s) => s === 401)).toHaveLength(AUTH_THROTTLE.loginFailuresPerNetworkAccount);
  expect(statuses.filter((s) => s === 429)).toHaveLength(30 - AUTH_THROTTLE.loginFailuresPerNetworkAccount);
  // the right password from the guessing network is not even checked...
  const fromA = await request(h.app)
    .post('/v1/auth/login')
    .set(from(a(200)))
    .send({ email: o.email, password: 'password123' });
  expect(fromA.status).toBe(429);
  expect(fromA.headers['set-cookie']).toBeUndefined();
  // ...while the owner on another network signs in
  const ok = await request(h.app)
    .post('/v1/auth/login')
    .set(from(network4()(1)))
    .send({ email: o.email, password: 'password123' });
  expect(ok.status).toBe(200);
  expect(String(ok.headers['set-cookie'])).toMatch(/HttpOnly/i);
});

test('/mail/auth: ten wrong passwords from one network do not lock the owner out from another', async () => {
  const o = await account(h.t.db);
  const a = network4();
  const login = (ip: string, password: string) =>
    request(h.app).post('/mail/auth').set(from(ip)).type('form').send({ username: o.email, password });
  const statuses: number[] = [];
  for (let i = 1; i <= 10; i++) statuses.push((await login(a(i), `guess-${i}`)).status);
  expect(statuses).toEqual([401, 401, 401, 401, 401, 429, 429, 429, 429, 429]);
  expect((await login(a(50), 'password123')).status).toBe(429);
  const ok = await login(network4()(1), 'password123');
  expect(ok.status).toBe(200);
  expect(ok.body.result).toBe(true);
});

test('/mail/auth: a 40-name spray from one /24 gets 429; a real user on another network is unaffected', async () => {
  const a = network4();
  const statuses: number[] = [];
  for (let i = 1; i <= 40; i++) {
    const r = await request(h.app)
      .post('/mail/auth')
      .set(from(a(i)))
      .type('form')
      .send({ username: `sprayed${i}@example.com`, password: 'Summer2026!' });
    statuses.push(r.status);
    if (r.status === 429) {
      expect(r.body.result).toBe(false);
      expect(Number(r.headers['retry-after'])).toBeGreaterThan(0);
    }
  }
  expect(statuses.filter((s) => s === 401)).toHaveLength(AUTH_THROTTLE.loginFailuresPerNetwork);
  expect(statuses.filter((s) => s === 429)).toHaveLength(40 - AUTH_THROTTLE.loginFailuresPerNetwork);
  const user = await account(h.t.db);
  const ok = await request(h.app)
    .post('/mail/auth')
    .set(from(network4()(1)))
    .type('form')
    .send({ username: user.email, password: 'password123' });
  expect(ok.status).toBe(200);
  expect(ok.body.result).toBe(true);
});

test('many networks guessing one account: new networks are throttled, a network the owner used before is not', async () => {
  const o = await account(h.t.db);
  const home = network4()(5);
  const login = (ip: string, password: string) =>
    request(h.app).post('/mail/auth').set(from(ip)).type('form').send({ username: o.email, password });
  expect((await login(home, 'password123')).status).toBe(200);
  // one guess from each of many networks: no network reaches its own budget
  const n = AUTH_THROTTLE.loginFailuresPerAccount;
  for (let i = 0; i < n; i++) expect((await login(network4()(1), `guess-${i}`)).status).toBe(401);
  expect((await login(network4()(1), 'another-guess')).status).toBe(429);
  expect((await login(network4()(1), 'password123')).status).toBe(429);
  // the owner at home still gets in
  const ok = await login(home, 'password123');
  expect(ok.status).toBe(200);
  expect(ok.body.result).toBe(true);
});

test('wrong API keys from one /24 are answered 429 after the network budget; a valid key still works', async () => {
  const o = await account(h.t.db);
  const a = network4();
  const statuses: number[] = [];
  for (let i = 1; i <= AUTH_THROTTLE.tokenFailuresPerNetwork + 3; i++) {
    const r = await request(h.app)
      .get('/api')
      .set(from(a(i)))
      .query({ get_account_info: '', apikey: `wrong-key-${i}` });
    statuses.push(r.status);
  }
  expect(statuses.slice(0, AUTH_THROTTLE.tokenFailuresPerNetwork).every((s) => s === 401)).toBe(true);
  expect(statuses.slice(AUTH_THROTTLE.tokenFailuresPerNetwork)).toEqual([429, 429, 429]);
  const ok = await request(h.app)
    .get('/api')
    .set(from(a(200)))
    .query({ get_account_info: '', apikey: o.apiKey });
  expect(ok.status).toBe(200);
});

describe('Redis down: every login fails closed', () => {
  let real: Redis;
  let dead: Redis;
  let mailToken: string;
  beforeAll(async () => {
    // signed in and holding a mail domain while Redis was up
    const m = await account(h.t.db);
    const auth = await request(h.app)
      .post('/mail/auth')
      .set(from(network4()(1)))
      .type('form')
      .send({ username: m.email, password: 'password123' });
    mailToken = auth.body.token as string;
    const md = await request(h.app)
      .post('/mail/domains')
      .set('Auth-token', mailToken)
      .type('form')
      .send({ domain: 'dkim-down.example', username: 'postmaster', password: 'mailbox-pass-1' });
    expect(md.status).toBe(201);
    real = h.deps.redis;
    dead = new Redis({ port: 1, lazyConnect: true, maxRetriesPerRequest: 0, enableOfflineQueue: false });
    dead.on('error', () => undefined);
    h.deps.redis = dead;
  });
  afterAll(() => {
    h.deps.redis = real;
    dead.disconnect();
  });

  test('the right password is answered 503 (or 911) on every surface, never a success', async () => {
    const o = await account(h.t.db, { admin: true });
    const ip = from(network4()(1));
    const mail = await request(h.app)
      .post('/mail/auth')
      .set(ip)
      .type('form')
      .send({ username: o.email, password: 'password123' });
    expect(mail.status).toBe(503);
    expect(mail.body.result).toBe(false);
    const records = await request(h.app)
      .post('/api-token-auth')
      .set(ip)
      .send({ email: o.email, password: 'password123' });
    expect(records.status).toBe(503);
    expect(records.body.token).toBeUndefined();
    const admin = await request(h.app)
      .get('/admin/queues')
      .set(ip)
      .set('Authorization', basic(o.email, 'password123'));
    expect(admin.status).toBe(503);
    const dyn = await request(h.app)
      .get('/update')
      .set(ip)
      .query({ hostname: 'x.dyn.test', username: o.email, password: 'password123' });
    expect(dyn.status).toBe(503);
    const classic = await request(h.app)
      .get('/nic/update')
      .set(ip)
      .set('Authorization', basic(o.email, 'password123'))
      .query({ hostname: 'x.dyn.test' });
    expect(classic.text).toBe('911\n');
    const v1 = await request(h.app)
      .post('/v1/auth/login')
      .set(ip)
      .send({ email: o.email, password: 'password123' });
    expect(v1.status).toBe(503);
    expect(v1.body.error.code).toBe('unavailable');
    expect(v1.headers['set-cookie']).toBeUndefined();
  });

  test('expensive work fails closed too: no RSA DKIM key is generated while its budget cannot be counted', async () => {
    // the mail routes hold the client they were built with: take that connection itself down
    real.disconnect();
    let res;
    try {
      res = await request(h.app)
        .post('/mail/dkim/add-new-domain')
        .set('Auth-token', mailToken)
        .type('form')
        .send({ domain: 'dkim-down.example' });
    } finally {
      await real.connect();
    }
    expect(res.status).toBe(503);
    expect(res.body.result).toBe(false);
    expect(await h.t.db.selectFrom('dkim_keys').select('id').execute()).toEqual([]);
  });
});
