import type { Request, Response } from 'express';
import { envelope } from '../surfaces/account-api/format';

/** Seconds a client is asked to wait when the database is unreachable or too slow right now. */
export const UNAVAILABLE_RETRY_AFTER = 5;

/**
 * The "try again later" reply of the surface a request belongs to, for a transient database failure
 * (`isTransientDbError`): 503 + Retry-After, in that surface's own format. The DynDNS2 updater answers `911`
 * itself and registration its documented 501; everything else that reaches the app's error handler lands here.
 */
export function sendUnavailable(req: Request, res: Response): void {
  const path = req.path;
  res.status(503).setHeader('Retry-After', String(UNAVAILABLE_RETRY_AFTER));
  if (path.startsWith('/mail/') || path === '/mail') {
    res.json({ result: false, msg: 'Service temporarily unavailable, try again later' });
  } else if (path === '/api' || path === '/api.php') {
    res.json(envelope('api', 503, 'temporarily unavailable, try again later'));
  } else if (path.startsWith('/user/record') || path === '/api-token-auth') {
    res.json({ detail: 'Service unavailable.' });
  } else if (path.startsWith('/acme/')) {
    res.json({ error: 'temporarily unavailable' });
  } else if (/^\/(nic\/update|update|update\.php)\/?$/.test(path)) {
    res.type('text/plain').send('911\n');
  } else {
    res.type('text/plain').send('temporarily unavailable\n');
  }
}
