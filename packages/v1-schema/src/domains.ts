import { z } from 'zod';
import { DomainName, Timestamp } from './common';

/**
 * A domain's health at a glance: `ok` (updated, answered), `never_updated` (no address yet), `pending` /
 * `suspended` (a hosted domain whose control is not proven / was lost: the DNS does not answer it).
 */
export const DomainHealth = z.enum(['ok', 'never_updated', 'pending', 'suspended']);
export type DomainHealth = z.infer<typeof DomainHealth>;

/** How to prove control of a hosted domain (pending until then). */
export const Ownership = z.object({
  status: z.enum(['active', 'pending', 'suspended']),
  /** TXT at this name ... */
  challengeName: z.string(),
  /** ... with this value, or delegate to these name servers */
  challengeValue: z.string(),
  nameServers: z.array(z.string()),
  checkedAt: Timestamp.nullable(),
  checkResult: z.string().nullable(),
});
export type Ownership = z.infer<typeof Ownership>;

export const Domain = z.object({
  id: z.number().int(),
  name: z.string(),
  zone: z.string(),
  kind: z.enum(['shared', 'hosted']),
  /** current A / AAAA at the name (the first of each), null when none */
  ipv4: z.string().nullable(),
  ipv6: z.string().nullable(),
  /** the last address update: when, from which address, through which client */
  lastUpdateAt: Timestamp.nullable(),
  lastUpdateSource: z.string().nullable(),
  lastUpdateResult: z.string().nullable(),
  health: DomainHealth,
  /** a WebThings gateway (registered through /subscribe) */
  gateway: z.boolean(),
  description: z.string(),
  ownership: Ownership.nullable(),
  createdAt: Timestamp,
});
export type Domain = z.infer<typeof Domain>;

export const DomainList = z.object({ domains: z.array(Domain) });
export type DomainList = z.infer<typeof DomainList>;

/**
 * POST /v1/domains: `label.zone` under a shared zone, or a domain of your own (hosted, pending until proven).
 * `address`: the first A/AAAA (default: none).
 */
export const DomainCreateRequest = z.object({
  name: DomainName,
  address: z.string().ip('not an IP address').optional(),
});
export type DomainCreateRequest = z.infer<typeof DomainCreateRequest>;

/** `token`: the domain's update token (DynDNS2 key for this domain only), shown once. */
export const DomainCreated = z.object({ domain: Domain, token: z.string() });
export type DomainCreated = z.infer<typeof DomainCreated>;

export const DomainToken = z.object({ token: z.string() });
export type DomainToken = z.infer<typeof DomainToken>;
