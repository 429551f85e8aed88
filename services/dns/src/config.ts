import { pick } from '@ddns/config';
import type { z } from 'zod';

export const dnsConfigSchema = pick(
  'DATABASE_URL',
  'DNS_HOST',
  'DNS_PORT',
  'DNS_METRICS_PORT',
  'DNS_SECONDARIES',
  'DNS_RRL',
  'TUNNEL_IPV4',
  'TUNNEL_IPV6',
  'LOG_LEVEL',
);
export type DnsConfig = z.infer<typeof dnsConfigSchema>;
