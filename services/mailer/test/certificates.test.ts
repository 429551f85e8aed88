import { createPrivateKey, X509Certificate } from 'node:crypto';
import { UnrecoverableError, type Job } from 'bullmq';
import pino from 'pino';
import { addZone } from '@ddns/registry';
import { freePort } from '@ddns/local-services';
import { decryptSecret } from '@ddns/secrets';
import { account, createTestDatabase, type TestDatabase } from '@ddns/testkit';
import {
  certificatesProcessor,
  RENEW_SWEEP,
  type CertificatesDeps,
  type CertificatesJobData,
  clearAcmeAccountCache,
} from '../src/queues/certificates';
import { startPebble, type Pebble } from '@ddns/testkit';

/**
 * The certificates processor against Debian's pebble. ddns's DNS responder is not in this branch, so pebble
 * runs with PEBBLE_VA_ALWAYS_VALID (it does not look the TXT up); what these tests prove is the ACME
 * conversation, that the challenge TXT is in `records` (what our DNS serves) at the moment the CA is asked to
 * validate, that it is removed afterwards, and what is stored. See services/api/src/surfaces/mail/README.md
 * for the end-to-end test through the DNS responder.
 */

const SECRETS_KEY = 'test-secrets-key-0123456789';
let t: TestDatabase;
let pebble: Pebble;
let zoneId: number;
let accountId: number;

beforeAll(async () => {
  t = await createTestDatabase();
  pebble = await startPebble(`127.0.0.1:${await freePort()}`, { alwaysValid: true });
  zoneId = (await addZone(t.db, { name: 'certs.test', kind: 'hosted' })).id;
  accountId = (await account(t.db)).id;
});
afterAll(async () => {
  await pebble.stop();
  await t.destroy();
});

function deps(over: Partial<CertificatesDeps> = {}): CertificatesDeps {
  return {
    db: t.db,
    secretsKey: SECRETS_KEY,
    directoryUrl: pebble.directoryUrl,
    caFile: pebble.caFile,
    logger: pino({ level: 'silent' }),
    waitForDns: async () => undefined,
    ...over,
  };
}

function job(name: string, data: CertificatesJobData): Job<CertificatesJobData> {
  return { name, data, id: `test-${name}` } as Job<CertificatesJobData>;
}

test('issue: DNS-01 TXT in records during validation, removed after; cert + chain + encrypted key stored', async () => {
  const seen: { fqdn: string; value: string; rows: string[] }[] = [];
  const run = certificatesProcessor(
    deps({
      waitForDns: async (fqdn, value) => {
        const rows = await t.db
          .selectFrom('records')
          .select('content')
          .where('name', '=', fqdn)
          .where('type', '=', 'TXT')
          .execute();
        seen.push({ fqdn, value, rows: rows.map((r) => r.content) });
      },
    }),
  );
  const result = await run(job('issue', { hostname: 'mail.certs.test', accountId, mailDomainId: null }));
  expect(result).toMatchObject({ hostname: 'mail.certs.test' });
  expect(seen).toHaveLength(1);
  expect(seen[0]!.fqdn).toBe('_acme-challenge.mail.certs.test');
  expect(seen[0]!.value).toMatch(/^[A-Za-z0-9_-]{43}$/);
  expect(seen[0]!.rows).toEqual([seen[0]!.value]);
  const left = await t.db
    .selectFrom('records')
    .select('id')
    .where('name', 'like', '_acme-challenge.%')
    .execute();
  expect(left).toEqual([]);

  const c = await t.db
    .selectFrom('certificates')
    .selectAll()
    .where('hostname', '=', 'mail.certs.test')
    .executeTakeFirstOrThrow();
  expect(c.source).toBe('letsencrypt');
  expect(c.account_id).toBe(accountId);
  const leaf = new X509Certificate(c.cert_pem);
  expect(leaf.subjectAltName).toContain('DNS:mail.certs.test');
  expect(c.chain_pem).toContain('BEGIN CERTIFICATE');
  const issuer = new X509Certificate(c.chain_pem);
  expect(leaf.checkIssued(issuer)).toBe(true);
  expect(leaf.verify(issuer.publicKey)).toBe(true);
  expect(c.key_enc).not.toContain('PRIVATE KEY');
  expect(leaf.checkPrivateKey(createPrivateKey(decryptSecret(c.key_enc, SECRETS_KEY)))).toBe(true);
  expect(c.not_after.getTime()).toBe(new Date(leaf.validTo).getTime());
  expect(c.not_after.getTime()).toBeGreaterThan(Date.now() + 30 * 86_400_000);
  expect(zoneId).toBeGreaterThan(0);
});

