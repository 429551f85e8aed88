import type { IncomingHttpHeaders } from 'node:http';
import type { Database, Db } from '@ddns/db';
import { canonicalIPv6, isHostname } from '@ddns/records';
import { sql, type Compilable, type CompiledQuery, type Kysely } from 'kysely';
import type { Logger } from 'pino';
import { clientIp } from '../../auth';
import { CALL_LIMITS, LimitsUnavailableError, quotaFor, type RedisLimits } from '../../limits';
import { formatRequestFailure, formatResults, type HostCode, type HostResult, type Reply } from './format';
import { pingHealthCheck } from './healthcheck';
import {
  HOST_PARAMS,
  outputMode,
  parseCredentials,
  parseUpdate,
  stringValues,
  suffixes,
  targetName,
  type Params,
  type UpdateRequest,
} from './parse';
import { applyPrefix, formatPrefix } from './prefix';
import { authenticate, principalKey, quotaKey, type Principal } from './principal';

/** Failed authentications of one key before it is locked, and for how long (seconds). */
export const FAIL_LIMIT = 5;
export const LOCK_SECONDS = 600;
/**
 * The nochg rule: a host may answer `nochg` NOCHG_LIMIT times within NOCHG_WINDOW seconds (counted from the
 * first nochg after its last change); further unchanged updates answer `abuse` and change nothing until the
 * window ends. A real change (`good`) is always applied and clears the count.
 */
export const NOCHG_LIMIT = 5;
export const NOCHG_WINDOW = 3600;
/** TTL of records the updater creates. */
export const RECORD_TTL = 60;

export interface UpdaterOptions {
  /** the per-key call limit and the nochg rule (off only for benchmarks); daily quotas and lockouts always apply */
  rateLimit: boolean;
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

interface LockedDomain {
  id: number;
  name: string;
  zone_id: number;
  ipv6_prefix: string | null;
}

interface Rec {
  id: number;
  zone_id: number;
  domain_id: number | null;
  name: string;
  type: string;
  content: string;
  ipv6_host_part: string | null;
}

const cap = (s: string, n: number) => (s.length > n ? s.slice(0, n) : s);

/** Drops control characters (a user agent is logged as text). */
function stripControls(s: string): string {
  let out = '';
  for (const c of s) if (c.charCodeAt(0) >= 0x20 && c !== '\u007f') out += c;
  return out;
}

/** A value as a Postgres literal (the escaping of pg's escapeLiteral; standard_conforming_strings on). */
export function pgLiteral(v: unknown): string {
  if (v === null || v === undefined) return 'NULL';
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new Error(`cannot inline ${v}`);
    return String(v);
  }
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'boolean') return v ? 'TRUE' : 'FALSE';
  const s = v instanceof Date ? v.toISOString() : String(v);
  if (s.includes('\0')) throw new Error('cannot inline a NUL character');
  let backslash = false;
  let out = "'";
  for (const c of s) {
    if (c === "'") out += "''";
    else if (c === '\\') {
      out += '\\\\';
      backslash = true;
    } else out += c;
  }
  out += "'";
  return backslash ? ` E${out}` : out;
}

