/**
 * The IPv64-style account API wire format (seed 003, "DynDNS API"): which call a request makes, and the JSON
 * it gets back. Pure: no I/O.
 */
import type { Account, DnsRecord, Domain, HealthCheck, UpdateLogEntry, Zone } from '@ddns/db';
import { dsToPublish, type OwnershipInfo, type ZoneKeys } from '@ddns/registry';

export const ACTIONS = [
  'get_account_info',
  'get_logs',
  'get_domains',
  'add_domain',
  'del_domain',
  'add_record',
  'del_record',
  'get_healthchecks',
  'add_healthcheck',
  'del_healthcheck',
] as const;
export type Action = (typeof ACTIONS)[number];

/** The HTTP methods each call accepts: reads by GET (or POST), writes by POST, deletions by DELETE (or POST). */
export const ACTION_METHODS: Record<Action, readonly string[]> = {
  get_account_info: ['GET', 'POST'],
  get_logs: ['GET', 'POST'],
  get_domains: ['GET', 'POST'],
  get_healthchecks: ['GET', 'POST'],
  add_domain: ['POST'],
  add_record: ['POST'],
  add_healthcheck: ['POST'],
  del_domain: ['DELETE', 'POST'],
  del_record: ['DELETE', 'POST'],
  del_healthcheck: ['DELETE', 'POST'],
};

/** The parameter names that carry the account API key (besides Bearer and Basic). */
export const KEY_PARAMS = ['apikey', 'token'] as const;

export type ParsedCall = { ok: true; action: Action; value: string } | { ok: false; error: string };

function param(source: unknown, name: string): string | undefined {
  if (!source || typeof source !== 'object') return undefined;
  const v = (source as Record<string, unknown>)[name];
  const s = Array.isArray(v) ? (v as unknown[])[0] : v;
  return typeof s === 'string' ? s : undefined;
}

/** A string parameter from the query, else the body (undefined when absent in both). */
export function readParam(query: unknown, body: unknown, name: string): string | undefined {
  return param(query, name) ?? param(body, name);
}

/**
 * The call: the one action name present as a parameter (`?get_domains`, `add_domain=name.zone`), from the query
 * string or the form body. Two different calls at once are refused.
 */
export function parseCall(query: unknown, body: unknown): ParsedCall {
  const found: { action: Action; value: string }[] = [];
  for (const action of ACTIONS) {
    const v = readParam(query, body, action);
    if (v !== undefined) found.push({ action, value: v.trim() });
  }
  if (found.length === 0) return { ok: false, error: `no API call given: use one of ${ACTIONS.join(', ')}` };
  if (found.length > 1) return { ok: false, error: 'give exactly one API call per request' };
  return { ok: true, ...found[0]! };
}

const STATUS_TEXT: Record<number, string> = {
  200: '200 OK',
  201: '201 Created',
  400: '400 Bad Request',
  401: '401 Unauthorized',
  403: '403 Forbidden',
  429: '429 Too Many Requests',
  503: '503 Service Unavailable',
};

export type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

/**
 * The IPv64 envelope: the payload, then `info` ("success" or "error"), `status` ("200 OK", ...), and the call's
 * own key carrying the call's answer (the call name for reads, the affected name or the error for writes).
 */
export function envelope(
  call: string,
  status: number,
  message: string,
  payload: Record<string, Json> = {},
): Record<string, Json> {
  return {
    ...payload,
    info: status < 300 ? 'success' : 'error',
    status: STATUS_TEXT[status] ?? String(status),
    [call]: message,
  };
}

/** `2026-01-02 03:04:05` (UTC), the service's time format. */
export function formatTime(d: Date | null | undefined): string {
  return d ? d.toISOString().slice(0, 19).replace('T', ' ') : '';
}

export interface ClassInfo {
  className: string;
  domainLimit: number;
  updateLimit: number;
  apiLimit: number;
  healthcheckLimit: number;
}

