import { createHash } from 'node:crypto';
import type { Account, Db, SessionRow } from '@ddns/db';
import { hashToken, newToken } from '@ddns/secrets';

/** How long a browser session lives: idle (no request) and absolute, whichever ends first. */
export const SESSION_LIMITS = {
  idleSeconds: 24 * 3600,
  absoluteSeconds: 14 * 86400,
  /** last_seen_at is written at most this often */
  touchSeconds: 60,
  /** oldest sessions beyond this many per account are ended at a new login */
  maxPerAccount: 20,
} as const;

export interface NewSession {
  id: number;
  /** goes into the cookie; only its SHA-256 is stored */
  token: string;
  expiresAt: Date;
}

/** Starts a session for an account (after its password and second factor were checked). */
export async function createSession(
  db: Db,
  input: { accountId: number; sourceIp?: string; userAgent?: string; now?: Date },
): Promise<NewSession> {
  const now = input.now ?? new Date();
  const token = newToken();
  const expiresAt = new Date(now.getTime() + SESSION_LIMITS.absoluteSeconds * 1000);
  const row = await db
    .insertInto('sessions')
    .values({
      account_id: input.accountId,
      token_hash: hashToken(token),
      created_at: now,
      last_seen_at: now,
      expires_at: expiresAt,
      source_ip: input.sourceIp?.slice(0, 64) ?? null,
      user_agent: input.userAgent?.slice(0, 300) ?? null,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  // bound the rows one account can pile up: the oldest go
  await db
    .deleteFrom('sessions')
    .where('account_id', '=', input.accountId)
    .where('id', 'not in', (eb) =>
      eb
        .selectFrom('sessions')
        .select('id')
        .where('account_id', '=', input.accountId)
        .orderBy('id', 'desc')
        .limit(SESSION_LIMITS.maxPerAccount),
    )
    .execute();
  return { id: row.id, token, expiresAt };
}

/** When a session ends: its absolute expiry or idle time, whichever comes first. */
export function sessionEndsAt(s: Pick<SessionRow, 'expires_at' | 'last_seen_at'>): Date {
  const idle = s.last_seen_at.getTime() + SESSION_LIMITS.idleSeconds * 1000;
  return new Date(Math.min(idle, s.expires_at.getTime()));
}

/**
 * The live session of a cookie value and its (enabled) account; expired sessions are deleted when seen.
 * Touches last_seen_at (at most once a minute).
 */
export async function sessionByToken(
  db: Db,
  token: string,
  now = new Date(),
): Promise<{ session: SessionRow; account: Account } | undefined> {
  if (!token || token.length > 200) return undefined;
  const session = await db
    .selectFrom('sessions')
    .selectAll()
    .where('token_hash', '=', hashToken(token))
    .executeTakeFirst();
  if (!session) return undefined;
  if (sessionEndsAt(session) <= now) {
    await db.deleteFrom('sessions').where('id', '=', session.id).execute();
    return undefined;
  }
  const account = await db
    .selectFrom('accounts')
    .selectAll()
    .where('id', '=', session.account_id)
    .where('disabled_at', 'is', null)
    .executeTakeFirst();
  if (!account) return undefined;
  if (now.getTime() - session.last_seen_at.getTime() > SESSION_LIMITS.touchSeconds * 1000) {
    await db.updateTable('sessions').set({ last_seen_at: now }).where('id', '=', session.id).execute();
    session.last_seen_at = now;
  }
  return { session, account };
}

export async function endSession(db: Db, sessionId: number): Promise<void> {
  await db.deleteFrom('sessions').where('id', '=', sessionId).execute();
}

/** Ends every session of an account, but `keep`. */
export async function endSessions(db: Db, accountId: number, keep?: number): Promise<void> {
  await db
    .deleteFrom('sessions')
    .where('account_id', '=', accountId)
    .$if(keep !== undefined, (q) => q.where('id', '<>', keep!))
    .execute();
}

/**
 * The CSRF token of a session: derived from the session secret (SHA-256 with a label), so it needs no storage,
 * cannot be guessed without the httpOnly cookie, and does not reveal the cookie. Sent back in `X-CSRF-Token`.
 */
export function sessionCsrfToken(sessionToken: string): string {
  return createHash('sha256').update(`ddns-csrf-v1:${sessionToken}`, 'utf8').digest('base64url');
}
