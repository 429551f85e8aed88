import { isIP } from 'node:net';
import { z } from 'zod';
import { secret } from './secret';

/**
 * Every environment variable of DESIGN.md, each with its parser. A service builds its config from the subset
 * it needs (see `pick` in ./env), so each validates exactly what it reads.
 */
const port = (def: number) =>
  z.coerce
    .number({ invalid_type_error: 'must be a port number' })
    .int('must be a whole number')
    .min(1, 'must be a port number between 1 and 65535')
    .max(65535, 'must be a port number between 1 and 65535')
    .default(def);

const int = (min: number, max: number, def: number) =>
  z.coerce
    .number({ invalid_type_error: 'must be a number' })
    .int('must be a whole number')
    .min(min, `must be at least ${min}`)
    .max(max, `must be at most ${max}`)
    .default(def);

const url = (protocols: string[], what: string) =>
  z.string().refine(
    (v) => {
      try {
        return protocols.includes(new URL(v).protocol);
      } catch {
        return false;
      }
    },
    `must be a ${what} URL (${protocols.map((p) => p + '//').join(' or ')}...)`,
  );

/** `scheme://host[:port]`, nothing after: what a browser sends as `Origin`. */
function isOrigin(v: string): boolean {
  try {
    const u = new URL(v);
    return (u.protocol === 'http:' || u.protocol === 'https:') && u.origin === v;
  } catch {
    return false;
  }
}

const ip = (family: 4 | 6) => z.string().refine((v) => isIP(v) === family, `must be an IPv${family} address`);

const boolish = z
  .enum(['true', 'false', '1', '0', 'yes', 'no', ''])
  .default('false')
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

