/**
 * Canonical DNS name order (RFC 4034 §6.1) for names in our store's form (lowercase, no trailing dot, ''
 * for the root): labels compared from the rightmost, each as an octet string, a missing label first.
 */
export function compareNames(a: string, b: string): number {
  if (a === b) return 0;
  let ea = a.length;
  let eb = b.length;
  for (;;) {
    if (ea <= 0) return eb <= 0 ? 0 : -1;
    if (eb <= 0) return 1;
    const sa = a.lastIndexOf('.', ea - 1) + 1;
    const sb = b.lastIndexOf('.', eb - 1) + 1;
    const la = ea - sa;
    const lb = eb - sb;
    const n = Math.min(la, lb);
    for (let i = 0; i < n; i++) {
      const d = lower(a.charCodeAt(sa + i)) - lower(b.charCodeAt(sb + i));
      if (d !== 0) return d;
    }
    if (la !== lb) return la - lb;
    ea = sa - 1;
    eb = sb - 1;
  }
}

const lower = (c: number) => (c >= 65 && c <= 90 ? c + 32 : c);

/** A key whose plain string order is the canonical order (labels reversed, joined by U+0000). */
export function canonicalSortKey(name: string): string {
  return name === '' ? '' : name.toLowerCase().split('.').reverse().join('\u0000');
}

/** Sorts names canonically (decorate, sort, undecorate: one key per name instead of one per comparison). */
export function sortCanonical(names: Iterable<string>): string[] {
  const keyed = Array.from(names, (n) => [canonicalSortKey(n), n] as const);
  keyed.sort((x, y) => (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0));
  return keyed.map((k) => k[1]);
}
