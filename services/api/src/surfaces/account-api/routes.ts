import { Router, type Request, type Response } from 'express';
import type { Account } from '@ddns/db';
import type { ApiDeps } from '../../deps';
import { accountByApiKeys, candidateTokens, clientIp } from '../../auth';
import { formBodies } from '../../http/forms';
import { checkApiCall, LimitsUnavailableError, quotaFor, RedisLimits } from '../../limits';
import { deleteDomain, registerDomain } from '../../model/domains';
import { ModelError, invalid } from '../../model/errors';
import {
  addHealthCheck,
  deleteHealthCheck,
  HEALTHCHECK_LIMITS,
  listHealthChecks,
  parseHealthCheckInput,
  pingHealthCheck,
} from '../../model/healthchecks';
import {
  accountDomains,
  addRecord,
  deleteRecordById,
  deleteRecordsByValue,
  ownDomainByName,
} from '../../model/records';
import { checkRecordInput, ownerName } from '../../model/validate';
import {
  ACTION_METHODS,
  envelope,
  formatAccountInfo,
  formatDomains,
  formatHealthChecks,
  formatLogs,
  KEY_PARAMS,
  parseCall,
  readParam,
  type Action,
  type Json,
} from './format';

/** How many domains an account of each class may hold. */
const DOMAIN_LIMITS: Record<string, number> = { default: 20, plus: 200, unlimited: 100000 };
const domainLimit = (cls: string) => DOMAIN_LIMITS[cls] ?? DOMAIN_LIMITS.default!;

interface Reply {
  status: number;
  message: string;
  payload?: Record<string, Json>;
  /** extra keys named like the real service's quirks (e.g. get_domains answers `"add_domain":"get_domains"`) */
  alias?: string;
}

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
    ...formBodies((res, message) => send(res, 'api', { status: 400, message })),
    async (req, res) => {
      const call = parseCall(req.query, req.body);
      const callName = call.ok ? call.action : 'api';
      const account = await accountByApiKeys(
        deps.db,
        candidateTokens(req.headers, req.query, req.body, KEY_PARAMS),
      );
      if (!account) {
        send(res, callName, { status: 401, message: 'missing or wrong API key' });
        return;
      }
      let today: number;
      try {
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
        send(res, callName, await perform(deps, req, account, call.action, call.value, today));
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
    const check = await pingHealthCheck(deps.db, String(req.params.token ?? ''));
    if (!check) {
      res.status(404).type('text/plain').send('not found\n');
      return;
    }
    res.status(200).type('text/plain').send('OK\n');
  });
  return r;
}

