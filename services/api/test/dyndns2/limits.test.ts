import request from 'supertest';
import { sharedZone } from '@ddns/testkit';
import { createApp } from '../../src/app';
import { RedisLimits } from '../../src/limits';
import { looksLikeSuccess } from '../../src/surfaces/dyndns2/format';
import { NOCHG_LIMIT } from '../../src/surfaces/dyndns2/service';
import { createTestApp, type TestApp } from '../support/test-app';
import { logsOf, names, owner, recordsAt } from './support';

jest.setTimeout(120_000);

let h: TestApp;
beforeAll(async () => {
  h = await createTestApp();
  await sharedZone(h.t.db, 'dyn.test');
});
afterAll(async () => {
  await h.close();
});

const api = () => request(h.app);
const limits = () => new RedisLimits(h.deps.redis, h.deps.redisPrefix);

test('3 updater requests per 10 s per key, then 429 with Retry-After (logged once)', async () => {
  const o = await owner(h.t.db);
  const [a] = names(o);
  const q = (ip: string) =>
    api().get('/nic/update').query({ hostname: a, myip: ip }).auth('none', o.acct.updateToken);
  expect((await q('192.0.2.1')).text).toBe('good 192.0.2.1\n');
  expect((await q('192.0.2.2')).text).toBe('good 192.0.2.2\n');
  expect((await q('192.0.2.3')).text).toBe('good 192.0.2.3\n');
  for (let i = 0; i < 3; i++) {
    const r = await q('192.0.2.4');
    expect(r.status).toBe(429);
    expect(r.text).toBe('abuse\n');
    expect(Number(r.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(Number(r.headers['retry-after'])).toBeLessThanOrEqual(10);
  }
  const j = await api().get('/update').query({ hostname: a, myip: '192.0.2.4', key: o.acct.updateToken });
  expect(j.status).toBe(429);
  expect(j.body).toEqual({ status: '429 Too Many Requests', info: 'abuse' });
  expect(await recordsAt(h.t.db, a!)).toEqual(['A 192.0.2.3']);
  expect((await logsOf(h.t.db, o.acct.id)).map((l) => l.result)).toEqual(['good', 'good', 'good', 'abuse']);
  // another key of the same account (a domain token) has its own budget
  const r = await api().get('/nic/update').query({ myip: '192.0.2.5' }).auth('none', o.domains[a!]!);
  expect(r.text).toBe('good 192.0.2.5\n');
});

test('daily quota by account class (48 by default), then 429 until midnight UTC', async () => {
  const app = createApp({ ...h.deps, updaterRateLimit: false });
  const o = await owner(h.t.db, 'dyn.test', 1);
  const [a] = names(o);
  for (let i = 0; i < 48; i++) {
    const r = await request(app)
      .get('/nic/update')
      .query({ hostname: a, myip: `192.0.2.${i + 1}` })
      .auth('none', o.acct.updateToken);
    expect(r.status).toBe(200);
  }
  const over = await request(app)
    .get('/nic/update')
    .query({ hostname: a, myip: '198.51.100.1' })
    .auth('none', o.acct.updateToken);
  expect(over.status).toBe(429);
  expect(Number(over.headers['retry-after'])).toBeGreaterThan(0);
  expect(Number(over.headers['retry-after'])).toBeLessThanOrEqual(86400);
  expect(await recordsAt(h.t.db, a!)).toEqual(['A 192.0.2.48']);
  // the class decides: `plus` allows more
  const plus = await owner(h.t.db, 'dyn.test', 1, 'plus');
  for (let i = 0; i < 49; i++) {
    const r = await request(app)
      .get('/nic/update')
      .query({ hostname: names(plus)[0], myip: `192.0.2.${i + 1}`, key: plus.acct.updateToken });
    expect(r.status).toBe(200);
  }
});

test('each host of a multi-host update counts against the daily quota (20 hosts = 20 of 48)', async () => {
  const app = createApp({ ...h.deps, updaterRateLimit: false });
  const o = await owner(h.t.db, 'dyn.test', 20);
  const all = names(o);
  const update = (hosts: string[], ip: string) =>
    request(app)
      .get('/nic/update')
      .query({ hostname: hosts.join(','), myip: ip })
      .auth('none', o.acct.updateToken);
  const first = await update(all, '192.0.2.1');
  expect(first.text.trim().split('\n')).toEqual(all.map(() => 'good 192.0.2.1'));
  expect((await update(all, '192.0.2.2')).status).toBe(200); // 40 of 48
  const over = await update(all, '192.0.2.3'); // 60 > 48: refused whole, nothing taken
  expect(over.status).toBe(429);
  expect(await recordsAt(h.t.db, all[0]!)).toEqual(['A 192.0.2.2']);
  expect((await update(all.slice(0, 8), '192.0.2.4')).status).toBe(200); // 48 of 48
  expect((await update(all.slice(0, 1), '192.0.2.5')).status).toBe(429);
  expect(await recordsAt(h.t.db, all[0]!)).toEqual(['A 192.0.2.4']);
  expect(await recordsAt(h.t.db, all[8]!)).toEqual(['A 192.0.2.2']);
});

test('5 wrong passwords throttle this source network for the account for 10 minutes, even with the right password', async () => {
  const o = await owner(h.t.db, 'dyn.test', 1);
  const [a] = names(o);
  const login = (password: string) =>
    api().get('/nic/update').query({ hostname: a, myip: '192.0.2.1', username: o.acct.email, password });
  for (let i = 0; i < 5; i++) expect((await login('wrong-password')).status).toBe(401);
  const locked = await login('password123');
  expect(locked.status).toBe(429);
  expect(Number(locked.headers['retry-after'])).toBeGreaterThan(590);
  expect(Number(locked.headers['retry-after'])).toBeLessThanOrEqual(600);
  expect(looksLikeSuccess(locked.text)).toBe(false);
  expect(await recordsAt(h.t.db, a!)).toEqual([]);
  // a wrong token is a plain badauth (tokens are throttled per network only, see test/auth); valid keys work
  for (let i = 0; i < 6; i++)
    expect((await api().get('/nic/update').query({ hostname: a }).auth('none', 'guessed-token')).status).toBe(
      401,
    );
  expect(
    (
      await api()
        .get('/nic/update')
        .query({ hostname: a, myip: '192.0.2.9' })
        .auth('none', o.acct.updateToken)
    ).text,
  ).toBe('good 192.0.2.9\n');
});

test(`a nochg spree: more than ${NOCHG_LIMIT} unchanged updates of a host answer abuse; a change goes through`, async () => {
  const o = await owner(h.t.db, 'dyn.test', 1);
  const [a] = names(o);
  const q = async (ip: string) => {
    await limits().reset(`updater:account:${o.acct.id}`); // lift the 3/10 s window between calls
    return api().get('/nic/update').query({ hostname: a, myip: ip }).auth('none', o.acct.updateToken);
  };
  expect((await q('192.0.2.1')).text).toBe('good 192.0.2.1\n');
  for (let i = 0; i < NOCHG_LIMIT; i++) expect((await q('192.0.2.1')).text).toBe('nochg 192.0.2.1\n');
  const abuse = await q('192.0.2.1');
  expect(abuse.status).toBe(200);
  expect(abuse.text).toBe('abuse\n');
  const j = await api().get('/update').query({ hostname: a, myip: '192.0.2.1', key: o.domains[a!] });
  expect(j.status).toBe(429);
  expect(j.body).toEqual({ status: '429 Too Many Requests', info: 'abuse' });
  // a real change is applied and clears the count
  expect((await q('192.0.2.2')).text).toBe('good 192.0.2.2\n');
  expect((await q('192.0.2.2')).text).toBe('nochg 192.0.2.2\n');
  const results = (await logsOf(h.t.db, o.acct.id)).map((l) => l.result);
  expect(results.filter((r) => r === 'abuse')).toHaveLength(2);
});
