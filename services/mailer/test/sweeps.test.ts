import { bullConnection, QUEUES } from '@ddns/jobs';
import { hashToken } from '@ddns/secrets';
import {
  account,
  createTestDatabase,
  sharedZone,
  testRedisPrefix,
  testRedisUrl,
  type TestDatabase,
} from '@ddns/testkit';
import { Queue } from 'bullmq';
import {
  HEALTHCHECK_SWEEP,
  HEALTHCHECK_SWEEP_EVERY_MS,
  runSweep,
  SWEEP_EVERY_MS,
} from '../src/queues/sweeps';
import { startTestMailer } from './support/test-mailer';

const DAY = 24 * 3600 * 1000;
let t: TestDatabase;
let zoneId: number;
let seq = 0;

beforeAll(async () => {
  t = await createTestDatabase();
  zoneId = (await sharedZone(t.db, 'dyn.test')).id;
});
afterAll(async () => {
  await t.destroy();
});

async function gateway(over: {
  lastPing?: Date | null;
  created?: Date;
  email?: string | null;
  mode?: 0 | 1 | null;
}): Promise<number> {
  seq++;
  const row = await t.db
    .insertInto('domains')
    .values({
      zone_id: zoneId,
      name: `gw${seq}.dyn.test`,
      token_hash: hashToken(`token-${seq}`),
      mode: over.mode === undefined ? 1 : over.mode,
      email: over.email === undefined ? `gw${seq}@example.com` : over.email,
      email_verified: over.email !== null,
      last_ping_at: over.lastPing ?? null,
      created_at: over.created ?? new Date(),
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

const exists = async (id: number) =>
  (await t.db.selectFrom('domains').select('id').where('id', '=', id).executeTakeFirst()) !== undefined;

test('inactive gateways are warned by e-mail, then released after the grace period; a ping in between saves them', async () => {
  const now = new Date();
  const stale = await gateway({ lastPing: new Date(now.getTime() - 40 * DAY) });
  const neverPinged = await gateway({ created: new Date(now.getTime() - 31 * DAY), email: null });
  const active = await gateway({ lastPing: new Date(now.getTime() - 2 * DAY) });
  const saved = await gateway({ lastPing: new Date(now.getTime() - 35 * DAY) });
  const notGateway = await gateway({ created: new Date(now.getTime() - 400 * DAY), mode: null });

  const off = await runSweep(t.db, { gatewayExpiryDays: 0, now });
  expect(off.gatewaysWarned).toBe(0);

  const first = await runSweep(t.db, { gatewayExpiryDays: 30, now });
  expect(first.gatewaysWarned).toBe(3);
  expect(first.gatewaysReleased).toBe(0);
  const mails = await t.db
    .selectFrom('outbox')
    .selectAll()
    .where('job_name', '=', 'gateway-expiry-warning')
    .execute();
  // the one without an address is warned (and will be released) without a mail
  expect(mails.map((m) => (m.payload as { to: string }).to).sort()).toEqual(
    [`gw${stale}@example.com`, `gw${saved}@example.com`].sort(),
  );
  expect(mails[0]!.queue).toBe(QUEUES.email);
  expect(mails[0]!.payload).toMatchObject({
    template: 'gateway-expiry-warning',
    vars: { name: expect.any(String) },
  });

  // repeated sweeps do not warn twice
  expect(
    (await runSweep(t.db, { gatewayExpiryDays: 30, now: new Date(now.getTime() + DAY) })).gatewaysWarned,
  ).toBe(0);

  // the saved gateway pings (what /ping does)
  await t.db
    .updateTable('domains')
    .set({ last_ping_at: new Date(now.getTime() + 2 * DAY), expiry_warned_at: null })
    .where('id', '=', saved)
    .execute();

  const later = await runSweep(t.db, {
    gatewayExpiryDays: 30,
    graceDays: 7,
    now: new Date(now.getTime() + 8 * DAY),
  });
  expect(later.gatewaysReleased).toBe(2);
  expect(await exists(stale)).toBe(false);
  expect(await exists(neverPinged)).toBe(false);
  expect(await exists(active)).toBe(true);
  expect(await exists(saved)).toBe(true);
  expect(await exists(notGateway)).toBe(true);
});

test('forgets expired verification links and reclamation tokens, trims the relayed outbox', async () => {
  const id = await gateway({ lastPing: new Date() });
  const now = new Date();
  await t.db
    .updateTable('domains')
    .set({ reclamation_token_hash: hashToken('rt'), reclamation_expires_at: new Date(now.getTime() - 1000) })
    .where('id', '=', id)
    .execute();
  await t.db
    .insertInto('email_verifications')
    .values([
      {
        domain_id: id,
        email: 'a@example.com',
        secret_hash: hashToken('old'),
        expires_at: new Date(now.getTime() - 1000),
      },
      {
        domain_id: id,
        email: 'b@example.com',
        secret_hash: hashToken('new'),
        expires_at: new Date(now.getTime() + DAY),
      },
    ])
    .execute();
  await t.db
    .insertInto('outbox')
    .values([
      {
        queue: 'email',
        job_name: 'x',
        payload: '{}',
        job_id: 'old-relayed',
        relayed_at: new Date(now.getTime() - 3 * DAY),
      },
      {
        queue: 'email',
        job_name: 'x',
        payload: '{}',
        job_id: 'old-pending',
        created_at: new Date(now.getTime() - 3 * DAY),
      },
    ])
    .execute();
  const r = await runSweep(t.db, { gatewayExpiryDays: 0, now });
  expect(r.reclamationTokensExpired).toBeGreaterThanOrEqual(1);
  expect(r.verificationsDeleted).toBe(1);
  expect(r.outboxRowsDeleted).toBe(1);
  const d = await t.db.selectFrom('domains').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
  expect(d.reclamation_token_hash).toBeNull();
  const left = await t.db
    .selectFrom('email_verifications')
    .select('email')
    .where('domain_id', '=', id)
    .execute();
  expect(left).toEqual([{ email: 'b@example.com' }]);
  const jobs = await t.db.selectFrom('outbox').select('job_id').where('job_id', 'like', 'old-%').execute();
  expect(jobs).toEqual([{ job_id: 'old-pending' }]);
});

test('prunes the update log, anonymous-failure counts and the change feed by retention; the newest change stays', async () => {
  const now = new Date();
  const ago = (days: number) => new Date(now.getTime() - days * DAY);
  await t.db
    .insertInto('update_log')
    .values([
      { at: ago(31), result: 'good', hosts: 'old.dyn.test' },
      { at: ago(29), result: 'good', hosts: 'recent.dyn.test' },
    ])
    .execute();
  await t.db
    .insertInto('anonymous_failures')
    .values([
      { hour: ago(31), surface: 'dyndns2', source_network: '192.0.2.0/24', result: 'badauth', count: 500 },
      { hour: ago(1), surface: 'dyndns2', source_network: '192.0.2.0/24', result: 'badauth', count: 7 },
    ])
    .execute();
  // two changes from 8 days ago, then a fresh one (a zone write through the real trigger)
  await t.db
    .insertInto('dns_changes')
    .values([
      {
        zone_id: zoneId,
        zone_name: 'dyn.test',
        name: 'a.dyn.test',
        source: 'records',
        op: 'INSERT',
        changed_at: ago(8),
      },
      {
        zone_id: zoneId,
        zone_name: 'dyn.test',
        name: 'b.dyn.test',
        source: 'records',
        op: 'INSERT',
        changed_at: ago(8),
      },
    ])
    .execute();
  await sharedZone(t.db, `prune${seq++}.test`);
  const changesBefore = await t.db.selectFrom('dns_changes').select('seq').execute();

  const r = await runSweep(t.db, {
    gatewayExpiryDays: 0,
    now,
    updateLogRetentionDays: 30,
    dnsChangesRetentionDays: 7,
  });
  expect(r.updateLogDeleted).toBe(1);
  expect(r.anonymousFailuresDeleted).toBe(1);
  expect(r.dnsChangesDeleted).toBe(2);
  expect((await t.db.selectFrom('update_log').select('hosts').execute()).map((l) => l.hosts)).toEqual([
    'recent.dyn.test',
  ]);
  expect(await t.db.selectFrom('anonymous_failures').select('count').execute()).toEqual([{ count: '7' }]);
  expect((await t.db.selectFrom('dns_changes').select('seq').execute()).length).toBe(
    changesBefore.length - 2,
  );

  // everything old: the newest change stays, so the feed position (max seq) never goes back
  const max = await t.db
    .selectFrom('dns_changes')
    .select((eb) => eb.fn.max('seq').as('m'))
    .executeTakeFirstOrThrow();
  await t.db
    .updateTable('dns_changes')
    .set({ changed_at: ago(100) })
    .execute();
  await runSweep(t.db, { gatewayExpiryDays: 0, now, dnsChangesRetentionDays: 7 });
  expect(await t.db.selectFrom('dns_changes').select('seq').execute()).toEqual([{ seq: max.m }]);
});

test('the mailer keeps the sweep scheduled on the sweeps queue and runs it', async () => {
  const prefix = testRedisPrefix('sweep');
  const mailer = await startTestMailer({
    db: t.db,
    databaseUrl: t.url,
    smtpUrl: 'smtp://127.0.0.1:1',
    prefix,
    env: { GATEWAY_EXPIRY_DAYS: '30' },
  });
  const queue = new Queue(QUEUES.sweeps, { connection: bullConnection(testRedisUrl()), prefix });
  try {
    let schedulers = await queue.getJobSchedulers();
    for (let i = 0; i < 200 && schedulers.length < 2; i++) {
      await new Promise((r) => setTimeout(r, 50));
      schedulers = await queue.getJobSchedulers();
    }
    expect(schedulers).toHaveLength(2);
    expect(schedulers).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ key: 'sweep', name: 'sweep', every: SWEEP_EVERY_MS }),
        expect.objectContaining({
          key: HEALTHCHECK_SWEEP,
          name: HEALTHCHECK_SWEEP,
          every: HEALTHCHECK_SWEEP_EVERY_MS,
        }),
      ]),
    );
    const stale = await gateway({ lastPing: new Date(Date.now() - 60 * DAY) });
    const job = await queue.add('sweep', {});
    let state = await job.getState();
    for (let i = 0; i < 200 && state !== 'completed' && state !== 'failed'; i++) {
      await new Promise((r) => setTimeout(r, 50));
      state = await job.getState();
    }
    expect(state).toBe('completed');
    const warned = await t.db
      .selectFrom('domains')
      .select('expiry_warned_at')
      .where('id', '=', stale)
      .executeTakeFirstOrThrow();
    expect(warned.expiry_warned_at).not.toBeNull();
  } finally {
    await queue.close();
    await mailer.stop();
  }
});

