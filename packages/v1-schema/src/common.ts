import { z } from 'zod';

/**
 * The /v1 error body, the same for every route: a machine-readable code, one line for a person, and for
 * validation errors the offending fields (dotted paths into the request: `priority`, `scopes.domains.0`,
 * `query.limit`), each with its own message so a form shows it next to the field.
 */
export const ErrorCode = z.enum([
  'invalid',
  'unauthenticated',
  'totp_required',
  'email_unverified',
  'csrf',
  'forbidden',
  'not_found',
  'conflict',
  'signup_closed',
  'rate_limited',
  'unavailable',
  'not_available',
]);
export type ErrorCode = z.infer<typeof ErrorCode>;

export const ErrorBody = z.object({
  error: z.object({
    code: ErrorCode,
    message: z.string(),
    fields: z.record(z.string()).optional(),
    /** seconds, with 429 and 503 (also in Retry-After) */
    retryAfter: z.number().int().optional(),
  }),
});
export type ErrorBody = z.infer<typeof ErrorBody>;

/** ISO 8601 timestamps (UTC, `Z`). */
export const Timestamp = z.string().datetime();

/** A domain name as typed by a person: case and a trailing dot are ignored. */
export const DomainName = z
  .string()
  .trim()
  .min(1, 'the name is missing')
  .max(253, 'a domain name has at most 253 characters');

export const Email = z.string().trim().max(254, 'at most 254 characters').email('not an e-mail address');

/** A new password (the server also checks its minimum length, see Meta.passwordMinLength). */
export const NewPassword = z.string().min(8, 'at least 8 characters').max(1024, 'at most 1024 characters');
export const Password = z.string().min(1, 'the password is missing').max(1024, 'at most 1024 characters');

/** A path id: digits only. */
export const Id = z.coerce.number().int().positive().max(2147483647);

export const NameParams = z.object({ name: DomainName });
export const IdParams = z.object({ id: Id });
export const DomainRecordParams = z.object({ name: DomainName, id: Id });

/** An empty object: routes that answer 204 or take no body. */
export const Empty = z.object({}).strict();

/** A secret shown once (domain token, API key, update token): never returned again. */
export const OneTimeSecret = z.string().describe('shown once: store it now, the server keeps only its hash');
