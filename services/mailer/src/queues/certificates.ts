import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Resolver } from 'node:dns/promises';
import { Agent } from 'node:https';
import * as acme from 'acme-client';
import { UnrecoverableError, type Job } from 'bullmq';
import type { Db } from '@ddns/db';
import { enqueueInOutbox, QUEUES, type CertificateJob } from '@ddns/jobs';
import { decryptSecret, encryptSecret } from '@ddns/secrets';
import type { Logger } from 'pino';
import type { QueueContext, QueueDefinition } from './types';

/**
 * The `certificates` queue: issues certificates with ACME (acme-client) by DNS-01 through our own DNS, and
 * renews them. Two job names:
 * - `issue` ({hostname, accountId, mailDomainId}): writes `_acme-challenge.<hostname>` TXT into `records` (our
 *   DNS serves it from the change feed), lets the CA validate, stores cert + chain + encrypted key, and
 *   removes the TXT again whatever happens.
 * - `renew-sweep` (repeatable): queues an `issue` for every Let's Encrypt certificate that expires within
 *   RENEW_BEFORE_DAYS, through the outbox (idempotent per certificate version).
 */

export const RENEW_BEFORE_DAYS = 30;
export const RENEW_SWEEP = 'renew-sweep';
const RENEW_SWEEP_EVERY_MS = 12 * 3600 * 1000;
const TXT_TTL = 60;

export interface CertificatesDeps {
  db: Db;
  secretsKey: string;
  /** the ACME directory (ACME_DIRECTORY_URL) */
  directoryUrl: string;
  /** extra PEM CA to trust for the ACME server's TLS (ACME_CA_FILE; pebble's throwaway CA in tests) */
  caFile?: string;
  logger: Logger;
  /**
   * Called after the challenge TXT is in `records` and before the CA is asked to validate: wait until our
   * DNS answers it. Default: a fixed pause for the DNS service to apply the change feed.
   */
  waitForDns?: (fqdn: string, value: string) => Promise<void>;
  /** ACME account contact (optional) */
  contactEmail?: string;
  now?: () => Date;
}

export type CertificatesJobData = CertificateJob | Record<string, never>;

export interface IssueResult {
  hostname: string;
  notAfter: string;
}

export interface SweepResult {
  queued: string[];
}

let trustedCaFile: string | undefined;
/** acme-client talks through its own axios instance: give it an HTTPS agent that also trusts `caFile`. */
function trustCa(caFile: string | undefined): void {
  if (!caFile || trustedCaFile === caFile) return;
  const ca = readFileSync(caFile, 'utf8');
  acme.axios.defaults.httpsAgent = new Agent({ ca });
  trustedCaFile = caFile;
}

/**
 * One ACME account per directory, kept in `acme_accounts` (key encrypted with SECRETS_KEY) so restarts and
 * replicas reuse it: CAs limit new registrations (Let's Encrypt: 10 per IP per 3 hours). When the CA no
 * longer knows the account (e.g. a restarted pebble), `forgetAcmeAccount` drops it and a retry registers afresh.
 */
interface AcmeAccount {
  key: Buffer;
  url: string;
}
const accounts = new Map<string, Promise<AcmeAccount>>();

async function loadOrRegister(deps: CertificatesDeps): Promise<AcmeAccount> {
  const stored = await deps.db
    .selectFrom('acme_accounts')
    .selectAll()
    .where('directory_url', '=', deps.directoryUrl)
    .executeTakeFirst();
  if (stored)
    return { key: Buffer.from(decryptSecret(stored.key_enc, deps.secretsKey)), url: stored.account_url };
  const key = await acme.crypto.createPrivateEcdsaKey('P-256');
  const c = new acme.Client({ directoryUrl: deps.directoryUrl, accountKey: key });
  await c.createAccount({
    termsOfServiceAgreed: true,
    ...(deps.contactEmail ? { contact: [`mailto:${deps.contactEmail}`] } : {}),
  });
  const url = c.getAccountUrl();
  await deps.db
    .insertInto('acme_accounts')
    .values({
      directory_url: deps.directoryUrl,
      key_enc: encryptSecret(key.toString(), deps.secretsKey),
      account_url: url,
    })
    .onConflict((oc) =>
      oc.column('directory_url').doUpdateSet({
        key_enc: (eb) => eb.ref('excluded.key_enc'),
        account_url: (eb) => eb.ref('excluded.account_url'),
      }),
    )
    .execute();
  return { key, url };
}

