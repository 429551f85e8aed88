import { generateKeyPair, randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import type { Database, Db, MailDomain } from '@ddns/db';
import { enqueueInOutbox, QUEUES } from '@ddns/jobs';
import { findZone, isHostname, normalizeName } from '@ddns/records';
import {
  CapError,
  checkCap,
  checkClaim,
  insertClaimedZone,
  lockAccount,
  OpError,
  ourNameServers,
  ownershipInfo,
  type OwnershipInfo,
} from '@ddns/registry';
import { encryptSecret, hashMailboxPassword } from '@ddns/secrets';
import type { Transaction } from 'kysely';
import {
  baseOfName,
  checkUploadedCertificate,
  daysLeft,
  DKIM_SELECTOR,
  dkimRecordName,
  dkimTxtValue,
  isUnder,
  mailDomainRecords,
  parseMailAddress,
  passwordProblem,
} from './format';

/**
 * The mail hosting model: mail domains (hosted zones), mailboxes, DKIM keys and certificates. Every function
 * takes the caller (`Viewer`): admins see every mail domain, other accounts only their own; a domain the
 * caller may not see answers exactly like one that does not exist.
 */

export interface Viewer {
  id: number;
  isAdmin: boolean;
}

/** A refusal with its HTTP status and the `msg` the client sees. */
export class MailError extends Error {
  constructor(
    readonly status: number,
    msg: string,
  ) {
    super(msg);
  }
}

export interface MailSettings {
  mailHost: string;
  secretsKey: string;
  registrationZone: string | undefined;
}

type Q = Db | Transaction<Database>;

const DOMAIN_NOT_FOUND = 'Domain not found';
const USER_NOT_FOUND = 'User not found';
/** TTL of the records a mail domain publishes */
const MAIL_RECORD_TTL = 3600;

function isUniqueViolation(err: unknown): boolean {
  return (err as { code?: string }).code === '23505';
}

async function visibleDomainBy(
  q: Q,
  viewer: Viewer,
  where: { id: number } | { name: string },
  lock = false,
): Promise<MailDomain> {
  let sel = q.selectFrom('mail_domains').selectAll();
  sel = 'id' in where ? sel.where('id', '=', where.id) : sel.where('name', '=', where.name);
  if (!viewer.isAdmin) sel = sel.where('account_id', '=', viewer.id);
  if (lock) sel = sel.forUpdate();
  const d = await sel.executeTakeFirst();
  if (!d) throw new MailError(404, DOMAIN_NOT_FOUND);
  return d;
}

export function findVisibleDomain(db: Db, viewer: Viewer, name: string): Promise<MailDomain> {
  return visibleDomainBy(db, viewer, { name });
}

// ---- domains ---------------------------------------------------------------------------------------------

export interface DomainSummary {
  id: number;
  name: string;
  users_count: number;
  /** the zone's ownership status: only `active` domains are served by our DNS */
  status: string;
}

export async function listDomains(db: Db, viewer: Viewer): Promise<DomainSummary[]> {
  let q = db
    .selectFrom('mail_domains as d')
    .leftJoin('mailboxes as m', 'm.mail_domain_id', 'd.id')
    .innerJoin('zones as z', 'z.id', 'd.zone_id')
    .select((eb) => ['d.id', 'd.name', 'z.status', eb.fn.count<string>('m.id').as('users_count')])
    .groupBy(['d.id', 'd.name', 'z.status'])
    .orderBy('d.id');
  if (!viewer.isAdmin) q = q.where('d.account_id', '=', viewer.id);
  const rows = await q.execute();
  return rows.map((r) => ({ id: r.id, name: r.name, users_count: Number(r.users_count), status: r.status }));
}

/** The name servers a new hosted zone delegates to: those of the registration (shared) zone, if any. */
async function serverNameServers(q: Q, settings: MailSettings): Promise<string[]> {
  const shared = await q.selectFrom('zones').select(['id', 'name']).where('kind', '=', 'shared').execute();
  const zone = settings.registrationZone
    ? shared.find((z) => z.name === normalizeName(settings.registrationZone ?? ''))
    : shared.length === 1
      ? shared[0]
      : undefined;
  if (zone) {
    const ns = await q
      .selectFrom('records')
      .select('content')
      .where('zone_id', '=', zone.id)
      .where('name', '=', zone.name)
      .where('type', '=', 'NS')
      .orderBy('id')
      .execute();
    if (ns.length) return ns.map((r) => r.content);
  }
  return [];
}

export interface CreatedDomain {
  id: number;
  name: string;
  user: { id: number; email: string };
  /** the zone is pending until the caller proves control of the domain: how */
  ownership: OwnershipInfo;
}

/**
 * Creates a mail domain as a new hosted zone of the caller (NS, MX to the mail host, SPF, DMARC) together with
 * its first mailbox, in one transaction.
 */
export async function createDomain(
  db: Db,
  settings: MailSettings,
  viewer: Viewer,
  input: { domain: string; username: string | undefined; password: string | undefined },
): Promise<CreatedDomain> {
  const domain = input.domain;
  const address = parseMailAddress(input.username, domain);
  if (!address) throw new MailError(400, 'username must be a mail address (or local part) in the domain');
  if (address.domain !== domain) throw new MailError(400, `username must be an address @${domain}`);
  const bad = passwordProblem(input.password);
  if (bad) throw new MailError(400, bad);
  const refuse = (err: unknown): never => {
    if (err instanceof CapError) throw new MailError(403, err.message);
    if (err instanceof OpError) throw new MailError(409, err.message);
    if (isUniqueViolation(err)) throw new MailError(409, `Domain ${domain} already exists`);
    throw err;
  };
  // refused claims fail before the (deliberately slow) password hash; checked again under the account lock
  await checkClaim(db, domain, viewer.id).catch(refuse);
  const hash = await hashMailboxPassword(input.password ?? '');
  try {
    return await db.transaction().execute(async (trx) => {
      // the registry's ownership rules and caps: a pending zone until the caller proves control of the domain
      const account = await lockAccount(trx, viewer.id);
      const target = await checkClaim(trx, domain, viewer.id);
      if (target.kind === 'shared')
        throw new MailError(
          409,
          `${domain} is inside the zone ${target.zone.name}, which is not yours to host`,
        );
      await checkCap(trx, viewer.id, account.class, 'mailDomains');
      await checkCap(trx, viewer.id, account.class, 'hostedZones');
      const ns = await serverNameServers(trx, settings);
      const zone = await insertClaimedZone(trx, {
        name: domain,
        accountId: viewer.id,
        ns: ns.length ? ns.map((host) => ({ host })) : undefined,
        replaces: target.replaces,
      });
      await trx
        .insertInto('records')
        .values(
          mailDomainRecords(domain, settings.mailHost).map((r) => ({
            zone_id: zone.id,
            name: r.name,
            type: r.type,
            content: r.content,
            ttl: MAIL_RECORD_TTL,
          })),
        )
        .execute();
      const md = await trx
        .insertInto('mail_domains')
        .values({ zone_id: zone.id, account_id: viewer.id, name: domain })
        .returning(['id', 'name'])
        .executeTakeFirstOrThrow();
      const mb = await trx
        .insertInto('mailboxes')
        .values({
          mail_domain_id: md.id,
          local_part: address.localPart,
          email: address.email,
          password_hash: hash,
        })
        .returning(['id', 'email'])
        .executeTakeFirstOrThrow();
      return {
        id: md.id,
        name: md.name,
        user: { id: mb.id, email: mb.email },
        ownership: ownershipInfo(zone, await ourNameServers(trx)),
      };
    });
  } catch (err) {
    return refuse(err);
  }
}

/**
 * Deletes a mail domain and everything it owns, in one transaction: its zone (records cascade), mailboxes,
 * DKIM keys and certificates (also those for host names inside the domain).
 */
export async function deleteDomain(
  db: Db,
  viewer: Viewer,
  name: string,
): Promise<{ id: number; name: string }> {
  return db.transaction().execute(async (trx) => {
    const d = await visibleDomainBy(trx, viewer, { name }, true);
    await trx
      .deleteFrom('certificates')
      .where((eb) =>
        eb.or([
          eb('mail_domain_id', '=', d.id),
          eb('hostname', '=', d.name),
          eb('hostname', 'like', `%.${d.name}`),
        ]),
      )
      .execute();
    await trx.deleteFrom('dkim_keys').where('mail_domain_id', '=', d.id).execute();
    await trx.deleteFrom('mailboxes').where('mail_domain_id', '=', d.id).execute();
    await trx.deleteFrom('records').where('zone_id', '=', d.zone_id).execute();
    await trx.deleteFrom('mail_domains').where('id', '=', d.id).execute();
    await trx.deleteFrom('zones').where('id', '=', d.zone_id).execute();
    return { id: d.id, name: d.name };
  });
}

// ---- mailboxes -------------------------------------------------------------------------------------------

export interface UserSummary {
  id: number;
  domain_id: number;
  email: string;
}

export async function listUsers(db: Db, viewer: Viewer, domainId: number): Promise<UserSummary[]> {
  const d = await visibleDomainBy(db, viewer, { id: domainId });
  const rows = await db
    .selectFrom('mailboxes')
    .select(['id', 'mail_domain_id', 'email'])
    .where('mail_domain_id', '=', d.id)
    .orderBy('id')
    .execute();
  return rows.map((r) => ({ id: r.id, domain_id: r.mail_domain_id, email: r.email }));
}

export async function createUser(
  db: Db,
  viewer: Viewer,
  domainId: number,
  input: { email: string | undefined; password: string | undefined },
): Promise<UserSummary> {
  const d = await visibleDomainBy(db, viewer, { id: domainId });
  const address = parseMailAddress(input.email, d.name);
  if (!address) throw new MailError(400, 'email must be a mail address in the domain');
  if (address.domain !== d.name) throw new MailError(400, `email must be an address @${d.name}`);
  const bad = passwordProblem(input.password);
  if (bad) throw new MailError(400, bad);
  const hash = await hashMailboxPassword(input.password ?? '');
  try {
    const mb = await db
      .insertInto('mailboxes')
      .values({
        mail_domain_id: d.id,
        local_part: address.localPart,
        email: address.email,
        password_hash: hash,
      })
      .returning(['id', 'mail_domain_id', 'email'])
      .executeTakeFirstOrThrow();
    return { id: mb.id, domain_id: mb.mail_domain_id, email: mb.email };
  } catch (err) {
    if (isUniqueViolation(err)) throw new MailError(409, `User ${address.email} already exists`);
    throw err;
  }
}

export async function changePassword(
  db: Db,
  viewer: Viewer,
  input: { id: number; domainId: number; password: string | undefined },
): Promise<UserSummary> {
  const d = await visibleDomainBy(db, viewer, { id: input.domainId });
  const bad = passwordProblem(input.password);
  if (bad) throw new MailError(400, bad);
  const mb = await db
    .selectFrom('mailboxes')
    .select(['id'])
    .where('id', '=', input.id)
    .where('mail_domain_id', '=', d.id)
    .executeTakeFirst();
  if (!mb) throw new MailError(404, USER_NOT_FOUND);
  const hash = await hashMailboxPassword(input.password ?? '');
  const row = await db
    .updateTable('mailboxes')
    .set({ password_hash: hash })
    .where('id', '=', mb.id)
    .where('mail_domain_id', '=', d.id)
    .returning(['id', 'mail_domain_id', 'email'])
    .executeTakeFirst();
  if (!row) throw new MailError(404, USER_NOT_FOUND);
  return { id: row.id, domain_id: row.mail_domain_id, email: row.email };
}

export async function deleteUser(db: Db, viewer: Viewer, email: string | undefined): Promise<UserSummary> {
  const address = parseMailAddress(email);
  if (!address) throw new MailError(400, 'email must be a mail address');
  let q = db
    .selectFrom('mailboxes as m')
    .innerJoin('mail_domains as d', 'd.id', 'm.mail_domain_id')
    .select(['m.id', 'm.mail_domain_id', 'm.email'])
    .where('m.email', '=', address.email);
  if (!viewer.isAdmin) q = q.where('d.account_id', '=', viewer.id);
  const mb = await q.executeTakeFirst();
  if (!mb) throw new MailError(404, USER_NOT_FOUND);
  await db.deleteFrom('mailboxes').where('id', '=', mb.id).execute();
  return { id: mb.id, domain_id: mb.mail_domain_id, email: mb.email };
}

// ---- DKIM ------------------------------------------------------------------------------------------------

const generateKeyPairAsync = promisify(generateKeyPair);

export interface DkimResult {
  domain: string;
  selector: string;
  /** owner name of the TXT record */
  record: string;
  /** the TXT value (one record; DNS carries it as 255-byte strings) */
  value: string;
}

/**
 * Generates an RSA-2048 DKIM key (selector `mail`) and publishes its TXT. A re-run rotates: in one
 * transaction the old key is retired and the TXT replaced, so the published key and the active key never
 * disagree, and two concurrent rotations serialise on the domain row.
 */
export async function rotateDkim(
  db: Db,
  settings: MailSettings,
  viewer: Viewer,
  name: string,
): Promise<DkimResult> {
  await visibleDomainBy(db, viewer, { name });
  const { publicKey, privateKey } = await generateKeyPairAsync('rsa', {
    modulusLength: 2048,
    publicKeyEncoding: { type: 'spki', format: 'der' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  const pub = publicKey.toString('base64');
  const value = dkimTxtValue(pub);
  const recordName = dkimRecordName(name);
  return db.transaction().execute(async (trx) => {
    const d = await visibleDomainBy(trx, viewer, { name }, true);
    await trx
      .updateTable('dkim_keys')
      .set({ active: false })
      .where('mail_domain_id', '=', d.id)
      .where('selector', '=', DKIM_SELECTOR)
      .where('active', '=', true)
      .execute();
    await trx
      .insertInto('dkim_keys')
      .values({
        mail_domain_id: d.id,
        selector: DKIM_SELECTOR,
        public_key: pub,
        private_key_enc: encryptSecret(privateKey, settings.secretsKey),
      })
      .execute();
    // keep the active key and the one it replaced (mail signed just before the rotation); older keys go
    await trx
      .deleteFrom('dkim_keys')
      .where('mail_domain_id', '=', d.id)
      .where('active', '=', false)
      .where(
        'id',
        'not in',
        trx
          .selectFrom('dkim_keys')
          .select('id')
          .where('mail_domain_id', '=', d.id)
          .where('active', '=', false)
          .orderBy('id', 'desc')
          .limit(1),
      )
      .execute();
    await trx
      .deleteFrom('records')
      .where('zone_id', '=', d.zone_id)
      .where('name', '=', recordName)
      .where('type', '=', 'TXT')
      .execute();
    await trx
      .insertInto('records')
      .values({ zone_id: d.zone_id, name: recordName, type: 'TXT', content: value, ttl: MAIL_RECORD_TTL })
      .execute();
    return { domain: d.name, selector: DKIM_SELECTOR, record: recordName, value };
  });
}

// ---- certificates ----------------------------------------------------------------------------------------

/** The visible mail domain a host name belongs to (the longest that contains it). */
async function domainForHost(db: Db, viewer: Viewer, hostname: string): Promise<MailDomain> {
  let q = db.selectFrom('mail_domains').selectAll();
  if (!viewer.isAdmin) q = q.where('account_id', '=', viewer.id);
  const mine = await q.execute();
  const d = findZone(hostname, mine);
  if (!d) throw new MailError(404, `${hostname} is not inside one of your mail domains`);
  return d;
}

/** A host name; with `wildcard`, also a certificate's wildcard name (`*.example.com`). */
export function parseHostname(v: string | undefined, wildcard = false): string {
  const h = normalizeName(v ?? '');
  if (!h) throw new MailError(400, 'hostname is required');
  const base = wildcard && h.startsWith('*.') ? h.slice(2) : h;
  if (!isHostname(base)) throw new MailError(400, `"${v ?? ''}" is not a host name`);
  return h;
}

/** Queues a Let's Encrypt (ACME DNS-01) issuance for `hostname`; answers at once with the job id. */
export async function requestCertificate(
  db: Db,
  viewer: Viewer,
  hostname: string,
): Promise<{ jobId: string }> {
  const d = await domainForHost(db, viewer, hostname);
  const existing = await db
    .selectFrom('certificates')
    .select(['account_id', 'mail_domain_id'])
    .where('hostname', '=', hostname)
    .executeTakeFirst();
  if (existing && existing.mail_domain_id !== d.id && existing.account_id !== d.account_id)
    throw new MailError(409, `a certificate for ${hostname} belongs to another account`);
  const jobId = `cert-${hostname}-${Date.now()}-${randomBytes(4).toString('hex')}`;
  await db.transaction().execute(async (trx) => {
    await enqueueInOutbox(trx, {
      queue: QUEUES.certificates,
      name: 'issue',
      data: { hostname, accountId: d.account_id, mailDomainId: d.id },
      jobId,
    });
  });
  return { jobId };
}

export interface LeftDays {
  hostname: string;
  left_days: number;
  not_after: string;
  source: string;
}

export async function certificateLeftDays(db: Db, viewer: Viewer, hostname: string): Promise<LeftDays> {
  let q = db
    .selectFrom('certificates')
    .select(['hostname', 'not_after', 'source'])
    .where('hostname', '=', hostname);
  if (!viewer.isAdmin) q = q.where('account_id', '=', viewer.id);
  const c = await q.executeTakeFirst();
  if (!c) throw new MailError(404, `No certificate for ${hostname}`);
  return {
    hostname: c.hostname,
    left_days: daysLeft(c.not_after),
    not_after: c.not_after.toISOString(),
    source: c.source,
  };
}

export interface UploadedCertificate {
  hostname: string;
  names: string[];
  not_after: string;
  left_days: number;
}

/**
 * Stores an uploaded certificate after checking it (key matches, valid now, chain in order). It is stored
 * under `hostname` when given (it must be one of the certificate's names), else under its first name inside
 * one of the caller's mail domains. Nothing is stored when a check fails.
 */
export async function uploadCertificate(
  db: Db,
  settings: MailSettings,
  viewer: Viewer,
  input: { cert: string | undefined; key: string | undefined; hostname: string | undefined },
): Promise<UploadedCertificate> {
  const checked = checkUploadedCertificate(input.cert, input.key);
  if (!checked.ok) throw new MailError(400, checked.msg);
  const c = checked.cert;
  let hostname: string;
  let domain: MailDomain;
  if (input.hostname) {
    hostname = parseHostname(input.hostname, true);
    const covered = c.names.some(
      (n) =>
        n === hostname ||
        (n.startsWith('*.') &&
          hostname.endsWith(n.slice(1)) &&
          hostname.split('.').length === n.split('.').length),
    );
    if (!covered)
      throw new MailError(400, `the certificate does not cover ${hostname} (it names ${c.names.join(', ')})`);
    domain = await domainForHost(db, viewer, baseOfName(hostname));
  } else {
    let q = db.selectFrom('mail_domains').selectAll();
    if (!viewer.isAdmin) q = q.where('account_id', '=', viewer.id);
    const mine = await q.execute();
    // the first plain name inside one of the caller's domains, else the first such wildcard name
    const inMine = c.names
      .map((n) => ({ n, d: findZone(baseOfName(n), mine) }))
      .filter((x) => x.d !== undefined);
    const pick = inMine.find((x) => !x.n.startsWith('*.')) ?? inMine[0];
    if (!pick?.d)
      throw new MailError(
        400,
        `the certificate names no host inside your mail domains (${c.names.join(', ')})`,
      );
    hostname = pick.n;
    domain = pick.d;
  }
  if (!isUnder(baseOfName(hostname), domain.name))
    throw new MailError(400, `${hostname} is not inside ${domain.name}`);
  const row = {
    hostname,
    account_id: domain.account_id,
    mail_domain_id: domain.id,
    cert_pem: c.certPem,
    chain_pem: c.chainPem,
    key_enc: encryptSecret(c.keyPem, settings.secretsKey),
    not_before: c.notBefore,
    not_after: c.notAfter,
    source: 'upload' as const,
  };
  await db.transaction().execute(async (trx) => {
    const existing = await trx
      .selectFrom('certificates')
      .select(['id', 'account_id'])
      .where('hostname', '=', hostname)
      .forUpdate()
      .executeTakeFirst();
    if (existing && existing.account_id !== domain.account_id && !viewer.isAdmin)
      throw new MailError(409, `a certificate for ${hostname} belongs to another account`);
    if (existing) await trx.updateTable('certificates').set(row).where('id', '=', existing.id).execute();
    else await trx.insertInto('certificates').values(row).execute();
  });
  return { hostname, names: c.names, not_after: c.notAfter.toISOString(), left_days: daysLeft(c.notAfter) };
}

// ---- export ----------------------------------------------------------------------------------------------

export interface DomainExport {
  domain: { id: number; name: string; created_at: string };
  zone: { name: string; serial: string; primary_ns: string; hostmaster: string; ttl: number };
  records: { name: string; type: string; content: string; ttl: number }[];
  mailboxes: { id: number; email: string; password_hash: string; quota_mb: number; active: boolean }[];
  dkim: { selector: string; public_key: string; active: boolean; created_at: string; record: string }[];
  certificates: {
    hostname: string;
    source: string;
    not_before: string;
    not_after: string;
    cert_pem: string;
    chain_pem: string;
  }[];
}

/** Everything a mail domain consists of, without private keys (they stay encrypted on the server). */
export async function exportDomain(db: Db, viewer: Viewer, name: string): Promise<DomainExport> {
  const d = await visibleDomainBy(db, viewer, { name });
  const [zone, records, mailboxes, dkim, certs] = await Promise.all([
    db.selectFrom('zones').selectAll().where('id', '=', d.zone_id).executeTakeFirstOrThrow(),
    db
      .selectFrom('records')
      .select(['name', 'type', 'content', 'ttl'])
      .where('zone_id', '=', d.zone_id)
      .orderBy('name')
      .orderBy('type')
      .orderBy('id')
      .execute(),
    db
      .selectFrom('mailboxes')
      .select(['id', 'email', 'password_hash', 'quota_mb', 'active'])
      .where('mail_domain_id', '=', d.id)
      .orderBy('id')
      .execute(),
    db
      .selectFrom('dkim_keys')
      .select(['selector', 'public_key', 'active', 'created_at'])
      .where('mail_domain_id', '=', d.id)
      .orderBy('id')
      .execute(),
    db
      .selectFrom('certificates')
      .select(['hostname', 'source', 'not_before', 'not_after', 'cert_pem', 'chain_pem'])
      .where((eb) =>
        eb.or([
          eb('mail_domain_id', '=', d.id),
          eb('hostname', '=', d.name),
          eb('hostname', 'like', `%.${d.name}`),
        ]),
      )
      .orderBy('hostname')
      .execute(),
  ]);
  return {
    domain: { id: d.id, name: d.name, created_at: d.created_at.toISOString() },
    zone: {
      name: zone.name,
      serial: zone.serial,
      primary_ns: zone.primary_ns,
      hostmaster: zone.hostmaster,
      ttl: zone.ttl,
    },
    records,
    mailboxes,
    dkim: dkim.map((k) => ({
      selector: k.selector,
      public_key: k.public_key,
      active: k.active,
      created_at: k.created_at.toISOString(),
      record: dkimTxtValue(k.public_key),
    })),
    certificates: certs.map((c) => ({
      hostname: c.hostname,
      source: c.source,
      not_before: c.not_before.toISOString(),
      not_after: c.not_after.toISOString(),
      cert_pem: c.cert_pem,
      chain_pem: c.chain_pem,
    })),
  };
}
