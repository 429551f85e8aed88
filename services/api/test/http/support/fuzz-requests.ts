/**
 * A deterministic generator of hostile HTTP/1.1 requests over every surface of the API: random methods, paths
 * of every surface, mangled query strings, odd headers and credentials, multipart / JSON / urlencoded / raw
 * bodies (truncated, oversized, with NULs and invalid UTF-8), request lines and headers over Node's 16 KiB.
 * Request i depends only on (seed, i), so a failure names the request that reproduces it.
 */

/** mulberry32: a small seeded PRNG. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Valid credentials of the fuzzed deployment, so some requests get past authentication. */
export interface FuzzCredentials {
  updateToken: string;
  apiKey: string;
  mailJwt: string;
  recordsToken: string;
  domainToken: string;
  email: string;
  hostname: string;
}

export interface FuzzRequest {
  /** short description: method, category, path */
  label: string;
  bytes: Buffer;
  head: boolean;
}

type Rng = () => number;
const int = (r: Rng, n: number) => Math.floor(r() * n);
const pick = <T>(r: Rng, xs: readonly T[]): T => xs[int(r, xs.length)]!;
const chance = (r: Rng, p: number) => r() < p;

const PATHS = [
  // dyndns2
  '/nic/update',
  '/nic/update/',
  '/update',
  '/update.php',
  '/tools/whatismyip/',
  '/tools/whatismyip',
  // registration
  '/subscribe',
  '/unsubscribe',
  '/reclaim',
  '/ping',
  '/dnsconfig',
  '/info',
  '/setemail',
  '/verifyemail',
  '/revokeemail',
  '/connectivity-check',
  // account API, health checks
  '/api',
  '/api.php',
  '/health/0123456789abcdef',
  '/health/%00',
  // records API
  '/api-token-auth',
  '/user/record/',
  '/user/record/1',
  '/user/record/99999999999999999999',
  '/user/record/%E0%A4%A',
  // ACME
  '/acme/httpreq/present',
  '/acme/httpreq/cleanup',
  // mail
  '/mail/auth',
  '/mail/domains',
  '/mail/domain',
  '/mail/export/domain',
  '/mail/users/1',
  '/mail/users/%FF',
  '/mail/user/1',
  '/mail/user-change-password',
  '/mail/users',
  '/mail/dkim/add-new-domain',
  '/mail/ssl/letsencrypt/install',
  '/mail/ssl/get-left-days',
  '/mail/ssl/upload',
  '/mail/nothing',
  // /v1
  '/v1/auth/login',
  '/v1/signup',
  '/v1/signup/challenge',
  '/v1/auth/verify-email',
  '/v1/domains',
  '/v1/domains/%E0%A4%A/records/1',
  '/v1/domains/a.dyn.test/records/99999999999999999999',
  '/v1/account/totp/confirm',
  '/v1/logs?limit=-1&before=x',
  '/v1/events',
  '/v1/admin/accounts?q=%00',
  // operations
  '/healthz',
  '/readyz',
  '/metrics',
  '/openapi.json',
  '/admin/queues',
  '/admin/queues/api/queues',
  // elsewhere
  '/',
  '/%',
  '/..%2f..%2fetc/passwd',
  '//mail//auth',
  '/mail/%2e%2e/api',
  '*',
];

const METHODS = [
  'GET',
  'GET',
  'GET',
  'POST',
  'POST',
  'POST',
  'PUT',
  'DELETE',
  'PATCH',
  'HEAD',
  'OPTIONS',
  'FOO',
  'get',
];

const PARAM_NAMES = [
  'hostname',
  'myip',
  'myipv6',
  'key',
  'token',
  'user',
  'username',
  'password',
  'domain',
  'domains',
  'ip',
  'ipv6',
  'output',
  'howismyip',
  'praefix',
  'offline',
  'name',
  'desc',
  'email',
  'mode',
  'reclamationToken',
  'challenge',
  'optout',
  's',
  'apikey',
  'get_account_info',
  'get_logs',
  'get_domains',
  'add_domain',
  'del_domain',
  'add_record',
  'del_record',
  'type',
  'content',
  'ttl',
  'record_id',
  'id',
  'domain_id',
  'ssl_certificate',
  'ssl_certificate_key',
  'fqdn',
  'value',
  'add_healthcheck',
  'del_healthcheck',
  'wildcard',
  'mx',
  'backmx',
  'system',
];

