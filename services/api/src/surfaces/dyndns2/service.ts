import type { IncomingHttpHeaders } from 'node:http';
import { isTransientDbError, type Db } from '@ddns/db';
import { canonicalIPv6 } from '@ddns/records';
import { hashToken } from '@ddns/secrets';
import type { Logger } from 'pino';
import { clientIp } from '../../auth';
import {
  CALL_LIMITS,
  LimitsUnavailableError,
  quotaFor,
  type AuthThrottle,
  type RedisLimits,
} from '../../limits';
import { countAnonymousFailure } from '../../model/anonymous-failures';
import { formatRequestFailure, formatResults, type HostResult, type Reply } from './format';
import {
  HOST_PARAMS,
  parseCredentials,
  parseUpdate,
  stringValues,
  targetName,
  type Params,
  type UpdateRequest,
} from './parse';
import { replyMode } from './dialect';
import { planUpdate } from './plan';
import { readForUpdate, type UpdateRead } from './read';
import { formatPrefix } from './prefix';
import { authenticate, principalKey, quotaKey, type Principal } from './principal';
import { applyUpdate, insertLog, type LogRow } from './sql';

/**
 * The nochg rule: a host may answer `nochg` NOCHG_LIMIT times within NOCHG_WINDOW seconds (counted from the
 * first nochg after its last change); further unchanged updates answer `abuse` and change nothing until the
 * window ends. A real change (`good`) is always applied and clears the count.
 */
export const NOCHG_LIMIT = 5;
export const NOCHG_WINDOW = 3600;

export interface UpdaterOptions {
  /** the per-key call limit and the nochg rule (off only for benchmarks); daily quotas and lockouts always apply */
  rateLimit: boolean;
  /** the failed-authentication throttle (per source network and account), per request */
  throttleFor: () => AuthThrottle;
}

/** One updater request, as routes.ts hands it over. */
export interface UpdateInput {
  path: string;
  headers: IncomingHttpHeaders;
  query: Params | undefined;
  body: Params | undefined;
  /** express's req.ip (TRUST_PROXY-aware) */
  sourceIp: string | undefined;
}

interface LogEntry {
  accountId: number | null;
  domainId: number | null;
  result: string;
  detail?: string | null;
  /** the hosts updated, when they differ from the request's (none named: the default host) */
  hosts?: string;
}

const cap = (s: string, n: number) => (s.length > n ? s.slice(0, n) : s);

/** Drops control characters (user agents and host lists are logged as text; Postgres text has no NUL). */
function stripControls(s: string): string {
  let out = '';
  for (const c of s) if (c.charCodeAt(0) >= 0x20 && c !== '\u007f') out += c;
  return out;
}

/**
 * The DynDNS2 update service: authentication, limits, the update itself (one transaction: records, domain
 * prefix, health check ping and the update log row; the change-feed trigger runs inside it) and the reply.
 */
export class UpdaterService {
  constructor(
    private readonly db: Db,
    private readonly limitsFor: () => RedisLimits,
    private readonly opts: UpdaterOptions,
    private readonly logger?: Logger,
  ) {}

