import {
  changePassword,
  checkSecondFactor,
  confirmTotp,
  createApiKey,
  deleteApiKey,
  deleteOwnAccount,
  disableTotp,
  listApiKeys,
  OpError,
  requestEmailChange,
  rotateUpdateToken,
  startTotp,
  WrongPassword,
} from '@ddns/registry';
import { verifyPassword } from '@ddns/secrets';
import { v1Route } from '@ddns/v1-schema';
import { Router } from 'express';
import type { ApiDeps } from '../../deps';
import { RedisLimits, sourceNetwork } from '../../limits';
import { accountView, apiKeyView } from './format';
import { clearSessionCookie } from './http/cookies';
import { V1Error } from './http/errors';
import { mount } from './http/route';
import { V1_MAIL_LIMITS } from './signup-routes';

const TOTP_ISSUER = 'ddns';

/** The caller's account: password, address, deletion, TOTP, update token, API keys (browser session only). */
export function accountRoutes(deps: ApiDeps): Router {
  const r = Router();
  const key = deps.config.SECRETS_KEY;
  const wrong = (field: string) => (err: unknown) => {
    if (err instanceof WrongPassword) throw new V1Error('forbidden', err.message, { [field]: err.message });
    if (err instanceof OpError) throw new V1Error('invalid', err.message);
    throw err;
  };

  mount(r, deps, v1Route('getAccount'), async ({ principal }) => accountView(principal.account));

  mount(r, deps, v1Route('changePassword'), async ({ body, principal }) => {
    const keep = principal.via === 'session' ? principal.session.id : undefined;
    await changePassword(deps.db, {
      accountId: principal.account.id,
      current: body.currentPassword,
      next: body.newPassword,
      keepSessionId: keep,
    }).catch(wrong('currentPassword'));
  });

  mount(r, deps, v1Route('changeEmail'), async ({ body, principal, ip }) => {
    const { limit, windowSeconds } = V1_MAIL_LIMITS.perNetwork;
    const hit = await new RedisLimits(deps.redis, deps.redisPrefix).hit(
      `v1:mail:${sourceNetwork(ip)}`,
      limit,
      windowSeconds,
    );
    if (!hit.allowed)
      throw new V1Error('rate_limited', 'too many e-mails asked for', undefined, hit.retryAfter);
    await requestEmailChange(deps.db, {
      accountId: principal.account.id,
      password: body.password,
      email: body.email,
    }).catch((err: unknown) => {
      if (err instanceof OpError && !(err instanceof WrongPassword))
        throw new V1Error('conflict', err.message, { email: err.message });
      return wrong('password')(err);
    });
    return { status: 'accepted' as const };
  });

  mount(r, deps, v1Route('deleteAccount'), async ({ req, res, body, principal }) => {
    if (!(await verifyPassword(body.password, principal.account.password_hash)))
      throw new V1Error('forbidden', 'the password is wrong', { password: 'the password is wrong' });
    if (!(await checkSecondFactor(deps.db, principal.account, body.totp ?? '', key)))
      throw new V1Error('forbidden', 'enter a current code from your authenticator app', {
        totp: 'wrong or missing code',
      });
    await deleteOwnAccount(deps.db, { accountId: principal.account.id, password: body.password }).catch(
      wrong('password'),
    );
    clearSessionCookie(req, res, deps.config.PUBLIC_URL);
  });

  mount(r, deps, v1Route('startTotp'), async ({ principal }) => {
    if (principal.account.totp_secret_enc)
      throw new V1Error('conflict', 'TOTP is already on: turn it off first');
    const t = await startTotp(deps.db, principal.account, key, TOTP_ISSUER);
    return {
      secret: t.secret,
      uri: t.uri,
      algorithm: 'SHA1' as const,
      digits: 6 as const,
      period: 30 as const,
    };
  });

  mount(r, deps, v1Route('confirmTotp'), async ({ body, principal }) => {
    try {
      return { recoveryCodes: await confirmTotp(deps.db, principal.account.id, body.code, key) };
    } catch (err) {
      if (err instanceof OpError) throw new V1Error('invalid', err.message, { code: err.message });
      throw err;
    }
  });

  mount(r, deps, v1Route('disableTotp'), async ({ body, principal }) => {
    if (!(await verifyPassword(body.password, principal.account.password_hash)))
      throw new V1Error('forbidden', 'the password is wrong', { password: 'the password is wrong' });
    await disableTotp(deps.db, principal.account.id);
  });

  mount(r, deps, v1Route('rotateUpdateToken'), async ({ principal }) => {
    const out = await rotateUpdateToken(deps.db, principal.account.email);
    return { token: out.updateToken };
  });

  mount(r, deps, v1Route('listApiKeys'), async ({ principal }) => ({
    keys: (await listApiKeys(deps.db, principal.account.id)).map(apiKeyView),
  }));

  mount(r, deps, v1Route('createApiKey'), async ({ body, principal }) => {
    try {
      const out = await createApiKey(deps.db, principal.account.id, {
        name: body.name,
        domains: body.domains,
        write: body.write,
        expiresAt: body.expiresAt ? new Date(body.expiresAt) : null,
      });
      return { key: apiKeyView(out.key), secret: out.secret };
    } catch (err) {
      if (!(err instanceof OpError)) throw err;
      const field = /domain/.test(err.message)
        ? 'domains'
        : /expiry/.test(err.message)
          ? 'expiresAt'
          : 'name';
      throw new V1Error('invalid', err.message, { [field]: err.message });
    }
  });

  mount(r, deps, v1Route('deleteApiKey'), async ({ params, principal }) => {
    if (!(await deleteApiKey(deps.db, principal.account.id, params.id)))
      throw new V1Error('not_found', `no API key ${params.id} in your account`);
  });
  return r;
}
