/**
 * The gateway registration wire format (seeds 001/004), pure: parameter parsing and response bodies.
 * No I/O here; routes.ts does HTTP, service.ts does the work.
 */
import type { Domain, DomainMode } from '@ddns/db';
import { isHostLabel, isReservedLabel } from '@ddns/records';

/** The error codes /subscribe (and /reclaim) answer as `400 {"error":"<Code>"}`. */
export type SubscribeErrorCode =
  | 'UnavailableName'
  | 'UnavailableNameReclamationPossible'
  | 'ReclamationTokenMismatch'
  | 'NoSuchName'
  | 'NoEmail';

export type Parsed<T> = { ok: true; value: T } | { ok: false; reason: string };
const ok = <T>(value: T): Parsed<T> => ({ ok: true, value });
const bad = <T>(reason: string): Parsed<T> => ({ ok: false, reason });

/** A query parameter as one string: the first value when repeated, undefined when absent or not a string. */
export function param(query: unknown, name: string): string | undefined {
  if (!query || typeof query !== 'object') return undefined;
  const v = (query as Record<string, unknown>)[name];
  const s = Array.isArray(v) ? v[0] : v;
  return typeof s === 'string' ? s : undefined;
}

/** A gateway name: trimmed, lowercased, one DNS label, not reserved. */
export function parseGatewayName(raw: string | undefined): Parsed<string> {
  if (raw === undefined) return bad('missing name');
  const label = raw.trim().toLowerCase();
  if (!label) return bad('missing name');
  if (!isHostLabel(label)) return bad('name must be one DNS label (letters, digits, inner hyphens, ≤ 63)');
  if (isReservedLabel(label)) return bad('reserved name');
  return ok(label);
}

/** `mode`: absent/empty = 0 (tunnelled); 0/1; `Tunneled`/`Tunnelled`/`DynamicDNS` in any case. */
export function parseMode(raw: string | undefined): Parsed<DomainMode> {
  const v = (raw ?? '').trim().toLowerCase();
  if (v === '' || v === '0' || v === 'tunneled' || v === 'tunnelled') return ok(0);
  if (v === '1' || v === 'dynamicdns') return ok(1);
  return bad('mode must be 0, 1, Tunneled or DynamicDNS');
}

const EMAIL = /^[^\s@<>()[\]\\,;:"]+@[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)+$/i;

/** An e-mail address: trimmed, `local@domain.tld`, at most 254 characters. The domain part is lowercased. */
export function parseEmail(raw: string | undefined): Parsed<string> {
  const v = (raw ?? '').trim();
  if (!v) return bad('missing email');
  if (v.length > 254 || !EMAIL.test(v)) return bad('malformed email');
  const at = v.lastIndexOf('@');
  return ok(`${v.slice(0, at)}@${v.slice(at + 1).toLowerCase()}`);
}

/** An optional e-mail (subscribe): absent or empty is undefined. */
export function parseOptionalEmail(raw: string | undefined): Parsed<string | undefined> {
  if (raw === undefined || raw.trim() === '') return ok(undefined);
  return parseEmail(raw);
}

/** `optout`: absent = false; 0/1/true/false/yes/no. */
export function parseFlag(raw: string | undefined): Parsed<boolean> {
  const v = (raw ?? '').trim().toLowerCase();
  if (v === '' || v === '0' || v === 'false' || v === 'no') return ok(false);
  if (v === '1' || v === 'true' || v === 'yes') return ok(true);
  return bad('flag must be 0 or 1');
}

/**
 * An ACME DNS-01 challenge value (43 base64url characters from a real CA), accepted as 1–255 printable ASCII
 * characters without spaces, quotes or backslashes, so it is one TXT string as is.
 */
export function parseChallenge(raw: string | undefined): Parsed<string> {
  const v = (raw ?? '').trim();
  if (!v) return bad('missing challenge');
  if (v.length > 255 || !/^[\x21\x23-\x5b\x5d-\x7e]+$/.test(v)) return bad('malformed challenge');
  return ok(v);
}

/** A token parameter: present and non-empty (a wrong one is the caller's 404), at most 200 characters. */
export function parseToken(raw: string | undefined): Parsed<string> {
  const v = (raw ?? '').trim();
  if (!v) return bad('missing token');
  if (v.length > 200) return bad('malformed token');
  return ok(v);
}

/** An optional token (reclamationToken): absent or empty is undefined, so it can never match anything. */
export function parseOptionalToken(raw: string | undefined): Parsed<string | undefined> {
  const v = (raw ?? '').trim();
  if (!v) return ok(undefined);
  if (v.length > 200) return bad('malformed token');
  return ok(v);
}

/** `desc`: trimmed, at most 200 characters; absent or empty gets a default naming the gateway. */
export function parseDescription(raw: string | undefined, label: string): Parsed<string> {
  const v = (raw ?? '').trim();
  if (!v) return ok(`${label}'s server`);
  if (v.length > 200) return bad('desc too long');
  return ok(v);
}

/** The body of a successful /subscribe. `name` is the label the gateway asked for, not the full name. */
export function subscribeBody(label: string, token: string): { name: string; token: string } {
  return { name: label, token };
}

export interface InfoBody {
  name: string;
  domain: string;
  description: string;
  email: string | null;
  emailVerified: boolean;
  emailOptout: boolean;
  mode: DomainMode;
  lastPing: string | null;
  lastPingIpv4: string | null;
  lastPingIpv6: string | null;
  created: string;
}

/** /info: the domain's public state. Never a token or hash. */
export function infoBody(d: Domain, zoneName: string): InfoBody {
  const label = d.name.endsWith(`.${zoneName}`) ? d.name.slice(0, -(zoneName.length + 1)) : d.name;
  return {
    name: label,
    domain: d.name,
    description: d.description,
    email: d.email_verified ? d.email : null,
    emailVerified: d.email_verified,
    emailOptout: d.email_optout,
    mode: d.mode ?? 0,
    lastPing: d.last_ping_at ? new Date(d.last_ping_at).toISOString() : null,
    lastPingIpv4: d.last_ping_ip4,
    lastPingIpv6: d.last_ping_ip6,
    created: new Date(d.created_at).toISOString(),
  };
}

const esc = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

export type VerifyOutcome =
  | { kind: 'verified'; domain: string; email: string }
  | { kind: 'missing' }
  | { kind: 'invalid' }
  | { kind: 'error' };

/**
 * The HTML page /verifyemail answers, and its status: 200 verified, 400 no `s`, 404 unknown/used/expired,
 * 501 internal failure.
 */
export function verifyPage(o: VerifyOutcome): { status: number; html: string } {
  const page = (title: string, body: string) =>
    `<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">` +
    `<title>${esc(title)}</title></head><body><h1>${esc(title)}</h1><p>${body}</p></body></html>\n`;
  if (o.kind === 'verified')
    return {
      status: 200,
      html: page(
        'E-mail address verified',
        `${esc(o.email)} is now the contact address of <strong>${esc(o.domain)}</strong>. You can close this page.`,
      ),
    };
  if (o.kind === 'missing')
    return { status: 400, html: page('Verification failed', 'The link is incomplete: it carries no code.') };
  if (o.kind === 'error')
    return {
      status: 501,
      html: page('Verification failed', 'Something went wrong on our side. Please try again later.'),
    };
  return {
    status: 404,
    html: page(
      'Verification failed',
      'This link is unknown, was already used, or has expired. Ask your gateway to send a new one.',
    ),
  };
}
