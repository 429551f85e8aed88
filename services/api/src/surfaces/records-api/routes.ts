import { Router, type NextFunction, type Request, type Response } from 'express';
import type { Account } from '@ddns/db';
import type { ApiDeps } from '../../deps';
import { readBodies } from '../../http/bodies';
import { accountByPassword, clientIp, firstParam } from '../../auth';
import { AuthThrottle, checkApiCall, LimitsUnavailableError, RedisLimits } from '../../limits';
import { ModelError } from '../../model/errors';
import { ownRecord } from '../../model/records';
import { checkRecordInput } from '../../model/validate';
import {
  MESSAGES,
  parseRecordChange,
  parseRecordId,
  parseRecordName,
  parseTypeFilter,
  tokenFromHeader,
} from './format';
import { accountByRecordsToken, getOrUpdateRecord, issueToken, listRecords } from './service';

type Authed = Response<unknown, { account: Account }>;

/** The EnlightNS records API (seed 000): POST /api-token-auth, GET /user/record/, GET|PUT /user/record/<id>. */
export function recordsApiRoutes(deps: ApiDeps): Router {
  const r = Router();
  const limits = () => new RedisLimits(deps.redis, deps.redisPrefix);
  // DRF's answers: a body it cannot parse is `400 {"detail":"JSON parse error."}`
  const bodies = readBodies(
    {
      maxBytes: 32 * 1024,
      json: { limit: 16 * 1024 },
      urlencoded: { limit: 16 * 1024, parameterLimit: 50 },
    },
    (_req, res, status, message) =>
      void res.status(status).json({ detail: status === 400 ? 'JSON parse error.' : message }),
  );
  const unavailable = (res: Response) =>
    res.status(503).setHeader('Retry-After', '30').json({ detail: 'Service unavailable.' });
  const throttled = (res: Response, seconds: number) =>
    res
      .status(429)
      .setHeader('Retry-After', String(seconds))
      .json({ detail: MESSAGES.throttled(seconds) });

  r.post('/api-token-auth', ...bodies, async (req, res) => {
    const email = firstParam(req.body, ['email', 'username']);
    const password = firstParam(req.body, ['password']);
    if (!email || !password) {
      const errors: Record<string, string[]> = {};
      if (!email) errors.email = [MESSAGES.required];
      if (!password) errors.password = [MESSAGES.required];
      res.status(400).json(errors);
      return;
    }
    // failures throttled per source network and per account (shared with every login); Redis down: 503
    const throttle = new AuthThrottle(deps.redis, deps.redisPrefix);
    const ip = clientIp(req.ip);
    let account: Account | undefined;
    try {
      const t = await throttle.checkLogin(ip, email);
      if (t.retryAfter > 0) return void throttled(res, t.retryAfter);
      account = await accountByPassword(deps.db, email, password);
      if (!account) {
        await throttle.loginFailed(ip, email);
        res.status(400).json({ non_field_errors: [MESSAGES.badLogin] });
        return;
      }
      await throttle.loginSucceeded(ip, email);
    } catch (err) {
      if (err instanceof LimitsUnavailableError) return void unavailable(res);
      throw err;
    }
    res.json({ token: await issueToken(deps.db, account.id) });
  });

  /** Token auth and the per-account call limit (5 / 10 s; these calls do not count against the /api quota). */
  const authed = async (req: Request, res: Response, next: NextFunction) => {
    const token = tokenFromHeader(req.get('authorization'));
    const account = token ? await accountByRecordsToken(deps.db, token) : undefined;
    if (!account) {
      if (token) {
        // wrong tokens are counted per source network; a throttled network is told to slow down
        try {
          const wait = await new AuthThrottle(deps.redis, deps.redisPrefix).tokenFailed(clientIp(req.ip));
          if (wait > 0) return void throttled(res, wait);
        } catch (err) {
          if (err instanceof LimitsUnavailableError) return void unavailable(res);
          throw err;
        }
      }
      res
        .status(401)
        .setHeader('WWW-Authenticate', 'Token')
        .json({ detail: token ? MESSAGES.badToken : MESSAGES.noCredentials });
      return;
    }
    try {
      const verdict = await checkApiCall(limits(), account, { daily: false, bucket: 'records-api' });
      if (!verdict.allowed) return void throttled(res, verdict.retryAfter);
    } catch (err) {
      if (err instanceof LimitsUnavailableError) return void unavailable(res);
      throw err;
    }
    res.locals.account = account;
    next();
  };

  r.get('/user/record/', authed, async (req, res: Authed) => {
    const filter = parseTypeFilter(req.query.type);
    if (!filter.ok) {
      res.status(400).json({ type: [filter.error] });
      return;
    }
    res.json(await listRecords(deps.db, res.locals.account, filter.types));
  });

  const one = async (req: Request, res: Authed, write: boolean) => {
    const account = res.locals.account;
    const id = parseRecordId(req.params.id as string | undefined);
    try {
      const name = id === null && !write ? parseRecordName(req.params.id as string | undefined) : null;
      if (name !== null) {
        // enlightns-cli: GET /user/record/<hostname>/ → the caller's records with that name (a list)
        const filter = parseTypeFilter(req.query.type);
        if (!filter.ok) {
          res.status(400).json({ type: [filter.error] });
          return;
        }
        res.json(await listRecords(deps.db, account, filter.types, name));
        return;
      }
      if (id === null) throw new ModelError('not_found', 'bad id');
      if (!write) {
        res.json(await getOrUpdateRecord(deps.db, account, id));
        return;
      }
      const change = parseRecordChange(req.body);
      if (!change.ok) {
        res.status(400).json({ [change.field]: [change.error] });
        return;
      }
      const { type } = await ownRecord(deps.db, account.id, id);
      const input = checkRecordInput(type, change.content, change.ttl);
      if (!input.ok) {
        res.status(400).json(/ttl/.test(input.error) ? { ttl: [input.error] } : { content: [input.error] });
        return;
      }
      const ttl = change.ttl === undefined ? undefined : input.value.ttl;
      res.json(await getOrUpdateRecord(deps.db, account, id, { content: input.value.content, ttl }));
    } catch (err) {
      if (!(err instanceof ModelError)) throw err;
      if (err.kind === 'not_found' || err.kind === 'forbidden')
        res.status(404).json({ detail: MESSAGES.notFound });
      else res.status(400).json({ content: [err.message] });
    }
  };
  r.get('/user/record/:id', authed, (req, res: Authed) => one(req, res, false));
  r.put('/user/record/:id', authed, ...bodies, (req, res: Authed) => one(req, res, true));
  r.patch('/user/record/:id', authed, ...bodies, (req, res: Authed) => one(req, res, true));
  return r;
}