  async handle(input: UpdateInput): Promise<Reply> {
    const limits = this.limitsFor();
    const mode = replyMode({
      path: input.path,
      authorization: input.headers.authorization,
      query: input.query,
      body: input.body,
    });
    const source = clientIp(input.sourceIp);
    const ua = input.headers['user-agent'];
    const rawHosts = [input.query, input.body].flatMap((src) =>
      HOST_PARAMS.flatMap((n) => stringValues(src, n)),
    );
    const ctx = {
      source,
      userAgent: typeof ua === 'string' ? cap(stripControls(ua), 200) : null,
      hosts: cap(stripControls(rawHosts.join(',')), 1000),
    };
    const logRow = (e: LogEntry): LogRow => ({
      accountId: e.accountId,
      domainId: e.domainId,
      sourceIp: ctx.source || null,
      userAgent: ctx.userAgent,
      hosts: e.hosts ?? ctx.hosts,
      result: cap(e.result, 500),
      detail: e.detail ? cap(e.detail, 500) : null,
    });
    const writeLog = async (db: Db, e: LogEntry) => {
      // a failure of nobody is counted, not logged row by row (nobody could read that log anyway)
      if (e.accountId === null && e.domainId === null)
        await countAnonymousFailure(db, { surface: 'dyndns2', sourceIp: ctx.source, result: e.result });
      else await insertLog(db, logRow(e));
    };
    const hostCount = Math.max(
      1,
      Math.min(
        20,
        rawHosts
          .join(',')
          .split(',')
          .filter((h) => h.trim()).length,
      ),
    );
    let principal: Principal | undefined;
    try {
      const creds = parseCredentials(input.headers, input.query, input.body);
      if (!creds.login && creds.tokens.length === 0) {
        await writeLog(this.db, {
          accountId: null,
          domainId: null,
          result: 'badauth',
          detail: 'no credentials',
        });
        return formatRequestFailure(mode, 'badauth');
      }
      const parsed = parseUpdate(input.query, input.body, source);
      // The usual update (a token, hosts named) authenticates in the read itself: one round trip for both.
      const read =
        !creds.login && creds.tokens.length > 0 && parsed.ok && parsed.request.hosts.length > 0
          ? await readForUpdate(this.db, { token: creds.tokens[0]! }, parsed.request)
          : undefined;
      principal = read?.principal;
      // A password login asks the throttle first (no argon2 work, no answer for a throttled source). A token
      // is looked up first: a valid random token cannot have been guessed, so only failures are counted (per
      // source network) and a successful request spends no Redis round trip on it.
      const throttle = this.opts.throttleFor();
      if (creds.login) {
        const t = await throttle.checkLogin(source, creds.login.email);
        if (t.retryAfter > 0) return formatRequestFailure(mode, 'abuse', { retryAfter: t.retryAfter });
      }
      principal ??= await authenticate(this.db, creds);
      if (!principal) {
        if (creds.login) await throttle.loginFailed(source, creds.login.email);
        else {
          const wait = await throttle.tokenFailed(source);
          if (wait > 0) return formatRequestFailure(mode, 'abuse', { retryAfter: wait });
        }
        await writeLog(this.db, { accountId: null, domainId: null, result: 'badauth' });
        return formatRequestFailure(mode, 'badauth');
      }
      if (creds.login) await throttle.loginSucceeded(source, creds.login.email);
      const p: Principal = principal;
      const logFor = (result: string, detail?: string) =>
        writeLog(this.db, {
          accountId: p.accountId,
          domainId: p.kind === 'domain' ? p.domainId : null,
          result,
          detail: detail ?? null,
        });

      // the per-key call limit, then the daily quota, in one Redis round trip: every host of a multi-host
      // update counts against the quota (a malformed request counts one); a refused call takes none of it
      const quota = quotaFor(p.accountClass).updatesPerDay;
      const weight = parsed.ok ? Math.max(1, parsed.request.hosts.length) : 1;
      const { limit, windowSeconds } = CALL_LIMITS.updater;
      const gate = await limits.hitAndTake(
        this.opts.rateLimit ? { key: `updater:${principalKey(p)}`, limit, windowSeconds } : null,
        { key: `updater:${quotaKey(p)}`, limit: quota, weight },
      );
      if (gate.hit && !gate.hit.allowed) {
        if (gate.hit.count === limit + 1)
          await logFor('abuse', `more than ${limit} requests in ${windowSeconds} s`);
        return formatRequestFailure(mode, 'abuse', { retryAfter: gate.hit.retryAfter });
      }
      const d = gate.take!;
      if (!d.allowed) {
        if (d.refusals === 1)
          await logFor('abuse', `daily quota of ${quota} updates used up (${d.count} used, ${weight} asked)`);
        return formatRequestFailure(mode, 'abuse', { retryAfter: d.retryAfter });
      }
      if (!parsed.ok) {
        await logFor(parsed.error);
        return formatRequestFailure(mode, parsed.error);
      }
      const req = parsed.request;
      if (req.hosts.length === 0) {
        const fallback = await this.defaultHost(p);
        if (!fallback) {
          await logFor('notfqdn', 'no host named');
          return formatRequestFailure(mode, 'notfqdn');
        }
        req.hosts = [fallback];
      }
      const results = await this.update(
        limits,
        p,
        req,
        logRow,
        read?.principal ? read : await readForUpdate(this.db, { principal: p }, req),
      );
      return formatResults(mode, results);
    } catch (err) {
      this.logger?.error({ err }, 'dyndns2 update failed');
      // with Postgres unreachable the log row would only wait for the same timeout again
      if ((!(err instanceof LimitsUnavailableError) || principal) && !isTransientDbError(err)) {
        await writeLog(this.db, {
          accountId: principal?.accountId ?? null,
          domainId: principal?.kind === 'domain' ? principal.domainId : null,
          result: '911',
          detail: err instanceof LimitsUnavailableError ? 'rate limits unavailable' : 'internal error',
        }).catch(() => undefined);
      }
      return formatRequestFailure(mode, '911', { lines: hostCount });
    }
  }

