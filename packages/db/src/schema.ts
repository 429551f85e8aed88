/**
 * The whole data model, as Kysely types. This file is the documentation of the database:
 * every table, what each column holds and in which form. Migrations in ./migrations create exactly this.
 *
 * Conventions:
 * - Names (zones, domains, record names) are stored lowercase, without the trailing dot.
 * - Secrets are never stored: `*_hash` columns hold SHA-256 hex of random tokens, or argon2id PHC strings
 *   for passwords. `*_enc` columns hold AES-256-GCM ciphertext made with SECRETS_KEY (see @ddns/secrets).
 * - Record `content` is the presentation form of the RDATA, e.g.
 *   A `192.0.2.1`, AAAA `2001:db8::1`, CNAME/NS `host.example.net`, TXT the raw text (unquoted, any length:
 *   the DNS encoder splits it into 255-byte strings), MX `10 mail.example.net`,
 *   SRV `10 5 5060 sip.example.net` (priority weight port target), CAA `0 issue "letsencrypt.org"`.
 */
import type { ColumnType, Generated, Insertable, Selectable, Updateable } from 'kysely';

type Timestamp = ColumnType<Date, Date | string, Date | string>;
/** a timestamp with a database default (optional on insert) */
type DefaultTimestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type NullableTimestamp = ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
/** bigint columns (with a database default: bigserial, serial counters) come back from pg as strings. */
type DefaultInt8 = ColumnType<string, string | number | bigint | undefined, string | number | bigint>;

export type RecordType = 'A' | 'AAAA' | 'CNAME' | 'TXT' | 'MX' | 'NS' | 'SRV' | 'CAA';
export const RECORD_TYPES: readonly RecordType[] = ['A', 'AAAA', 'CNAME', 'TXT', 'MX', 'NS', 'SRV', 'CAA'];

export interface AccountsTable {
  id: Generated<number>;
  /** unique case-insensitively (index on lower(email)) */
  email: string;
  /** argon2id PHC string; null = no password login */
  password_hash: string | null;
  /** SHA-256 of the account API key (/api, lego httpreq) */
  api_key_hash: string;
  /** SHA-256 of the account-wide update token (DynDNS2, all the account's domains) */
  update_token_hash: string;
  /** account class: selects daily quotas */
  class: Generated<string>;
  is_admin: Generated<boolean>;
  /**
   * set by `ddns account disable`: while not null the API refuses every login and token of the account
   * (API key, update token, its domains' tokens, records-API tokens, passwords, /mail tokens); its names
   * stay in the DNS and stay reserved. Null = enabled.
   */
  disabled_at: NullableTimestamp;
  /** when the address was verified (sign-up link; accounts made by an admin or the CLI: at creation) */
  email_verified_at: NullableTimestamp;
  /** a new address waiting for its verification link (account_tokens purpose `email_change`) */
  pending_email: string | null;
  /** TOTP secret (base32), encrypted with SECRETS_KEY; null = no second factor */
  totp_secret_enc: string | null;
  /** an enrolment waiting for its first code (encrypted like totp_secret_enc) */
  totp_pending_enc: string | null;
  /** the last accepted TOTP time step: a code works once */
  totp_last_step: ColumnType<string | null, string | number | null | undefined, string | number | null>;
  created_at: DefaultTimestamp;
}

export type ZoneKind = 'shared' | 'hosted';

/**
 * Whether our DNS answers for a zone. `active`: answered (shared zones always are). `pending`: a user's own
 * domain whose control is not proven yet; `suspended`: its proof went away at a re-check. Pending and
 * suspended zones are not served at all (REFUSED), so nobody can take over a name by claiming it here.
 */
export type ZoneStatus = 'active' | 'pending' | 'suspended';
export const ZONE_STATUSES: readonly ZoneStatus[] = ['active', 'pending', 'suspended'];

