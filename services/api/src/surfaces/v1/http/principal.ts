import type { Account, ApiKeyRow, SessionRow } from '@ddns/db';
import { apiKeyBySecret, sessionByToken } from '@ddns/registry';
import type { Request } from 'express';
import { clientIp, parseAuthorization } from '../../../auth';
import type { ApiDeps } from '../../../deps';
import { AuthThrottle } from '../../../limits';
import { readCookie, SESSION_COOKIE } from './cookies';
import { V1Error } from './errors';

/** Who a /v1 request is: a browser session or an API key, with the account behind it. */
export type Principal =
  | { via: 'session'; account: Account; session: SessionRow; sessionToken: string }
  | { via: 'api-key'; account: Account; key: ApiKeyRow };

/**
 * Finds the caller: `Authorization: Bearer <API key>` first (a wrong key is 401, never a fall-back to the
 * cookie; wrong keys are counted per source network like every token surface), else the session cookie
 * (an unknown or expired cookie is simply no session). Null: anonymous.
 */
export async function findPrincipal(deps: ApiDeps, req: Request): Promise<Principal | null> {
  const auth = parseAuthorization(req.headers.authorization);
  if (auth.kind === 'bearer' || auth.kind === 'token') {
    const found = await apiKeyBySecret(deps.db, auth.token);
    if (found) return { via: 'api-key', account: found.account, key: found.key };
    const wait = await new AuthThrottle(deps.redis, deps.redisPrefix).tokenFailed(clientIp(req.ip));
    if (wait > 0)
      throw new V1Error('rate_limited', 'too many wrong API keys from your network', undefined, wait);
    throw new V1Error('unauthenticated', 'wrong or expired API key');
  }
  const cookie = readCookie(req, SESSION_COOKIE);
  if (!cookie) return null;
  const found = await sessionByToken(deps.db, cookie);
  return found ? { via: 'session', ...found, sessionToken: cookie } : null;
}
