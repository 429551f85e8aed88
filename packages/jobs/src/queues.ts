/** The BullMQ queues and the data of their jobs: the contract between the api (producer) and the mailer. */
export const QUEUES = {
  email: 'email',
  certificates: 'certificates',
  sweeps: 'sweeps',
  ownership: 'ownership',
} as const;
export type QueueName = (typeof QUEUES)[keyof typeof QUEUES];

export type EmailTemplate =
  | 'reclamation-token'
  | 'verify-email'
  | 'gateway-expiry-warning'
  | 'healthcheck-down'
  | 'healthcheck-up'
  | 'zone-suspended'
  | 'zone-released'
  | 'account-verify'
  | 'account-email-change'
  | 'password-reset'
  | 'account-invite';

/**
 * A secret the mailer mints when it renders the mail (so no outbox row or queue job ever holds it): the
 * mailer derives it from SECRETS_KEY and the job id, stores only its SHA-256 on the named row, and hands the
 * template `token` (reclamation) or `link` (verification).
 */
export type MintedSecret =
  | { kind: 'reclamation'; domainId: number }
  | { kind: 'verification'; verificationId: number }
  /** an `account_tokens` row (sign-up, address change, password reset, invite): the template gets `link` */
  | { kind: 'account-token'; tokenId: number };

/** An e-mail job: the worker renders `template` with `vars` (plus a minted `secret`) and sends it to `to`. */
export interface EmailJob {
  to: string;
  template: EmailTemplate;
  vars: Record<string, string>;
  secret?: MintedSecret;
}

/** Issue (or renew) a certificate for `hostname` by ACME DNS-01 through our own DNS. */
export interface CertificateJob {
  hostname: string;
  accountId: number | null;
  mailDomainId: number | null;
}

export interface JobPayloads {
  email: EmailJob;
  certificates: CertificateJob;
  sweeps: Record<string, never>;
  /** `ownership-check`: check this user's domain now (after a claim); the periodic `ownership-sweep`: nothing */
  ownership: { zoneId?: number };
}