export interface ZonesTable {
  id: Generated<number>;
  name: string;
  /** shared: users register names under it; hosted: one user's own domain */
  kind: ZoneKind;
  /** owner of a hosted zone */
  account_id: number | null;
  /** SOA serial, bumped by the change-feed trigger on every change inside the zone */
  serial: DefaultInt8;
  /** SOA MNAME */
  primary_ns: string;
  /** SOA RNAME in name form (hostmaster.example.net) */
  hostmaster: string;
  refresh: Generated<number>;
  retry: Generated<number>;
  expire: Generated<number>;
  /** SOA minimum = negative-caching TTL (RFC 2308) */
  minimum: Generated<number>;
  /** TTL of SOA and apex NS */
  ttl: Generated<number>;
  /** see ZoneStatus; a change is a change of the zone for the DNS feed (the DNS loads or drops it) */
  status: ColumnType<ZoneStatus, ZoneStatus | undefined, ZoneStatus>;
  /**
   * hosted zones: the value a TXT record at `_ddns-challenge.<zone>` must hold to prove control (shown to the
   * user; public by design, it proves nothing once it is in the zone's own DNS)
   */
  challenge_token: string | null;
  status_changed_at: NullableTimestamp;
  /**
   * hosted zones: when the re-check suspended it (migration 0010); null unless `status` is `suspended`. Another
   * account may claim the name SUSPENDED_ZONE_RELEASE_DAYS (@ddns/registry) after this, unless the owner's
   * proof comes back first (the zone is then active again and this is cleared).
   */
  suspended_at: NullableTimestamp;
  /** hosted zones: when control was last checked, and what the check found (one line, for the owner) */
  checked_at: NullableTimestamp;
  check_result: string | null;
  /**
   * DNSSEC signing on (default) or off. On: the DNS signs the zone with its `active` keys (see ZoneKeysTable);
   * a change is a `dnssec` change for the DNS feed (the DNS reloads the zone's keys and switch).
   */
  dnssec: Generated<boolean>;
  created_at: DefaultTimestamp;
}

/** DNSSEC signing algorithms: 13 = ECDSA P-256 with SHA-256 (default), 15 = Ed25519. */
export type DnssecAlgorithm = 13 | 15;
export const DNSSEC_ALGORITHMS: readonly DnssecAlgorithm[] = [13, 15];

/**
 * A zone key's place in its life cycle (a rollover goes published -> active, and the old key active ->
 * retired -> deleted):
 * - `published`: in the DNSKEY RRset, not signing yet (pre-published so resolvers cache it before it signs);
 * - `active`: in the DNSKEY RRset and signs the zone (RRSIGs are made by every active key);
 * - `retired`: still in the DNSKEY RRset (signatures made by it may still be cached), not signing; deleted
 *   once `retire_after` has passed.
 */
export type ZoneKeyState = 'published' | 'active' | 'retired';
export const ZONE_KEY_STATES: readonly ZoneKeyState[] = ['published', 'active', 'retired'];

/**
 * DNSSEC keys of a zone: combined signing keys (CSK, flags 257 = zone key + secure entry point). The DNSKEY
 * RRset of the zone is every row of the zone. Any write is a `dnssec` change for the DNS feed (zone serial
 * bumped, the DNS reloads the zone's keys).
 */
export interface ZoneKeysTable {
  id: Generated<number>;
  zone_id: number;
  algorithm: DnssecAlgorithm;
  /** DNSKEY flags: 257 (zone key, secure entry point) */
  flags: Generated<number>;
  /** the DNSKEY public key field as on the wire (P-256: x‖y, 64 bytes; Ed25519: 32 bytes) */
  public_key: Buffer;
  /** the private key (PKCS#8 PEM), encrypted with SECRETS_KEY */
  private_key_enc: string;
  /** RFC 4034 appendix B key tag of the DNSKEY RDATA */
  key_tag: number;
  state: ZoneKeyState;
  created_at: DefaultTimestamp;
  /** when the key started signing (null while published) */
  activated_at: NullableTimestamp;
  /**
   * published: when the rollover may activate it; retired: when it may be deleted; null for an active key
   * (and for a published key waiting for no particular time)
   */
  retire_after: NullableTimestamp;
}

/** 0 = tunnelled (DNS answers TUNNEL_IPV4/6), 1 = direct (DNS answers the last ping address) */
export type DomainMode = 0 | 1;

export interface DomainsTable {
  id: Generated<number>;
  zone_id: number;
  /** full name, e.g. `demo.gw.example.net` (for a hosted zone: the zone name itself) */
  name: string;
  account_id: number | null;
  /** SHA-256 of the domain token (gateway token; also a DynDNS2 key for this domain only) */
  token_hash: string | null;
  reclamation_token_hash: string | null;
  reclamation_expires_at: NullableTimestamp;
  description: Generated<string>;
  email: string | null;
  email_verified: Generated<boolean>;
  email_optout: Generated<boolean>;
  /** null: an ordinary dynamic name answered from its records only; 0/1: a gateway (see DomainMode) */
  mode: DomainMode | null;
  last_ping_at: NullableTimestamp;
  last_ping_ip4: string | null;
  last_ping_ip6: string | null;
  /** IPv6 LAN prefix set by the updater (`2001:db8:1:2::/64`) */
  ipv6_prefix: string | null;
  /** when an inactivity warning was e-mailed (gateway expiry) */
  expiry_warned_at: NullableTimestamp;
  created_at: DefaultTimestamp;
  updated_at: DefaultTimestamp;
}