test('issue again replaces the stored certificate (renewal)', async () => {
  const before = await t.db
    .selectFrom('certificates')
    .select(['id', 'cert_pem'])
    .where('hostname', '=', 'mail.certs.test')
    .executeTakeFirstOrThrow();
  await certificatesProcessor(deps())(
    job('issue', { hostname: 'mail.certs.test', accountId, mailDomainId: null }),
  );
  const after = await t.db
    .selectFrom('certificates')
    .select(['id', 'cert_pem'])
    .where('hostname', '=', 'mail.certs.test')
    .execute();
  expect(after).toHaveLength(1);
  expect(after[0]!.id).toBe(before.id);
  expect(after[0]!.cert_pem).not.toBe(before.cert_pem);
});

test('the ACME account is kept (key encrypted) and reused by a fresh process instead of registering again', async () => {
  const stored = await t.db.selectFrom('acme_accounts').selectAll().execute();
  expect(stored).toHaveLength(1);
  expect(stored[0]!.directory_url).toBe(pebble.directoryUrl);
  expect(stored[0]!.key_enc).not.toMatch(/PRIVATE KEY/);
  expect(decryptSecret(stored[0]!.key_enc, SECRETS_KEY)).toMatch(/BEGIN (EC )?PRIVATE KEY/);
  clearAcmeAccountCache(); // as after a restart
  await certificatesProcessor(deps())(
    job('issue', { hostname: 'mail.certs.test', accountId, mailDomainId: null }),
  );
  const after = await t.db.selectFrom('acme_accounts').selectAll().execute();
  expect(after).toEqual(stored);
});

test('a host outside our zones fails for good, storing nothing', async () => {
  const run = certificatesProcessor(deps());
  await expect(
    run(job('issue', { hostname: 'mail.elsewhere.example', accountId, mailDomainId: null })),
  ).rejects.toBeInstanceOf(UnrecoverableError);
  const c = await t.db
    .selectFrom('certificates')
    .select('id')
    .where('hostname', '=', 'mail.elsewhere.example')
    .execute();
  expect(c).toEqual([]);
});

test('a job whose mail domain was deleted meanwhile fails for good, writing nothing', async () => {
  const run = certificatesProcessor(deps());
  await expect(
    run(job('issue', { hostname: 'mail.certs.test', accountId, mailDomainId: 999999 })),
  ).rejects.toBeInstanceOf(UnrecoverableError);
  const txt = await t.db
    .selectFrom('records')
    .select('id')
    .where('name', 'like', '_acme-challenge.%')
    .execute();
  expect(txt).toEqual([]);
});

test('a job without a hostname fails for good', async () => {
  await expect(certificatesProcessor(deps())(job('issue', {}))).rejects.toBeInstanceOf(UnrecoverableError);
});

test('renew-sweep queues (through the outbox) certificates expiring within 30 days, once per version', async () => {
  const now = new Date();
  const day = 86_400_000;
  const base = {
    account_id: accountId,
    mail_domain_id: null,
    cert_pem: 'x',
    chain_pem: '',
    key_enc: 'v1:a:b:c',
    not_before: new Date(now.getTime() - 60 * day),
  };
  await t.db
    .insertInto('certificates')
    .values([
      {
        ...base,
        hostname: 'soon.certs.test',
        not_after: new Date(now.getTime() + 10 * day),
        source: 'letsencrypt',
      },
      {
        ...base,
        hostname: 'later.certs.test',
        not_after: new Date(now.getTime() + 60 * day),
        source: 'letsencrypt',
      },
      { ...base, hostname: 'own.certs.test', not_after: new Date(now.getTime() + 5 * day), source: 'upload' },
    ])
    .execute();
  const run = certificatesProcessor(deps({ now: () => now }));
  const first = await run(job(RENEW_SWEEP, {}));
  expect(first).toEqual({ queued: [expect.stringMatching(/^renew-soon\.certs\.test-\d+$/)] });
  await run(job(RENEW_SWEEP, {}));
  const rows = await t.db.selectFrom('outbox').selectAll().where('queue', '=', 'certificates').execute();
  expect(rows).toHaveLength(1);
  expect(rows[0]!.job_name).toBe('issue');
  expect(rows[0]!.payload).toEqual({ hostname: 'soon.certs.test', accountId, mailDomainId: null });
});
