import { isIP } from 'node:net';
import type { IncomingHttpHeaders } from 'node:http';
import { isHostLabel, normalizeName } from '@ddns/records';
import { candidateTokens, clientIp, parseAuthorization } from '../../auth';
import { parsePrefix, prefixOf, type Ipv6Prefix } from './prefix';

/**
 * The pure request layer of the DynDNS2 updater: which credentials, hosts, addresses, prefix and output mode a
 * request carries. No I/O here; routes.ts hands in the query, body, headers and source address.
 */

/** Parameters from the query string or a form body, as the parsers left them (strings, arrays, objects). */
export type Params = Readonly<Record<string, unknown>>;

export const TOKEN_PARAMS = ['key', 'token', 'user', 'username'] as const;
export const HOST_PARAMS = ['domain', 'host', 'hostname'] as const;
export const IPV4_PARAMS = ['ip', 'ipv4', 'ip4', 'myip'] as const;
export const IPV6_PARAMS = ['ip6', 'ipv6', 'myip6', 'myipv6'] as const;
export const PREFIX_PARAMS = ['ipv6prefix', 'ip6lanprefix'] as const;

/** Most hosts one request may name (DynDNS2: `numhost` beyond 20). */
export const MAX_HOSTS = 20;
/** Longest host list parameter we read (20 names of 253 chars plus commas fit). */
export const MAX_HOST_PARAM = 20 * 254;

export type OutputMode = 'text' | 'full' | 'min' | 'none';

/** Every string value of a parameter, in order: `a=1&a=2` and `a[]=1` give both; objects are ignored. */
export function stringValues(src: Params | undefined, name: string): string[] {
  const v = src?.[name];
  if (typeof v === 'string') return [v];
  if (Array.isArray(v)) return v.filter((x): x is string => typeof x === 'string');
  return [];
}

/** True when any of `names` is present in query or body (even empty: `?howismyip`). */
export function hasParam(
  query: Params | undefined,
  body: Params | undefined,
  names: readonly string[],
): boolean {
  return names.some((n) => (query && n in query) || (body && n in body));
}

/** Every value of every alias, query first, then body. */
function allValues(query: Params | undefined, body: Params | undefined, names: readonly string[]): string[] {
  const out: string[] = [];
  for (const src of [query, body]) for (const n of names) out.push(...stringValues(src, n));
  return out;
}

function firstValue(query: Params | undefined, body: Params | undefined, names: readonly string[]) {
  return allValues(query, body, names).find((v) => v !== '');
}

// ---------------------------------------------------------------------------------------------------------
// credentials

export interface PresentedCredentials {
  /** candidate tokens in order of precedence (parameters, Bearer, Basic password, Basic user) */
  tokens: string[];
  /** account e-mail + password (seed 000: `username=<email>&password=`; or Basic `email:password`) */
  login?: { email: string; password: string };
}

const looksLikeEmail = (s: string) => /^[^\s@:]+@[^\s@:]+$/.test(s);

/** `Bearer <token>` (seed 003's Example 2 sends it as the Basic user name): the token, else undefined. */
export function bearerToken(value: string): string | undefined {
  const m = /^bearer\s+(\S.*)$/i.exec(value.trim());
  return m ? m[1]!.trim() : undefined;
}

export function parseCredentials(
  headers: IncomingHttpHeaders,
  query: Params | undefined,
  body: Params | undefined,
): PresentedCredentials {
  const tokens: string[] = [];
  for (const t of candidateTokens(headers, query, body, TOKEN_PARAMS)) {
    const token = bearerToken(t) ?? t;
    if (!tokens.includes(token)) tokens.push(token);
  }
  let login: PresentedCredentials['login'];
  const user = firstValue(query, body, ['username', 'user']);
  const password = firstValue(query, body, ['password']);
  if (user && password && looksLikeEmail(user.trim())) login = { email: user.trim().toLowerCase(), password };
  if (!login) {
    const h = parseAuthorization(headers.authorization);
    if (h.kind === 'basic' && h.password && looksLikeEmail(h.user.trim()))
      login = { email: h.user.trim().toLowerCase(), password: h.password };
  }
  if (password && !tokens.includes(password)) tokens.push(password);
  return login ? { tokens, login } : { tokens };
}

// ---------------------------------------------------------------------------------------------------------
// update parameters

export interface UpdateRequest {
  /** normalised host names in request order (may still be invalid: checked per host) */
  hosts: string[];
  /** `praefix`: the update targets `<praefix>.<host>` */
  praefix?: string;
  /** the addresses to set (after falling back to the source address) */
  ipv4?: string;
  ipv6?: string;
  /** `ipv6prefix`/`ip6lanprefix` (resolved, `auto` included) */
  prefix?: Ipv6Prefix;
  /** `onlyprefix`: only the prefix-based AAAA records change */
  onlyPrefix: boolean;
  /** `healthcheck=<ping token>` */
  healthcheck?: string;
}

/** Request-level problems; per-host problems (notfqdn, nohost) are found later. */
export type UpdateParseError =
  /** more than MAX_HOSTS hosts, or an overlong host list */
  | 'numhost'
  /** an address or prefix that does not parse, or nothing to set */
  | 'badip'
  /** a `praefix` that is not a host name label sequence */
  | 'notfqdn';

export type UpdateParse = { ok: true; request: UpdateRequest } | { ok: false; error: UpdateParseError };