export interface RecordsTable {
  id: Generated<number>;
  zone_id: number;
  /** the domain the record belongs to (null for zone-level records such as apex NS and glue) */
  domain_id: number | null;
  name: string;
  type: RecordType;
  content: string;
  ttl: Generated<number>;
  /** AAAA only: fixed interface identifier (`::1:2:3:4`) rewritten onto the domain's LAN prefix */
  ipv6_host_part: string | null;
  created_at: DefaultTimestamp;
  updated_at: DefaultTimestamp;
}

/** The DNS change feed. Appended by triggers on records, domains and zones in the writer's transaction. */
export interface DnsChangesTable {
  seq: DefaultInt8;
  zone_id: number;
  zone_name: string;
  /** the owner name that changed (the zone name for zone-level changes) */
  name: string;
  /**
   * what changed: records | domains | zones (a table), or dnssec (the zone's keys or its signing switch;
   * name = the zone's apex)
   */
  source: string;
  /** INSERT | UPDATE | DELETE */
  op: string;
  changed_at: DefaultTimestamp;
}

export interface UpdateLogTable {
  id: DefaultInt8;
  account_id: number | null;
  domain_id: number | null;
  at: DefaultTimestamp;
  source_ip: string | null;
  user_agent: string | null;
  /** the hosts named in the request, comma separated */
  hosts: string;
  /** reply code(s): good, nochg, badauth, ... */
  result: string;
  detail: string | null;
}

/** Failed requests of nobody (no account, no domain), counted per hour instead of one log row each. */
export interface AnonymousFailuresTable {
  /** the hour (UTC, truncated) */
  hour: Timestamp;
  /** e.g. `dyndns2` */
  surface: string;
  /** IPv4 /24 or IPv6 /56 of the sources */
  source_network: string;
  /** e.g. `badauth` */
  result: string;
  count: ColumnType<string, string | number | undefined, string | number>;
  last_at: DefaultTimestamp;
}

export interface EmailVerificationsTable {
  id: Generated<number>;
  domain_id: number;
  email: string;
  /**
   * SHA-256 of the secret in the link `PUBLIC_URL/verifyemail?s=<secret>`; null until the mailer mints the
   * secret as it renders the mail
   */
  secret_hash: string | null;
  expires_at: Timestamp;
  used_at: NullableTimestamp;
  created_at: DefaultTimestamp;
}

export type HealthState = 'new' | 'up' | 'down';

export interface HealthChecksTable {
  id: Generated<number>;
  account_id: number;
  name: string;
  ping_token_hash: string;
  period_seconds: number;
  grace_seconds: number;
  last_ping_at: NullableTimestamp;
  state: Generated<HealthState>;
  state_changed_at: NullableTimestamp;
  created_at: DefaultTimestamp;
}

/** Records-API (seed 000) tokens from POST /api-token-auth. */
export interface ApiTokensTable {
  id: Generated<number>;
  account_id: number;
  token_hash: string;
  created_at: DefaultTimestamp;
  last_used_at: NullableTimestamp;
}

/** Transactional outbox: jobs written with the change that causes them, moved to BullMQ by the relay. */
export interface OutboxTable {
  id: DefaultInt8;
  /** BullMQ queue name: email | certificates | sweeps */
  queue: string;
  job_name: string;
  payload: ColumnType<unknown, string, string>;
  /** idempotency key, used as the BullMQ jobId */
  job_id: string;
  created_at: DefaultTimestamp;
  relayed_at: NullableTimestamp;
  attempts: Generated<number>;
  last_error: string | null;
}

export interface MailDomainsTable {
  id: Generated<number>;
  zone_id: number;
  account_id: number;
  name: string;
  created_at: DefaultTimestamp;
}

export interface MailboxesTable {
  id: Generated<number>;
  mail_domain_id: number;
  local_part: string;
  /** full address, lowercase */
  email: string;
  /** `{ARGON2ID}$argon2id$...` (Dovecot-verifiable) */
  password_hash: string;
  quota_mb: Generated<number>;
  active: Generated<boolean>;
  created_at: DefaultTimestamp;
}

export interface DkimKeysTable {
  id: Generated<number>;
  mail_domain_id: number;
  selector: string;
  /** base64 DER SubjectPublicKeyInfo, as in the `p=` tag */
  public_key: string;
  private_key_enc: string;
  active: Generated<boolean>;
  created_at: DefaultTimestamp;
}

export type CertificateSource = 'letsencrypt' | 'upload';