  /** With no host named: a domain token's own domain, or an account's only domain. */
  private async defaultHost(p: Principal): Promise<string | undefined> {
    if (p.kind === 'domain') return p.domainName;
    const rows = await this.db
      .selectFrom('domains')
      .select('name')
      .where('account_id', '=', p.accountId)
      .limit(2)
      .execute();
    return rows.length === 1 ? rows[0]!.name : undefined;
  }

  /**
   * The update, from its read (read.ts: the principal's domains among the candidate names, with their
   * records; for the usual request made together with authentication), the pure decision (plan.ts), the nochg rule, then one call of the write function (sql.ts): domain locks, the
   * update-log row (and health-check ping), the record and domain writes — one round trip, one transaction.
   */
  private async update(
    limits: RedisLimits,
    p: Principal,
    req: UpdateRequest,
    logRow: (e: LogEntry) => LogRow,
    read: UpdateRead,
  ): Promise<HostResult[]> {
    const plan = planUpdate(req, read.domains, read.records);

    const results = plan.results;
    if (this.opts.rateLimit) {
      // one round trip: a nochg counts against the host's nochg budget, a good clears it
      const counted = results.filter((r) => r.code === 'nochg' || r.code === 'good');
      const hits = await limits.hitOrReset(
        counted.map((r) => ({
          key: `nochg:${targetName(r.host, req.praefix)}`,
          op: r.code === 'nochg' ? 'hit' : 'reset',
        })),
        NOCHG_LIMIT,
        NOCHG_WINDOW,
      );
      counted.forEach((r, i) => {
        if (hits[i] && !hits[i].allowed) {
          r.code = 'abuse';
          r.ips = [];
        }
      });
    }

    const details: string[] = [];
    if (req.ipv4) details.push(`ipv4=${req.ipv4}`);
    if (req.ipv6) details.push(`ipv6=${canonicalIPv6(req.ipv6)}`);
    if (req.prefix) details.push(`prefix=${formatPrefix(req.prefix)}`);
    const log = logRow({
      accountId: p.accountId,
      domainId: plan.firstDomainId ?? (p.kind === 'domain' ? p.domainId : null),
      result: results.map((r) => r.code).join(','),
      detail: details.join(' '),
      hosts: cap(stripControls(req.hosts.join(',')), 1000),
    });
    const ping =
      req.healthcheck && p.accountId !== null
        ? { accountId: p.accountId, tokenHash: hashToken(req.healthcheck) }
        : undefined;
    await applyUpdate(this.db, plan.lockDomainIds, log, plan.ops, ping);
    return results;
  }
}
