import { pick } from '@ddns/config';
import type { z } from 'zod';

export const mailerConfigSchema = pick(
  'DATABASE_URL',
  'DB_CONNECT_TIMEOUT_MS',
  'DB_STATEMENT_TIMEOUT_MS',
  'DB_IDLE_IN_TRANSACTION_TIMEOUT_MS',
  'REDIS_URL',
  'PUBLIC_URL',
  'SMTP_URL',
  'MAIL_FROM',
  'ACME_DIRECTORY_URL',
  'ACME_CA_FILE',
  'ACME_DNS_SERVER',
  'SECRETS_KEY',
  'GATEWAY_EXPIRY_DAYS',
  'DELEGATION_CHECK_SERVERS',
  'DNSSEC_PROPAGATION_DELAY_SECONDS',
  'UPDATE_LOG_RETENTION_DAYS',
  'DNS_CHANGES_RETENTION_DAYS',
  'LOG_LEVEL',
  'MAILER_HEARTBEAT_FILE',
);
export type MailerConfig = z.infer<typeof mailerConfigSchema>;
