import { z } from 'zod';
import { DomainName, Timestamp } from './common';

/**
 * What an API key may do (deSEC's token policies are the model). `domains`: null = every domain of the account
 * (also ones added later), otherwise only these names (and records inside them). `write`: false = read-only.
 * Account settings, API keys and admin routes always need a browser session, never an API key.
 */
export const ApiKeyScopes = z.object({
  domains: z.array(DomainName).max(100, 'at most 100 domains').nullable(),
  write: z.boolean(),
});
export type ApiKeyScopes = z.infer<typeof ApiKeyScopes>;

export const ApiKey = z.object({
  id: z.number().int(),
  name: z.string(),
  scopes: ApiKeyScopes,
  expiresAt: Timestamp.nullable(),
  createdAt: Timestamp,
  lastUsedAt: Timestamp.nullable(),
});
export type ApiKey = z.infer<typeof ApiKey>;

export const ApiKeyCreateRequest = z.object({
  name: z.string().trim().min(1, 'the name is missing').max(100, 'at most 100 characters'),
  domains: z.array(DomainName).max(100, 'at most 100 domains').nullable().default(null),
  write: z.boolean().default(false),
  expiresAt: Timestamp.nullable().default(null),
});
export type ApiKeyCreateRequest = z.input<typeof ApiKeyCreateRequest>;

/** `secret` goes into `Authorization: Bearer <secret>`; shown once. */
export const ApiKeyCreated = z.object({ key: ApiKey, secret: z.string() });
export type ApiKeyCreated = z.infer<typeof ApiKeyCreated>;

export const ApiKeyList = z.object({ keys: z.array(ApiKey) });
export type ApiKeyList = z.infer<typeof ApiKeyList>;
