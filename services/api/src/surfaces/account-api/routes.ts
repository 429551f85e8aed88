import { Router, type Response } from 'express';
import type { ApiDeps } from '../../deps';
import { accountByApiKeys, candidateTokens, clientIp } from '../../auth';
import { formBodies } from '../../http/bodies';
import { AuthThrottle, checkApiCall, LimitsUnavailableError, RedisLimits } from '../../limits';
import { ModelError } from '../../model/errors';
import { pingHealthCheck } from '../../model/healthchecks';
import { ACTION_METHODS, envelope, KEY_PARAMS, parseCall, readParam } from './format';
import { runCall, type Reply } from './service';

/** Health-check pings per source address (one host may run many checks). */
const HEALTH_PING_LIMIT = { limit: 120, windowSeconds: 60 };

/** `/api` and `/api.php` (seed 003, "DynDNS API"), and the health-check ping `GET|POST /health/<token>`. */
export function accountApiRoutes(deps: ApiDeps): Router {
  const r = Router();
  const send = (res: Response, call: string, reply: Reply) => {
    const body = envelope(call, reply.status, reply.message, reply.payload);
    if (reply.alias) body[reply.alias] = reply.message;
    res.status(reply.status).json(body);
  };

  r.all(
    ['/api', '/api.php'],
    ...formBodies((_req, res, status, message) => send(res, 'api', { status, message })),
    async (req, res) => {
      const call = parseCall(req.query, req.body);
      const callName = call.ok ? call.action : 'api';
      const candidates = candidateTokens(req.headers, req.query, req.body, KEY_PARAMS);
      const account = await accountByApiKeys(deps.db, candidates);
      let today: number;
      try {
        if (!account) {
          const wait = candidates.length
            ? await new AuthThrottle(deps.redis, deps.redisPrefix).tokenFailed(clientIp(req.ip))
            : 0;
          // wrong keys are counted per source network; a throttled network is told to slow down
          if (wait > 0) {
            res.setHeader('Retry-After', String(wait));
            send(res, callName, { status: 429, message: 'too many wrong API keys from your network' });
          } else send(res, callName, { status: 401, message: 'missing or wrong API key' });
          return;
        }
        const verdict = await checkApiCall(new RedisLimits(deps.redis, deps.redisPrefix), account);
        if (!verdict.allowed) {
          res.setHeader('Retry-After', String(verdict.retryAfter));
          send(res, callName, { status: 429, message: verdict.reason });
          return;
        }
        today = verdict.today;
      } catch (err) {
        if (!(err instanceof LimitsUnavailableError)) throw err;
        req.log.warn({ err }, 'account API limits unavailable');
        res.setHeader('Retry-After', '30');
        send(res, callName, { status: 503, message: 'temporarily unavailable, try again later' });
        return;
      }
      if (!call.ok) {
        send(res, callName, { status: 400, message: call.error });
        return;
      }
      if (!ACTION_METHODS[call.action].includes(req.method)) {
        send(res, callName, {
          status: 400,
          message: `${call.action} must be sent with ${ACTION_METHODS[call.action].join(' or ')}`,
        });
        return;
      }
      try {
        const reply = await runCall(deps.db, {
          account,
          action: call.action,
          value: call.value,
          param: (name) => readParam(req.query, req.body, name),
          clientIp: clientIp(req.ip),
          userAgent: req.get('user-agent'),
          apiCallsToday: today,
          publicUrl: deps.config.PUBLIC_URL,
        });
        send(res, callName, reply);
      } catch (err) {
        if (!(err instanceof ModelError)) throw err;
        send(res, callName, {
          status: err.kind === 'invalid' || err.kind === 'conflict' ? 400 : 403,
          message: err.message,
        });
      }
    },
  );

  r.all('/health/:token', async (req, res) => {
    if (req.method !== 'GET' && req.method !== 'POST' && req.method !== 'HEAD') {
      res.status(405).setHeader('Allow', 'GET, POST').type('text/plain').send('method not allowed\n');
      return;
    }
    try {
      const { limit, windowSeconds } = HEALTH_PING_LIMIT;
      const hit = await new RedisLimits(deps.redis, deps.redisPrefix).hit(
        `health-ping:${clientIp(req.ip)}`,
        limit,
        windowSeconds,
      );
      if (!hit.allowed) {
        res
          .status(429)
          .setHeader('Retry-After', String(hit.retryAfter))
          .type('text/plain')
          .send('slow down\n');
        return;
      }
    } catch (err) {
      // a ping is worth more than the limit: without Redis, pings still count
      if (!(err instanceof LimitsUnavailableError)) throw err;
    }
    const check = await pingHealthCheck(deps.db, String(req.params.token ?? ''));
    if (!check) {
      res.status(404).type('text/plain').send('not found\n');
      return;
    }
    res.status(200).type('text/plain').send('OK\n');
  });
  return r;
}
