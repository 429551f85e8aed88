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
  'API_MAX_CONNECTIONS_PER_ADDRESS',
  'API_MAX_CONNECTIONS_PER_NETWORK',
  'API_HEADERS_TIMEOUT_SECONDS',
  'API_REQUEST_TIMEOUT_SECONDS',
  'API_KEEPALIVE_TIMEOUT_SECONDS',
  'LOG_LEVEL',
);

export type ApiConfig = z.infer<typeof apiConfigSchema>;
