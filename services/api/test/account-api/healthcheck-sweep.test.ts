import request from 'supertest';
import type { CreatedAccount } from '@ddns/registry';
import { healthTransition, recordHealthPing, sweepHealthChecks } from '@ddns/jobs';
import { apiAccount } from '../support/api-helpers';
import { createTestApp, type TestApp } from '../support/test-app';

describe('healthTransition (pure)', () => {
  const now = new Date('2026-01-01T12:00:00Z');
  const ago = (s: number) => new Date(now.getTime() - s * 1000);
  const c = (state: 'new' | 'up' | 'down', lastPingSecondsAgo: number | null) => ({
    state,
    last_ping_at: lastPingSecondsAgo === null ? null : ago(lastPingSecondsAgo),
    period_seconds: 60,
    grace_seconds: 30,
  });
  test.each([
    [c('new', null), null],
    [c('up', 10), null],
    [c('up', 90), null],
    [c('up', 91), 'down'],
    [c('down', 91), null],
    [c('down', 5), 'up'],
    [c('down', null), null],
  ])('%j → %s', (check, expected) => {
    expect(healthTransition(check, now)).toBe(expected);
  });
});

describe('sweepHealthChecks', () => {
  let h: TestApp;
  let a: CreatedAccount;
  let id = 0;
  let token = '';
  beforeAll(async () => {
    h = await createTestApp();
    a = await apiAccount(h.t.db);
    const res = await request(h.app)
      .post('/api')
      .set('Authorization', `Bearer ${a.apiKey}`)
      .type('form')
      .send({ add_healthcheck: 'cron', period: '60', grace: '0' });
    id = res.body.id;
    token = res.body.healthtoken;
    await request(h.app)
      .post('/api')
      .set('Authorization', `Bearer ${a.apiKey}`)
      .type('form')
      .send({ add_healthcheck: 'never pinged', period: '60', grace: '0' });
  });
  afterAll(async () => {
    await h.close();
  });
  const outbox = () =>
    h.t.db.selectFrom('outbox').select(['queue', 'job_name', 'payload']).orderBy('id').execute();
  const later = (s: number) => new Date(Date.now() + s * 1000);

  test('an up check that misses its period + grace goes down once, with one e-mail', async () => {
    expect((await request(h.app).get(`/health/${token}`)).status).toBe(200);
    expect(await sweepHealthChecks(h.t.db, later(30))).toEqual([]);
    const both = await Promise.all([
      sweepHealthChecks(h.t.db, later(120)),
      sweepHealthChecks(h.t.db, later(120)),
    ]);
    expect(both.flat()).toEqual([{ checkId: id, from: 'up', to: 'down' }]);
    expect(await sweepHealthChecks(h.t.db, later(180))).toEqual([]);
    expect(await outbox()).toEqual([
      {
        queue: 'email',
        job_name: 'healthcheck-down',
        payload: {
          to: a.email,
          template: 'healthcheck-down',
          vars: { check: 'cron', lastPing: expect.any(String) },
        },
      },
    ]);
  });

  test('a ping brings it back up at the next sweep, with one recovery e-mail', async () => {
    expect((await request(h.app).post(`/health/${token}`)).status).toBe(200);
    expect(await sweepHealthChecks(h.t.db)).toEqual([{ checkId: id, from: 'down', to: 'up' }]);
    expect(await sweepHealthChecks(h.t.db)).toEqual([]);
    const jobs = await outbox();
    expect(jobs.map((j) => j.job_name)).toEqual(['healthcheck-down', 'healthcheck-up']);
    const row = await h.t.db
      .selectFrom('health_checks')
      .select('state')
      .where('id', '=', id)
      .executeTakeFirstOrThrow();
    expect(row.state).toBe('up');
  });

  test('a check that was never pinged never alerts', async () => {
    await sweepHealthChecks(h.t.db, later(10 ** 6));
    const row = await h.t.db
      .selectFrom('health_checks')
      .select('state')
      .where('name', '=', 'never pinged')
      .executeTakeFirstOrThrow();
    expect(row.state).toBe('new');
  });

  test("recordHealthPing (the updater's healthcheck= path) matches only the given account's checks", async () => {
    const other = await apiAccount(h.t.db);
    expect(await recordHealthPing(h.t.db, token, { accountId: other.id })).toBeUndefined();
    // the previous test's far-future sweep left it down: a ping does not change that, the next sweep does
    expect(await recordHealthPing(h.t.db, token, { accountId: a.id })).toMatchObject({ id, state: 'down' });
    expect(await sweepHealthChecks(h.t.db)).toEqual([{ checkId: id, from: 'down', to: 'up' }]);
    expect(await recordHealthPing(h.t.db, 'unknown-token')).toBeUndefined();
    expect(await recordHealthPing(h.t.db, '')).toBeUndefined();
  });
});