function acmeClient(deps: CertificatesDeps): Promise<acme.Client> {
  let account = accounts.get(deps.directoryUrl);
  if (!account) {
    account = loadOrRegister(deps);
    accounts.set(deps.directoryUrl, account);
    account.catch(() => accounts.delete(deps.directoryUrl));
  }
  return account.then(
    (a) => new acme.Client({ directoryUrl: deps.directoryUrl, accountKey: a.key, accountUrl: a.url }),
  );
}

/** Forgets the account of a directory, in memory and in the database. */
export async function forgetAcmeAccount(deps: Pick<CertificatesDeps, 'db' | 'directoryUrl'>): Promise<void> {
  accounts.delete(deps.directoryUrl);
  await deps.db.deleteFrom('acme_accounts').where('directory_url', '=', deps.directoryUrl).execute();
}

/** Drops the in-memory copies only (tests: a fresh process). */
export function clearAcmeAccountCache(): void {
  accounts.clear();
}

const defaultWait = () => new Promise<void>((r) => setTimeout(r, 2000));

/**
 * A `waitForDns` that asks a DNS server (ours: `127.0.0.1:DNS_PORT`) until it answers the TXT value, polling
 * every `intervalMs` for at most `attempts` tries. Use it instead of the fixed pause when the mailer can reach
 * the ddns DNS responder.
 */
export function txtWaiter(server: string, attempts = 50, intervalMs = 200) {
  return async (fqdn: string, value: string): Promise<void> => {
    const resolver = new Resolver({ timeout: 1000, tries: 1 });
    resolver.setServers([server]);
    for (let i = 0; i < attempts; i++) {
      const answers = await resolver.resolveTxt(fqdn).catch(() => [] as string[][]);
      if (answers.some((strings) => strings.join('') === value)) return;
      await new Promise((r) => setTimeout(r, intervalMs));
    }
    throw new Error(`${server} does not answer the TXT for ${fqdn}`);
  };
}

/** The zone (one we are authoritative for) that holds `fqdn`. */
async function zoneFor(db: Db, fqdn: string): Promise<{ id: number; name: string }> {
  const zones = await db.selectFrom('zones').select(['id', 'name']).execute();
  let best: { id: number; name: string } | undefined;
  for (const z of zones)
    if ((fqdn === z.name || fqdn.endsWith(`.${z.name}`)) && (!best || z.name.length > best.name.length))
      best = z;
  if (!best) throw new UnrecoverableError(`${fqdn} is not inside a zone this server answers for`);
  return best;
}

/** Issues (or renews) the certificate for one host name and stores it. */
export async function issueCertificate(deps: CertificatesDeps, data: CertificateJob): Promise<IssueResult> {
  const hostname = data.hostname;
  if (data.mailDomainId !== null) {
    const d = await deps.db
      .selectFrom('mail_domains')
      .select('id')
      .where('id', '=', data.mailDomainId)
      .executeTakeFirst();
    if (!d) throw new UnrecoverableError(`the mail domain of ${hostname} no longer exists`);
  }
  await zoneFor(deps.db, hostname); // fail before talking to the CA when the name is not ours
  trustCa(deps.caFile);
  const client = await acmeClient(deps);
  try {
    return await issueWith(deps, client, data);
  } catch (err) {
    // the CA no longer knows our account (e.g. it was restarted): register again on the retry
    if (/account/i.test((err as Error).message)) await forgetAcmeAccount(deps);
    throw err;
  }
}