/** A compiled query with its `$n` parameters replaced by literals (for a multi-statement simple query). */
export function inlineQuery(q: CompiledQuery): string {
  return q.sql.replace(/\$(\d+)/g, (_m, n: string) => pgLiteral(q.parameters[Number(n) - 1]));
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
    const mode = outputMode(input.path, input.query, input.body);
    const source = clientIp(input.sourceIp);
    const ua = input.headers['user-agent'];
    const rawHosts = [input.query, input.body].flatMap((src) =>
      HOST_PARAMS.flatMap((n) => stringValues(src, n)),
    );
    const ctx = {
      source,
      userAgent: typeof ua === 'string' ? cap(stripControls(ua), 200) : null,
      hosts: cap(rawHosts.join(','), 1000),
    };
    const logQuery = (db: Kysely<Database>, e: LogEntry) =>
      db.insertInto('update_log').values({
        account_id: e.accountId,
        domain_id: e.domainId,
        source_ip: ctx.source || null,
        user_agent: ctx.userAgent,
        hosts: e.hosts ?? ctx.hosts,
        result: cap(e.result, 500),
        detail: e.detail ? cap(e.detail, 500) : null,
      });
    const writeLog = async (db: Kysely<Database>, e: LogEntry) => {
      await logQuery(db, e).execute();
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
      if (!creds.key) {
        await writeLog(this.db, {
          accountId: null,
          domainId: null,
          result: 'badauth',
          detail: 'no credentials',
        });
        return formatRequestFailure(mode, 'badauth');
      }
      // token look-ups are cheap: run them beside the lockout check; a password (argon2) only when not locked
      const [locked, found] = creds.login
        ? [await limits.lockedFor(creds.key), undefined]
        : await Promise.all([limits.lockedFor(creds.key), authenticate(this.db, creds)]);
      if (locked > 0) return formatRequestFailure(mode, 'abuse', { retryAfter: locked });

      principal = found ?? (creds.login ? await authenticate(this.db, creds) : undefined);
      if (!principal) {
        const lock = await limits.fail(creds.key, FAIL_LIMIT, LOCK_SECONDS);
        await writeLog(this.db, {
          accountId: null,
          domainId: null,
          result: 'badauth',
          detail: lock ? `locked for ${LOCK_SECONDS} s` : null,
        });
        return formatRequestFailure(mode, 'badauth');
      }
      const p: Principal = principal;
      const logFor = (result: string, detail?: string) =>
        writeLog(this.db, {
          accountId: p.accountId,
          domainId: p.kind === 'domain' ? p.domainId : null,
          result,
          detail: detail ?? null,
        });

      if (this.opts.rateLimit) {
        const { limit, windowSeconds } = CALL_LIMITS.updater;
        const r = await limits.hit(`updater:${principalKey(p)}`, limit, windowSeconds);
        if (!r.allowed) {
          if (r.count === limit + 1)
            await logFor('abuse', `more than ${limit} requests in ${windowSeconds} s`);
          return formatRequestFailure(mode, 'abuse', { retryAfter: r.retryAfter });
        }
      }
      const quota = quotaFor(p.accountClass).updatesPerDay;
      const d = await limits.daily(`updater:${quotaKey(p)}`, quota);
      if (!d.allowed) {
        if (d.count === quota + 1) await logFor('abuse', `daily quota of ${quota} updates used up`);
        return formatRequestFailure(mode, 'abuse', { retryAfter: d.retryAfter });
      }

      const parsed = parseUpdate(input.query, input.body, source);
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
      const results = await this.db.connection().execute(async (conn) => {
        await sql`BEGIN`.execute(conn);
        try {
          const { results: res, writes } = await this.plan(conn, limits, p, req, logQuery);
          // the writes and COMMIT in one round trip (simple protocol, values inlined as literals)
          await sql.raw([...writes.map(inlineQuery), 'COMMIT'].join(';\n')).execute(conn);
          return res;
        } catch (err) {
          await sql`ROLLBACK`.execute(conn).catch(() => undefined);
          throw err;
        }
      });
      return formatResults(mode, results);
    } catch (err) {
      this.logger?.error({ err }, 'dyndns2 update failed');
      if (!(err instanceof LimitsUnavailableError) || principal) {
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
   * The update inside its transaction: locks the principal's domains, reads their records, decides every
   * host's result, and returns the writes (the update log row first, then records and domain changes) for
   * the caller to send together with COMMIT.
   */
  private async plan(
    trx: Kysely<Database>,
    limits: RedisLimits,
    p: Principal,
    req: UpdateRequest,
    logQuery: (db: Kysely<Database>, e: LogEntry) => Compilable,
  ): Promise<{ results: HostResult[]; writes: CompiledQuery[] }> {
    const targets = req.hosts.map((host) => {
      const name = targetName(host, req.praefix);
      return { host, name, valid: isHostname(host) && name.length <= 253 };
    });
    const allSuffixes = [...new Set(targets.filter((t) => t.valid).flatMap((t) => suffixes(t.name)))];

    // the domains this principal may update, locked so concurrent updates of one domain serialise
    let domains: LockedDomain[] = [];
    if (allSuffixes.length) {
      let q = trx
        .selectFrom('domains')
        .select(['id', 'name', 'zone_id', 'ipv6_prefix'])
        .where('name', 'in', allSuffixes);
      q = p.kind === 'account' ? q.where('account_id', '=', p.accountId) : q.where('id', '=', p.domainId);
      domains = await q.orderBy('id').forUpdate().execute();
    }
    const domainFor = (name: string): LockedDomain | undefined => {
      let best: LockedDomain | undefined;
      for (const d of domains)
        if ((name === d.name || name.endsWith(`.${d.name}`)) && (!best || d.name.length > best.name.length))
          best = d;
      return best;
    };
    const matched = targets.map((t) => (t.valid ? domainFor(t.name) : undefined));
    const names = [...new Set(targets.filter((_t, i) => matched[i]).map((t) => t.name))];
    const zoneIds = [...new Set(matched.filter((d): d is LockedDomain => !!d).map((d) => d.zone_id))];
    const domIds = [...new Set(matched.filter((d): d is LockedDomain => !!d).map((d) => d.id))];

    let recs: Rec[] = [];
    if (names.length) {
      recs = await trx
        .selectFrom('records')
        .select(['id', 'zone_id', 'domain_id', 'name', 'type', 'content', 'ipv6_host_part'])
        .where((eb) => {
          const byName = eb.and([
            eb('zone_id', 'in', zoneIds),
            eb('name', 'in', names),
            eb('type', 'in', ['A', 'AAAA', 'CNAME']),
          ]);
          if (!req.prefix) return byName;
          return eb.or([
            byName,
            eb.and([
              eb('domain_id', 'in', domIds),
              eb('type', '=', 'AAAA'),
              eb('ipv6_host_part', 'is not', null),
            ]),
          ]);
        })
        .orderBy('id')
        .execute();
    }

    // Decide everything first, write last: the writes go out with COMMIT in one round trip, so the zone row
    // that the change-feed trigger locks is held only while Postgres runs them and commits.
    const writes: CompiledQuery[] = [];
    let placeholder = 0;

    const upsert = (dom: LockedDomain, name: string, type: 'A' | 'AAAA', ip: string): boolean => {
      const existing = recs.filter(
        (r) => r.zone_id === dom.zone_id && r.name === name && r.type === type && r.ipv6_host_part === null,
      );
      const keep = existing.find((r) => r.content === ip) ?? existing[0];
      const extra = existing.filter((r) => r !== keep);
      if (extra.length) {
        const ids = extra.map((r) => r.id);
        writes.push(trx.deleteFrom('records').where('id', 'in', ids).compile());
        recs = recs.filter((r) => !ids.includes(r.id));
      }
      if (!keep) {
        writes.push(
          trx
            .insertInto('records')
            .values({ zone_id: dom.zone_id, domain_id: dom.id, name, type, content: ip, ttl: RECORD_TTL })
            .onConflict((oc) => oc.doNothing())
            .compile(),
        );
        placeholder -= 1; // not in the database yet; only compared against, never written by id
        recs.push({
          id: placeholder,
          zone_id: dom.zone_id,
          domain_id: dom.id,
          name,
          type,
          content: ip,
          ipv6_host_part: null,
        });
        return true;
      }
      if (keep.content === ip) return extra.length > 0;
      const id = keep.id;
      writes.push(
        trx
          .updateTable('records')
          .set({ content: ip, updated_at: sql<Date>`now()` })
          .where('id', '=', id)
          .compile(),
      );
      keep.content = ip;
      return true;
    };

    const prefixDone = new Map<number, boolean>();
    const applyDomainPrefix = (dom: LockedDomain): boolean => {
      const prefix = req.prefix!;
      const text = formatPrefix(prefix);
      let changed = false;
      if (dom.ipv6_prefix !== text) {
        writes.push(
          trx
            .updateTable('domains')
            .set({ ipv6_prefix: text, updated_at: sql<Date>`now()` })
            .where('id', '=', dom.id)
            .compile(),
        );
        dom.ipv6_prefix = text;
        changed = true;
      }
      for (const r of recs) {
        if (r.domain_id !== dom.id || r.type !== 'AAAA' || r.ipv6_host_part === null || r.id < 0) continue;
        const content = applyPrefix(prefix, r.ipv6_host_part);
        if (!content || content === r.content) continue;
        const id = r.id;
        writes.push(
          trx
            .updateTable('records')
            .set({ content, updated_at: sql<Date>`now()` })
            .where('id', '=', id)
            .compile(),
        );
        r.content = content;
        changed = true;
      }
      return changed;
    };

    const results: HostResult[] = [];
    for (let i = 0; i < targets.length; i++) {
      const t = targets[i]!;
      const dom = matched[i];
      if (!t.valid) {
        results.push({ host: t.host, code: 'notfqdn', ips: [] });
        continue;
      }
      if (!dom) {
        results.push({ host: t.host, code: 'nohost', ips: [] });
        continue;
      }
      const hasCname = recs.some((r) => r.zone_id === dom.zone_id && r.name === t.name && r.type === 'CNAME');
      if (hasCname && !req.onlyPrefix) {
        results.push({ host: t.host, code: 'dnserr', ips: [] });
        continue;
      }
      let changed = false;
      const ips: string[] = [];
      if (req.ipv4) {
        changed = upsert(dom, t.name, 'A', req.ipv4) || changed;
        ips.push(req.ipv4);
      }
      if (req.ipv6) {
        const v6 = canonicalIPv6(req.ipv6);
        changed = upsert(dom, t.name, 'AAAA', v6) || changed;
        ips.push(v6);
      }
      if (req.prefix) {
        if (!prefixDone.has(dom.id)) prefixDone.set(dom.id, applyDomainPrefix(dom));
        changed = prefixDone.get(dom.id)! || changed;
        if (req.onlyPrefix) ips.push(formatPrefix(req.prefix));
      }
      let code: HostCode = changed ? 'good' : 'nochg';
      if (this.opts.rateLimit) {
        if (code === 'nochg') {
          const r = await limits.hit(`nochg:${t.name}`, NOCHG_LIMIT, NOCHG_WINDOW);
          if (!r.allowed) code = 'abuse';
        } else {
          await limits.reset(`nochg:${t.name}`);
        }
      }
      results.push({ host: t.host, code, ips: code === 'abuse' ? [] : ips });
    }

    const details: string[] = [];
    if (req.ipv4) details.push(`ipv4=${req.ipv4}`);
    if (req.ipv6) details.push(`ipv6=${canonicalIPv6(req.ipv6)}`);
    if (req.prefix) details.push(`prefix=${formatPrefix(req.prefix)}`);
    if (req.healthcheck) {
      const pinged = p.accountId !== null && (await pingHealthCheck(trx, p.accountId, req.healthcheck));
      details.push(pinged ? 'healthcheck pinged' : 'healthcheck unknown');
    }
    writes.unshift(
      logQuery(trx, {
        accountId: p.accountId,
        domainId: matched.find((d) => d)?.id ?? (p.kind === 'domain' ? p.domainId : null),
        result: results.map((r) => r.code).join(','),
        detail: details.join(' '),
        hosts: cap(req.hosts.join(','), 1000),
      }).compile(),
    );
    return { results, writes };
  }
}
