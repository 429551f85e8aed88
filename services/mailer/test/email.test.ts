import { bullConnection, enqueueInOutbox, QUEUES, type EmailJob, type EmailTemplate } from '@ddns/jobs';
import { requestPasswordReset, resetPassword } from '@ddns/registry';
import { hashToken } from '@ddns/secrets';
import { account, createTestDatabase, testRedisPrefix, testRedisUrl, type TestDatabase } from '@ddns/testkit';
import { Queue, UnrecoverableError, type Job } from 'bullmq';
import { emailProcessor, smtpTransport } from '../src/queues/email';
import { renderEmail } from '../src/templates';
import type { RunningMailer } from '../src/worker';
import { startSmtpCapture, type SmtpCapture } from './support/smtp-capture';
import { startTestMailer } from './support/test-mailer';

jest.setTimeout(60_000);

let t: TestDatabase;
let smtp: SmtpCapture;
let mailer: RunningMailer;
let queue: Queue;
const prefix = testRedisPrefix('mail');

beforeAll(async () => {
  t = await createTestDatabase();
  smtp = await startSmtpCapture();
  mailer = await startTestMailer({ db: t.db, databaseUrl: t.url, smtpUrl: smtp.url, prefix });
  queue = new Queue(QUEUES.email, { connection: bullConnection(testRedisUrl()), prefix });
});
afterAll(async () => {
  await queue.close();
  await mailer.stop();
  await smtp.close();
  await t.destroy();
});
afterEach(() => {
  smtp.script = [];
  smtp.behaviour = 'accept';
});

