import { z } from 'zod';
import { Timestamp } from './common';

/** GET /v1/logs: newest first; `before` = the `next` of the previous page. */
export const LogQuery = z.object({
  domain: z.string().trim().max(253).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  before: z.coerce.number().int().positive().optional(),
});
export type LogQuery = z.input<typeof LogQuery>;

export const LogEntry = z.object({
  id: z.number().int(),
  at: Timestamp,
  domain: z.string().nullable(),
  hosts: z.string(),
  /** good, nochg, badauth, ... */
  result: z.string(),
  detail: z.string().nullable(),
  sourceIp: z.string().nullable(),
  userAgent: z.string().nullable(),
});
export type LogEntry = z.infer<typeof LogEntry>;

export const LogPage = z.object({ entries: z.array(LogEntry), next: z.number().int().nullable() });
export type LogPage = z.infer<typeof LogPage>;

export const HealthCheck = z.object({
  id: z.number().int(),
  name: z.string(),
  periodSeconds: z.number().int(),
  graceSeconds: z.number().int(),
  state: z.enum(['new', 'up', 'down']),
  lastPingAt: Timestamp.nullable(),
  stateChangedAt: Timestamp.nullable(),
  createdAt: Timestamp,
});
export type HealthCheck = z.infer<typeof HealthCheck>;

export const HealthCheckList = z.object({ checks: z.array(HealthCheck) });
export type HealthCheckList = z.infer<typeof HealthCheckList>;

export const HealthCheckCreateRequest = z.object({
  name: z.string().trim().min(1, 'the name is missing').max(100, 'at most 100 characters'),
  periodSeconds: z.number().int().min(60).max(2592000).default(3600),
  graceSeconds: z.number().int().min(0).max(2592000).default(300),
});
export type HealthCheckCreateRequest = z.input<typeof HealthCheckCreateRequest>;

/** `pingUrl` carries the ping token: shown once. */
export const HealthCheckCreated = z.object({ check: HealthCheck, token: z.string(), pingUrl: z.string() });
export type HealthCheckCreated = z.infer<typeof HealthCheckCreated>;

/** A WebThings gateway of the account (registered with /subscribe, or claimed with its token). */
export const Gateway = z.object({
  id: z.number().int(),
  name: z.string(),
  mode: z.enum(['tunnelled', 'direct']),
  ipv4: z.string().nullable(),
  ipv6: z.string().nullable(),
  lastPingAt: Timestamp.nullable(),
  email: z.string().nullable(),
  emailVerified: z.boolean(),
  description: z.string(),
});
export type Gateway = z.infer<typeof Gateway>;

export const GatewayList = z.object({ gateways: z.array(Gateway) });
export type GatewayList = z.infer<typeof GatewayList>;

/** POST /v1/gateways/claim: attach a gateway registered without an account, by its token. */
export const GatewayClaimRequest = z.object({
  token: z.string().trim().min(1, 'the token is missing').max(200),
});
export type GatewayClaimRequest = z.infer<typeof GatewayClaimRequest>;

/** One DNS record to copy into a zone you host elsewhere, or to check. */
export const CopyRecord = z.object({
  purpose: z.enum(['mx', 'spf', 'dkim', 'dmarc', 'ownership']),
  name: z.string(),
  type: z.string(),
  content: z.string(),
});
export type CopyRecord = z.infer<typeof CopyRecord>;

export const MailDomain = z.object({
  id: z.number().int(),
  name: z.string(),
  status: z.enum(['active', 'pending', 'suspended']),
  mailboxes: z.number().int(),
  /** MX, SPF, DKIM and DMARC records (already in our DNS when we host the zone) */
  records: z.array(CopyRecord),
  createdAt: Timestamp,
});
export type MailDomain = z.infer<typeof MailDomain>;

export const MailDomainList = z.object({ mailDomains: z.array(MailDomain) });
export type MailDomainList = z.infer<typeof MailDomainList>;

/** DNSSEC material of a zone, to hand to the parent (DS) or to check (DNSKEY). */
export const Dnssec = z.object({
  zone: z.string(),
  /** false until the zone is signed (DNSSEC not on for it yet) */
  signed: z.boolean(),
  dnskey: z.array(
    z.object({
      flags: z.number().int(),
      algorithm: z.number().int(),
      publicKey: z.string(),
      record: z.string(),
    }),
  ),
  ds: z.array(
    z.object({
      keyTag: z.number().int(),
      algorithm: z.number().int(),
      digestType: z.number().int(),
      digest: z.string(),
      record: z.string(),
    }),
  ),
});
export type Dnssec = z.infer<typeof Dnssec>;

/**
 * GET /v1/events (text/event-stream). Event `address`: a domain of the caller changed its addresses
 * (`data` is this object as JSON). Event `ready` once at the start; comment lines as heartbeats.
 */
export const AddressEvent = z.object({
  domain: z.string(),
  ipv4: z.string().nullable(),
  ipv6: z.string().nullable(),
  at: Timestamp,
  lastUpdateSource: z.string().nullable(),
});
export type AddressEvent = z.infer<typeof AddressEvent>;
