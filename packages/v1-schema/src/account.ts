import { z } from 'zod';
import { Email, NewPassword, Password, Timestamp } from './common';

export const AccountClass = z.enum(['default', 'plus', 'unlimited']);
export type AccountClass = z.infer<typeof AccountClass>;

/** The caller's own account. */
export const Account = z.object({
  id: z.number().int(),
  email: z.string(),
  class: AccountClass,
  isAdmin: z.boolean(),
  emailVerified: z.boolean(),
  /** an address change waiting for its verification link */
  pendingEmail: z.string().nullable(),
  totpEnabled: z.boolean(),
  createdAt: Timestamp,
  /** the class's daily quotas */
  quota: z.object({ updatesPerDay: z.number().int(), apiCallsPerDay: z.number().int() }),
});
export type Account = z.infer<typeof Account>;

/** PUT /v1/account/password: other sessions end, this one stays. */
export const PasswordChangeRequest = z.object({ currentPassword: Password, newPassword: NewPassword });
export type PasswordChangeRequest = z.infer<typeof PasswordChangeRequest>;

/** PUT /v1/account/email: the new address gets a link; the change applies when it is opened. */
export const EmailChangeRequest = z.object({ password: Password, email: Email });
export type EmailChangeRequest = z.infer<typeof EmailChangeRequest>;

/** DELETE /v1/account: releases every name of the account. */
export const AccountDeleteRequest = z.object({
  password: Password,
  /** required when TOTP is on */
  totp: z.string().trim().max(64).optional(),
});
export type AccountDeleteRequest = z.infer<typeof AccountDeleteRequest>;

/** POST /v1/account/totp: a new secret, not active until confirmed with a code from it. */
export const TotpEnrolment = z.object({
  /** base32 */
  secret: z.string(),
  /** otpauth://totp/... for a QR code */
  uri: z.string(),
  algorithm: z.literal('SHA1'),
  digits: z.literal(6),
  period: z.literal(30),
});
export type TotpEnrolment = z.infer<typeof TotpEnrolment>;

export const TotpConfirmRequest = z.object({
  code: z
    .string()
    .trim()
    .regex(/^\d{6}$/, 'six digits'),
});
export type TotpConfirmRequest = z.infer<typeof TotpConfirmRequest>;

/** Ten single-use recovery codes, shown once. */
export const TotpRecoveryCodes = z.object({ recoveryCodes: z.array(z.string()) });
export type TotpRecoveryCodes = z.infer<typeof TotpRecoveryCodes>;

export const TotpDisableRequest = z.object({ password: Password });
export type TotpDisableRequest = z.infer<typeof TotpDisableRequest>;

/** POST /v1/account/update-token: the account-wide DynDNS2 token (all its domains), shown once. */
export const UpdateTokenResponse = z.object({ token: z.string() });
export type UpdateTokenResponse = z.infer<typeof UpdateTokenResponse>;