export interface CertificatesTable {
  id: Generated<number>;
  hostname: string;
  account_id: number | null;
  mail_domain_id: number | null;
  cert_pem: string;
  chain_pem: string;
  key_enc: string;
  not_before: Timestamp;
  not_after: Timestamp;
  source: CertificateSource;
  created_at: DefaultTimestamp;
}

/** ACME accounts of the mailer, one per directory (CAs limit how many a client may register). */
export interface AcmeAccountsTable {
  directory_url: string;
  /** the account's private key (PEM), encrypted with SECRETS_KEY */
  key_enc: string;
  account_url: string;
  created_at: DefaultTimestamp;
}

/** Browser sessions of /v1: the cookie holds a random session id, this table its SHA-256. */
export interface SessionsTable {
  id: Generated<number>;
  account_id: number;
  token_hash: string;
  created_at: DefaultTimestamp;
  /** idle expiry counts from here (touched at most once a minute) */
  last_seen_at: DefaultTimestamp;
  /** absolute expiry */
  expires_at: Timestamp;
  source_ip: string | null;
  user_agent: string | null;
}

/** /v1 API keys (`Authorization: Bearer <key>`), scoped like deSEC's token policies. */
export interface ApiKeysTable {
  id: Generated<number>;
  account_id: number;
  name: string;
  /** SHA-256 of the key */
  key_hash: string;
  /** the names the key may touch (and records inside them); null = every domain of the account */
  domains: string[] | null;
  /** false = read-only */
  can_write: Generated<boolean>;
  expires_at: NullableTimestamp;
  created_at: DefaultTimestamp;
  last_used_at: NullableTimestamp;
}

export type AccountTokenPurpose = 'signup' | 'email_change' | 'password_reset' | 'invite';

/**
 * Single-use, expiring secrets sent by e-mail (or, for an invite without an address, shown once to the admin).
 * `secret_hash` is null until the mailer mints the secret as it renders the mail.
 */
export interface AccountTokensTable {
  id: Generated<number>;
  purpose: AccountTokenPurpose;
  /** the account it acts on (null for an invite) */
  account_id: number | null;
  /** the address the link was sent to (the new address for `email_change`; an invite's only allowed address) */
  email: string | null;
  secret_hash: string | null;
  expires_at: Timestamp;
  used_at: NullableTimestamp;
  /** the admin who made an invite */
  created_by: number | null;
  created_at: DefaultTimestamp;
}

export interface TotpRecoveryCodesTable {
  id: Generated<number>;
  account_id: number;
  /** SHA-256 of the normalised code */
  code_hash: string;
  used_at: NullableTimestamp;
}

export interface Database {
  accounts: AccountsTable;
  zones: ZonesTable;
  zone_keys: ZoneKeysTable;
  domains: DomainsTable;
  records: RecordsTable;
  dns_changes: DnsChangesTable;
  update_log: UpdateLogTable;
  anonymous_failures: AnonymousFailuresTable;
  email_verifications: EmailVerificationsTable;
  health_checks: HealthChecksTable;
  api_tokens: ApiTokensTable;
  outbox: OutboxTable;
  mail_domains: MailDomainsTable;
  mailboxes: MailboxesTable;
  dkim_keys: DkimKeysTable;
  certificates: CertificatesTable;
  acme_accounts: AcmeAccountsTable;
  sessions: SessionsTable;
  api_keys: ApiKeysTable;
  account_tokens: AccountTokensTable;
  totp_recovery_codes: TotpRecoveryCodesTable;
}

export type Account = Selectable<AccountsTable>;
export type NewAccount = Insertable<AccountsTable>;
export type Zone = Selectable<ZonesTable>;
export type NewZone = Insertable<ZonesTable>;
export type ZoneKey = Selectable<ZoneKeysTable>;
export type NewZoneKey = Insertable<ZoneKeysTable>;
export type Domain = Selectable<DomainsTable>;
export type NewDomain = Insertable<DomainsTable>;
export type DomainUpdate = Updateable<DomainsTable>;
export type DnsRecord = Selectable<RecordsTable>;
export type NewDnsRecord = Insertable<RecordsTable>;
export type DnsChange = Selectable<DnsChangesTable>;
export type UpdateLogEntry = Selectable<UpdateLogTable>;
export type HealthCheck = Selectable<HealthChecksTable>;
export type OutboxRow = Selectable<OutboxTable>;
export type MailDomain = Selectable<MailDomainsTable>;
export type Mailbox = Selectable<MailboxesTable>;
export type DkimKey = Selectable<DkimKeysTable>;
export type Certificate = Selectable<CertificatesTable>;
export type SessionRow = Selectable<SessionsTable>;
export type ApiKeyRow = Selectable<ApiKeysTable>;
export type AccountToken = Selectable<AccountTokensTable>;