async function perform(
  deps: ApiDeps,
  req: Request,
  account: Account,
  action: Action,
  value: string,
  apiCallsToday: number,
): Promise<Reply> {
  const db = deps.db;
  const p = (name: string) => readParam(req.query, req.body, name);
  const log = (hosts: string, detail: string, domainId: number | null = null) =>
    db
      .insertInto('update_log')
      .values({
        account_id: account.id,
        domain_id: domainId,
        source_ip: clientIp(req.ip) || null,
        user_agent: req.get('user-agent')?.slice(0, 200) ?? null,
        hosts,
        result: 'api',
        detail,
      })
      .execute();

  switch (action) {
    case 'get_account_info': {
      const [domains, checks, updates] = await Promise.all([
        accountDomains(db, account.id),
        listHealthChecks(db, account.id),
        db
          .selectFrom('update_log')
          .select((eb) => eb.fn.countAll<string>().as('n'))
          .where('account_id', '=', account.id)
          .where('result', '<>', 'api')
          .where('at', '>=', new Date(new Date().toISOString().slice(0, 10)))
          .executeTakeFirstOrThrow(),
      ]);
      const q = quotaFor(account.class);
      return {
        status: 200,
        message: 'get_account_info',
        payload: formatAccountInfo(
          account,
          {
            className: account.class,
            domainLimit: domainLimit(account.class),
            updateLimit: q.updatesPerDay,
            apiLimit: q.apiCallsPerDay,
            healthcheckLimit: HEALTHCHECK_LIMITS.maxPerAccount,
          },
          {
            dyndnsUpdates: Number(updates.n),
            apiUpdates: apiCallsToday,
            domains: domains.length,
            healthchecks: checks.length,
          },
        ),
      };
    }
    case 'get_logs': {
      const rows = await db
        .selectFrom('update_log')
        .selectAll()
        .where('account_id', '=', account.id)
        .orderBy('at', 'desc')
        .orderBy('id', 'desc')
        .limit(100)
        .execute();
      return {
        status: 200,
        message: 'get_logs',
        payload: { logs: formatLogs(rows) },
        alias: 'get_account_info',
      };
    }
    case 'get_domains': {
      const domains = await accountDomains(db, account.id);
      const ids = domains.map((d) => d.id);
      const [records, counts] = ids.length
        ? await Promise.all([
            db
              .selectFrom('records')
              .selectAll()
              .where('domain_id', 'in', ids)
              .orderBy('name')
              .orderBy('id')
              .execute(),
            db
              .selectFrom('update_log')
              .select((eb) => ['domain_id', eb.fn.countAll<string>().as('n')])
              .where('domain_id', 'in', ids)
              .where('result', '<>', 'api')
              .groupBy('domain_id')
              .execute(),
          ])
        : [[], []];
      const updates = new Map(counts.map((c) => [c.domain_id ?? 0, Number(c.n)]));
      return {
        status: 200,
        message: 'get_domains',
        payload: { subdomains: formatDomains(domains, records, updates) },
        alias: 'add_domain',
      };
    }
    case 'add_domain': {
      if (!value) throw invalid('add_domain needs the domain name (add_domain=name.zone)');
      const d = await registerDomain(db, {
        accountId: account.id,
        name: value,
        address: clientIp(req.ip),
        maxDomains: domainLimit(account.class),
      });
      await log(d.name, `API: domain ${d.name} added`, d.id);
      return { status: 201, message: d.name, payload: { domain_update_hash: d.token } };
    }
    case 'del_domain': {
      const d = await deleteDomain(db, account.id, value);
      await log(d.name, `API: domain ${d.name} deleted`);
      return { status: 200, message: d.name };
    }
    case 'add_record': {
      if (!value) throw invalid('add_record needs the domain name (add_record=name.zone)');
      const owned = await ownDomainByName(db, account.id, value.trim().toLowerCase().replace(/\.$/, ''));
      const name = ownerName(owned.domain.name, p('praefix'));
      if (!name.ok) throw invalid(name.error);
      const input = checkRecordInput(p('type'), p('content'), p('ttl'));
      if (!input.ok) throw invalid(input.error);
      const rec = await addRecord(db, owned, { name: name.value, ...input.value });
      await log(owned.domain.name, `API: ${rec.type} record ${rec.name} added`, owned.domain.id);
      return { status: 201, message: owned.domain.name, payload: { record_id: rec.id } };
    }
    case 'del_record': {
      if (/^\d{1,10}$/.test(value)) {
        const rec = await deleteRecordById(db, account.id, Number(value));
        await log(rec.domain, `API: ${rec.type} record ${rec.name} deleted`, rec.domain_id);
        return { status: 200, message: rec.domain };
      }
      if (!value) throw invalid('del_record needs a record id or the domain name (del_record=name.zone)');
      const owned = await ownDomainByName(db, account.id, value.trim().toLowerCase().replace(/\.$/, ''));
      const name = ownerName(owned.domain.name, p('praefix'));
      if (!name.ok) throw invalid(name.error);
      const input = checkRecordInput(p('type'), p('content'));
      if (!input.ok) throw invalid(input.error);
      const n = await deleteRecordsByValue(db, owned, {
        name: name.value,
        type: input.value.type,
        content: input.value.content,
      });
      if (n === 0) throw invalid(`no ${input.value.type} record with this content at ${name.value}`);
      await log(owned.domain.name, `API: ${input.value.type} record ${name.value} deleted`, owned.domain.id);
      return { status: 200, message: owned.domain.name };
    }
    case 'get_healthchecks': {
      const checks = await listHealthChecks(db, account.id);
      return {
        status: 200,
        message: 'get_healthchecks',
        payload: { healthchecks: formatHealthChecks(checks) },
      };
    }
    case 'add_healthcheck': {
      const input = parseHealthCheckInput(value, p('period'), p('grace'));
      if (!input.ok) throw invalid(input.error);
      const { check, token } = await addHealthCheck(db, account.id, input.value);
      const base = deps.config.PUBLIC_URL.replace(/\/+$/, '');
      return {
        status: 201,
        message: check.name,
        payload: {
          id: check.id,
          healthtoken: token,
          ping_url: `${base}/health/${token}`,
          period: check.period_seconds,
          grace: check.grace_seconds,
        },
      };
    }
    case 'del_healthcheck': {
      const check = await deleteHealthCheck(db, account.id, value);
      return { status: 200, message: check.name };
    }
  }
}