/** Values that broke parsers elsewhere: NULs, invalid UTF-8, overlong, surrogates, injections, numbers. */
function nastyValue(r: Rng, creds: FuzzCredentials): string {
  switch (int(r, 22)) {
    case 0:
      return '';
    case 1:
      return '%00';
    case 2:
      return `a%00b`;
    case 3:
      return '%ff%fe%fd';
    case 4:
      return '%C3%28';
    case 5:
      return '%ED%A0%80'; // encoded surrogate
    case 6:
      return '%';
    case 7:
      return '%zz%4';
    case 8:
      return 'x'.repeat(1 + int(r, 9000));
    case 9:
      return "'; DROP TABLE accounts;--";
    case 10:
      return '1.2.3.4';
    case 11:
      return '2001:db8::1,1.2.3.4/24';
    case 12:
      return creds.hostname;
    case 13:
      return encodeURIComponent(creds.email);
    case 14:
      return '-1';
    case 15:
      return '99999999999999999999999';
    case 16:
      return '1e400';
    case 17:
      return 'true';
    case 18:
      return encodeURIComponent('é\u0000ü\u2028<script>');
    case 19:
      return pick(r, [creds.updateToken, creds.apiKey, creds.domainToken, creds.recordsToken]);
    case 20:
      return 'A'.repeat(63) + '.dyn.test';
    default:
      return String(int(r, 1000));
  }
}

function paramName(r: Rng): string {
  const n = pick(r, PARAM_NAMES);
  switch (int(r, 12)) {
    case 0:
      return `${n}[]`;
    case 1:
      return `${n}[a][b]`;
    case 2:
      return `${n}[${int(r, 100000)}]`;
    case 3:
      return '__proto__';
    case 4:
      return `${n}[__proto__][x]`;
    case 5:
      return `${n}%00`;
    case 6:
      return `${n}[a][b][c][d][e][f][g][h]`;
    default:
      return n;
  }
}

/** A query string or urlencoded body: duplicate names (arrays), brackets, huge counts, bad encodings. */
function formString(r: Rng, creds: FuzzCredentials): string {
  const parts: string[] = [];
  const count = chance(r, 0.03) ? 1000 + int(r, 3000) : int(r, 8);
  for (let i = 0; i < count; i++) {
    const bulk = count > 50;
    const name = bulk ? `p${i % 7}` : paramName(r);
    if (chance(r, 0.08)) parts.push(name);
    else parts.push(`${name}=${bulk ? String(i) : nastyValue(r, creds)}`);
    if (chance(r, 0.15)) parts.push(`${name}=${nastyValue(r, creds)}`); // the same name twice
  }
  if (chance(r, 0.05)) parts.push('&&&==&=');
  return parts.join('&');
}

function jsonBody(r: Rng, creds: FuzzCredentials): string {
  switch (int(r, 10)) {
    case 0:
      return '{"fqdn": "_acme-challenge.' + creds.hostname + '.", "value": "' + 'v'.repeat(43) + '"}';
    case 1:
      return '{"email":"' + creds.email + '","password":"\\u0000"}';
    case 2:
      return '{"content":"\\ud800","ttl":"60"}';
    case 3:
      return '[1,2,3]';
    case 4:
      return 'null';
    case 5:
      return '{"a":' + '['.repeat(5000) + ']'.repeat(5000) + '}';
    case 6:
      return '{"broken": ';
    case 7:
      return '"just a string"';
    case 8:
      return JSON.stringify({ username: creds.email, password: 'x'.repeat(int(r, 70000)) });
    default: {
      const o: Record<string, unknown> = {};
      for (let i = 0; i < int(r, 6); i++)
        o[pick(r, PARAM_NAMES)] = pick(r, [1, -1, null, true, [], {}, 'x', '\u0000', 1e308]);
      return JSON.stringify(o);
    }
  }
}

