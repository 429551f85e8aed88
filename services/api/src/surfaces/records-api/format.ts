/**
 * The EnlightNS records API wire format (seed 000): Django-REST-framework-style JSON. Pure: no I/O.
 */
import type { RecordType } from '@ddns/db';
import { isOwnerName, normalizeName } from '@ddns/records';
import { parseAuthorization } from '../../auth/credentials';
import { USER_RECORD_TYPES } from '../../model/validate';

/** One record as seed 000 shows it. */
export interface RecordJson {
  id: number;
  name: string;
  type: RecordType;
  content: string;
  ttl: number;
  auth: null;
  active: boolean;
  is_free: boolean;
  owner: string;
}

export function formatRecord(
  r: { id: number; name: string; type: RecordType; content: string; ttl: number },
  ctx: { shared: boolean; owner: string },
): RecordJson {
  return {
    id: r.id,
    name: r.name,
    type: r.type,
    content: r.content,
    ttl: r.ttl,
    auth: null,
    active: true,
    is_free: ctx.shared,
    owner: ctx.owner,
  };
}

/** `?type=A` or `?type=A,AAAA` (case-insensitive); absent or empty = every type. */
export function parseTypeFilter(
  raw: unknown,
): { ok: true; types: RecordType[] | null } | { ok: false; error: string } {
  if (raw === undefined || raw === '') return { ok: true, types: null };
  if (typeof raw !== 'string') return { ok: false, error: 'type must be given once, e.g. type=A,AAAA' };
  const types: RecordType[] = [];
  for (const part of raw.split(',')) {
    const t = part.trim().toUpperCase();
    if (!t) continue;
    const found = USER_RECORD_TYPES.find((x) => x === t);
    if (!found) return { ok: false, error: `unknown record type "${part.trim()}"` };
    if (!types.includes(found)) types.push(found);
  }
  return { ok: true, types: types.length ? types : null };
}

/** A record id from the path: a positive integer, else null (answered as not found). */
export function parseRecordId(raw: string | undefined): number | null {
  return raw && /^\d{1,9}$/.test(raw) && Number(raw) > 0 ? Number(raw) : null;
}

/**
 * A record name from the path (`GET /user/record/<hostname>/`, as enlightns-cli asks): lowercased, one
 * trailing dot dropped; at least two labels (a lone label such as `abc` is neither an id nor a name: 404).
 */
export function parseRecordName(raw: string | undefined): string | null {
  if (!raw) return null;
  const name = normalizeName(raw);
  return name.includes('.') && isOwnerName(name) ? name : null;
}

/** The token of `Authorization: <token>`, `Token <token>` or `Bearer <token>`. */
export function tokenFromHeader(value: string | undefined): string | undefined {
  const h = parseAuthorization(value);
  return h.kind === 'token' || h.kind === 'bearer' ? h.token || undefined : undefined;
}

/** DRF's messages, which clients of the original service may show or match. */
export const MESSAGES = {
  noCredentials: 'Authentication credentials were not provided.',
  badToken: 'Invalid token.',
  badLogin: 'Unable to log in with provided credentials.',
  required: 'This field is required.',
  notFound: 'Not found.',
  throttled: (s: number) => `Request was throttled. Expected available in ${s} seconds.`,
} as const;

/** The body of PUT /user/record/<id>: `content` (required) and optional `ttl` (number or digits). */
export function parseRecordChange(
  body: unknown,
):
  | { ok: true; content: string; ttl: string | undefined }
  | { ok: false; field: 'content' | 'ttl'; error: string } {
  const b = (body && typeof body === 'object' ? body : {}) as Record<string, unknown>;
  if (typeof b.content !== 'string' || b.content === '')
    return { ok: false, field: 'content', error: MESSAGES.required };
  if (b.ttl === undefined || b.ttl === null || b.ttl === '')
    return { ok: true, content: b.content, ttl: undefined };
  if (typeof b.ttl === 'number' || typeof b.ttl === 'string')
    return { ok: true, content: b.content, ttl: String(b.ttl) };
  return { ok: false, field: 'ttl', error: 'A valid integer is required.' };
}
