import type { Db } from '@ddns/db';
import { hashToken } from '@ddns/secrets';
import request from 'supertest';
import type { TestApp } from '../support/test-app';

/** A logged-in browser: the session cookie and the CSRF token, for supertest requests. */
export interface Browser {
  cookie: string;
  csrf: string;
}

export async function login(
  h: TestApp,
  email: string,
  password = 'password123',
  totp?: string,
): Promise<Browser> {
  const res = await request(h.app)
    .post('/v1/auth/login')
    .send({ email, password, ...(totp ? { totp } : {}) });
  if (res.status !== 200) throw new Error(`login ${res.status} ${JSON.stringify(res.body)}`);
  const cookie = String(res.headers['set-cookie']?.[0] ?? '').split(';')[0]!;
  return { cookie, csrf: res.body.csrfToken };
}

/** Headers of a cookie-authenticated unsafe request. */
export const as = (b: Browser) => ({ Cookie: b.cookie, 'X-CSRF-Token': b.csrf });

/**
 * Plays the mailer's part for the newest account token of `purpose` sent to `email`: stores the hash of a
 * known secret (as minted-secrets.ts does when it renders the mail) and returns the secret.
 */
export async function mintLatestToken(db: Db, purpose: string, email: string): Promise<string> {
  const row = await db
    .selectFrom('account_tokens')
    .select('id')
    .where('purpose', '=', purpose as 'signup')
    .where('email', '=', email)
    .orderBy('id', 'desc')
    .executeTakeFirstOrThrow();
  const secret = `test-secret-${row.id}-${Math.random().toString(36).slice(2)}`;
  await db
    .updateTable('account_tokens')
    .set({ secret_hash: hashToken(secret) })
    .where('id', '=', row.id)
    .execute();
  return secret;
}
