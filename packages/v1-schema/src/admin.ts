import { z } from 'zod';
import { AccountClass } from './account';
import { Email, NewPassword, Timestamp } from './common';

export const AdminAccountQuery = z.object({
  q: z.string().trim().max(254).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  offset: z.coerce.number().int().min(0).max(1000000).default(0),
});
export type AdminAccountQuery = z.input<typeof AdminAccountQuery>;

export const AdminAccount = z.object({
  id: z.number().int(),
  email: z.string(),
  class: AccountClass,
  isAdmin: z.boolean(),
  disabled: z.boolean(),
  emailVerified: z.boolean(),
  totpEnabled: z.boolean(),
  domains: z.number().int(),
  createdAt: Timestamp,
});
export type AdminAccount = z.infer<typeof AdminAccount>;

export const AdminAccountList = z.object({ accounts: z.array(AdminAccount), total: z.number().int() });
export type AdminAccountList = z.infer<typeof AdminAccountList>;

/** POST /v1/admin/accounts: an account ready to use (e-mail taken as verified). */
export const AdminAccountCreateRequest = z.object({
  email: Email,
  password: NewPassword,
  class: AccountClass.default('default'),
  isAdmin: z.boolean().default(false),
});
export type AdminAccountCreateRequest = z.input<typeof AdminAccountCreateRequest>;

export const AdminAccountUpdateRequest = z
  .object({ disabled: z.boolean(), class: AccountClass, isAdmin: z.boolean() })
  .partial()
  .refine((v) => Object.keys(v).length > 0, 'nothing to change');
export type AdminAccountUpdateRequest = z.infer<typeof AdminAccountUpdateRequest>;

/**
 * POST /v1/admin/invites: a sign-up link (works in `invite` and `open` mode). With `email`, the link is mailed
 * there and only that address may use it.
 */
export const InviteCreateRequest = z.object({
  email: Email.optional(),
  expiresInHours: z
    .number()
    .int()
    .min(1)
    .max(24 * 30)
    .default(72),
});
export type InviteCreateRequest = z.input<typeof InviteCreateRequest>;

/**
 * Without `email`: `link` (and `token`) carry the invite secret, shown once. With `email` the secret is made
 * when the mail is sent and only the recipient ever sees it: `link` and `token` are null, `mailed` true.
 */
export const InviteCreated = z.object({
  id: z.number().int(),
  link: z.string().nullable(),
  token: z.string().nullable(),
  expiresAt: Timestamp,
  mailed: z.boolean(),
});
export type InviteCreated = z.infer<typeof InviteCreated>;

export const AdminZone = z.object({
  id: z.number().int(),
  name: z.string(),
  kind: z.enum(['shared', 'hosted']),
  status: z.enum(['active', 'pending', 'suspended']),
  owner: z.string().nullable(),
  domains: z.number().int(),
  serial: z.string(),
});
export type AdminZone = z.infer<typeof AdminZone>;

export const AdminZoneList = z.object({ zones: z.array(AdminZone) });
export type AdminZoneList = z.infer<typeof AdminZoneList>;

export const AdminLinks = z.object({ queueDashboard: z.string() });
export type AdminLinks = z.infer<typeof AdminLinks>;
