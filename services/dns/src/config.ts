import { pick } from '@ddns/config';
import type { z } from 'zod';

const fields = pick(
  'DATABASE_URL',
  'DB_CONNECT_TIMEOUT_MS',
  'DB_STATEMENT_TIMEOUT_MS',
  'DB_IDLE_IN_TRANSACTION_TIMEOUT_MS',
  'DNS_HOST',
  'DNS_PORT',
  'DNS_METRICS_HOST',
  'DNS_METRICS_PORT',
  'DNS_SECONDARIES',
  'DNS_RRL',
  'TUNNEL_IPV4',
  'TUNNEL_IPV6',
  'LOG_LEVEL',
  'DNS_RRL_RATE',
  'DNS_WORKERS',
  'DNS_UDP_MAX_PAYLOAD',
  'DNS_FAST_PATH',
  'DNS_UDP_THREADS',
  'DNS_CACHE_MB',
  'DNS_TCP_MAX_CLIENTS',
  'DNS_TCP_MAX_PER_ADDRESS',
  'DNS_TCP_MAX_PER_NETWORK',
  'DNS_TCP_IDLE_TIMEOUT_MS',
  'DNS_TCP_IO_TIMEOUT_MS',
  'DNS_TCP_MAX_LIFETIME_MS',
  'DNS_TSIG_KEYS',
  'SECRETS_KEY',
);

/** A secondary may name a TSIG key (`keyname@ip`) only if DNS_TSIG_KEYS defines it. */
export const dnsConfigSchema = fields.superRefine((c, ctx) => {
  const keys = new Set(
    c.DNS_TSIG_KEYS.map((k) => k.split(':').slice(-2)[0]!.toLowerCase().replace(/\.$/, '')),
  );
  for (const s of c.DNS_SECONDARIES) {
    const at = s.indexOf('@');
    const key = at > 0 ? s.slice(0, at).toLowerCase().replace(/\.$/, '') : null;
    if (key && !keys.has(key))
      ctx.addIssue({
        code: 'custom',
        path: ['DNS_SECONDARIES'],
        message: `names TSIG key "${key}", which DNS_TSIG_KEYS does not define`,
      });
  }
});
export type DnsConfig = z.infer<typeof dnsConfigSchema>;

/**
 * DNS_HOST may list several addresses (comma or space separated). `0.0.0.0` alone also listens on `::`
 * (IPv6 only), best effort: `optional` lists what may fail to bind on a host without IPv6.
 */
export function listenHosts(host: string): { hosts: string[]; optional: string[] } {
  const list = host.split(/[\s,]+/).filter(Boolean);
  return list.length === 1 && list[0] === '0.0.0.0'
    ? { hosts: ['0.0.0.0', '::'], optional: ['::'] }
    : { hosts: list, optional: [] };
}
