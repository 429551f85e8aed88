import { isTransientDbError } from '@ddns/db';
import express, { type ErrorRequestHandler, type Express } from 'express';
import type { ApiDeps } from './deps';
import { accessLog } from './http/access-log';
import { sendUnavailable } from './http/unavailable';
import { accountApiRoutes } from './surfaces/account-api/routes';
import { acmeRoutes } from './surfaces/acme/routes';
import { dyndns2Routes } from './surfaces/dyndns2/routes';
import { mailRoutes } from './surfaces/mail/routes';
import { openapiRoutes } from './surfaces/openapi/routes';
import { opsRoutes } from './surfaces/ops/routes';
import { recordsApiRoutes } from './surfaces/records-api/routes';
import { registrationRoutes } from './surfaces/registration/routes';
import { webRoutes } from './surfaces/web/routes';
import { v1Routes } from './surfaces/v1/routes';
import { parseTrustProxy } from './trust-proxy';

/** Wires middleware and every HTTP surface. Each surface owns its routes, formats and errors. */
export function createApp(deps: ApiDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', parseTrustProxy(deps.config.TRUST_PROXY));
  app.set('query parser', 'extended');
  app.use(accessLog(app, deps.logger));

  app.use(opsRoutes(deps));
  app.use(dyndns2Routes(deps));
  app.use(registrationRoutes(deps));
  app.use(accountApiRoutes(deps));
  app.use(recordsApiRoutes(deps));
  app.use('/mail', mailRoutes(deps));
  app.use(acmeRoutes(deps));
  app.use(v1Routes(deps));
  app.use(openapiRoutes());
  // last: the dashboard answers only its own paths (surfaces/web/app-paths.ts)
  app.use(webRoutes(deps.web));

  app.use((_req, res) => {
    res.status(404).type('text/plain').send('not found\n');
  });
  const onError: ErrorRequestHandler = (err: unknown, req, res, _next) => {
    const status =
      (err as { status?: number; statusCode?: number }).status ?? (err as { statusCode?: number }).statusCode;
    if (status && status >= 400 && status < 500) {
      res.status(status).type('text/plain').send('bad request\n');
      return;
    }
    if (isTransientDbError(err) && !res.headersSent) {
      req.log.warn({ err: (err as Error).message }, 'database unavailable');
      sendUnavailable(req, res);
      return;
    }
    req.log.error({ err }, 'unhandled error');
    if (!res.headersSent) res.status(500).type('text/plain').send('internal error\n');
  };
  app.use(onError);
  return app;
}

/** The paths that also answer on the plain-HTTP port when TLS is on (old routers cannot do HTTPS). */
export const PLAIN_HTTP_PATHS = ['/nic/update', '/update', '/update.php', '/tools/whatismyip'];

export function isPlainHttpPath(url: string | undefined): boolean {
  const path = (url ?? '/').split('?')[0]!.replace(/\/+$/, '') || '/';
  return PLAIN_HTTP_PATHS.includes(path);
}
