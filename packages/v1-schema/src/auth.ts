import { z } from 'zod';
import { Account } from './account';
import { Email, NewPassword, Password, Timestamp } from './common';
import { ApiKeyScopes } from './api-keys';

/**
 * POST /v1/auth/login. With TOTP on and no `totp`, the answer is 401 `totp_required` (the password was right:
 * ask for the code and send both again). `totp` takes a 6-digit code or a recovery code.
 */
export const LoginRequest = z.object({
  email: Email,
  password: Password,
  totp: z.string().trim().max(64).optional(),
});
export type LoginRequest = z.infer<typeof LoginRequest>;

/**
 * A browser session. The session id is in an httpOnly cookie; `csrfToken` goes into the `X-CSRF-Token` header
 * of every POST/PUT/PATCH/DELETE made with the cookie.
 */
export const Session = z.object({
  account: Account,
  csrfToken: z.string(),
  expiresAt: Timestamp,
});
export type Session = z.infer<typeof Session>;

/** GET /v1/auth/whoami: who the request is authenticated as. */
export const WhoAmI = z.object({
  account: Account,
  via: z.enum(['session', 'api-key']),
  /** with a session: the CSRF token of this session (a reload of the page gets it here) */
  csrfToken: z.string().optional(),
  expiresAt: Timestamp.optional(),
  /** with an API key: its id and scopes */
  apiKey: z.object({ id: z.number().int(), name: z.string(), scopes: ApiKeyScopes }).optional(),
});
export type WhoAmI = z.infer<typeof WhoAmI>;

export const SignupMode = z.enum(['closed', 'invite', 'open']);
export type SignupMode = z.infer<typeof SignupMode>;

/**
 * POST /v1/signup/challenge: a proof-of-work puzzle (open sign-up). Find a `nonce` (a decimal string) such
 * that SHA-256(`challenge` + ":" + `nonce`) starts with `difficulty` zero bits. Single-use, expires.
 */
export const PowChallenge = z.object({
  challenge: z.string(),
  difficulty: z.number().int(),
  algorithm: z.literal('sha256'),
  expiresAt: Timestamp,
});
export type PowChallenge = z.infer<typeof PowChallenge>;

/** POST /v1/signup: `invite` in invite mode, `pow` in open mode. */
export const SignupRequest = z.object({
  email: Email,
  password: NewPassword,
  invite: z.string().trim().max(200).optional(),
  pow: z
    .object({ challenge: z.string().max(400), nonce: z.string().regex(/^\d{1,20}$/, 'decimal digits') })
    .optional(),
});
export type SignupRequest = z.infer<typeof SignupRequest>;

/**
 * The answer is the same whether or not the address already has an account (no enumeration): a link goes to
 * the address, the account can log in once it is opened. An invite sent to this very address counts as
 * verified: `verified` is true and login works at once.
 */
export const SignupResponse = z.object({ status: z.literal('verification_sent'), verified: z.boolean() });
export type SignupResponse = z.infer<typeof SignupResponse>;

/** POST /v1/auth/verify-email: the token from the link (sign-up, or an address change). */
export const VerifyEmailRequest = z.object({
  token: z.string().trim().min(1, 'the token is missing').max(200),
});
export type VerifyEmailRequest = z.infer<typeof VerifyEmailRequest>;
export const VerifyEmailResponse = z.object({
  email: z.string(),
  purpose: z.enum(['signup', 'email_change']),
});
export type VerifyEmailResponse = z.infer<typeof VerifyEmailResponse>;

/** POST /v1/auth/password-reset: always 202 (whether or not the address has an account). */
export const PasswordResetRequest = z.object({ email: Email });
export type PasswordResetRequest = z.infer<typeof PasswordResetRequest>;

/** POST /v1/auth/password-reset/confirm: single-use token from the mail; every session of the account ends. */
export const PasswordResetConfirm = z.object({
  token: z.string().trim().min(1, 'the token is missing').max(200),
  password: NewPassword,
});
export type PasswordResetConfirm = z.infer<typeof PasswordResetConfirm>;

export const Accepted = z.object({ status: z.literal('accepted') });
export type Accepted = z.infer<typeof Accepted>;

/** GET /v1/meta: what a client needs to know about this server before logging in. */
export const Meta = z.object({
  signupMode: SignupMode,
  passwordMinLength: z.number().int(),
  publicUrl: z.string(),
  /** shared zones: names can be registered as `<label>.<zone>` */
  registrationZones: z.array(z.string()),
  /** DynDNS2 update URL (base; add ?hostname=...&myip=...) */
  updateUrl: z.string(),
  recordTypes: z.array(z.string()),
  ttl: z.object({ min: z.number().int(), max: z.number().int(), default: z.number().int() }),
});
export type Meta = z.infer<typeof Meta>;
