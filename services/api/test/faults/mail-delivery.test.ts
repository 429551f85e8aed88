import { existsSync, readFileSync } from 'node:fs';
import { enqueueInOutbox } from '@ddns/jobs';
import { freePort, startRedisServer, type LocalRedis } from '@ddns/local-services';
import {
  createTestDatabase,
  startServiceProcess,
  TcpProxy,
  TEST_SECRETS_KEY,
  type ServiceProcess,
  type TestDatabase,
} from '@ddns/testkit';
import { startSmtpCapture, type SmtpCapture } from '../../../mailer/test/support/smtp-capture';
import { START_TIMEOUT_MS } from './api-process';

/**
 * The mailer as its own process (relay + workers, production settings) between the outbox and an SMTP
 * server: mails queued while it is SIGKILLed twice in the middle of sending, and mails queued while the SMTP
 * server is unreachable for 30 s, are all delivered, each once. It has a Redis of its own (the mailer
 * process uses the default queue prefix).
 */

let t: TestDatabase;
let redis: LocalRedis;
let smtp: SmtpCapture;
let smtpProxy: TcpProxy;
let mailer: ServiceProcess | undefined;

beforeAll(async () => {
  t = await createTestDatabase();
  redis = await startRedisServer(await freePort());
  smtp = await startSmtpCapture();
  smtpProxy = new TcpProxy('127.0.0.1', smtp.port);
  await smtpProxy.start();
}, 60_000);

afterEach(async () => {
  await mailer?.stop();
  mailer = undefined;
});

afterAll(async () => {
  await smtpProxy?.stop();
  await smtp?.close();
  await redis?.stop();
  await t?.destroy();
});

function startMailer(): Promise<ServiceProcess> {
  return startServiceProcess(
    'mailer',
    {
      DATABASE_URL: t.url,
      REDIS_URL: redis.url,
      SMTP_URL: `smtp://127.0.0.1:${smtpProxy.port}`,
      SECRETS_KEY: TEST_SECRETS_KEY,
    },
    /mailer consuming queues/,
    START_TIMEOUT_MS,
  );
}

/** pid and every process below it (tsx runs the service in a child of the process it was started as). */
function tree(pid: number): number[] {
  const f = `/proc/${pid}/task/${pid}/children`;
  const kids = existsSync(f) ? readFileSync(f, 'utf8').split(/\s+/).filter(Boolean).map(Number) : [];
  return [pid, ...kids.flatMap(tree)];
}

/** SIGKILL: the process and its children die at once, nothing is shut down. */
async function kill(p: ServiceProcess): Promise<void> {
  const exited = new Promise<void>((r) => p.child.once('exit', () => r()));
  for (const pid of tree(p.child.pid!).reverse()) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  await exited;
}

/** `count` health-check e-mails to distinct recipients, through the outbox as the API writes them. */
async function queueMails(tag: string, count: number): Promise<string[]> {
  const to: string[] = [];
  for (let i = 0; i < count; i++) {
    const address = `${tag}-${i}@example.com`;
    to.push(address);
    await enqueueInOutbox(t.db, {
      queue: 'email',
      name: 'healthcheck-down',
      data: { to: address, template: 'healthcheck-down', vars: { check: `${tag}-${i}` } },
      jobId: `${tag}-${i}`,
    });
  }
  return to;
}

