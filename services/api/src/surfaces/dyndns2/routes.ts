import { Router, type ErrorRequestHandler, type Request, type RequestHandler, type Response } from 'express';
import type { ApiDeps } from '../../deps';
import { clientIp } from '../../auth';
import { readBodies } from '../../http/bodies';
import { AuthThrottle, RedisLimits } from '../../limits';
import { formatIp, formatRequestFailure, type Reply } from './format';
import { replyMode } from './dialect';
import { hasParam, type Params } from './parse';
import { UpdaterService } from './service';

/** The updater paths (seed 003; `/nic/update/` of seed 000 matches too: routing is not strict). */
export const UPDATE_PATHS = ['/nic/update', '/update', '/update.php'];
/** Longest request target we read; longer ones answer 414 (Node itself refuses headers over 16 KiB). */
export const MAX_URL_LENGTH = 8192;

const asParams = (v: unknown): Params | undefined =>
  v && typeof v === 'object' && !Array.isArray(v) ? (v as Params) : undefined;

/**
 * The reply as res.send writes it (charset, Content-Length, no body to HEAD), without the ETag: hashing every
 * body cost about 0.5% of the API's CPU per update, no updater caches these replies, and with an ETag a
 * conditional request could turn an update's answer into an empty 304.
 */
function send(res: Response, r: Reply): void {
  res.status(r.status).set(r.headers);
  if (!r.headers['content-type']) res.type('html');
  res.set('Content-Length', String(Buffer.byteLength(r.body, 'utf8')));
  if (res.req.method === 'HEAD') res.end();
  else res.end(r.body, 'utf8');
}

/** DynDNS2 updater: /nic/update, /update, /update.php (GET and POST), howismyip, /tools/whatismyip/. */
export function dyndns2Routes(deps: ApiDeps): Router {
  const r = Router();
  const service = new UpdaterService(
    deps.db,
    // per request: deps.redis may be replaced (tests stand in a dead Redis)
    () => new RedisLimits(deps.redis, deps.redisPrefix),
    {
      rateLimit: deps.updaterRateLimit ?? true,
      throttleFor: () => new AuthThrottle(deps.redis, deps.redisPrefix),
    },
    deps.logger,
  );
  const modeOf = (req: Request) =>
    replyMode({
      path: req.path,
      authorization: req.headers.authorization,
      query: asParams(req.query),
      body: asParams(req.body),
    });
  // an unreadable, oversized or NUL-carrying request answers in the updater's format
  const bodies = readBodies(
    {
      maxBytes: 32 * 1024,
      // control characters in host names are answered per host (notfqdn) by the service
      rejectUnsafeText: false,
      urlencoded: { limit: 16 * 1024, parameterLimit: 200 },
      multipart: { limits: { fields: 200, fieldSize: 8192, fieldNameSize: 100, files: 0, parts: 200 } },
    },
    (req, res, status) => send(res, formatRequestFailure(modeOf(req), 'badrequest', { status })),
  );

  const gate: RequestHandler = (req, res, next) => {
    if (req.method !== 'GET' && req.method !== 'POST') {
      send(res, formatRequestFailure(modeOf(req), 'badrequest', { status: 405 }));
      return;
    }
    if (req.originalUrl.length > MAX_URL_LENGTH) {
      send(res, formatRequestFailure(modeOf(req), 'badrequest', { status: 414 }));
      return;
    }
    next();
  };

  const update: RequestHandler = async (req, res) => {
    const query = asParams(req.query);
    const body = asParams(req.body);
    if (hasParam(query, body, ['howismyip'])) {
      send(res, formatIp(modeOf(req), clientIp(req.ip)));
      return;
    }
    send(res, await service.handle({ path: req.path, headers: req.headers, query, body, sourceIp: req.ip }));
  };

  r.all(UPDATE_PATHS, gate, ...bodies, update);

  r.get(['/tools/whatismyip', '/tools/whatismyip/'], (req, res) => {
    send(res, formatIp('json', clientIp(req.ip)));
  });

  // unreadable or oversized bodies on the updater paths answer in the updater's format
  const onError: ErrorRequestHandler = (err: unknown, req, res, next) => {
    if (!UPDATE_PATHS.some((p) => req.path.replace(/\/+$/, '') === p)) return next(err);
    const e = err as { status?: number; statusCode?: number };
    const status = e.status ?? e.statusCode ?? 500;
    if (status >= 500) return next(err);
    send(res, formatRequestFailure(modeOf(req), 'badrequest', { status }));
  };
  r.use(onError);
  return r;
}
