import {
  createSession,
  endSession,
  sessionCsrfToken,
  sessionEndsAt,
  checkSecondFactor,
} from '@ddns/registry';
import { MIN_PASSWORD_LENGTH } from '@ddns/registry';
import { TTL_MAX } from '@ddns/records';
import { v1Route } from '@ddns/v1-schema';
import { Router } from 'express';
import { accountByPassword } from '../../auth';
import type { ApiDeps } from '../../deps';
import { AuthThrottle } from '../../limits';
import { DEFAULT_TTL, USER_RECORD_TYPES } from '../../model/validate';
import { accountView } from './format';
import { clearSessionCookie, setSessionCookie } from './http/cookies';
import { V1Error } from './http/errors';
import { mount } from './http/route';

/**
 * meta, login, logout, whoami. Login shares the failed-password throttle of every other login (per source
 * network, per network+account, per account with the owner's known networks exempt): an attacker elsewhere
 * never locks the owner out. A wrong TOTP code counts as a wrong password.
 */
export function authRoutes(deps: ApiDeps): Router {
  const r = Router();
  const publicUrl = deps.config.PUBLIC_URL;

  mount(r, deps, v1Route('getMeta'), async () => {
    const zones = await deps.db
      .selectFrom('zones')
      .select('name')
      .where('kind', '=', 'shared')
      .orderBy('name')
      .execute();
    return {
      signupMode: deps.config.SIGNUP_MODE,
      passwordMinLength: MIN_PASSWORD_LENGTH,
      publicUrl,
      registrationZones: zones.map((z) => z.name),
      updateUrl: `${publicUrl.replace(/\/+$/, '')}/nic/update`,
      recordTypes: USER_RECORD_TYPES.filter((t) => t !== 'NS'),
      ttl: { min: 60, max: TTL_MAX, default: DEFAULT_TTL },
    };
  });

  mount(r, deps, v1Route('login'), async ({ req, res, body, ip }) => {
    const throttle = new AuthThrottle(deps.redis, deps.redisPrefix);
    const verdict = await throttle.checkLogin(ip, body.email);
    if (verdict.retryAfter > 0)
      throw new V1Error(
        'rate_limited',
        'too many failed logins: wait and try again',
        undefined,
        verdict.retryAfter,
      );
    const account = await accountByPassword(deps.db, body.email, body.password);
    if (!account) {
      await throttle.loginFailed(ip, body.email);
      throw new V1Error('unauthenticated', 'wrong e-mail address or password');
    }
    if (account.totp_secret_enc) {
      if (!body.totp) throw new V1Error('totp_required', 'enter the code from your authenticator app');
      if (!(await checkSecondFactor(deps.db, account, body.totp, deps.config.SECRETS_KEY))) {
        await throttle.loginFailed(ip, body.email);
        throw new V1Error('unauthenticated', 'wrong or already used code', {
          totp: 'wrong or already used code',
        });
      }
    }
    await throttle.loginSucceeded(ip, body.email);
    if (!account.email_verified_at)
      throw new V1Error(
        'email_unverified',
        'open the link we e-mailed you first (or ask for a new one by signing up again)',
      );
    const s = await createSession(deps.db, {
      accountId: account.id,
      sourceIp: ip,
      userAgent: req.headers['user-agent'],
    });
    setSessionCookie(req, res, s.token, publicUrl);
    return {
      account: accountView(account),
      csrfToken: sessionCsrfToken(s.token),
      expiresAt: s.expiresAt.toISOString(),
    };
  });

  mount(r, deps, v1Route('logout'), async ({ req, res, principal }) => {
    if (principal.via === 'session') await endSession(deps.db, principal.session.id);
    clearSessionCookie(req, res, publicUrl);
  });

  mount(r, deps, v1Route('whoami'), async ({ principal }) => {
    if (principal.via === 'session')
      return {
        account: accountView(principal.account),
        via: 'session' as const,
        csrfToken: sessionCsrfToken(principal.sessionToken),
        expiresAt: sessionEndsAt(principal.session).toISOString(),
      };
    return {
      account: accountView(principal.account),
      via: 'api-key' as const,
      apiKey: {
        id: principal.key.id,
        name: principal.key.name,
        scopes: { domains: principal.key.domains, write: principal.key.can_write },
      },
    };
  });
  return r;
}
