import { Router, type Request, type Response } from 'express';
import type { ApiDeps } from '../../deps';
import { readBodies } from '../../http/bodies';
import { accountByApiKeys, candidateTokens } from '../../auth';
import { checkApiCall, LimitsUnavailableError, RedisLimits } from '../../limits';
import { ModelError } from '../../model/errors';
import { addRecord, deleteRecordsByValue, owningDomain } from '../../model/records';
import { ACME_BASE, parseChallenge } from './format';

/** ACME challenges come in bursts (apex + wildcard, retries): a looser call limit than /api, no daily quota. */
const ACME_RATE = { limit: 20, windowSeconds: 10 };
const CHALLENGE_TTL = 60;

/**
 * DNS-01 for ACME clients: lego's `httpreq` provider. `POST /acme/httpreq/present` and `.../cleanup` with
 * `{"fqdn","value"}`, authenticated by the account API key (Basic: password or user name; or Bearer).
 * Only `_acme-challenge` TXT records inside the caller's own domains.
 */
export function acmeRoutes(deps: ApiDeps): Router {
  const r = Router();
  const fail = (res: Response, status: number, error: string) => res.status(status).json({ error });
  const json = readBodies(
    { maxBytes: 16 * 1024, json: { limit: 8 * 1024, anyType: true } },
    (_req, res, status, msg) =>
      fail(res, status, status === 400 && /body/.test(msg) ? 'the body must be JSON' : msg),
  );

  const handle = (op: 'present' | 'cleanup') => async (req: Request, res: Response) => {
    const account = await accountByApiKeys(deps.db, candidateTokens(req.headers, {}, {}, []));
    if (!account) {
      res.setHeader('WWW-Authenticate', 'Basic realm="ddns"');
      fail(res, 401, 'missing or wrong API key');
      return;
    }
    try {
      const verdict = await checkApiCall(new RedisLimits(deps.redis, deps.redisPrefix), account, {
        daily: false,
        bucket: 'acme',
        rate: ACME_RATE,
      });
      if (!verdict.allowed) {
        res.setHeader('Retry-After', String(verdict.retryAfter));
        fail(res, 429, verdict.reason);
        return;
      }
    } catch (err) {
      if (!(err instanceof LimitsUnavailableError)) throw err;
      res.setHeader('Retry-After', '30');
      fail(res, 503, 'temporarily unavailable');
      return;
    }
    const parsed = parseChallenge(req.body);
    if (!parsed.ok) {
      fail(res, 400, parsed.error);
      return;
    }
    const { name, value } = parsed.challenge;
    try {
      const owned = await owningDomain(deps.db, account.id, name);
      if (op === 'present') {
        try {
          await addRecord(deps.db, owned, { name, type: 'TXT', content: value, ttl: CHALLENGE_TTL });
        } catch (err) {
          // presenting the same value twice is fine (lego retries)
          if (!(err instanceof ModelError && err.kind === 'conflict' && /already has this/.test(err.message)))
            throw err;
        }
      } else {
        await deleteRecordsByValue(deps.db, owned, { name, type: 'TXT', content: value });
      }
      res.json({ fqdn: `${name}.`, value });
    } catch (err) {
      if (!(err instanceof ModelError)) throw err;
      fail(res, err.kind === 'forbidden' || err.kind === 'not_found' ? 403 : 400, err.message);
    }
  };

  r.post(`${ACME_BASE}/present`, ...json, handle('present'));
  r.post(`${ACME_BASE}/cleanup`, ...json, handle('cleanup'));
  return r;
}
