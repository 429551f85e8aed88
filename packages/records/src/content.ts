import { isIP } from 'node:net';
import type { RecordType } from '@ddns/db';
import { isHostname, normalizeName } from './names';

/** Result of validating a record's content: the canonical form, or why it is wrong. */
export type ContentCheck = { ok: true; content: string } | { ok: false; error: string };

export const TTL_MIN = 1;
export const TTL_MAX = 604800;
/** Longest TXT value we accept (split into 255-byte strings on the wire; 4000 keeps a record well under 64 KiB). */
export const TXT_MAX = 4000;

const u16 = (s: string | undefined) => s !== undefined && /^\d{1,5}$/.test(s) && Number(s) <= 65535;

function target(s: string | undefined): string | null {
  if (s === undefined) return null;
  const n = normalizeName(s);
  return n === '' ? null : isHostname(n) || n === '.' ? n : null;
}

/** A refusal. Defined once, not per call: the DNS loader validates a million rows at start. */
const bad = (error: string): ContentCheck => ({ ok: false, error });

/**
 * Validates and canonicalises the presentation form of a record's data (see the schema for each form).
 * Pure: used by every API surface before writing and by the DNS responder before encoding.
 */
export function checkContent(type: RecordType, raw: string): ContentCheck {
  const v = raw.trim();
  switch (type) {
    case 'A':
      return isIP(v) === 4 ? { ok: true, content: v } : bad(`"${v}" is not an IPv4 address`);
    case 'AAAA':
      return isIP(v) === 6 ? { ok: true, content: canonicalIPv6(v) } : bad(`"${v}" is not an IPv6 address`);
    case 'CNAME':
    case 'NS': {
      const t = target(v);
      return t ? { ok: true, content: t } : bad(`"${v}" is not a host name`);
    }
    case 'TXT':
      if (raw.length === 0) return bad('TXT content is empty');
      if (Buffer.byteLength(raw, 'utf8') > TXT_MAX) return bad(`TXT content is longer than ${TXT_MAX} bytes`);
      return { ok: true, content: raw };
    case 'MX': {
      const [pref, host, ...rest] = v.split(/\s+/);
      if (rest.length || !u16(pref)) return bad('MX content must be "<preference 0-65535> <host name>"');
      const t = target(host);
      return t
        ? { ok: true, content: `${Number(pref)} ${t}` }
        : bad(`MX target "${host ?? ''}" is not a host name`);
    }
    case 'SRV': {
      const [prio, weight, port, host, ...rest] = v.split(/\s+/);
      if (rest.length || !u16(prio) || !u16(weight) || !u16(port))
        return bad('SRV content must be "<priority> <weight> <port> <target>" (numbers 0-65535)');
      const t = target(host);
      return t
        ? { ok: true, content: `${Number(prio)} ${Number(weight)} ${Number(port)} ${t}` }
        : bad(`SRV target "${host ?? ''}" is not a host name`);
    }
    case 'CAA': {
      const m = /^(\d{1,3})\s+([a-zA-Z0-9]{1,15})\s+"?([^"]*)"?$/.exec(v);
      if (!m || Number(m[1]) > 255) return bad('CAA content must be "<flags 0-255> <tag> \\"<value>\\""');
      return { ok: true, content: `${Number(m[1])} ${m[2]!.toLowerCase()} "${m[3]}"` };
    }
    default:
      return bad(`unsupported record type ${String(type)}`);
  }
}

/** RFC 5952 canonical text of an IPv6 address. */
export function canonicalIPv6(addr: string): string {
  const groups = expandIPv6(addr);
  if (!groups) return addr.toLowerCase();
  const parts = groups.map((g) => g.toString(16));
  // longest run of zeros (length ≥ 2) becomes ::
  let best = -1;
  let bestLen = 0;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  if (best < 0) return parts.join(':');
  return `${parts.slice(0, best).join(':')}::${parts.slice(best + bestLen).join(':')}`;
}

/** The eight 16-bit groups of an IPv6 address (embedded IPv4 allowed), or null. */
export function expandIPv6(addr: string): number[] | null {
  if (isIP(addr) !== 6) return null;
  let a = addr.toLowerCase();
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(a);
  if (v4) {
    const o = v4[1]!.split('.').map(Number);
    a =
      a.slice(0, -v4[1]!.length) +
      `${((o[0]! << 8) | o[1]!).toString(16)}:${((o[2]! << 8) | o[3]!).toString(16)}`;
  }
  const [head, tail] = a.split('::') as [string, string | undefined];
  const h = head ? head.split(':') : [];
  const t = tail !== undefined && tail !== '' ? tail.split(':') : [];
  const fill = tail === undefined ? 0 : 8 - h.length - t.length;
  const all = [...h, ...Array<string>(fill).fill('0'), ...t];
  if (all.length !== 8) return null;
  return all.map((g) => parseInt(g, 16));
}