/** get_account_info. The API key and update token are never shown again after creation, so they are absent. */
export function formatAccountInfo(
  account: Pick<Account, 'email' | 'created_at' | 'is_admin'>,
  cls: ClassInfo,
  counts: { dyndnsUpdates: number; apiUpdates: number; domains: number; healthchecks: number },
): Record<string, Json> {
  return {
    email: account.email,
    account_status: 'activ',
    reg_date: formatTime(account.created_at),
    admin: account.is_admin,
    dyndns_updates: counts.dyndnsUpdates,
    api_updates: counts.apiUpdates,
    domains: counts.domains,
    healthchecks: counts.healthchecks,
    account_class: {
      class_name: cls.className,
      dyndns_domain_limit: cls.domainLimit,
      dyndns_update_limit: cls.updateLimit,
      api_limit: cls.apiLimit,
      healthcheck_limit: cls.healthcheckLimit,
    },
  };
}

/** get_logs: newest first. */
export function formatLogs(rows: readonly UpdateLogEntry[]): Json[] {
  return rows.map((r) => ({
    subdomain: r.hosts,
    time: formatTime(r.at),
    header: r.result === 'api' ? 'API' : `DynDNS Update: ${r.result}`,
    content: r.detail ?? `${r.result}${r.source_ip ? ` from ${r.source_ip}` : ''}`,
  }));
}

/** get_domains: `subdomains` keyed by domain name, each with its records (`praefix` relative to the domain). */
export function formatDomains(
  domains: readonly Domain[],
  records: readonly DnsRecord[],
  updates: ReadonlyMap<number, number>,
  ownership: ReadonlyMap<number, Json> = new Map(),
  dnssec: ReadonlyMap<number, Json> = new Map(),
): Record<string, Json> {
  const out: Record<string, Json> = {};
  for (const d of domains) {
    const mine = records.filter((r) => r.domain_id === d.id);
    const own = ownership.get(d.id);
    const served = !own || (own as { status?: Json }).status === 'active';
    out[d.name] = {
      updates: updates.get(d.id) ?? 0,
      wildcard: mine.some((r) => r.name.startsWith('*.')) ? 1 : 0,
      domain_update_hash: '',
      ipv6prefix: d.ipv6_prefix ?? '',
      dualstack: '',
      deactivated: served ? 0 : 1,
      records: mine.map((r) => formatRecord(r, d.name)),
      ...(own ? { ownership: own } : {}),
      ...(dnssec.has(d.id) ? { dnssec: dnssec.get(d.id)! } : {}),
    };
  }
  return out;
}

/**
 * A hosted domain's ownership: `status` (pending: not served until proven; active; suspended: proof lost, not
 * served), the TXT record that proves control, the name servers to delegate to, and the last check.
 */
export function formatOwnership(
  o: OwnershipInfo,
  check?: Pick<Zone, 'checked_at' | 'check_result'>,
): Record<string, Json> {
  return {
    status: o.status,
    challenge: { name: o.challenge.name, type: o.challenge.type, value: o.challenge.value },
    nameservers: o.nameServers,
    ...(check
      ? { last_check: formatTime(check.checked_at), last_check_result: check.check_result ?? '' }
      : {}),
  };
}

/**
 * A hosted domain's DNSSEC: `enabled` (0/1), `ds`: the registrar-ready DS lines to publish at the parent now,
 * `keys`: every key with its DNSKEY and DS (`state`: active signs, published is pre-published for a rollover,
 * retired is on its way out).
 */
export function formatDnssec(k: ZoneKeys): Record<string, Json> {
  return {
    enabled: k.dnssec ? 1 : 0,
    ds: dsToPublish(k),
    keys: k.keys.map((x) => ({
      key_tag: x.keyTag,
      algorithm: x.algorithm,
      flags: x.flags,
      state: x.state,
      digest_type: x.dsFields.digestType,
      digest: x.dsFields.digest,
      ds: x.ds,
      dnskey: x.dnskey,
    })),
  };
}

export function formatRecord(r: DnsRecord, domain: string): Record<string, Json> {
  return {
    record_id: r.id,
    content: r.content,
    ttl: r.ttl,
    type: r.type,
    praefix: r.name === domain ? '' : r.name.slice(0, r.name.length - domain.length - 1),
    last_update: formatTime(r.updated_at),
    record_key: '',
    deactivated: 0,
    failover_policy: '0',
  };
}

export function formatHealthChecks(checks: readonly HealthCheck[]): Json[] {
  return checks.map((c) => ({
    id: c.id,
    name: c.name,
    period: c.period_seconds,
    grace: c.grace_seconds,
    state: c.state,
    last_ping: formatTime(c.last_ping_at),
    created: formatTime(c.created_at),
  }));
}
