import express, { Router, type ErrorRequestHandler } from 'express';
import type { ApiDeps } from '../../deps';
import { accountRoutes } from './account-routes';
import { activityRoutes } from './activity-routes';
import { adminRoutes } from './admin-routes';
import { authRoutes } from './auth-routes';
import { domainRoutes } from './domain-routes';
import { eventRoutes } from './events-routes';
import { sendError, V1Error } from './http/errors';
import { signupRoutes } from './signup-routes';

/** The /v1 REST API (see README.md and @ddns/v1-schema): JSON in, JSON out, one error format. */
export function v1Routes(deps: ApiDeps): Router {
  const r = Router();
  r.use('/v1', express.json({ limit: '64kb', strict: true, type: () => true }));
  for (const area of [
    authRoutes,
    signupRoutes,
    accountRoutes,
    domainRoutes,
    activityRoutes,
    adminRoutes,
    eventRoutes,
  ])
    r.use(area(deps));
  r.use('/v1', (_req, res) => sendError(res, new V1Error('not_found', 'no such /v1 route')));
  const onError: ErrorRequestHandler = (err: unknown, req, res, next) => {
    if (!req.path.startsWith('/v1')) return next(err);
    const status = (err as { status?: number }).status ?? 500;
    if (status === 413)
      return sendError(res, new V1Error('invalid', 'the body is too large (64 KiB at most)'));
    if (status >= 400 && status < 500)
      return sendError(res, new V1Error('invalid', 'the body is not valid JSON'));
    next(err);
  };
  r.use(onError);
  return r;
}
