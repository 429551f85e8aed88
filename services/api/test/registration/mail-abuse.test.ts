/**
 * Issue 12, findings 3 and 4, against the real pipeline (API → outbox → relay → BullMQ → mailer → SMTP):
 * one recipient gets at most its budget of mails however many sources ask, /subscribe is limited per source
 * network, and no reclamation token or verification secret that a mail carries can be found in a pg_dump of
 * the database or in the Redis keys of the deployment.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import request from 'supertest';
import { bullConnection, QUEUES, RECIPIENT_LIMITS } from '@ddns/jobs';
import { account, sharedZone, testRedisUrl } from '@ddns/testkit';
import { Queue } from 'bullmq';
import { SUBSCRIBE_PER_NETWORK } from '../../src/surfaces/registration/service';
import type { RunningMailer } from '../../../mailer/src/worker';
import { startSmtpCapture, type SmtpCapture } from '../../../mailer/test/support/smtp-capture';
import { startTestMailer } from '../../../mailer/test/support/test-mailer';
import { createTestApp, type TestApp } from '../support/test-app';

jest.setTimeout(180_000);

const PUBLIC_URL = 'http://gw.test';
let h: TestApp;
let smtp: SmtpCapture;
let mailer: RunningMailer;

beforeAll(async () => {
  h = await createTestApp({ TRUST_PROXY: 'true', PUBLIC_URL, REGISTRATION_ZONE: 'dyn.test' });
  await sharedZone(h.t.db, 'dyn.test');
  smtp = await startSmtpCapture();
  mailer = await startTestMailer({
    db: h.t.db,
    databaseUrl: h.t.url,
    smtpUrl: smtp.url,
    prefix: h.deps.redisPrefix,
    env: { PUBLIC_URL },
  });
});
afterAll(async () => {
  await mailer.stop();
  await smtp.close();
  await h.close();
});

let net = 0;
/** an address in a network no other call used */
const freshSource = () => {
  net += 1;
  return `10.${Math.floor(net / 250)}.${net % 250}.7`;
};
const api = () => request(h.app);
let names = 0;

async function gateway(): Promise<{ name: string; token: string }> {
  const name = `gw${++names}`;
  const res = await api().get('/subscribe').set('X-Forwarded-For', freshSource()).query({ name });
  expect(res.status).toBe(200);
  return { name, token: res.body.token as string };
}

const mailsTo = (address: string) => smtp.mails.filter((m) => m.to.includes(address));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Waits until the relay has moved every outbox row and the email queue has nothing left to do. */
async function drained(): Promise<void> {
  const queue = new Queue(QUEUES.email, {
    connection: bullConnection(testRedisUrl()),
    prefix: h.deps.redisPrefix,
  });
  try {
    for (let i = 0; i < 1200; i++) {
      const pending = await h.t.db
        .selectFrom('outbox')
        .select('id')
        .where('relayed_at', 'is', null)
        .executeTakeFirst();
      const left = await queue.getJobCounts('waiting', 'active', 'delayed', 'prioritized');
      if (!pending && Object.values(left).every((n) => n === 0)) return;
      await sleep(100);
    }
    throw new Error('the mail pipeline did not drain');
  } finally {
    await queue.close();
  }
}