async function finished(jobId: string): Promise<Job> {
  for (let i = 0; i < 600; i++) {
    const job = await queue.getJob(jobId);
    if (job && (job.finishedOn || job.failedReason)) {
      const state = await job.getState();
      if (state === 'completed' || state === 'failed') return job;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`job ${jobId} did not finish`);
}

describe('templates', () => {
  const cases: Array<[EmailTemplate, Record<string, string>, string[]]> = [
    [
      'reclamation-token',
      { name: 'demo.dyn.test', token: 'tok-123' },
      ['demo.dyn.test', 'tok-123', '24 hours'],
    ],
    [
      'verify-email',
      { name: 'demo.dyn.test', email: 'a@b.c', link: 'http://x/verifyemail?s=1&t=2' },
      ['demo.dyn.test', 'http://x/verifyemail?s=1&t=2'],
    ],
    [
      'gateway-expiry-warning',
      { name: 'demo.dyn.test', lastPing: '2026-01-01', releaseAt: '2026-02-01' },
      ['demo.dyn.test', '2026-01-01', '2026-02-01'],
    ],
  ];
  test.each(cases)('%s: text and HTML', (template, vars, want) => {
    const m = renderEmail(template, vars);
    expect(m.subject).not.toBe('');
    for (const w of want) expect(m.text).toContain(w);
    expect(m.html).toMatch(/^<!doctype html>/i);
    for (const w of want) expect(m.html).toContain(w.replace(/&/g, '&amp;'));
  });

  test('HTML escapes values', () => {
    const m = renderEmail('reclamation-token', { name: '<script>x</script>', token: '"t"' });
    expect(m.html).not.toContain('<script>');
    expect(m.html).toContain('&lt;script&gt;');
  });
});

describe('the email processor', () => {
  const data: EmailJob = {
    to: 'unit@example.com',
    template: 'reclamation-token',
    vars: { name: 'n.dyn.test', token: 't' },
  };
  const fakeJob = (d: EmailJob & { sentMessageId?: string }) => {
    const job = {
      id: 'unit-1',
      name: 'reclamation-token',
      data: d,
      async updateData(nd: typeof d) {
        job.data = nd;
      },
    };
    return job;
  };

  test('is idempotent on retry: once SMTP accepted, a retry does not send again', async () => {
    const transport = smtpTransport(smtp.url);
    try {
      const process = emailProcessor(transport, 'ddns <noreply@test>');
      const job = fakeJob({ ...data });
      const before = smtp.mails.length;
      const first = await process(job as unknown as Job<EmailJob>);
      expect(first).toEqual({ messageId: '<unit-1@ddns>' });
      const again = await process(job as unknown as Job<EmailJob>);
      expect(again).toEqual({ messageId: '<unit-1@ddns>', alreadySent: true });
      expect(smtp.mails.length).toBe(before + 1);
      expect(smtp.mails.at(-1)!.messageId).toBe('<unit-1@ddns>');
    } finally {
      transport.close();
    }
  });

  test('a 5xx SMTP reply is unrecoverable; a 4xx is retried', async () => {
    const transport = smtpTransport(smtp.url);
    try {
      const process = emailProcessor(transport, 'ddns <noreply@test>');
      smtp.script = ['reject-permanent', 'reject-temporary'];
      await expect(process(fakeJob({ ...data }) as unknown as Job<EmailJob>)).rejects.toBeInstanceOf(
        UnrecoverableError,
      );
      const temp = process(fakeJob({ ...data }) as unknown as Job<EmailJob>);
      await expect(temp).rejects.toThrow();
      await expect(temp).rejects.not.toBeInstanceOf(UnrecoverableError);
    } finally {
      transport.close();
    }
  });
});

describe('outbox → queue → SMTP', () => {
  test('a temporary SMTP failure is retried with backoff and the mail arrives once', async () => {
    smtp.script = ['reject-temporary'];
    await enqueueInOutbox(t.db, {
      queue: QUEUES.email,
      name: 'reclamation-token',
      jobId: 'retry-1',
      data: {
        to: 'retry@example.com',
        template: 'reclamation-token',
        vars: { name: 'r.dyn.test', token: 'tok' },
      },
    });
    const mail = await smtp.waitFor((m) => m.to.includes('retry@example.com'));
    expect(mail.messageId).toBe('<retry-1@ddns>');
    const job = await finished('retry-1');
    expect(await job.getState()).toBe('completed');
    expect(job.attemptsStarted).toBe(2); // one 451, one success
    expect(job.opts.backoff).toEqual({ type: 'exponential', delay: 2000 });
    expect(job.opts.attempts).toBeGreaterThanOrEqual(5);
    expect(smtp.mails.filter((m) => m.to.includes('retry@example.com'))).toHaveLength(1);
  });

  test('the same outbox job id is queued and sent once', async () => {
    const job = {
      queue: QUEUES.email,
      name: 'verify-email',
      jobId: 'dup-1',
      data: {
        to: 'dup@example.com',
        template: 'verify-email',
        vars: { name: 'd.dyn.test', link: 'http://x/verifyemail?s=1' },
      },
    } as const;
    await enqueueInOutbox(t.db, job);
    await enqueueInOutbox(t.db, job);
    await smtp.waitFor((m) => m.to.includes('dup@example.com'));
    await finished('dup-1');
    // a relay that crashed after BullMQ accepted the job but before marking the row re-adds it: a no-op
    await t.db.updateTable('outbox').set({ relayed_at: null }).where('job_id', '=', 'dup-1').execute();
    await mailer.relay.relayPending();
    expect(await queue.getJobCounts('wait', 'active', 'delayed')).toEqual({ wait: 0, active: 0, delayed: 0 });
    expect(smtp.mails.filter((m) => m.to.includes('dup@example.com'))).toHaveLength(1);
  });

  test('a permanent SMTP rejection fails the job without retries', async () => {
    smtp.script = ['reject-permanent'];
    await enqueueInOutbox(t.db, {
      queue: QUEUES.email,
      name: 'reclamation-token',
      jobId: 'perm-1',
      data: {
        to: 'nobody@example.com',
        template: 'reclamation-token',
        vars: { name: 'p.dyn.test', token: 'tok' },
      },
    });
    const job = await finished('perm-1');
    expect(await job.getState()).toBe('failed');
    expect(job.attemptsMade).toBe(1);
    expect(smtp.mails.some((m) => m.to.includes('nobody@example.com'))).toBe(false);
  });
});

describe('account links (/v1)', () => {
  test('a reset link is minted by the mailer: only its hash at rest, the link works once', async () => {
    const a = await account(t.db, { email: 'reset-me@example.com' });
    await requestPasswordReset(t.db, a.email);
    const out = await t.db
      .selectFrom('outbox')
      .select('payload')
      .where('job_name', '=', 'password-reset')
      .executeTakeFirstOrThrow();
    expect(JSON.stringify(out.payload)).not.toMatch(/token=/);
    const mail = await smtp.waitFor((m) => m.to.includes('reset-me@example.com'));
    expect(mail.subject).toBe('Reset your password');
    const link = /http:\/\/localhost:8080\/reset-password\?token=(\S+)/.exec(mail.text);
    expect(link).not.toBeNull();
    const token = decodeURIComponent(link![1]!);
    const row = await t.db
      .selectFrom('account_tokens')
      .select('secret_hash')
      .where('account_id', '=', a.id)
      .executeTakeFirstOrThrow();
    expect(row.secret_hash).toBe(hashToken(token));
    await resetPassword(t.db, token, 'brand-new-password');
    await expect(resetPassword(t.db, token, 'brand-new-password')).rejects.toThrow(/not valid/);
  });
});