async function issueWith(
  deps: CertificatesDeps,
  client: acme.Client,
  data: CertificateJob,
): Promise<IssueResult> {
  const hostname = data.hostname;
  const order = await client.createOrder({ identifiers: [{ type: 'dns', value: hostname }] });
  const written: { zoneId: number; name: string; value: string }[] = [];
  try {
    for (const authz of await client.getAuthorizations(order)) {
      if (authz.status === 'valid') continue;
      const challenge = authz.challenges.find((c) => c.type === 'dns-01');
      if (!challenge)
        throw new UnrecoverableError(`the CA offers no dns-01 challenge for ${authz.identifier.value}`);
      const value = await client.getChallengeKeyAuthorization(challenge);
      const name = `_acme-challenge.${authz.identifier.value.replace(/^\*\./, '')}`;
      const zone = await zoneFor(deps.db, name);
      await deps.db
        .insertInto('records')
        .values({ zone_id: zone.id, name, type: 'TXT', content: value, ttl: TXT_TTL })
        .onConflict((oc) => oc.columns(['zone_id', 'name', 'type', 'content']).doNothing())
        .execute();
      written.push({ zoneId: zone.id, name, value });
      await (deps.waitForDns ?? defaultWait)(name, value);
      await client.completeChallenge(challenge);
      await client.waitForValidStatus(challenge);
    }
  } finally {
    for (const w of written) {
      await deps.db
        .deleteFrom('records')
        .where('zone_id', '=', w.zoneId)
        .where('name', '=', w.name)
        .where('type', '=', 'TXT')
        .where('content', '=', w.value)
        .execute()
        .catch((err: unknown) =>
          deps.logger.warn({ err, name: w.name }, 'could not remove ACME challenge TXT'),
        );
    }
  }
  const key = await acme.crypto.createPrivateEcdsaKey('P-256');
  const [, csr] = await acme.crypto.createCsr({ commonName: hostname, altNames: [hostname] }, key);
  const finalized = await client.finalizeOrder(order, csr);
  const pem = await client.getCertificate(finalized);
  const [leafPem, ...chain] = acme.crypto.splitPemChain(pem);
  if (!leafPem) throw new Error('the CA returned no certificate');
  const leaf = new X509Certificate(leafPem);
  const notBefore = new Date(leaf.validFrom);
  const notAfter = new Date(leaf.validTo);
  const row = {
    hostname,
    account_id: data.accountId,
    mail_domain_id: data.mailDomainId,
    cert_pem: leafPem.trim() + '\n',
    chain_pem: chain.map((c) => c.trim() + '\n').join(''),
    key_enc: encryptSecret(key.toString('utf8'), deps.secretsKey),
    not_before: notBefore,
    not_after: notAfter,
    source: 'letsencrypt' as const,
  };
  await deps.db
    .insertInto('certificates')
    .values(row)
    .onConflict((oc) =>
      oc.column('hostname').doUpdateSet({
        account_id: row.account_id,
        mail_domain_id: row.mail_domain_id,
        cert_pem: row.cert_pem,
        chain_pem: row.chain_pem,
        key_enc: row.key_enc,
        not_before: row.not_before,
        not_after: row.not_after,
        source: row.source,
      }),
    )
    .execute();
  deps.logger.info({ hostname, notAfter }, 'certificate issued');
  return { hostname, notAfter: notAfter.toISOString() };
}

/** Queues a renewal for every ACME certificate expiring within RENEW_BEFORE_DAYS. */
export async function renewSweep(deps: CertificatesDeps): Promise<SweepResult> {
  const now = deps.now?.() ?? new Date();
  const due = await deps.db
    .selectFrom('certificates')
    .select(['hostname', 'account_id', 'mail_domain_id', 'not_after'])
    .where('source', '=', 'letsencrypt')
    .where('not_after', '<', new Date(now.getTime() + RENEW_BEFORE_DAYS * 86_400_000))
    .execute();
  const queued: string[] = [];
  for (const c of due) {
    // one renewal per certificate version: a second sweep before it is renewed queues nothing new
    const jobId = `renew-${c.hostname}-${c.not_after.getTime()}`;
    await enqueueInOutbox(deps.db, {
      queue: QUEUES.certificates,
      name: 'issue',
      data: { hostname: c.hostname, accountId: c.account_id, mailDomainId: c.mail_domain_id },
      jobId,
    });
    queued.push(jobId);
  }
  return { queued };
}

function isCertificateJob(data: unknown): data is CertificateJob {
  return !!data && typeof (data as { hostname?: unknown }).hostname === 'string';
}

/** The `certificates` queue's processor. */
export function certificatesProcessor(deps: CertificatesDeps) {
  return async (job: Job<CertificatesJobData>): Promise<IssueResult | SweepResult> => {
    if (job.name === RENEW_SWEEP) return renewSweep(deps);
    if (!isCertificateJob(job.data))
      throw new UnrecoverableError(`certificates job ${job.id ?? ''} has no hostname`);
    return issueCertificate(deps, job.data);
  };
}

/** The `certificates` queue: issuance and the repeatable renewal sweep. */
export function certificatesQueue(ctx: QueueContext): QueueDefinition {
  const deps: CertificatesDeps = {
    db: ctx.db,
    secretsKey: ctx.config.SECRETS_KEY,
    directoryUrl: ctx.config.ACME_DIRECTORY_URL,
    caFile: ctx.config.ACME_CA_FILE,
    logger: ctx.logger,
    // wait for our DNS to answer the challenge when we know where it is; else a fixed pause
    waitForDns: ctx.config.ACME_DNS_SERVER ? txtWaiter(ctx.config.ACME_DNS_SERVER) : undefined,
    ...ctx.certificates,
  };
  return {
    queue: QUEUES.certificates,
    processor: certificatesProcessor(deps) as QueueDefinition['processor'],
    concurrency: 2,
    schedules: [{ id: RENEW_SWEEP, jobName: RENEW_SWEEP, everyMs: RENEW_SWEEP_EVERY_MS }],
  };
}