test('the health-check sweep marks an overdue check down and e-mails its owner once', async () => {
  const prefix = testRedisPrefix('hc');
  const owner = await account(t.db);
  const check = await t.db
    .insertInto('health_checks')
    .values({
      account_id: owner.id,
      name: 'backup',
      ping_token_hash: hashToken('hc-token'),
      period_seconds: 60,
      grace_seconds: 60,
      last_ping_at: new Date(Date.now() - DAY),
      state: 'up',
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  const mailer = await startTestMailer({
    db: t.db,
    databaseUrl: t.url,
    smtpUrl: 'smtp://127.0.0.1:1',
    prefix,
  });
  const queue = new Queue(QUEUES.sweeps, { connection: bullConnection(testRedisUrl()), prefix });
  try {
    for (let round = 0; round < 2; round++) {
      const job = await queue.add(HEALTHCHECK_SWEEP, {});
      let state = await job.getState();
      for (let i = 0; i < 200 && state !== 'completed' && state !== 'failed'; i++) {
        await new Promise((r) => setTimeout(r, 50));
        state = await job.getState();
      }
      expect(state).toBe('completed');
    }
    const row = await t.db
      .selectFrom('health_checks')
      .select('state')
      .where('id', '=', check.id)
      .executeTakeFirstOrThrow();
    expect(row.state).toBe('down');
    const mails = await t.db.selectFrom('outbox').select('payload').where('queue', '=', 'email').execute();
    const down = mails.filter((m) => (m.payload as { template: string }).template === 'healthcheck-down');
    expect(down).toHaveLength(1);
    expect((down[0]!.payload as { to: string }).to).toBe(owner.email);
  } finally {
    await queue.close();
    await mailer.stop();
  }
});

test('forgets expired /v1 sessions and account links; live ones stay', async () => {
  const a = await account(t.db);
  const now = new Date();
  await t.db
    .insertInto('sessions')
    .values([
      { account_id: a.id, token_hash: hashToken('s-old'), expires_at: new Date(now.getTime() - 1000) },
      {
        account_id: a.id,
        token_hash: hashToken('s-idle'),
        expires_at: new Date(now.getTime() + DAY),
        last_seen_at: new Date(now.getTime() - 2 * DAY),
      },
      { account_id: a.id, token_hash: hashToken('s-live'), expires_at: new Date(now.getTime() + DAY) },
    ])
    .execute();
  await t.db
    .insertInto('account_tokens')
    .values([
      { purpose: 'password_reset', account_id: a.id, expires_at: new Date(now.getTime() - 1000) },
      { purpose: 'signup', account_id: a.id, expires_at: new Date(now.getTime() + DAY) },
    ])
    .execute();
  const r = await runSweep(t.db, { gatewayExpiryDays: 0, now });
  expect(r.sessionsDeleted).toBe(2);
  expect(r.accountTokensDeleted).toBe(1);
  const left = await t.db
    .selectFrom('sessions')
    .select('token_hash')
    .where('account_id', '=', a.id)
    .execute();
  expect(left).toEqual([{ token_hash: hashToken('s-live') }]);
});
