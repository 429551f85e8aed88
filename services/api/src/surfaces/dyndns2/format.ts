import type { OutputMode } from './parse';

/**
 * The pure reply layer: classic DynDNS2 text, IPv64 JSON (`full`), `min` and `none`.
 *
 * Error bodies never contain the substrings ok, good, true, updated or nochg (inadyn counts a 200 whose body
 * contains any of them as success) and never echo user input (a host called `book.example` would).
 */

/** What one host of a request got. */
export type HostCode = 'good' | 'nochg' | 'nohost' | 'notfqdn' | 'abuse' | 'dnserr' | '911';

export interface HostResult {
  host: string;
  code: HostCode;
  /** the addresses (and prefix) now in DNS for this host, on good/nochg */
  ips: string[];
}

/** A whole-request outcome that is not a list of host results. */
export type RequestCode =
  | 'badauth'
  | 'numhost'
  | 'notfqdn'
  | 'badip'
  /** rate limit, daily quota or lockout: 429 */
  | 'abuse'
  /** Redis or Postgres unavailable */
  | '911'
  /** wrong method, unreadable or oversized request */
  | 'badrequest';

export interface Reply {
  status: number;
  headers: Record<string, string>;
  body: string;
}

const TEXT = 'text/plain; charset=utf-8';
const JSON_TYPE = 'application/json; charset=utf-8';

const REASONS: Record<number, string> = {
  200: 'OK',
  400: 'Bad Request',
  401: 'Unauthorized',
  405: 'Method Not Allowed',
  413: 'Payload Too Large',
  414: 'URI Too Long',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

/** `400 Bad Request`: the IPv64 JSON `status` of a failure. */
export function statusText(status: number): string {
  return `${status} ${REASONS[status] ?? 'Error'}`;
}

const isSuccess = (c: HostCode) => c === 'good' || c === 'nochg';

/** HTTP status of a failed host code when no host succeeded (JSON, min and none modes). */
function failureStatus(code: HostCode): number {
  switch (code) {
    case 'abuse':
      return 429;
    case 'dnserr':
      return 500;
    case '911':
      return 503;
    default:
      return 400;
  }
}

/** HTTP status of a request-level code in every mode but text. */
function requestStatus(code: RequestCode | HostCode): number {
  switch (code) {
    case 'badauth':
      return 401;
    case 'abuse':
      return 429;
    case '911':
      return 503;
    default:
      return 400;
  }
}

/** HTTP status of a request-level code in text mode (classic DynDNS2: 200 except auth, limits, bad input). */
function textRequestStatus(code: RequestCode | HostCode): number {
  switch (code) {
    case 'badauth':
      return 401;
    case 'abuse':
      return 429;
    case 'badip':
    case 'badrequest':
      return 400;
    default:
      return 200; // numhost, notfqdn, 911
  }
}

function reply(status: number, type: string | null, body: string, extra: Record<string, string> = {}): Reply {
  const headers: Record<string, string> = { 'cache-control': 'no-store', ...extra };
  if (type) headers['content-type'] = type;
  return { status, headers, body };
}

/** The reply to an update whose hosts were each processed. */
export function formatResults(mode: OutputMode, results: readonly HostResult[]): Reply {
  const anyOk = results.some((r) => isSuccess(r.code));
  const firstFail = results.find((r) => !isSuccess(r.code))?.code ?? 'nohost';
  if (mode === 'text') {
    const lines = results.map((r) => (isSuccess(r.code) ? `${r.code} ${r.ips.join(',')}`.trim() : r.code));
    return reply(200, TEXT, lines.join('\n') + '\n');
  }
  if (!anyOk) return formatRequestFailure(mode, firstFail, { status: failureStatus(firstFail) });
  if (mode === 'none') return reply(200, null, '');
  if (mode === 'min') {
    return reply(200, TEXT, results.map((r) => (isSuccess(r.code) ? r.code : 'fail')).join('\n') + '\n');
  }
  const ips = [...new Set(results.filter((r) => isSuccess(r.code)).flatMap((r) => r.ips))];
  const body = {
    status: 'success',
    info: results.some((r) => r.code === 'good') ? 'good' : 'nochg',
    ip: ips,
    hosts: results.map((r) =>
      isSuccess(r.code) ? { host: r.host, status: r.code, ip: r.ips } : { host: r.host, status: r.code },
    ),
  };
  return reply(200, JSON_TYPE, JSON.stringify(body));
}

export interface FailureOptions {
  /** seconds, for 429 */
  retryAfter?: number;
  /** overrides the mode's status (e.g. 405, 413, 414 for badrequest) */
  status?: number;
  /** text mode: how many lines (one per host; `911` for every host of a request that failed as a whole) */
  lines?: number;
}

/** The reply to a request that failed as a whole. Bodies are fixed words: never user input. */
export function formatRequestFailure(
  mode: OutputMode,
  code: RequestCode | HostCode,
  opts: FailureOptions = {},
): Reply {
  const extra: Record<string, string> = {};
  if (opts.retryAfter !== undefined) extra['retry-after'] = String(Math.max(1, Math.ceil(opts.retryAfter)));
  if (code === 'badauth') extra['www-authenticate'] = 'Basic realm="ddns", charset="UTF-8"';
  if (opts.status === 405) extra.allow = 'GET, POST';
  if (mode === 'text') {
    const status = opts.status ?? textRequestStatus(code);
    const n = Math.max(1, opts.lines ?? 1);
    return reply(status, TEXT, Array<string>(n).fill(code).join('\n') + '\n', extra);
  }
  const status = opts.status ?? requestStatus(code);
  if (mode === 'none') return reply(status, null, '', extra);
  if (mode === 'min') return reply(status, TEXT, 'fail\n', extra);
  return reply(status, JSON_TYPE, JSON.stringify({ status: statusText(status), info: code }), extra);
}

/** `howismyip` and `/tools/whatismyip/`. */
export function formatIp(mode: OutputMode | 'json', ip: string): Reply {
  if (mode === 'text' || mode === 'min') return reply(200, TEXT, `${ip}\n`);
  if (mode === 'none') return reply(200, null, '');
  return reply(200, JSON_TYPE, JSON.stringify({ ip }));
}

/** Substrings inadyn reads as success: no error body may contain them. */
export const SUCCESS_WORDS = ['ok', 'good', 'true', 'updated', 'nochg'] as const;

export function looksLikeSuccess(body: string): boolean {
  const b = body.toLowerCase();
  return SUCCESS_WORDS.some((w) => b.includes(w));
}
