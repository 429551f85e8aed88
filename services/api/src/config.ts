import { pick } from '@ddns/config';
import type { z } from 'zod';

export const apiConfigSchema = pick(
  'DATABASE_URL',
  'REDIS_URL',
  'API_HOST',
  'API_PORT',
  'API_HTTP_PORT',
  'API_METRICS_HOST',
  'API_METRICS_PORT',
  'TRUST_PROXY',
  'PUBLIC_URL',
  'REGISTRATION_ZONE',
  'TUNNEL_IPV4',
  'TUNNEL_IPV6',
  'MAIL_HOST',
  'MAIL_CORS_ORIGINS',
  'JWT_SECRET',
  'SECRETS_KEY',
  'TLS_CERT_FILE',
  'TLS_KEY_FILE',
  'GATEWAY_EXPIRY_DAYS',
  'LOG_LEVEL',
);

export type ApiConfig = z.infer<typeof apiConfigSchema>;
