import {
  checkPowSolution,
  makePowChallenge,
  OpError,
  requestPasswordReset,
  resetPassword,
  SignupRefused,
  signUp,
  verifyAccountEmail,
} from '@ddns/registry';
import { RecipientBudget } from '@ddns/jobs';
import { v1Route } from '@ddns/v1-schema';
import { Router } from 'express';
import type { ApiDeps } from '../../deps';
import { AuthThrottle, LimitsUnavailableError, RedisLimits, sourceNetwork } from '../../limits';
import { V1Error } from './http/errors';
import { mount } from './http/route';

/** Mails asked for from one source network (sign-up, reset, address change): a mailbomb stays small. */
export const V1_MAIL_LIMITS = { perNetwork: { limit: 10, windowSeconds: 3600 } } as const;
const POW_TTL_SECONDS = 600;

/**
 * Sign-up (SIGNUP_MODE), e-mail verification and password reset. Every mail is limited per source network
 * here and per recipient by the mailer; wrong links count as wrong tokens of the network.
 */
export function signupRoutes(deps: ApiDeps): Router {
  const r = Router();
  const limits = new RedisLimits(deps.redis, deps.redisPrefix);
  const powKey = deps.config.SECRETS_KEY;

  const mailBudget = async (ip: string) => {
    const { limit, windowSeconds } = V1_MAIL_LIMITS.perNetwork;
    const hit = await limits.hit(`v1:mail:${sourceNetwork(ip)}`, limit, windowSeconds);
    if (!hit.allowed)
      throw new V1Error(
        'rate_limited',
        'too many e-mails asked for from your network',
        undefined,
        hit.retryAfter,
      );
  };
  const badLink = async (ip: string, err: unknown) => {
    if (!(err instanceof OpError)) throw err;
    const wait = await new AuthThrottle(deps.redis, deps.redisPrefix).tokenFailed(ip);
    if (wait > 0)
      throw new V1Error('rate_limited', 'too many wrong links from your network', undefined, wait);
    throw new V1Error('invalid', err.message, { token: err.message });
  };

  mount(r, deps, v1Route('signupChallenge'), async ({ ip }) => {
    if (deps.config.SIGNUP_MODE === 'closed')
      throw new V1Error('signup_closed', 'sign-up is closed on this server');
    const hit = await limits.hit(`v1:pow:${sourceNetwork(ip)}`, 30, 600);
    if (!hit.allowed) throw new V1Error('rate_limited', 'too many challenges', undefined, hit.retryAfter);
    const c = makePowChallenge(powKey, deps.config.SIGNUP_POW_DIFFICULTY, POW_TTL_SECONDS);
    return { ...c, algorithm: 'sha256' as const, expiresAt: c.expiresAt.toISOString() };
  });

  mount(r, deps, v1Route('signup'), async ({ body, ip }) => {
    const mode = deps.config.SIGNUP_MODE;
    if (mode === 'closed')
      throw new V1Error('signup_closed', 'sign-up is closed on this server: ask its operator');
    if (mode === 'open' && !body.invite) {
      if (!body.pow) throw new V1Error('invalid', 'solve the proof of work first', { pow: 'missing' });
      const why = checkPowSolution(
        powKey,
        body.pow.challenge,
        body.pow.nonce,
        deps.config.SIGNUP_POW_DIFFICULTY,
      );
      if (why) throw new V1Error('invalid', why, { pow: why });
      // single use: a solved challenge buys one sign-up
      let fresh: string | null;
      try {
        fresh = await deps.redis.set(
          `${deps.redisPrefix}:limits:v1:pow-used:${body.pow.challenge.slice(-43)}`,
          '1',
          'EX',
          POW_TTL_SECONDS,
          'NX',
        );
      } catch (err) {
        throw new LimitsUnavailableError(err);
      }
      if (fresh !== 'OK')
        throw new V1Error('invalid', 'this challenge was used: ask for a new one', { pow: 'used' });
    }
    await mailBudget(ip);
    try {
      const out = await signUp(deps.db, {
        email: body.email,
        password: body.password,
        mode,
        invite: body.invite,
      });
      return { status: 'verification_sent' as const, verified: out.verified };
    } catch (err) {
      if (err instanceof SignupRefused)
        throw new V1Error('signup_closed', err.message, body.invite ? { invite: err.message } : undefined);
      if (err instanceof OpError) throw new V1Error('invalid', err.message, { password: err.message });
      throw err;
    }
  });

  mount(r, deps, v1Route('verifyEmail'), async ({ body, ip }) => {
    try {
      const out = await verifyAccountEmail(deps.db, body.token);
      return { email: out.email, purpose: out.purpose };
    } catch (err) {
      return badLink(ip, err);
    }
  });

  mount(r, deps, v1Route('requestPasswordReset'), async ({ body, ip }) => {
    await mailBudget(ip);
    // Once the address has had its share of such mails (all sources together; the mailer would drop more),
    // no new link is made: a new link would void the one last mailed, so a burst of requests could otherwise
    // leave the owner holding only dead links. The answer stays 202 (it never tells whether an account exists).
    let admitted: boolean;
    try {
      admitted = await new RecipientBudget(deps.redis, deps.redisPrefix).admit(
        'asked',
        body.email,
        'password-reset',
      );
    } catch (err) {
      throw new LimitsUnavailableError(err);
    }
    if (admitted) await requestPasswordReset(deps.db, body.email);
    return { status: 'accepted' as const };
  });

  mount(r, deps, v1Route('confirmPasswordReset'), async ({ body, ip }) => {
    try {
      await resetPassword(deps.db, body.token, body.password);
    } catch (err) {
      if (err instanceof OpError && /password/.test(err.message))
        throw new V1Error('invalid', err.message, { password: err.message });
      await badLink(ip, err);
    }
  });
  return r;
}
