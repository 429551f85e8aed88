/**
 * Finds text no parameter may carry: a NUL (Postgres refuses it in text: the query fails) or a lone UTF-16
 * surrogate (JSON `"\ud800"`: not a character, it would be stored as U+FFFD). Invalid UTF-8 in a body or a
 * percent-encoded query is decoded as U+FFFD before anything sees it, so it arrives as ordinary text.
 * Walks strings, arrays and objects (keys included), to a bounded depth. Pure.
 */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

export function unsafeText(value: unknown, depth = 0): string | undefined {
  if (typeof value === 'string') {
    if (value.includes('\u0000')) return 'NUL bytes are not allowed in parameters';
    if (LONE_SURROGATE.test(value)) return 'parameters must be valid UTF-8 text';
    return undefined;
  }
  if (value === null || typeof value !== 'object' || depth > 8) return undefined;
  if (Array.isArray(value)) {
    for (const v of value) {
      const bad = unsafeText(v, depth + 1);
      if (bad) return bad;
    }
    return undefined;
  }
  for (const [k, v] of Object.entries(value)) {
    const bad = unsafeText(k, depth + 1) ?? unsafeText(v, depth + 1);
    if (bad) return bad;
  }
  return undefined;
}
