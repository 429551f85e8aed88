import type { RecordType } from '@ddns/db';
import { checkContent, isOwnerName, normalizeName, TTL_MAX, TTL_MIN } from '@ddns/records';

/** Record types an account may write through the APIs (seed 003's list, plus CAA). */
export const USER_RECORD_TYPES: readonly RecordType[] = [
  'A',
  'AAAA',
  'TXT',
  'CNAME',
  'MX',
  'NS',
  'SRV',
  'CAA',
];
export const DEFAULT_TTL = 60;

export type Checked<T> = { ok: true; value: T } | { ok: false; error: string };

export function parseRecordType(raw: string | undefined): Checked<RecordType> {
  const t = (raw ?? '').trim().toUpperCase();
  if (!t) return { ok: false, error: 'type is missing' };
  const found = USER_RECORD_TYPES.find((x) => x === t);
  return found
    ? { ok: true, value: found }
    : { ok: false, error: `type must be one of ${USER_RECORD_TYPES.join(', ')}` };
}

/** TTL in seconds; empty means the default. */
export function parseTtl(raw: string | undefined): Checked<number> {
  if (raw === undefined || raw.trim() === '') return { ok: true, value: DEFAULT_TTL };
  const s = raw.trim();
  if (!/^\d{1,7}$/.test(s) || Number(s) < TTL_MIN || Number(s) > TTL_MAX)
    return { ok: false, error: `ttl must be a whole number of seconds from ${TTL_MIN} to ${TTL_MAX}` };
  return { ok: true, value: Number(s) };
}

/**
 * The owner name of a record: `praefix.domain`, or the domain itself for an empty praefix or `@`.
 * A praefix may hold several labels (`_acme-challenge`, `_sip._tcp`, `*`, `www.shop`).
 */
export function ownerName(domain: string, praefix: string | undefined): Checked<string> {
  const p = normalizeName(praefix ?? '');
  if (p === '' || p === '@') return { ok: true, value: domain };
  const name = `${p}.${domain}`;
  if (!isOwnerName(name))
    return { ok: false, error: `praefix "${praefix ?? ''}" is not a valid name prefix` };
  return { ok: true, value: name };
}

/** The praefix of `name` below `domain` ('' at the domain itself). */
export function praefixOf(name: string, domain: string): string {
  return name === domain ? '' : name.slice(0, name.length - domain.length - 1);
}

export interface RecordInput {
  type: RecordType;
  content: string;
  ttl: number;
}

/** Validates type, content and TTL together; content comes back canonical. */
export function checkRecordInput(
  typeRaw: string | undefined,
  contentRaw: string | undefined,
  ttlRaw?: string,
): Checked<RecordInput> {
  const type = parseRecordType(typeRaw);
  if (!type.ok) return type;
  if (contentRaw === undefined || contentRaw === '') return { ok: false, error: 'content is missing' };
  const content = checkContent(type.value, contentRaw);
  if (!content.ok) return { ok: false, error: content.error };
  const ttl = parseTtl(ttlRaw);
  if (!ttl.ok) return ttl;
  return { ok: true, value: { type: type.value, content: content.content, ttl: ttl.value } };
}