describe('mail bombing (finding 3)', () => {
  test('25 /setemail calls for one victim from rotating networks: at most the verification budget arrives', async () => {
    const victim = 'victim@example.com';
    const { limit } = RECIPIENT_LIMITS.verification[0]!;
    const statuses: number[] = [];
    for (let i = 0; i < 25; i++) {
      const { token } = await gateway();
      const r = await api()
        .get('/setemail')
        .set('X-Forwarded-For', freshSource())
        .query({ token, email: victim });
      statuses.push(r.status);
      if (r.status === 429) expect(r.body).toEqual({ error: 'TooManyRequests' });
    }
    expect(statuses.filter((s) => s === 200)).toHaveLength(limit);
    expect(statuses.filter((s) => s === 429)).toHaveLength(25 - limit);
    await smtp.waitUntil(() => mailsTo(victim).length >= limit, 60_000);
    await drained();
    expect(mailsTo(victim)).toHaveLength(limit);
  });

  test('the mailer enforces the budget itself: with the API unable to count, the victim still gets only the budget', async () => {
    const victim = 'victim2@example.com';
    const { limit } = RECIPIENT_LIMITS.verification[0]!;
    const tokens: string[] = [];
    for (let i = 0; i < 8; i++) tokens.push((await gateway()).token);
    // the API's Redis is gone: it cannot count, so every request queues its mail (the outbox keeps it)
    const real = h.deps.redis;
    const dead = new Redis({
      port: 1,
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      enableOfflineQueue: false,
    });
    dead.on('error', () => undefined);
    h.deps.redis = dead;
    try {
      for (const token of tokens) {
        const r = await api()
          .get('/setemail')
          .set('X-Forwarded-For', freshSource())
          .query({ token, email: victim });
        expect(r.status).toBe(200);
      }
    } finally {
      h.deps.redis = real;
      dead.disconnect();
    }
    await smtp.waitUntil(() => mailsTo(victim).length >= limit, 60_000);
    await drained();
    expect(mailsTo(victim)).toHaveLength(limit);
  });

  test('10 password resets for one account from 10 networks (dashboard): the owner gets at most the verification budget', async () => {
    const victim = await account(h.t.db);
    const { limit } = RECIPIENT_LIMITS.verification[0]!;
    for (let i = 0; i < 10; i++) {
      const r = await api()
        .post('/v1/auth/password-reset')
        .set('X-Forwarded-For', freshSource())
        .send({ email: victim.email });
      expect(r.status).toBe(202);
    }
    await smtp.waitUntil(() => mailsTo(victim.email).length >= 1, 60_000);
    await drained();
    // each request voids the link before it; once the address's budget is used up no new link is made (the
    // answer stays 202), so the mailer never sends more than the budget and the last link mailed still works
    const got = mailsTo(victim.email);
    expect(got.length).toBeGreaterThanOrEqual(1);
    expect(got.length).toBeLessThanOrEqual(limit);
    const statuses: number[] = [];
    for (const m of got) {
      const token = /[?&]token=([0-9a-f-]{36})/.exec(m.text)![1]!;
      const r = await api()
        .post('/v1/auth/password-reset/confirm')
        .set('X-Forwarded-For', freshSource())
        .send({ token, password: 'a-new-password-2026' });
      statuses.push(r.status);
    }
    expect(statuses.filter((s) => s === 204)).toHaveLength(1);
    expect(
      await h.t.db
        .selectFrom('account_tokens')
        .select('id')
        .where('account_id', '=', victim.id)
        .where('purpose', '=', 'password_reset')
        .execute(),
    ).toHaveLength(limit);
  });

  test('/subscribe is limited per source network (IPv4 /24); another network still registers', async () => {
    const statuses: number[] = [];
    for (let i = 1; i <= SUBSCRIBE_PER_NETWORK.limit + 3; i++) {
      const r = await api()
        .get('/subscribe')
        .set('X-Forwarded-For', `192.0.2.${i}`)
        .query({ name: `spray${i}` });
      statuses.push(r.status);
    }
    expect(statuses.filter((s) => s === 200)).toHaveLength(SUBSCRIBE_PER_NETWORK.limit);
    expect(statuses.slice(SUBSCRIBE_PER_NETWORK.limit)).toEqual([429, 429, 429]);
    const other = await api()
      .get('/subscribe')
      .set('X-Forwarded-For', '198.51.100.1')
      .query({ name: 'spray-other' });
    expect(other.status).toBe(200);
  });
});

/** Every value stored under the deployment's Redis prefix (strings, hashes, lists, sets, sorted sets, streams). */
async function redisDump(redis: Redis, prefix: string): Promise<string> {
  const out: string[] = [];
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', '500');
    cursor = next;
    for (const key of keys) {
      const type = await redis.type(key);
      out.push(key);
      if (type === 'string') out.push((await redis.get(key)) ?? '');
      else if (type === 'hash') out.push(JSON.stringify(await redis.hgetall(key)));
      else if (type === 'list') out.push(JSON.stringify(await redis.lrange(key, 0, -1)));
      else if (type === 'set') out.push(JSON.stringify(await redis.smembers(key)));
      else if (type === 'zset') out.push(JSON.stringify(await redis.zrange(key, '0', '-1')));
      else if (type === 'stream') out.push(JSON.stringify(await redis.xrange(key, '-', '+')));
    }
  } while (cursor !== '0');
  return out.join('\n');
}

