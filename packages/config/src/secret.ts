import { z } from 'zod';

/** Minimum length of JWT_SECRET and SECRETS_KEY (`openssl rand -hex 32` gives 64). */
export const MIN_SECRET_LENGTH = 32;

/**
 * Strings that were published as defaults or examples (old compose file, .env.example, docs): anyone who read
 * them could mint tokens or decrypt keys, so they are refused even when long enough.
 */
const PUBLISHED = new Set([
  'compose-dev-jwt-secret-change-me',
  'compose-dev-secrets-key-change-me',
  'change-me-to-a-long-random-string',
  'change-me-to-another-long-random-string',
]);
const PLACEHOLDER =
  /change[-_ .]?me|replace[-_ .]?me|changeit|placeholder|your[-_ .]?secret|^(secret|password)/i;

/** Why a secret is unfit, or null when it is fine. Pure, for the config field and for tests. */
export function secretProblem(value: string): string | null {
  if (value.length < MIN_SECRET_LENGTH)
    return `must be at least ${MIN_SECRET_LENGTH} characters (generate one: openssl rand -hex 32)`;
  if (PUBLISHED.has(value.toLowerCase()) || PLACEHOLDER.test(value))
    return 'is a placeholder, not a secret (generate one: openssl rand -hex 32)';
  if (new Set(value).size < 8) return 'is too repetitive to be a secret (generate one: openssl rand -hex 32)';
  return null;
}

/** A required secret: refused when missing, short, repetitive or a known placeholder. */
export const secret = z.string().superRefine((v, ctx) => {
  const problem = secretProblem(v);
  if (problem) ctx.addIssue({ code: z.ZodIssueCode.custom, message: problem });
});
