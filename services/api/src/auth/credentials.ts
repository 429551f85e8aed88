import type { IncomingHttpHeaders } from 'node:http';

/** What an Authorization header carries, parsed. */
export type AuthHeader =
  | { kind: 'basic'; user: string; password: string }
  | { kind: 'bearer'; token: string }
  | { kind: 'token'; token: string }
  | { kind: 'none' };

/**
 * Parses `Authorization`: `Basic b64(user:pass)`, `Bearer t`, `Token t`, or a bare token (seed 000 sends
 * `Authorization: <token>`). Pure.
 */
export function parseAuthorization(value: string | undefined): AuthHeader {
  const v = value?.trim();
  if (!v) return { kind: 'none' };
  const sp = v.indexOf(' ');
  const scheme = sp < 0 ? '' : v.slice(0, sp).toLowerCase();
  const rest = sp < 0 ? v : v.slice(sp + 1).trim();
  if (scheme === 'basic') {
    const decoded = Buffer.from(rest, 'base64').toString('utf8');
    const i = decoded.indexOf(':');
    return i < 0
      ? { kind: 'basic', user: decoded, password: '' }
      : { kind: 'basic', user: decoded.slice(0, i), password: decoded.slice(i + 1) };
  }
  if (scheme === 'bearer') return { kind: 'bearer', token: rest };
  if (scheme === 'token') return { kind: 'token', token: rest };
  return sp < 0 ? { kind: 'token', token: v } : { kind: 'none' };
}

/** First non-empty string among the named parameters of `source` (query or body). */
export function firstParam(source: unknown, names: readonly string[]): string | undefined {
  if (!source || typeof source !== 'object') return undefined;
  const rec = source as Record<string, unknown>;
  for (const n of names) {
    const v = rec[n];
    const s = Array.isArray(v) ? v[0] : v;
    if (typeof s === 'string' && s !== '') return s;
  }
  return undefined;
}

/**
 * Every token a request presents, in order of precedence: the named parameters, Bearer, either half of
 * Basic. The caller tries each against its token store (a wrong candidate is not an error by itself).
 */
export function candidateTokens(
  headers: IncomingHttpHeaders,
  query: unknown,
  body: unknown,
  paramNames: readonly string[],
): string[] {
  const out: string[] = [];
  const push = (t: string | undefined) => {
    if (t && !out.includes(t)) out.push(t);
  };
  push(firstParam(query, paramNames));
  push(firstParam(body, paramNames));
  const h = parseAuthorization(headers.authorization);
  if (h.kind === 'bearer' || h.kind === 'token') push(h.token);
  if (h.kind === 'basic') {
    push(h.password);
    push(h.user);
  }
  return out;
}
