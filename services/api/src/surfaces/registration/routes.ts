import cors from 'cors';
import { Router, type Request, type Response } from 'express';
import { clientIp } from '../../auth';
import type { ApiDeps } from '../../deps';
import { RecipientBudget } from '@ddns/jobs';
import { unsafeText } from '../../http/text';
import { RedisLimits } from '../../limits';
import { RegistrationError, RegistrationService } from './service';
import {
  infoBody,
  param,
  parseChallenge,
  parseDescription,
  parseEmail,
  parseFlag,
  parseGatewayName,
  parseMode,
  parseOptionalEmail,
  parseOptionalToken,
  parseToken,
  subscribeBody,
  verifyPage,
  type Parsed,
} from './wire';

/** Raised by `need` for a missing or malformed parameter: answered 400 `{"error":code}`. */
class BadParam extends Error {
  constructor(
    readonly code: string,
    reason: string,
  ) {
    super(reason);
  }
}

function need<T>(p: Parsed<T>, code: string): T {
  if (!p.ok) throw new BadParam(code, p.reason);
  return p.value;
}

/** The gateway registration surface (seeds 001/004): GET + query parameters; see README.md. */
export function registrationRoutes(deps: ApiDeps): Router {
  const r = Router();
  // tests swap deps.db / deps.redis to simulate outages: read them per request
  const limits = {
    hit: (key: string, limit: number, windowSeconds: number) =>
      new RedisLimits(deps.redis, deps.redisPrefix).hit(key, limit, windowSeconds),
  };
  const svc = new RegistrationService({
    db: () => deps.db,
    limits,
    budget: () => new RecipientBudget(deps.redis, deps.redisPrefix),
    logger: deps.logger,
    zoneName: deps.config.REGISTRATION_ZONE,
    publicUrl: deps.config.PUBLIC_URL,
  });
  const browser = cors({ origin: '*', methods: ['GET'] });

  /** Runs a handler and maps every failure to its status; unknown failures are 501 (the documents' choice). */
  const handle =
    (fn: (req: Request, res: Response) => Promise<void>) =>
    async (req: Request, res: Response): Promise<void> => {
      try {
        // a NUL (or a lone surrogate) in any parameter: nothing here can use it, and Postgres would refuse it
        if (unsafeText(req.query)) throw new BadParam('BadRequest', 'unusable text in a parameter');
        await fn(req, res);
      } catch (err) {
        if (err instanceof BadParam) {
          res.status(400).json({ error: err.code });
        } else if (err instanceof RegistrationError) {
          const f = err.failure;
          if (f.kind === 'subscribe') res.status(400).json({ error: f.code });
          else if (f.kind === 'bad-request') res.status(400).json({ error: 'BadRequest' });
          else if (f.kind === 'not-found') res.status(404).json({ error: 'NoSuchToken' });
          else res.status(429).set('Retry-After', String(f.retryAfter)).json({ error: 'TooManyRequests' });
        } else {
          req.log.error({ err }, 'registration call failed');
          if (!res.headersSent) res.status(501).json({ error: 'InternalError' });
        }
      }
    };
  const empty = (res: Response) => {
    res.status(200).end();
  };
  const q = (req: Request, name: string) => param(req.query, name);

  r.get(
    '/subscribe',
    browser,
    handle(async (req, res) => {
      // as the original server: a missing, malformed or reserved name is `UnavailableName` (the gateway's UI
      // knows that code)
      const label = need(parseGatewayName(q(req, 'name')), 'UnavailableName');
      const out = await svc.subscribe({
        label,
        description: need(parseDescription(q(req, 'desc'), label), 'InvalidDescription'),
        email: need(parseOptionalEmail(q(req, 'email')), 'InvalidEmail'),
        reclamationToken: need(parseOptionalToken(q(req, 'reclamationToken')), 'InvalidReclamationToken'),
        mode: need(parseMode(q(req, 'mode')), 'InvalidMode'),
        ip: clientIp(req.ip),
      });
      res.status(200).json(subscribeBody(out.label, out.token));
    }),
  );

  r.get(
    '/unsubscribe',
    browser,
    handle(async (req, res) => {
      const token = need(parseOptionalToken(q(req, 'token')), 'InvalidToken');
      const reclamationToken = need(
        parseOptionalToken(q(req, 'reclamationToken')),
        'InvalidReclamationToken',
      );
      if (token === undefined && reclamationToken === undefined)
        throw new BadParam('MissingToken', 'no token');
      await svc.unsubscribe({ token, reclamationToken });
      empty(res);
    }),
  );

  r.get(
    '/reclaim',
    browser,
    handle(async (req, res) => {
      const label = need(parseGatewayName(q(req, 'name')), 'InvalidName');
      await svc.reclaim({ label, ip: clientIp(req.ip) });
      empty(res);
    }),
  );

  r.get(
    '/ping',
    handle(async (req, res) => {
      await svc.ping({ token: need(parseToken(q(req, 'token')), 'MissingToken'), ip: clientIp(req.ip) });
      empty(res);
    }),
  );

  r.get(
    '/dnsconfig',
    handle(async (req, res) => {
      const token = need(parseToken(q(req, 'token')), 'MissingToken');
      const challenge = need(parseChallenge(q(req, 'challenge')), 'InvalidChallenge');
      await svc.dnsconfig({ token, challenge });
      empty(res);
    }),
  );

  r.get(
    '/info',
    browser,
    handle(async (req, res) => {
      const { domain, zone } = await svc.info(need(parseToken(q(req, 'token')), 'MissingToken'));
      res.status(200).json(infoBody(domain, zone.name));
    }),
  );

  r.get(
    '/setemail',
    browser,
    handle(async (req, res) => {
      const token = need(parseToken(q(req, 'token')), 'MissingToken');
      const email = need(parseEmail(q(req, 'email')), 'InvalidEmail');
      const optout = need(parseFlag(q(req, 'optout')), 'InvalidOptout');
      await svc.setEmail({ token, email, optout, ip: clientIp(req.ip) });
      empty(res);
    }),
  );

  r.get('/verifyemail', browser, async (req, res) => {
    try {
      const code = unsafeText(req.query) ? undefined : q(req, 's');
      const page = verifyPage(await svc.verifyEmail(code));
      res.status(page.status).type('html').send(page.html);
    } catch (err) {
      req.log.error({ err }, 'verifyemail failed');
      const page = verifyPage({ kind: 'error' });
      res.status(page.status).type('html').send(page.html);
    }
  });

  r.get(
    '/revokeemail',
    browser,
    handle(async (req, res) => {
      await svc.revokeEmail(need(parseToken(q(req, 'token')), 'MissingToken'));
      empty(res);
    }),
  );

  // CORS preflight for the browser endpoints (simple GETs do not need it, custom headers do)
  r.options(
    [
      '/subscribe',
      '/unsubscribe',
      '/reclaim',
      '/info',
      '/setemail',
      '/verifyemail',
      '/revokeemail',
      '/connectivity-check',
    ],
    browser,
  );

  r.get('/connectivity-check', browser, (_req, res) => {
    res.status(200).type('text/plain').send('OK');
  });

  return r;
}