function multipartBody(r: Rng, creds: FuzzCredentials, boundary: string): Buffer {
  const parts: Buffer[] = [];
  const n = chance(r, 0.05) ? 60 + int(r, 100) : int(r, 6);
  for (let i = 0; i < n; i++) {
    const name = pick(r, PARAM_NAMES);
    const file = chance(r, 0.2);
    let value: Buffer;
    switch (int(r, 7)) {
      case 0:
        value = Buffer.from([0x00, 0xff, 0xfe, 0x41, 0x00]);
        break;
      case 1:
        value = Buffer.alloc(int(r, chance(r, 0.2) ? 300_000 : 40_000), 0x61);
        break;
      case 2:
        value = Buffer.from(creds.email);
        break;
      case 3:
        value = Buffer.from('-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
        break;
      default:
        value = Buffer.from(decodeURIComponentSafe(nastyValue(r, creds)), 'latin1');
    }
    const disp = file
      ? `Content-Disposition: form-data; name="${name}"; filename="f${i}.pem"\r\nContent-Type: application/octet-stream`
      : pick(r, [
          `Content-Disposition: form-data; name="${name}"`,
          'Content-Disposition: form-data',
          `Content-Disposition: attachment; name=${name}`,
          'X-Nothing: 1',
        ]);
    parts.push(Buffer.from(`--${boundary}\r\n${disp}\r\n\r\n`), value, Buffer.from('\r\n'));
  }
  switch (int(r, 6)) {
    case 0:
      break; // no closing boundary
    case 1:
      parts.push(Buffer.from(`--${boundary}`));
      break; // truncated closing boundary
    case 2:
      parts.push(Buffer.from(`--wrong--\r\n`));
      break;
    default:
      parts.push(Buffer.from(`--${boundary}--\r\n`));
  }
  return Buffer.concat(parts);
}

function decodeURIComponentSafe(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

function authHeaders(r: Rng, creds: FuzzCredentials): string[] {
  const b64 = (s: string) => Buffer.from(s, 'latin1').toString('base64');
  switch (int(r, 16)) {
    case 0:
      return [`Authorization: Bearer ${creds.updateToken}`];
    case 1:
      return [`Authorization: Basic ${b64(`x:${creds.updateToken}`)}`];
    case 2:
      return [`Authorization: Bearer ${creds.apiKey}`];
    // a valid e-mail + password costs an argon2 verification: rarely
    case 3:
      return chance(r, 0.2) ? [`Authorization: Basic ${b64(`${creds.email}:password123`)}`] : [];
    case 4:
      return [`Authorization: ${creds.recordsToken}`];
    case 5:
      return [`Authorization: Token ${creds.recordsToken}`];
    case 6:
      return [`Auth-token: ${creds.mailJwt}`];
    case 7:
      return [`Auth-token: ${creds.mailJwt.slice(0, -3)}abc`];
    case 8:
      return [`Authorization: Basic ${b64('\u0000:\u00ff')}`];
    case 9:
      return ['Authorization: Basic !!!notbase64', 'Authorization: Bearer'];
    case 10:
      return [`Authorization: Bearer ${'x'.repeat(8000)}`];
    case 11:
      return [`Auth-token: ${b64('{"alg":"none"}')}.${b64('{"sub":"1","aud":"ddns-mail"}')}.`];
    default:
      return [];
  }
}

/** Request i of the run with this seed. */
export function fuzzRequest(seed: number, i: number, creds: FuzzCredentials): FuzzRequest {
  const r = prng(seed * 1_000_003 + i);
  const method = pick(r, METHODS);
  let path = pick(r, PATHS);
  if (chance(r, 0.05)) path = path.toUpperCase();
  const headers: string[] = ['Host: 127.0.0.1'];
  let query = chance(r, 0.7) ? formString(r, creds) : '';
  let category = 'plain';
  // a request line over Node's 16 KiB header limit (the finding: 431 came with a TCP reset)
  if (chance(r, 0.04)) {
    query = `pad=${'q'.repeat(16_500 + int(r, 20_000))}`;
    category = 'long-line';
  }
  if (chance(r, 0.03)) {
    headers.push(`X-Pad: ${'h'.repeat(17_000)}`);
    category = 'long-header';
  }
  headers.push(...authHeaders(r, creds));
  if (chance(r, 0.05)) headers.push('Expect: 100-continue');
  if (chance(r, 0.05))
    headers.push('Content-Encoding: ' + pick(r, ['gzip', 'br', 'deflate', 'identity', 'zstd']));
  if (chance(r, 0.03)) headers.push('Upgrade: websocket', 'Connection: Upgrade');
  if (chance(r, 0.04)) headers.push(`Cookie: ${'c=1; '.repeat(int(r, 300))}`);
  if (chance(r, 0.03)) headers.push('X-Forwarded-For: 1.2.3.4, ::1, garbage');

  let body: Buffer = Buffer.alloc(0);
  const withBody = method !== 'GET' && method !== 'HEAD' ? chance(r, 0.8) : chance(r, 0.2);
  if (withBody || category !== 'plain') {
    switch (int(r, 6)) {
      case 0:
      case 1: {
        const boundary = chance(r, 0.9) ? `----fuzz${int(r, 1e9)}` : '';
        headers.push(
          `Content-Type: ${pick(r, ['multipart/form-data', 'multipart/form-data; charset=utf-16', 'multipart/mixed'])}${boundary ? `; boundary=${boundary}` : ''}`,
        );
        body = multipartBody(r, creds, boundary || 'nope');
        category += '+multipart';
        break;
      }
      case 2:
        headers.push(
          `Content-Type: ${pick(r, ['application/json', 'application/json; charset=utf-16', 'application/json; charset=bogus', 'text/json'])}`,
        );
        body = Buffer.from(jsonBody(r, creds), 'utf8');
        category += '+json';
        break;
      case 3:
        headers.push('Content-Type: application/x-www-form-urlencoded');
        body = Buffer.from(formString(r, creds), 'latin1');
        category += '+form';
        break;
      case 4:
        if (chance(r, 0.5))
          headers.push(
            `Content-Type: ${pick(r, ['text/plain', 'application/octet-stream', '', 'x/y; boundary='])}`,
          );
        body = Buffer.alloc(int(r, chance(r, 0.1) ? 600_000 : 2000));
        for (let k = 0; k < Math.min(body.length, 4096); k++) body[k] = int(r, 256);
        category += '+raw';
        break;
      default:
        category += '+nobody';
    }
  }

  let framing: string[];
  if (body.length > 0 && chance(r, 0.15)) {
    // chunked, sometimes with a broken chunk
    const size = body.length.toString(16);
    const broken = chance(r, 0.3);
    framing = ['Transfer-Encoding: chunked'];
    body = Buffer.concat([Buffer.from(`${broken ? 'zz' : size}\r\n`), body, Buffer.from('\r\n0\r\n\r\n')]);
    category += '+chunked';
  } else if (body.length > 0 && chance(r, 0.03)) {
    // a Content-Length that lies short: the rest is a garbage "next request"
    framing = [`Content-Length: ${Math.floor(body.length / 2)}`];
    category += '+short-cl';
  } else {
    framing = body.length > 0 || chance(r, 0.3) ? [`Content-Length: ${body.length}`] : [];
  }
  if (chance(r, 0.02)) framing.push('Content-Length: 5'); // duplicate, conflicting
  const version = chance(r, 0.05) ? 'HTTP/1.0' : 'HTTP/1.1';
  const target = query ? `${path}?${query}` : path;
  let line = `${method} ${target} ${version}`;
  if (chance(r, 0.02)) line = `${method} ${target}\u0000 ${version}`;
  if (chance(r, 0.02)) line = `${method} /x\u00ff\u00fe ${version}`;
  const head = [line, ...headers, ...framing, 'Connection: close'].join('\r\n') + '\r\n\r\n';
  return {
    label: `#${i} ${method} ${path} ${category} (${head.length + body.length} bytes)`,
    bytes: Buffer.concat([Buffer.from(head, 'latin1'), body]),
    head: method === 'HEAD',
  };
}
