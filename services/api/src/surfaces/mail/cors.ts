import type { RequestHandler } from 'express';

/**
 * CORS for /mail/* (EasyMail admin panels run in a browser on another origin). Like the original server:
 * every response carries `Access-Control-Allow-Origin` (`*` by default, MAIL_CORS_ORIGINS otherwise) and the
 * `Auth-token` header is allowed; a preflight (`OPTIONS`) is answered here, before any authentication: the
 * browser never sends credentials on it. The real request is authenticated as always.
 */

/** Request headers a panel may send (the original's list). */
export const ALLOWED_HEADERS =
  'Auth-token, Authorization, Content-Type, Content-Length, Accept-Encoding, X-Requested-With, X-CSRF-Token';
export const ALLOWED_METHODS = 'GET, POST, DELETE, OPTIONS';
/** How long a browser may cache a preflight (seconds). */
export const PREFLIGHT_MAX_AGE = 600;

/** The CORS headers of a response to a request from `origin` (pure). */
export function corsHeaders(
  allowed: readonly string[],
  origin: string | undefined,
  preflight: boolean,
): Record<string, string> {
  const h: Record<string, string> = {};
  if (allowed.includes('*')) h['access-control-allow-origin'] = '*';
  else {
    h.vary = 'Origin';
    if (origin && allowed.includes(origin)) h['access-control-allow-origin'] = origin;
  }
  if (!h['access-control-allow-origin']) return h;
  if (preflight) {
    h['access-control-allow-methods'] = ALLOWED_METHODS;
    h['access-control-allow-headers'] = ALLOWED_HEADERS;
    h['access-control-max-age'] = String(PREFLIGHT_MAX_AGE);
  } else {
    h['access-control-expose-headers'] = 'Content-Disposition, Retry-After';
  }
  return h;
}

/** Sets the headers on every /mail response and answers preflights (204) without authentication. */
export function mailCors(allowed: readonly string[]): RequestHandler {
  return (req, res, next) => {
    const preflight = req.method === 'OPTIONS';
    res.set(corsHeaders(allowed, req.get('origin'), preflight));
    if (preflight) {
      res.status(204).end();
      return;
    }
    next();
  };
}