/** Host names of the request: aliases `domain|host|hostname`, comma separated, normalised, empties dropped. */
export function parseHosts(query: Params | undefined, body: Params | undefined): string[] | 'numhost' {
  const raw = allValues(query, body, HOST_PARAMS);
  if (raw.reduce((n, v) => n + v.length, 0) > MAX_HOST_PARAM) return 'numhost';
  const hosts = raw
    .flatMap((v) => v.split(','))
    .map((h) => normalizeName(h))
    .filter((h) => h !== '');
  return hosts.length > MAX_HOSTS ? 'numhost' : hosts;
}

/** `praefix`: one or more host labels, the first may be `*`. */
export function isPraefix(p: string): boolean {
  if (p.length > 190) return false;
  return p.split('.').every((l, i) => (l === '*' && i === 0) || isHostLabel(l));
}

const truthy = (v: string | undefined) => v === undefined || !/^(0|false|no|off)$/i.test(v.trim());

interface AddressScan {
  v4?: string;
  v6?: string;
  prefix?: string;
  v4Empty: boolean;
  v6Empty: boolean;
  bad: boolean;
}

/** Classifies every address value by family (`myip` may carry IPv6, `v4,v6`, or a `/len` prefix). */
function scanAddresses(query: Params | undefined, body: Params | undefined): AddressScan {
  const scan: AddressScan = { v4Empty: false, v6Empty: false, bad: false };
  const take = (values: string[], fam: 4 | 6) => {
    for (const value of values) {
      if (value.trim() === '') {
        if (fam === 4) scan.v4Empty = true;
        else scan.v6Empty = true;
        continue;
      }
      for (const part of value.split(',')) {
        const a = part.trim();
        if (a === '') continue;
        if (a.includes('/')) {
          if (parsePrefix(a)) scan.prefix ??= a;
          else scan.bad = true;
          continue;
        }
        const f = a.includes('%') ? 0 : isIP(a);
        if (f === 4) scan.v4 ??= a;
        else if (f === 6) scan.v6 ??= a;
        else scan.bad = true;
      }
    }
  };
  take(allValues(query, body, IPV4_PARAMS), 4);
  take(allValues(query, body, IPV6_PARAMS), 6);
  return scan;
}

/**
 * Reads the update parameters. `sourceIp` is the request's address (express's `req.ip`, TRUST_PROXY-aware):
 * a family with no address given falls back to it when the source is of that family and either no address
 * was given at all or that family's parameter was present but empty (`myip=`).
 */
export function parseUpdate(
  query: Params | undefined,
  body: Params | undefined,
  sourceIp: string,
): UpdateParse {
  const hosts = parseHosts(query, body);
  if (hosts === 'numhost') return { ok: false, error: 'numhost' };

  const praefixRaw = firstValue(query, body, ['praefix']);
  const praefix = praefixRaw === undefined ? undefined : normalizeName(praefixRaw);
  if (praefix !== undefined && (praefix === '' || !isPraefix(praefix)))
    return { ok: false, error: 'notfqdn' };

  const scan = scanAddresses(query, body);
  if (scan.bad) return { ok: false, error: 'badip' };
  const source = clientIp(sourceIp);
  const sourceFamily = isIP(source);
  const noneGiven = scan.v4 === undefined && scan.v6 === undefined;
  const ipv4 = scan.v4 ?? (sourceFamily === 4 && (noneGiven || scan.v4Empty) ? source : undefined);
  const ipv6 = scan.v6 ?? (sourceFamily === 6 && (noneGiven || scan.v6Empty) ? source : undefined);

  let prefix: Ipv6Prefix | undefined;
  const prefixRaw = firstValue(query, body, PREFIX_PARAMS) ?? scan.prefix;
  if (prefixRaw !== undefined) {
    const p =
      prefixRaw.trim().toLowerCase() === 'auto' ? (ipv6 ? prefixOf(ipv6) : null) : parsePrefix(prefixRaw);
    if (!p) return { ok: false, error: 'badip' };
    prefix = p;
  }
  const onlyPrefix = hasParam(query, body, ['onlyprefix']) && truthy(firstValue(query, body, ['onlyprefix']));
  if (onlyPrefix && !prefix) return { ok: false, error: 'badip' };
  if (!onlyPrefix && !ipv4 && !ipv6 && !prefix) return { ok: false, error: 'badip' };

  const request: UpdateRequest = { hosts, onlyPrefix };
  if (praefix !== undefined) request.praefix = praefix;
  if (!onlyPrefix && ipv4) request.ipv4 = ipv4;
  if (!onlyPrefix && ipv6) request.ipv6 = ipv6;
  if (prefix) request.prefix = prefix;
  const hc = firstValue(query, body, ['healthcheck']);
  if (hc) request.healthcheck = hc;
  return { ok: true, request };
}

/** The name an update of `host` writes: `<praefix>.<host>` or the host itself. */
export function targetName(host: string, praefix: string | undefined): string {
  return praefix ? `${praefix}.${host}` : host;
}

/** Every suffix of a name with at least two labels (`a.b.c.d` → `a.b.c.d`, `b.c.d`, `c.d`). */
export function suffixes(name: string): string[] {
  const labels = name.split('.');
  const out: string[] = [];
  for (let i = 0; i <= labels.length - 2; i++) out.push(labels.slice(i).join('.'));
  return out;
}
