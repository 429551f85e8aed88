import { createHash } from 'node:crypto';
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import { bullConnection, QUEUES } from '@ddns/jobs';
import { Queue } from 'bullmq';
import { Router, type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import { accountByPassword, clientIp, parseAuthorization } from '../../auth';
import type { ApiDeps } from '../../deps';
import { AuthThrottle, LimitsUnavailableError } from '../../limits';

export const QUEUE_DASHBOARD_PATH = '/admin/queues';

/** Queues opened by dashboards (lazily, on the first admin request); closed by closeQueueDashboards(). */
const openQueues = new Set<Queue>();

/** Closes every queue connection the dashboards opened (shutdown, tests). */
export async function closeQueueDashboards(): Promise<void> {
  const qs = [...openQueues];
  openQueues.clear();
  await Promise.all(qs.map((q) => q.close().catch(() => undefined)));
}

/** A successful login is remembered briefly, so the dashboard's polling does not run argon2 every time. */
const AUTH_CACHE_MS = 60_000;
/**
 * HTTP Basic with an admin account's e-mail + password. 401 (with a browser prompt) without valid credentials,
 * 403 for a valid non-admin account, 429 while failed logins throttle the source network or the account
 * (shared with every login), 503 while Redis is down (no unthrottled guessing).
 */
export function adminBasicAuth(deps: ApiDeps): RequestHandler {
  const cache = new Map<string, number>();
  const challenge = (res: Response) => {
    res.status(401).set('WWW-Authenticate', 'Basic realm="ddns admin", charset="UTF-8"').type('text/plain');
    res.send('admin credentials required\n');
  };
  return async (req: Request, res: Response, next: NextFunction) => {
    const header = req.headers.authorization ?? '';
    const key = createHash('sha256').update(header).digest('hex');
    const until = cache.get(key);
    if (until !== undefined && until > Date.now()) return next();
    cache.delete(key);
    const auth = parseAuthorization(header);
    if (auth.kind !== 'basic' || !auth.user || !auth.password) return challenge(res);
    const throttle = new AuthThrottle(deps.redis, deps.redisPrefix);
    const ip = clientIp(req.ip);
    let account;
    try {
      const t = await throttle.checkLogin(ip, auth.user);
      if (t.retryAfter > 0) {
        res
          .status(429)
          .set('Retry-After', String(t.retryAfter))
          .type('text/plain')
          .send('too many failed logins\n');
        return;
      }
      account = await accountByPassword(deps.db, auth.user, auth.password);
      if (!account) {
        await throttle.loginFailed(ip, auth.user);
        return challenge(res);
      }
      await throttle.loginSucceeded(ip, auth.user);
    } catch (err) {
      if (!(err instanceof LimitsUnavailableError)) throw err;
      res.status(503).set('Retry-After', '30').type('text/plain').send('login temporarily unavailable\n');
      return;
    }
    if (!account.is_admin) {
      res.status(403).type('text/plain').send('not an admin account\n');
      return;
    }
    if (cache.size > 1000) cache.clear();
    cache.set(key, Date.now() + AUTH_CACHE_MS);
    next();
  };
}

/** bull-board's page asks Google for its fonts; ours asks nobody (its CSS falls back to the system fonts). */
export function stripThirdPartyFonts(html: string): string {
  return html.replace(/<link[^>]+href="https:\/\/fonts\.(?:googleapis|gstatic)\.com[^>]*>\s*/g, '');
}

/** Filters the page bull-board renders (its index.ejs) through stripThirdPartyFonts. */
function withoutThirdPartyFonts(res: Response): void {
  const render = res.render.bind(res);
  res.render = ((view: string, options?: object) => {
    render(view, options ?? {}, (err: Error | null, html: string) => {
      if (err) {
        res.status(500).type('text/plain').send('internal error\n');
        return;
      }
      res.send(stripThirdPartyFonts(html));
    });
  }) as Response['render'];
}

/**
 * bull-board at /admin/queues, showing every queue of this deployment (under deps.redisPrefix).
 * The queues are opened on the first admin request, so an API that nobody watches holds no extra connections.
 */
export function queueDashboard(deps: ApiDeps): Router {
  const r = Router();
  let board: Router | undefined;
  const build = (): Router => {
    const adapter = new ExpressAdapter();
    adapter.setBasePath(QUEUE_DASHBOARD_PATH);
    const queues = Object.values(QUEUES).map((name) => {
      const q = new Queue(name, {
        // fail fast while Redis is down instead of hanging the page
        connection: {
          ...bullConnection(deps.config.REDIS_URL),
          enableOfflineQueue: false,
          maxRetriesPerRequest: 1,
        },
        prefix: deps.redisPrefix,
      });
      q.on('error', (err) => deps.logger.warn({ queue: name, err: err.message }, 'dashboard queue problem'));
      openQueues.add(q);
      return new BullMQAdapter(q);
    });
    createBullBoard({
      queues,
      serverAdapter: adapter,
      options: { uiConfig: { boardTitle: 'ddns queues' } },
    });
    return adapter.getRouter() as Router;
  };
  r.use(QUEUE_DASHBOARD_PATH, adminBasicAuth(deps), (req, res, next) => {
    board ??= build();
    withoutThirdPartyFonts(res);
    board(req, res, next);
  });
  return r;
}
