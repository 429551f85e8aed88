/** Domain-name rules shared by every surface and the DNS responder. Names are lowercase, no trailing dot. */

const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;
/** a label that may also carry underscores (`_acme-challenge`, `_dmarc`, `_sip._tcp`) */
const SERVICE_LABEL = /^_?[a-z0-9](?:[a-z0-9_-]{0,61}[a-z0-9])?$|^_[a-z0-9_-]{1,62}$/;

/** Lowercase, trimmed, one trailing dot removed. */
export function normalizeName(name: string): string {
  const n = name.trim().toLowerCase();
  return n.endsWith('.') ? n.slice(0, -1) : n;
}

/** One host-name label: letters, digits, inner hyphens, 1–63 chars. */
export function isHostLabel(label: string): boolean {
  return LABEL.test(label);
}

/** A host name of two or more labels (an FQDN without the trailing dot), ≤ 253 chars. */
export function isHostname(name: string): boolean {
  if (name.length === 0 || name.length > 253) return false;
  const labels = name.split('.');
  return labels.length >= 2 && labels.every(isHostLabel);
}

/** An owner name of a record: labels may be `*` (first only) or start with `_`. */
export function isOwnerName(name: string): boolean {
  if (name.length === 0 || name.length > 253) return false;
  const labels = name.split('.');
  return labels.every((l, i) => (l === '*' && i === 0) || isHostLabel(l) || SERVICE_LABEL.test(l));
}

/** True when `name` is `zone` or inside it. */
export function isInZone(name: string, zone: string): boolean {
  return name === zone || name.endsWith(`.${zone}`);
}

/** The longest zone of `zones` that contains `name`, if any. */
export function findZone<T extends { name: string }>(name: string, zones: readonly T[]): T | undefined {
  let best: T | undefined;
  for (const z of zones) if (isInZone(name, z.name) && (!best || z.name.length > best.name.length)) best = z;
  return best;
}

/** Gateway names that may never be registered. */
export function isReservedLabel(label: string): boolean {
  return label === 'api' || label === 'www' || label === '_psl' || /^ns\d*$/.test(label);
}
