import { isTransientDbError } from '@ddns/db';
import { OpError, scopeAllowsDomain, sessionCsrfToken } from '@ddns/registry';
import type { RouteDef } from '@ddns/v1-schema';
import type { Request, Response, Router } from 'express';
import type { z } from 'zod';
import { clientIp } from '../../../auth';
import type { ApiDeps } from '../../../deps';
import { LimitsUnavailableError, RedisLimits, sourceNetwork } from '../../../limits';
import { ModelError } from '../../../model/errors';
import { CSRF_HEADER } from './cookies';
import { fieldErrors, sendError, V1Error } from './errors';
import { findPrincipal, type Principal } from './principal';

/** Request budgets of /v1, per source network and per account (a dashboard makes a few calls per page). */
export const V1_LIMITS = {
  perNetwork: { limit: 300, windowSeconds: 60 },
  perAccount: { limit: 120, windowSeconds: 60 },
} as const;

type In<T> = T extends z.ZodTypeAny ? z.output<T> : undefined;
type Out<T> = T extends z.ZodTypeAny ? z.input<T> : undefined;

export interface V1Request<D extends RouteDef, P extends Principal | null> {
  req: Request;
  res: Response;
  params: In<D['params']>;
  query: In<D['query']>;
  body: In<D['body']>;
  principal: P;
  ip: string;
}

/** What a handler answers: the route's response (status from the route table), or `undefined` for 204. */
export type V1Reply<D extends RouteDef> = D['response'] extends z.ZodTypeAny ? Out<D['response']> : void;

type PrincipalOf<D extends RouteDef> = D['auth'] extends 'none' ? Principal | null : Principal;

const UNSAFE = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * Mounts one route of the table. In order: limits (network, then account) → who is calling → may they
 * (auth kind, API-key scope, CSRF for cookie sessions) → parse params/query/body with the route's schemas
 * (400 with field errors) → the handler → its answer, or any refusal in the /v1 error format.
 * A handler that streams (events) sends the response itself and returns `streamed`.
 */
export function mount<D extends RouteDef>(
  router: Router,
  deps: ApiDeps,
  def: D,
  handler: (r: V1Request<D, PrincipalOf<D>>) => Promise<V1Reply<D> | typeof streamed>,
): void {
  router[def.method](def.path, async (req: Request, res: Response) => {
    try {
      const ip = clientIp(req.ip);
      const limits = new RedisLimits(deps.redis, deps.redisPrefix);
      const net = await limits.hit(
        `v1:net:${sourceNetwork(ip)}`,
        V1_LIMITS.perNetwork.limit,
        V1_LIMITS.perNetwork.windowSeconds,
      );
      if (!net.allowed)
        throw new V1Error('rate_limited', 'too many requests from your network', undefined, net.retryAfter);
      const principal = await findPrincipal(deps, req);
      authorize(def, req, principal);
      if (principal) {
        const acct = await limits.hit(
          `v1:acct:${principal.account.id}`,
          V1_LIMITS.perAccount.limit,
          V1_LIMITS.perAccount.windowSeconds,
        );
        if (!acct.allowed)
          throw new V1Error('rate_limited', 'too many requests for this account', undefined, acct.retryAfter);
      }
      const params = parsePart(def.params, req.params, 'path');
      const query = parsePart(def.query, req.query, 'query');
      const body = parsePart(def.body, req.body ?? {}, '');
      if (def.domainScoped && principal?.via === 'api-key') {
        const name = (params as { name?: string }).name ?? '';
        if (!scopeAllowsDomain({ domains: principal.key.domains, write: principal.key.can_write }, name))
          throw new V1Error('forbidden', `this API key is not for ${name}`);
      }
      const out = await handler({
        req,
        res,
        params: params as In<D['params']>,
        query: query as In<D['query']>,
        body: body as In<D['body']>,
        principal: principal as PrincipalOf<D>,
        ip,
      });
      if (out === streamed) return;
      if (def.status === 204 || out === undefined) res.status(def.status === 204 ? 204 : def.status).end();
      else res.status(def.status).json(out);
    } catch (err) {
      answerError(req, res, err);
    }
  });
}

/** Returned by a handler that answered by itself (a stream). */
export const streamed = Symbol('streamed');

function parsePart(schema: z.ZodTypeAny | undefined, value: unknown, prefix: string): unknown {
  if (!schema) return undefined;
  const r = schema.safeParse(value);
  if (!r.success) {
    const fields = fieldErrors(r.error, prefix === 'path' ? '' : prefix);
    throw new V1Error('invalid', Object.values(fields)[0] ?? 'invalid request', fields);
  }
  return r.data;
}

function authorize(def: RouteDef, req: Request, p: Principal | null): void {
  if (def.auth === 'none') return;
  if (!p) throw new V1Error('unauthenticated', 'log in, or send an API key (Authorization: Bearer ...)');
  if (p.via === 'api-key') {
    if (def.auth !== 'account')
      throw new V1Error('forbidden', 'this needs a browser session, not an API key');
    if (def.scope === 'write' && !p.key.can_write)
      throw new V1Error('forbidden', 'this API key is read-only');
    return;
  }
  if (UNSAFE.has(req.method)) {
    const sent = req.headers[CSRF_HEADER];
    if (typeof sent !== 'string' || sent !== sessionCsrfToken(p.sessionToken))
      throw new V1Error('csrf', 'missing or wrong X-CSRF-Token header');
  }
  if (def.auth === 'admin' && !p.account.is_admin) throw new V1Error('forbidden', 'admins only');
}

/** Any failure, in the /v1 error format; a bug is logged and answered 500 without details. */
export function answerError(req: Request, res: Response, err: unknown): void {
  if (err instanceof V1Error) return sendError(res, err);
  if (err instanceof ModelError) {
    const code = err.kind === 'invalid' ? 'invalid' : err.kind;
    return sendError(res, new V1Error(code, err.message));
  }
  if (err instanceof OpError) return sendError(res, new V1Error('invalid', err.message));
  if (err instanceof LimitsUnavailableError) {
    req.log.warn({ err: err.message }, 'limits unavailable');
    return sendError(res, new V1Error('unavailable', 'try again shortly', undefined, 5));
  }
  if (isTransientDbError(err)) {
    req.log.warn({ err: (err as Error).message }, 'database unavailable');
    return sendError(res, new V1Error('unavailable', 'try again shortly', undefined, 5));
  }
  req.log.error({ err }, 'unhandled /v1 error');
  if (!res.headersSent) res.status(500).json({ error: { code: 'unavailable', message: 'internal error' } });
}
