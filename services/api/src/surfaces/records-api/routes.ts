import express, { Router, type NextFunction, type Request, type Response } from 'express';
import type { Account } from '@ddns/db';
import { hashToken, newToken, tokenMatches } from '@ddns/secrets';
import type { ApiDeps } from '../../deps';
import { accountByPassword, clientIp, firstParam } from '../../auth';
import { checkApiCall, LimitsUnavailableError, RedisLimits } from '../../limits';
import { ModelError } from '../../model/errors';
import { ownRecord, updateRecord } from '../../model/records';
import { checkRecordInput } from '../../model/validate';
import { formatRecord, MESSAGES, parseRecordId, parseTypeFilter, tokenFromHeader } from './format';

/** Tokens kept per account: a new login beyond this drops the oldest. */
const MAX_TOKENS_PER_ACCOUNT = 20;
/** Failed logins per source address before a 10-minute lockout. */
const MAX_LOGIN_FAILURES = 10;

type Authed = Response<unknown, { account: Account }>;

/** The EnlightNS records API (seed 000): POST /api-token-auth, GET /user/record/, GET|PUT /user/record/<id>. */
export function recordsApiRoutes(deps: ApiDeps): Router {
  const r = Router();
  const limits = () => new RedisLimits(deps.redis, deps.redisPrefix);
  const bodies = [
    express.json({ limit: '16kb' }),
    express.urlencoded({ extended: false, limit: '16kb' }),
  ].map(
    (p) => (req: Request, res: Response, next: NextFunction) =>
      p(req, res, (err?: unknown) => (err ? res.status(400).json({ detail: 'JSON parse error.' }) : next())),
  );
  const unavailable = (res: Response) =>
    res.status(503).setHeader('Retry-After', '30').json({ detail: 'Service unavailable.' });

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
    const lockKey = `records-login:${clientIp(req.ip)}`;
    let account: Account | undefined;
    try {
      const locked = await limits().lockedFor(lockKey);
      if (locked > 0) {
        res
          .status(429)
          .setHeader('Retry-After', String(locked))
          .json({ detail: MESSAGES.throttled(locked) });
        return;
      }
      account = await accountByPassword(deps.db, email, password);
      if (!account) {
        await limits().fail(lockKey, MAX_LOGIN_FAILURES, 600);
        res.status(400).json({ non_field_errors: [MESSAGES.badLogin] });
        return;
      }
    } catch (err) {
      if (err instanceof LimitsUnavailableError) return void unavailable(res);
      throw err;
    }
    const owner = account;
    const token = newToken();
    await deps.db.transaction().execute(async (trx) => {
      await trx
        .insertInto('api_tokens')
        .values({ account_id: owner.id, token_hash: hashToken(token) })
        .execute();
      const keep = trx
        .selectFrom('api_tokens')
        .select('id')
        .where('account_id', '=', owner.id)
        .orderBy('id', 'desc')
        .limit(MAX_TOKENS_PER_ACCOUNT);
      await trx
        .deleteFrom('api_tokens')
        .where('account_id', '=', owner.id)
        .where('id', 'not in', keep)
        .execute();
    });
    res.json({ token });
  });

  /** Token auth and the per-account call limit (5 / 10 s; these calls do not count against the /api quota). */
  const authed = async (req: Request, res: Response, next: NextFunction) => {
    const token = tokenFromHeader(req.get('authorization'));
    if (!token) {
      res.status(401).setHeader('WWW-Authenticate', 'Token').json({ detail: MESSAGES.noCredentials });
      return;
    }
    const row = await deps.db
      .selectFrom('api_tokens')
      .innerJoin('accounts', 'accounts.id', 'api_tokens.account_id')
      .selectAll('accounts')
      .select(['api_tokens.id as token_id', 'api_tokens.token_hash'])
      .where('api_tokens.token_hash', '=', hashToken(token))
      .executeTakeFirst();
    if (!row || !tokenMatches(token, row.token_hash)) {
      res.status(401).setHeader('WWW-Authenticate', 'Token').json({ detail: MESSAGES.badToken });
      return;
    }
    const { token_id, token_hash: _h, ...account } = row;
    try {
      const verdict = await checkApiCall(limits(), account, { daily: false, bucket: 'records-api' });
      if (!verdict.allowed) {
        res
          .status(429)
          .setHeader('Retry-After', String(verdict.retryAfter))
          .json({ detail: MESSAGES.throttled(verdict.retryAfter) });
        return;
      }
    } catch (err) {
      if (err instanceof LimitsUnavailableError) return void unavailable(res);
      throw err;
    }
    await deps.db
      .updateTable('api_tokens')
      .set({ last_used_at: new Date() })
      .where('id', '=', token_id)
      .execute();
    res.locals.account = account;
    next();
  };

  r.get('/user/record/', authed, async (req, res: Authed) => {
    const account = res.locals.account;
    const filter = parseTypeFilter(req.query.type);
    if (!filter.ok) {
      res.status(400).json({ type: [filter.error] });
      return;
    }
    let q = deps.db
      .selectFrom('records')
      .innerJoin('domains', 'domains.id', 'records.domain_id')
      .innerJoin('zones', 'zones.id', 'records.zone_id')
      .select(['records.id', 'records.name', 'records.type', 'records.content', 'records.ttl', 'zones.kind'])
      .where('domains.account_id', '=', account.id);
    if (filter.types) q = q.where('records.type', 'in', filter.types);
    const rows = await q.orderBy('records.id').execute();
    res.json(rows.map((x) => formatRecord(x, { shared: x.kind === 'shared', owner: account.email })));
  });

  const one = async (req: Request, res: Authed, change?: { content: unknown; ttl: unknown }) => {
    const account = res.locals.account;
    const id = parseRecordId(req.params.id as string | undefined);
    if (id === null) {
      res.status(404).json({ detail: MESSAGES.notFound });
      return;
    }
    try {
      let rec = await ownRecord(deps.db, account.id, id);
      if (change) {
        if (typeof change.content !== 'string' || change.content === '') {
          res.status(400).json({ content: [MESSAGES.required] });
          return;
        }
        const ttlRaw =
          typeof change.ttl === 'number'
            ? String(change.ttl)
            : typeof change.ttl === 'string'
              ? change.ttl
              : undefined;
        if (change.ttl !== undefined && change.ttl !== null && ttlRaw === undefined) {
          res.status(400).json({ ttl: ['A valid integer is required.'] });
          return;
        }
        const input = checkRecordInput(rec.type, change.content, ttlRaw);
        if (!input.ok) {
          res.status(400).json(/ttl/.test(input.error) ? { ttl: [input.error] } : { content: [input.error] });
          return;
        }
        rec = await updateRecord(deps.db, account.id, id, {
          content: input.value.content,
          ttl: ttlRaw === undefined ? undefined : input.value.ttl,
        });
      }
      const zone = await deps.db
        .selectFrom('zones')
        .select('kind')
        .where('id', '=', rec.zone_id)
        .executeTakeFirstOrThrow();
      res.json(formatRecord(rec, { shared: zone.kind === 'shared', owner: account.email }));
    } catch (err) {
      if (!(err instanceof ModelError)) throw err;
      if (err.kind === 'not_found' || err.kind === 'forbidden')
        res.status(404).json({ detail: MESSAGES.notFound });
      else res.status(400).json({ content: [err.message] });
    }
  };
  r.get('/user/record/:id', authed, (req, res: Authed) => one(req, res));
  const put = (req: Request, res: Authed) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    return one(req, res, { content: body.content, ttl: body.ttl });
  };
  r.put('/user/record/:id', authed, ...bodies, put);
  r.patch('/user/record/:id', authed, ...bodies, put);
  return r;
}
