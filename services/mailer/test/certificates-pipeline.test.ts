import { Queue } from 'bullmq';
import pino from 'pino';
import request from 'supertest';
import { parseConfig } from '@ddns/config';
import { bullConnection, QUEUES } from '@ddns/jobs';
import { freePort } from '@ddns/local-services';
import { account, testEnv, testRedisPrefix, testRedisUrl } from '@ddns/testkit';
import { createTestApp, type TestApp } from '../../api/test/support/test-app';
import { mailerConfigSchema } from '../src/config';
import { startMailer, type RunningMailer } from '../src/worker';
import { RENEW_SWEEP } from '../src/queues/certificates';
import { startPebble, type Pebble } from '@ddns/testkit';

/**
 * /mail/ssl/letsencrypt/install → outbox → relay → BullMQ `certificates` → worker → pebble → stored
 * certificate → /mail/ssl/get-left-days, with the API and the mailer in-process on one database.
 * pebble runs with PEBBLE_VA_ALWAYS_VALID: it does not query DNS, because ddns's DNS responder is not in this
 * branch (see services/api/src/surfaces/mail/README.md for the variant that validates through it).
 */

let h: TestApp;
let pebble: Pebble;
let mailer: RunningMailer;
let prefix: string;
let token: string;

beforeAll(async () => {
  h = await createTestApp({ MAIL_HOST: 'mx.pipeline.test' });
  pebble = await startPebble(`127.0.0.1:${await freePort()}`, { alwaysValid: true });
  prefix = testRedisPrefix('mailer');
  const config = parseConfig(
    mailerConfigSchema,
    testEnv({ DATABASE_URL: h.t.url, ACME_DIRECTORY_URL: pebble.directoryUrl, ACME_CA_FILE: pebble.caFile }),
  );
  mailer = await startMailer({
    config,
    db: h.t.db,
    logger: pino({ level: 'silent' }),
    prefix,
    certificates: { waitForDns: async () => undefined },
  });
  const a = await account(h.t.db);
  const login = await request(h.app)
    .post('/mail/auth')
    .field('username', a.email)
    .field('password', 'password123');
  token = login.body.token as string;
  await request(h.app)
    .post('/mail/domains')
    .set('Auth-token', token)
    .field('domain', 'pipeline.test')
    .field('username', 'admin')
    .field('password', 'mailbox-pass-1')
    .expect(201);
});
afterAll(async () => {
  await mailer.stop();
  await pebble.stop();
  await h.close();
});

async function until<T>(what: string, fn: () => Promise<T | undefined>): Promise<T> {
  for (let i = 0; i < 300; i++) {
    const v = await fn();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`gave up waiting for ${what}`);
}

test('install answers with a job id; the mailer issues and stores the certificate; get-left-days reports it', async () => {
  const res = await request(h.app)
    .post('/mail/ssl/letsencrypt/install')
    .set('Auth-token', token)
    .field('hostname', 'mail.pipeline.test');
  expect(res.status).toBe(200);
  const jobId = res.body.job_id as string;

  const cert = await until('the stored certificate', () =>
    h.t.db
      .selectFrom('certificates')
      .select(['hostname', 'source', 'not_after'])
      .where('hostname', '=', 'mail.pipeline.test')
      .executeTakeFirst(),
  );
  expect(cert.source).toBe('letsencrypt');

  const queue = new Queue(QUEUES.certificates, { connection: bullConnection(testRedisUrl()), prefix });
  try {
    const job = await queue.getJob(jobId);
    expect(job?.data).toMatchObject({ hostname: 'mail.pipeline.test' });
    await until('the job to complete', async () =>
      (await job?.getState()) === 'completed' ? true : undefined,
    );
    const schedulers = await queue.getJobSchedulers();
    expect(schedulers.map((s) => s.key)).toContain(RENEW_SWEEP);
  } finally {
    await queue.close();
  }

  const left = await request(h.app)
    .post('/mail/ssl/get-left-days')
    .set('Auth-token', token)
    .field('hostname', 'mail.pipeline.test');
  expect(left.status).toBe(200);
  const expected = Math.floor((cert.not_after.getTime() - Date.now()) / 86_400_000);
  expect(left.body).toMatchObject({ result: true, hostname: 'mail.pipeline.test', source: 'letsencrypt' });
  expect([expected, expected - 1]).toContain(left.body.left_days);
  expect(left.body.left_days).toBeGreaterThan(30);
});