/** Mails delivered per recipient, and whether all of a recipient's copies share one Message-ID. */
function deliveries(to: string[]): { delivered: number; duplicates: number; missing: string[] } {
  let delivered = 0;
  let duplicates = 0;
  const missing: string[] = [];
  for (const a of to) {
    const got = smtp.mails.filter((m) => m.to.includes(a));
    if (got.length) delivered++;
    else missing.push(a);
    duplicates += Math.max(0, got.length - 1);
  }
  return { delivered, duplicates, missing };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('30 mails queued across two SIGKILLs of the mailer in the middle of sending: each delivered once', async () => {
  const to = await queueMails('killed', 30);
  smtp.behaviour = 'stall'; // mails reach SMTP and are never answered: the kill lands mid-send
  const t0 = Date.now();

  mailer = await startMailer();
  await smtp.waitUntil(() => smtp.stalledCount >= 4, 60_000);
  await kill(mailer);
  const firstKill = { sent: smtp.mails.length, inFlight: smtp.stalledCount };

  // the second mailer sends 12, then stalls again on the next ones, and is killed too
  smtp.script = Array.from({ length: 12 }, () => 'accept' as const);
  const stalledBefore = smtp.stalledCount;
  mailer = await startMailer();
  await smtp.waitUntil(() => smtp.mails.length >= 12 && smtp.stalledCount > stalledBefore, 60_000);
  await kill(mailer);
  const secondKill = { sent: smtp.mails.length, inFlight: smtp.stalledCount - stalledBefore };

  // the third one finds the jobs the killed ones held once their locks expire (30 s) and sends the rest
  smtp.behaviour = 'accept';
  mailer = await startMailer();
  await smtp.waitUntil(() => deliveries(to).delivered === to.length, 150_000);
  await sleep(3000); // nothing sent twice after the last one either
  const d = deliveries(to);
  const messageIds = new Set(
    smtp.mails.filter((m) => to.some((a) => m.to.includes(a))).map((m) => m.messageId),
  );
  console.log(
    `30 mails across two mailer SIGKILLs: ${d.delivered}/30 delivered, ${d.duplicates} duplicates, ` +
      `${messageIds.size} Message-IDs, after ${((Date.now() - t0) / 1000).toFixed(0)} s ` +
      `(first kill: ${firstKill.sent} sent, ${firstKill.inFlight} in flight; second kill: ${secondKill.sent} sent, ` +
      `${secondKill.inFlight} in flight)`,
  );
  expect(firstKill.inFlight).toBeGreaterThan(0);
  expect(secondKill.inFlight).toBeGreaterThan(0);
  expect(d.missing).toEqual([]);
  expect(d.duplicates).toBe(0);
  expect(messageIds.size).toBe(30);
  const outbox = await t.db
    .selectFrom('outbox')
    .select('relayed_at')
    .where('job_id', 'like', 'killed-%')
    .execute();
  expect(outbox.filter((o) => o.relayed_at === null)).toEqual([]);
}, 300_000);

test('the same mails in flight at two SIGKILLs in a row are still delivered, once', async () => {
  // as many mails as the e-mail worker sends at once: the second mailer picks up exactly the ones the first
  // held (once their locks expire) and is killed holding them again
  smtp.behaviour = 'stall';
  smtp.script = [];
  const to = await queueMails('twice', 4);
  const stalledBefore = smtp.stalledCount;
  mailer = await startMailer();
  await smtp.waitUntil(() => smtp.stalledCount >= stalledBefore + 4, 60_000);
  await kill(mailer);
  mailer = await startMailer();
  await smtp.waitUntil(() => smtp.stalledCount >= stalledBefore + 8, 120_000);
  await kill(mailer);
  smtp.behaviour = 'accept';
  mailer = await startMailer();
  await smtp.waitUntil(() => deliveries(to).delivered === to.length, 150_000).catch(() => undefined);
  await sleep(3000);
  const d = deliveries(to);
  console.log(
    `4 mails in flight at two kills in a row: ${d.delivered}/4 delivered, ${d.duplicates} duplicates`,
  );
  expect(d.missing).toEqual([]);
  expect(d.duplicates).toBe(0);
}, 400_000);

test('an SMTP outage of 30 s: the 10 mails queued meanwhile are all delivered once when it returns', async () => {
  smtp.behaviour = 'accept';
  smtp.script = [];
  mailer = await startMailer();
  await smtpProxy.cut(); // connections refused
  const t0 = Date.now();
  const to = await queueMails('outage', 10);
  await sleep(30_000);
  const duringOutage = deliveries(to).delivered;
  await smtpProxy.start();
  const back = Date.now();
  await smtp.waitUntil(() => deliveries(to).delivered === to.length, 180_000);
  await sleep(3000);
  const d = deliveries(to);
  console.log(
    `SMTP outage of 30 s: ${d.delivered}/10 delivered (${duringOutage} during it), ${d.duplicates} duplicates, ` +
      `the last ${((Date.now() - back) / 1000).toFixed(0)} s after SMTP returned ` +
      `(${((Date.now() - t0) / 1000).toFixed(0)} s after queueing)`,
  );
  expect(duringOutage).toBe(0);
  expect(d.missing).toEqual([]);
  expect(d.duplicates).toBe(0);
  expect(mailer.child.exitCode).toBeNull();
}, 300_000);