test('secrets at rest (finding 4): the tokens and links the mails carry are in no pg_dump and no Redis key', async () => {
  // a gateway with a verified address asks for a reclamation token; another asks to verify an address
  const owner = await gateway();
  const ownerAddress = 'owner-at-rest@example.com';
  expect(
    (
      await api()
        .get('/setemail')
        .set('X-Forwarded-For', freshSource())
        .query({ token: owner.token, email: ownerAddress })
    ).status,
  ).toBe(200);
  const verifyMail = await smtp.waitFor((m) => m.to.includes(ownerAddress), 60_000);
  const firstLink = /(http:\/\/gw\.test\/verifyemail\?s=[0-9a-f-]{36})/.exec(verifyMail.text)![1]!;
  const verified = await api().get(new URL(firstLink).pathname + new URL(firstLink).search);
  expect(verified.status).toBe(200);

  expect(
    (await api().get('/reclaim').set('X-Forwarded-For', freshSource()).query({ name: owner.name })).status,
  ).toBe(200);
  const reclaimMail = await smtp.waitFor(
    (m) => m.to.includes(ownerAddress) && /Reclamation token/.test(m.text),
    60_000,
  );
  const reclamationToken = /Reclamation token: ([0-9a-f-]{36})/.exec(reclaimMail.text)![1]!;

  const pending = await gateway();
  const pendingAddress = 'pending-at-rest@example.com';
  expect(
    (
      await api()
        .get('/setemail')
        .set('X-Forwarded-For', freshSource())
        .query({ token: pending.token, email: pendingAddress })
    ).status,
  ).toBe(200);
  const pendingMail = await smtp.waitFor((m) => m.to.includes(pendingAddress), 60_000);
  const pendingSecret = /verifyemail\?s=([0-9a-f-]{36})/.exec(pendingMail.text)![1]!;
  // a dashboard account asks for a password reset: its link is minted the same way
  const resetOwner = await account(h.t.db);
  expect(
    (
      await api()
        .post('/v1/auth/password-reset')
        .set('X-Forwarded-For', freshSource())
        .send({ email: resetOwner.email })
    ).status,
  ).toBe(202);
  const resetMail = await smtp.waitFor((m) => m.to.includes(resetOwner.email), 60_000);
  const resetToken = /[?&]token=([0-9a-f-]{36})/.exec(resetMail.text)![1]!;
  await drained();

  const secrets = [reclamationToken, pendingSecret, new URL(firstLink).searchParams.get('s')!, resetToken];
  const { stdout: dump } = await promisify(execFile)('pg_dump', ['--no-owner', h.t.url], {
    maxBuffer: 256 * 1024 * 1024,
  });
  expect(dump).toContain(pendingAddress); // the dump is real and complete
  const redis = await redisDump(h.deps.redis, h.deps.redisPrefix);
  expect(redis).toContain(':email:'); // the queue's keys are there
  for (const s of secrets) {
    expect(dump).not.toContain(s);
    expect(dump.toLowerCase()).not.toContain(s.replace(/-/g, ''));
    expect(redis).not.toContain(s);
  }

  // and they were live secrets at the time of the dump: both still work now
  const reclaimed = await api()
    .get('/subscribe')
    .set('X-Forwarded-For', freshSource())
    .query({ name: owner.name, reclamationToken });
  expect(reclaimed.status).toBe(200);
  expect((await api().get('/verifyemail').query({ s: pendingSecret })).status).toBe(200);
  const reset = await api()
    .post('/v1/auth/password-reset/confirm')
    .set('X-Forwarded-For', freshSource())
    .send({ token: resetToken, password: 'a-new-password-2026' });
  expect(reset.status).toBe(204);
});
