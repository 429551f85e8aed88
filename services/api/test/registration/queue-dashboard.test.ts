import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { chromium, type Browser } from 'playwright-core';
import request from 'supertest';
import { account, sharedZone } from '@ddns/testkit';
import type { RunningMailer } from '../../../mailer/src/worker';
import { startSmtpCapture, type SmtpCapture } from '../../../mailer/test/support/smtp-capture';
import { startTestMailer } from '../../../mailer/test/support/test-mailer';
import { closeQueueDashboards } from '../../src/surfaces/ops/queue-dashboard';
import { createTestApp, type TestApp } from '../support/test-app';

jest.setTimeout(60_000);

let h: TestApp;
let smtp: SmtpCapture;
let mailer: RunningMailer;
let server: Server;
let base: string;
let admin: { email: string };
let user: { email: string };
let jobId: string;

beforeAll(async () => {
  h = await createTestApp({ PUBLIC_URL: 'http://gw.test' });
  await sharedZone(h.t.db, 'dyn.test');
  admin = await account(h.t.db, { admin: true });
  user = await account(h.t.db);
  smtp = await startSmtpCapture();
  mailer = await startTestMailer({
    db: h.t.db,
    databaseUrl: h.t.url,
    smtpUrl: smtp.url,
    prefix: h.deps.redisPrefix,
  });
  server = h.app.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  // one e-mail job through the whole pipeline
  const sub = await request(h.app).get('/subscribe').query({ name: 'board' });
  await request(h.app)
    .get('/setemail')
    .query({ token: sub.body.token, email: 'board@example.com' })
    .expect(200);
  const mail = await smtp.waitFor((m) => m.to.includes('board@example.com'));
  jobId = /^<(.+)@ddns>$/.exec(mail.messageId)![1]!;
});

afterAll(async () => {
  await new Promise((r) => server.close(r));
  await closeQueueDashboards();
  await mailer.stop();
  await smtp.close();
  await h.close();
});

const basic = (email: string, password: string) =>
  `Basic ${Buffer.from(`${email}:${password}`).toString('base64')}`;

test('/admin/queues asks for credentials; refuses wrong ones and non-admins', async () => {
  const none = await request(h.app).get('/admin/queues');
  expect(none.status).toBe(401);
  expect(none.headers['www-authenticate']).toMatch(/^Basic realm=/);
  const wrong = await request(h.app).get('/admin/queues').set('Authorization', basic(admin.email, 'nope'));
  expect(wrong.status).toBe(401);
  const notAdmin = await request(h.app)
    .get('/admin/queues')
    .set('Authorization', basic(user.email, 'password123'));
  expect(notAdmin.status).toBe(403);
  const api = await request(h.app)
    .get('/admin/queues/api/queues')
    .set('Authorization', basic(user.email, 'password123'));
  expect(api.status).toBe(403);
});

test('the board lists every queue of the deployment', async () => {
  const res = await request(h.app)
    .get('/admin/queues/api/queues')
    .set('Authorization', basic(admin.email, 'password123'));
  expect(res.status).toBe(200);
  const names = (res.body.queues as Array<{ name: string }>).map((q) => q.name).sort();
  expect(names).toEqual(['certificates', 'email', 'ownership', 'sweeps']);
});

test('the board page names no third-party host (bull-board asks Google for fonts; ours does not)', async () => {
  const res = await request(h.app)
    .get('/admin/queues')
    .set('Authorization', basic(admin.email, 'password123'));
  expect(res.status).toBe(200);
  expect(res.text).toContain('static/css/');
  expect(res.text).not.toMatch(/https?:\/\/(?!127\.0\.0\.1)/);
});

test('headless Chromium: log in through the browser prompt, see the email queue with its completed job', async () => {
  let browser: Browser | undefined;
  try {
    browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      headless: true,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    const context = await browser.newContext({
      httpCredentials: { username: admin.email, password: 'password123' },
    });
    const page = await context.newPage();
    const requested: string[] = [];
    page.on('request', (r) => requested.push(r.url()));
    const res = await page.goto(`${base}/admin/queues`);
    expect(res?.status()).toBe(200);
    await page.getByText('ddns queues').first().waitFor({ timeout: 30_000 });
    for (const q of ['email', 'certificates', 'sweeps'])
      await page.getByText(q, { exact: true }).first().waitFor();
    await page.goto(`${base}/admin/queues/queue/email?status=completed`);
    await page.getByText(jobId).first().waitFor({ timeout: 30_000 });
    expect(await page.content()).toContain(jobId);
    // nothing left this machine: every request went to the API under test
    expect(requested.length).toBeGreaterThan(3);
    expect(requested.filter((u) => !u.startsWith(`${base}/`) && !u.startsWith('data:'))).toEqual([]);
  } finally {
    await browser?.close();
  }
});
