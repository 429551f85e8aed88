/**
 * "A 200 never loses its e-mail": the request's mail survives Redis going away around the request, and a
 * worker process killed in the middle of sending.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import pino from 'pino';
import request from 'supertest';
import { QUEUES } from '@ddns/jobs';
import { freePort, startRedisServer, type LocalRedis } from '@ddns/local-services';
import { sharedZone, testRedisPrefix, testRedisUrl } from '@ddns/testkit';
import { Queue } from 'bullmq';
import { bullConnection } from '@ddns/jobs';
import { createTestApp, type TestApp } from '../support/test-app';
import { OutboxRelay } from '../../../mailer/src/outbox-relay';
import type { RunningMailer } from '../../../mailer/src/worker';
import { startSmtpCapture, type SmtpCapture } from '../../../mailer/test/support/smtp-capture';
import { startTestMailer } from '../../../mailer/test/support/test-mailer';

jest.setTimeout(60_000);

let h: TestApp;
let smtp: SmtpCapture;
const cleanups: Array<() => Promise<unknown> | unknown> = [];

beforeAll(async () => {
  h = await createTestApp({ PUBLIC_URL: 'http://gw.test' });
  await sharedZone(h.t.db, 'dyn.test');
  smtp = await startSmtpCapture();
});
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});
afterAll(async () => {
  await smtp.close();
  await h.close();
});

async function gatewayWithEmail(name: string, email: string): Promise<string> {
  const res = await request(h.app).get('/subscribe').query({ name });
  expect(res.status).toBe(200);
  await h.t.db
    .updateTable('domains')
    .set({ email, email_verified: true })
    .where('name', '=', `${name}.dyn.test`)
    .execute();
  return res.body.token as string;
}

test('Redis stopped around the request: /setemail answers 200 and the mail arrives once Redis is back', async () => {
  const token = await gatewayWithEmail('outage', 'first@example.com');
  const port = await freePort();
  let redis: LocalRedis = await startRedisServer(port);
  cleanups.push(() => redis.stop());
  const prefix = testRedisPrefix('outage');
  // the API's limits and the whole mailer use this Redis
  const apiRedis = new Redis(redis.url, { maxRetriesPerRequest: 0, enableOfflineQueue: false });
  apiRedis.on('error', () => undefined);
  const realRedis = h.deps.redis;
  h.deps.redis = apiRedis;
  cleanups.push(() => {
    h.deps.redis = realRedis;
    apiRedis.disconnect();
  });
  const mailer = await startTestMailer({
    db: h.t.db,
    databaseUrl: h.t.url,
    smtpUrl: smtp.url,
    prefix,
    redisUrl: redis.url,
  });
  cleanups.push(() => mailer.stop());

  await redis.stop();
  const res = await request(h.app).get('/setemail').query({ token, email: 'outage@example.com' });
  expect(res.status).toBe(200);
  // the relay tried while Redis was down and kept the row
  const tried = async () =>
    h.t.db
      .selectFrom('outbox')
      .selectAll()
      .where('job_id', 'like', 'verify-%')
      .orderBy('id', 'desc')
      .executeTakeFirstOrThrow();
  for (let i = 0; i < 400 && (await tried()).attempts < 1; i++) await new Promise((r) => setTimeout(r, 50));
  const row = await tried();
  expect(row.attempts).toBeGreaterThanOrEqual(1);
  expect(row.relayed_at).toBeNull();
  expect(smtp.mails.some((m) => m.to.includes('outage@example.com'))).toBe(false);

  redis = await startRedisServer(port);
  const mail = await smtp.waitFor((m) => m.to.includes('outage@example.com'), 45_000);
  expect(mail.text).toContain('/verifyemail?s=');
  expect((await tried()).relayed_at).not.toBeNull();
});

test('a worker killed mid-job (SIGKILL while SMTP stalls): the job is retried and the mail arrives once', async () => {
  await gatewayWithEmail('killed', 'killed@example.com');
  const prefix = testRedisPrefix('kill');
  smtp.behaviour = 'stall';
  cleanups.push(() => {
    smtp.behaviour = 'accept';
  });
  const root = join(__dirname, '..', '..', '..', '..');
  const child: ChildProcess = spawn(
    process.execPath,
    ['--import', 'tsx', join(root, 'services', 'mailer', 'test', 'support', 'email-worker-child.ts')],
    {
      cwd: root,
      env: {
        ...process.env,
        REDIS_URL: testRedisUrl(),
        BULL_PREFIX: prefix,
        SMTP_URL: smtp.url,
        DATABASE_URL: h.t.url,
        SECRETS_KEY: h.deps.config.SECRETS_KEY,
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  cleanups.push(async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
  });
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (b: Buffer) => b.toString().includes('ready') && resolve());
    child.once('exit', () => reject(new Error('worker child exited early')));
  });

  // only the relay runs here: the child process is the one worker
  const relay = new OutboxRelay({
    db: h.t.db,
    databaseUrl: h.t.url,
    redisUrl: testRedisUrl(),
    prefix,
    logger: pino({ level: 'silent' }),
    pollMs: 200,
  });
  await relay.start();
  cleanups.push(() => relay.stop());

  const stalledBefore = smtp.stalledCount;
  const res = await request(h.app).get('/reclaim').query({ name: 'killed' });
  expect(res.status).toBe(200);
  await smtp.waitUntil(() => smtp.stalledCount > stalledBefore);
  const queue = new Queue(QUEUES.email, { connection: bullConnection(testRedisUrl()), prefix });
  cleanups.push(() => queue.close());
  expect(await queue.getActiveCount()).toBe(1);

  child.kill('SIGKILL');
  await exited;
  smtp.behaviour = 'accept';
  await relay.stop();

  let mailer: RunningMailer | undefined = await startTestMailer({
    db: h.t.db,
    databaseUrl: h.t.url,
    smtpUrl: smtp.url,
    prefix,
  });
  cleanups.push(() => mailer?.stop());
  const mail = await smtp.waitFor((m) => m.to.includes('killed@example.com'), 45_000);
  expect(mail.text).toMatch(/Reclamation token: [0-9a-f-]{36}/);
  // SMTP accepted it; the worker marks the job completed right after
  let jobs = await queue.getJobs(['completed']);
  for (let i = 0; i < 200 && jobs.length === 0; i++) {
    await new Promise((r) => setTimeout(r, 50));
    jobs = await queue.getJobs(['completed']);
  }
  expect(jobs).toHaveLength(1);
  expect(jobs[0]!.attemptsMade + jobs[0]!.stalledCounter).toBeGreaterThanOrEqual(1);
  expect(mail.messageId).toBe(`<${jobs[0]!.id}@ddns>`);
  await mailer.stop();
  mailer = undefined;
  expect(smtp.mails.filter((m) => m.to.includes('killed@example.com'))).toHaveLength(1);
});
