import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { X509Certificate } from 'node:crypto';
import pino from 'pino';
import request from 'supertest';
import { parseConfig } from '@ddns/config';
import { account, testEnv, testRedisPrefix } from '@ddns/testkit';
import { createTestApp, type TestApp } from '../../api/test/support/test-app';
import { startDnsServer, type DnsServer } from '../../dns/src/server';
import { mailerConfigSchema } from '../src/config';
import { startMailer, type RunningMailer } from '../src/worker';
import { startPebble, type Pebble } from '@ddns/testkit';

/**
 * End to end, nothing faked: the API, the ddns DNS responder and the mailer in-process on one database, and
 * Debian's pebble validating DNS-01 by querying the ddns DNS responder (`-dnsserver`). `dig` checks what a
 * new mail domain publishes.
 */

const MAIL_HOST = 'mx.e2e-host.test';
let h: TestApp;
let dns: DnsServer;
let pebble: Pebble;
let mailer: RunningMailer;
let token: string;

beforeAll(async () => {
  h = await createTestApp({ MAIL_HOST });
  dns = await startDnsServer({
    databaseUrl: h.t.url,
    hosts: ['127.0.0.1'],
    port: 0,
    metricsPort: null,
    rrl: null,
    notify: false,
    feed: { pollMs: 200 },
  });
  const dnsServer = `127.0.0.1:${dns.port}`;
  pebble = await startPebble(dnsServer);
  mailer = await startMailer({
    config: parseConfig(
      mailerConfigSchema,
      testEnv({
        DATABASE_URL: h.t.url,
        ACME_DIRECTORY_URL: pebble.directoryUrl,
        ACME_CA_FILE: pebble.caFile,
        ACME_DNS_SERVER: dnsServer,
      }),
    ),
    db: h.t.db,
    logger: pino({ level: 'silent' }),
    prefix: testRedisPrefix('mailer'),
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
    .field('domain', 'e2e-mail.test')
    .field('username', 'admin')
    .field('password', 'mailbox-pass-1')
    .expect(201);
  // a new mail domain is pending (DNS silent) until its owner proves control; that proof, asked of a real
  // parent zone, is tested in ownership-e2e.test.ts: here the domain is taken as proven
  await h.t.db.updateTable('zones').set({ status: 'active' }).where('name', '=', 'e2e-mail.test').execute();
});
afterAll(async () => {
  await mailer.stop();
  await pebble.stop();
  await dns.stop();
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

const execFileAsync = promisify(execFile);

/** dig against the in-process DNS responder (asynchronously: a sync child would block the responder). */
async function dig(name: string, type: string): Promise<string> {
  const { stdout } = await execFileAsync('dig', [
    '@127.0.0.1',
    '-p',
    String(dns.port),
    '+norecurse',
    '+short',
    name,
    type,
  ]);
  return stdout.trim();
}

test('dig shows MX, SPF, DMARC and the DKIM TXT (one record, several strings)', async () => {
  await until('the MX in DNS', async () => ((await dig('e2e-mail.test', 'MX')) !== '' ? true : undefined));
  expect(await dig('e2e-mail.test', 'MX')).toBe(`10 ${MAIL_HOST}.`);
  expect(await dig('e2e-mail.test', 'TXT')).toBe('"v=spf1 mx ~all"');
  expect(await dig('_dmarc.e2e-mail.test', 'TXT')).toBe('"v=DMARC1; p=quarantine; adkim=r; aspf=r"');

  const res = await request(h.app)
    .post('/mail/dkim/add-new-domain')
    .set('Auth-token', token)
    .field('domain', 'e2e-mail.test');
  expect(res.status).toBe(200);
  const value = res.body.value as string;
  const answer = await until(
    'the DKIM TXT in DNS',
    async () => (await dig('mail._domainkey.e2e-mail.test', 'TXT')) || undefined,
  );
  const lines = answer.split('\n');
  expect(lines).toHaveLength(1); // one RR
  const strings = [...lines[0]!.matchAll(/"([^"]*)"/g)].map((m) => m[1]!);
  expect(strings.length).toBeGreaterThan(1); // several character-strings
  expect(strings[0]!.length).toBe(255);
  expect(strings.join('')).toBe(value);
});

test('install → pebble validates the TXT through the ddns DNS responder → stored certificate → get-left-days', async () => {
  const res = await request(h.app)
    .post('/mail/ssl/letsencrypt/install')
    .set('Auth-token', token)
    .field('hostname', 'mail.e2e-mail.test');
  expect(res.status).toBe(200);
  const cert = await until('the stored certificate', () =>
    h.t.db
      .selectFrom('certificates')
      .select(['cert_pem', 'chain_pem', 'not_after', 'source'])
      .where('hostname', '=', 'mail.e2e-mail.test')
      .executeTakeFirst(),
  );
  expect(cert.source).toBe('letsencrypt');
  const leaf = new X509Certificate(cert.cert_pem);
  expect(leaf.subjectAltName).toContain('DNS:mail.e2e-mail.test');
  expect(leaf.checkIssued(new X509Certificate(cert.chain_pem))).toBe(true);
  // the challenge TXT is gone from the DNS again
  await until('the challenge TXT to disappear', async () =>
    (await dig('_acme-challenge.mail.e2e-mail.test', 'TXT')) === '' ? true : undefined,
  );

  const left = await request(h.app)
    .post('/mail/ssl/get-left-days')
    .set('Auth-token', token)
    .field('hostname', 'mail.e2e-mail.test');
  expect(left.status).toBe(200);
  const expected = Math.floor((cert.not_after.getTime() - Date.now()) / 86_400_000);
  expect([expected, expected - 1]).toContain(left.body.left_days);
  expect(left.body.left_days).toBeGreaterThan(30);
});