const DOMAIN =
  /^(?=.{1,253}\.?$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.?$/i;

/** a.–m.root-servers.net (IPv4 and IPv6) */
const ROOT_SERVERS = [
  '198.41.0.4',
  '170.247.170.2',
  '192.33.4.12',
  '199.7.91.13',
  '192.203.230.10',
  '192.5.5.241',
  '192.112.36.4',
  '198.97.190.53',
  '192.36.148.17',
  '192.58.128.30',
  '193.0.14.129',
  '199.7.83.42',
  '202.12.27.33',
  '2001:503:ba3e::2:30',
  '2001:500:200::b',
  '2001:7fe::53',
];

/** `1.2.3.4`, `1.2.3.4:5353`, `2001:db8::1` or `[2001:db8::1]:5353` */
function isServerAddress(s: string): boolean {
  const v6 = /^\[([0-9a-fA-F:.]+)\](?::(\d{1,5}))?$/.exec(s);
  if (v6) return isIP(v6[1]!) === 6 && Number(v6[2] ?? 53) <= 65535;
  if (isIP(s) === 6) return true;
  const m = /^([^\s:]+)(?::(\d{1,5}))?$/.exec(s);
  return !!m && isIP(m[1]!) === 4 && Number(m[2] ?? 53) >= 1 && Number(m[2] ?? 53) <= 65535;
}

const optionalString = z
  .string()
  .optional()
  .transform((v) => (v === '' ? undefined : v));

const millis = (def: number) =>
  z.coerce
    .number({ invalid_type_error: 'must be a number of milliseconds' })
    .int('must be a whole number of milliseconds')
    .min(0, 'must be 0 (no limit) or more')
    .max(3_600_000, 'must be at most 3600000 (one hour)')
    .default(def);

export const fields = {
  DATABASE_URL: url(['postgres:', 'postgresql:'], 'PostgreSQL'),
  /** connecting to Postgres, and waiting for a free pooled connection */
  DB_CONNECT_TIMEOUT_MS: millis(5000),
  /** server-side statement_timeout; a query with no answer at all after this + 2 s drops its connection */
  DB_STATEMENT_TIMEOUT_MS: millis(5000),
  /** server-side idle_in_transaction_session_timeout */
  DB_IDLE_IN_TRANSACTION_TIMEOUT_MS: millis(10_000),
  REDIS_URL: url(['redis:', 'rediss:'], 'Redis'),
  API_HOST: z.string().min(1).default('0.0.0.0'),
  API_PORT: port(8080),
  /** API processes sharing the ports (node:cluster); limits and quotas stay shared through Redis */
  API_WORKERS: z.coerce.number().int().min(1).max(64).default(1),
  API_HTTP_PORT: port(8081),
  /** Prometheus metrics of the API, apart from the public port: loopback unless opened on purpose */
  API_METRICS_HOST: z.string().min(1).default('127.0.0.1'),
  API_METRICS_PORT: port(9464),
  TRUST_PROXY: z
    .string()
    .default('false')
    .describe('false, true, a hop count, or a list of trusted proxy addresses/subnets'),
  PUBLIC_URL: url(['http:', 'https:'], 'http(s)').default('http://localhost:8080'),
  REGISTRATION_ZONE: optionalString,
  DNS_HOST: z.string().min(1).default('0.0.0.0'),
  DNS_PORT: port(53),
  /** Prometheus metrics of the DNS service: loopback unless opened on purpose */
  DNS_METRICS_HOST: z.string().min(1).default('127.0.0.1'),
  DNS_METRICS_PORT: port(9153),
  DNS_SECONDARIES: z
    .string()
    .default('')
    .transform((v) => v.split(/[\s,]+/).filter(Boolean))
    .refine(
      (list) =>
        list.every(
          (e) =>
            /^([A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*\.?@)?[^@]+$/.test(e) &&
            [e.replace(/^[^@]*@/, '')].some(
              (a) => isIP(a) !== 0 || isIP(a.replace(/:\d+$/, '').replace(/^\[|\]$/g, '')) !== 0,
            ),
        ),
      {
        message:
          'must be a comma-separated list of IP addresses (optionally with :port, and keyname@ for a TSIG key)',
      },
    ),
  /** TSIG keys, `[hmac-sha256:]name:base64secret` (the `dig -y` format), comma-separated */
  DNS_TSIG_KEYS: z
    .string()
    .default('')
    .transform((v) => v.split(/[\s,]+/).filter(Boolean))
    .refine(
      (list) =>
        list.every((k) =>
          /^((hmac-sha256|hmac-sha384|hmac-sha512):)?[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*\.?:[A-Za-z0-9+/]{22,}={0,2}$/i.test(
            k,
          ),
        ),
      { message: 'must be a comma-separated list of [hmac-sha256:]name:base64-secret (16 bytes or more)' },
    ),
  DNS_RRL: boolish.default('true'),
  /** responses per second per client prefix when DNS_RRL is on */
  DNS_RRL_RATE: z.coerce.number().int().min(1).max(1_000_000).default(50),
  /** worker processes sharing the DNS sockets (node:cluster) */
  DNS_WORKERS: z.coerce.number().int().min(1).max(64).default(1),
  /** largest UDP reply whatever the requestor advertises (Knot `udp-max-payload`); larger answers get TC */
  DNS_UDP_MAX_PAYLOAD: int(512, 4096, 1232),
  /** UDP through the native addon (@ddns/udp-native): auto = when it loads, on = refuse to start without it */
  DNS_FAST_PATH: z.enum(['auto', 'on', 'off']).default('auto'),
  /** native UDP threads (one socket each, SO_REUSEPORT); unset = the available parallelism */
  DNS_UDP_THREADS: z.coerce.number().int().min(1).max(256).optional(),
  /** memory budget of the packet cache in MiB (the native one and the JavaScript one each) */
  DNS_CACHE_MB: int(1, 65_536, 128),
  /** simultaneous DNS TCP connections per process (Knot `tcp-max-clients`) */
  DNS_TCP_MAX_CLIENTS: int(1, 1_000_000, 512),
  /** DNS TCP connections from one address */
  DNS_TCP_MAX_PER_ADDRESS: int(1, 1_000_000, 16),
  /** DNS TCP connections from one IPv4 /24 or IPv6 /56 */
  DNS_TCP_MAX_PER_NETWORK: int(1, 1_000_000, 64),
  /** a DNS TCP connection must complete a query within this long of connecting or of its previous query */
  DNS_TCP_IDLE_TIMEOUT_MS: int(100, 3_600_000, 5_000),
  /** a DNS TCP client may leave answers (or a zone transfer) unread this long before it is closed */
  DNS_TCP_IO_TIMEOUT_MS: int(100, 3_600_000, 5_000),
  /** a DNS TCP connection reads no more queries after this long (closed once answered) */
  DNS_TCP_MAX_LIFETIME_MS: int(1_000, 86_400_000, 120_000),
  TUNNEL_IPV4: ip(4).optional(),
  TUNNEL_IPV6: ip(6).optional(),
  SMTP_URL: url(['smtp:', 'smtps:'], 'SMTP').default('smtp://localhost:1025'),
  MAIL_FROM: z.string().min(3).default('ddns <noreply@localhost>'),
  MAIL_HOST: z.string().min(1).default('mail.localhost'),
  /** browser origins allowed to call /mail/* (EasyMail admin panels): `*` (the original's) or a list */
  MAIL_CORS_ORIGINS: z
    .string()
    .default('*')
    .transform((v) => v.split(/[\s,]+/).filter(Boolean))
    .refine((list) => list.length > 0 && list.every((o) => o === '*' || isOrigin(o)), {
      message: 'must be * or a comma-separated list of origins (https://panel.example.net[:port])',
    }),
  ACME_DIRECTORY_URL: url(['http:', 'https:'], 'http(s)').default(
    'https://acme-staging-v02.api.letsencrypt.org/directory',
  ),
  ACME_CA_FILE: optionalString,
  /** rewritten every 10 s while the mailer's workers, Redis and Postgres answer (the image's healthcheck) */
  MAILER_HEARTBEAT_FILE: optionalString,
  /** our DNS service as host:port: the mailer waits until it answers a challenge TXT before asking the CA */
  ACME_DNS_SERVER: optionalString.refine(
    (v) => v === undefined || /^(\[[0-9a-fA-F:]+\]|[^\s:]+):\d{1,5}$/.test(v),
    {
      message: 'must be host:port (e.g. dns:53 or 127.0.0.1:1053)',
    },
  ),
  JWT_SECRET: secret,
  SECRETS_KEY: secret,
  TLS_CERT_FILE: optionalString,
  TLS_KEY_FILE: optionalString,
  /** open HTTP connections per client address / per IPv4 /24 or IPv6 /56 (0 = no cap; trusted proxies exempt) */
  API_MAX_CONNECTIONS_PER_ADDRESS: z.coerce.number().int().min(0).max(1_000_000).default(64),
  API_MAX_CONNECTIONS_PER_NETWORK: z.coerce.number().int().min(0).max(1_000_000).default(256),
  /** seconds a client has to send complete request headers / a whole request / before an idle keep-alive closes */
  API_HEADERS_TIMEOUT_SECONDS: z.coerce.number().int().min(1).max(3600).default(10),
  API_REQUEST_TIMEOUT_SECONDS: z.coerce.number().int().min(1).max(3600).default(30),
  API_KEEPALIVE_TIMEOUT_SECONDS: z.coerce.number().int().min(1).max(3600).default(5),
  /**
   * where the ownership check's walk to a domain's parent starts (the root servers by default): IPs with an
   * optional port; in tests, the test parent's server
   */
  DELEGATION_CHECK_SERVERS: z
    .string()
    .default(ROOT_SERVERS.join(','))
    .transform((v) => v.split(/[\s,]+/).filter(Boolean))
    .refine((list) => list.length > 0 && list.every(isServerAddress), {
      message: 'must be a comma-separated list of IP addresses, optionally with :port ([v6]:port for IPv6)',
    }),
  GATEWAY_EXPIRY_DAYS: z.coerce.number().int().min(0).default(0),
  /** who may create accounts through /v1/signup: closed (admins and the CLI only), invite, open */
  SIGNUP_MODE: z
    .enum(['closed', 'invite', 'open'], { message: 'must be closed, invite or open' })
    .default('closed'),
  /** open sign-up: leading zero bits of the proof of work (2^n SHA-256 hashes on average; 18 ≈ 1 s in a browser) */
  SIGNUP_POW_DIFFICULTY: z.coerce.number().int().min(1).max(30).default(18),
  /** /v1/events: live event streams one account may hold open at once (per API process) */
  V1_EVENTS_MAX_PER_ACCOUNT: z.coerce.number().int().min(1).max(100).default(5),
  UPDATE_LOG_RETENTION_DAYS: z.coerce.number().int().min(1, 'must be at least 1 day').default(30),
  DNS_CHANGES_RETENTION_DAYS: z.coerce.number().int().min(1, 'must be at least 1 day').default(7),
  /**
   * DNSSEC key rollover: time for a change to reach every secondary and the parent's servers (s), added to
   * every TTL the rollover waits for (mailer sweep, `ddns zone rollover`)
   */
  DNSSEC_PROPAGATION_DELAY_SECONDS: z.coerce.number().int().min(0).max(604800).default(3600),
  /** `ddns init`: the shared zone to create (gateways and updaters register under it) */
  DDNS_ZONE: optionalString.refine((v) => v === undefined || DOMAIN.test(v), {
    message: 'must be a domain name (e.g. dyn.example.net)',
  }),
  /** `ddns init`: the zone's name servers, `host=ip` (glue for in-zone hosts) or `host`, comma-separated */
  DDNS_NS: z
    .string()
    .default('')
    .transform((v) => v.split(/[\s,]+/).filter(Boolean))
    .refine((list) => list.every((n) => /^[^=\s]+(=[0-9a-fA-F.:]+)?$/.test(n)), {
      message: 'must be a comma-separated list of host=ip or host (e.g. ns1.dyn.example.net=203.0.113.53)',
    }),
  /** `ddns init`: e-mail of the first admin account (created once, credentials printed once) */
  DDNS_ADMIN_EMAIL: optionalString.refine((v) => v === undefined || /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(v), {
    message: 'must be an e-mail address',
  }),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
} as const;

export type FieldName = keyof typeof fields;
