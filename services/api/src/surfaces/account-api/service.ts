import type { Account, Db, Domain } from '@ddns/db';
import { capsFor, ourNameServers, ownershipInfo, zoneKeysOf } from '@ddns/registry';
import { quotaFor } from '../../limits';
import { deleteDomain, registerDomain } from '../../model/domains';
import { invalid, ModelError } from '../../model/errors';
import {
  addHealthCheck,
  deleteHealthCheck,
  HEALTHCHECK_LIMITS,
  listHealthChecks,
  parseHealthCheckInput,
} from '../../model/healthchecks';
import {
  accountDomains,
  addRecord,
  deleteRecordById,
  deleteRecordsByValue,
  ownDomainByName,
  owningDomain,
  type OwnedDomain,
} from '../../model/records';
import { checkRecordInput, ownerName } from '../../model/validate';
import {
  formatAccountInfo,
  formatDomains,
  formatDnssec,
  formatOwnership,
  formatHealthChecks,
  formatLogs,
  type Action,
  type Json,
} from './format';

/** How many domains an account of each class may hold (the registry's caps). */
export const domainLimit = (cls: string) => capsFor(cls).domains;

/**
 * The owner name and domain of `add_record`/`del_record`: `praefix.<domain>` when `<domain>` is one of the
 * caller's domains; otherwise, when `praefix.<domain>` lies inside one of the caller's domains, that domain.
 * lego's ipv64 provider sends the last three labels as the domain and the rest as praefix
 * (`add_record=dyn.example.net&praefix=_acme-challenge.gw1` for `gw1.dyn.example.net`). Anything else keeps
 * the 403 of the exact look-up.
 */
async function recordTarget(
  db: Db,
  accountId: number,
  value: string,
  praefix: string | undefined,
): Promise<{ owned: OwnedDomain; name: string }> {
  const domain = value.trim().toLowerCase().replace(/\.$/, '');
  let refusal: ModelError;
  try {
    const owned = await ownDomainByName(db, accountId, domain);
    const name = ownerName(owned.domain.name, praefix);
    if (!name.ok) throw invalid(name.error);
    return { owned, name: name.value };
  } catch (err) {
    if (!(err instanceof ModelError) || err.kind !== 'forbidden') throw err;
    refusal = err;
  }
  const name = ownerName(domain, praefix);
  if (!name.ok || name.value === domain) throw refusal;
  try {
    return { owned: await owningDomain(db, accountId, name.value), name: name.value };
  } catch (err) {
    throw err instanceof ModelError && err.kind === 'forbidden' ? refusal : err;
  }
}

/** What a call answers: status, the call key's message, the payload. */
export interface Reply {
  status: number;
  message: string;
  payload?: Record<string, Json>;
  /** extra keys named like the real service's quirks (e.g. get_domains answers `"add_domain":"get_domains"`) */
  alias?: string;
}

/** One authenticated, rate-checked call, as the routes hand it over (no HTTP objects). */
export interface CallInput {
  account: Account;
  action: Action;
  /** the call parameter's value (domain, record id, check name; '' for reads) */
  value: string;
  /** any other parameter, from the query or the body */
  param: (name: string) => string | undefined;
  /** the caller's address ('' when unknown) */
  clientIp: string;
  userAgent: string | undefined;
  /** API calls counted today, this one included */
  apiCallsToday: number;
  publicUrl: string;
}

/**
 * Runs one account-API call against the database. Throws ModelError for refusals (the routes map the kind onto
 * 400/403).
 */
export async function runCall(db: Db, input: CallInput): Promise<Reply> {
  const { account, action, value, param: p } = input;
  const log = (hosts: string, detail: string, domainId: number | null = null) =>
    db
      .insertInto('update_log')
      .values({
        account_id: account.id,
        domain_id: domainId,
        source_ip: input.clientIp || null,
        user_agent: input.userAgent?.slice(0, 200) ?? null,
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
            apiUpdates: input.apiCallsToday,
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
      const ownership = await hostedOwnership(db, domains);
      const dnssec = await hostedDnssec(db, domains);
      return {
        status: 200,
        message: 'get_domains',
        payload: { subdomains: formatDomains(domains, records, updates, ownership, dnssec) },
        alias: 'add_domain',
      };
    }
    case 'add_domain': {
      if (!value) throw invalid('add_domain needs the domain name (add_domain=name.zone)');
      const d = await registerDomain(db, {
        accountId: account.id,
        name: value,
        address: input.clientIp,
      });
      await log(d.name, `API: domain ${d.name} added`, d.id);
      const payload: Record<string, Json> = { domain_update_hash: d.token };
      if (d.ownership) payload.ownership = formatOwnership(d.ownership);
      return { status: 201, message: d.name, payload };
    }
    case 'del_domain': {
      const d = await deleteDomain(db, account.id, value);
      await log(d.name, `API: domain ${d.name} deleted`);
      return { status: 200, message: d.name };
    }
    case 'add_record': {
      if (!value) throw invalid('add_record needs the domain name (add_record=name.zone)');
      const { owned, name } = await recordTarget(db, account.id, value, p('praefix'));
      const parsed = checkRecordInput(p('type'), p('content'), p('ttl'));
      if (!parsed.ok) throw invalid(parsed.error);
      const rec = await addRecord(db, owned, { name, ...parsed.value });
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
      const { owned, name } = await recordTarget(db, account.id, value, p('praefix'));
      const parsed = checkRecordInput(p('type'), p('content'));
      if (!parsed.ok) throw invalid(parsed.error);
      const n = await deleteRecordsByValue(db, owned, {
        name,
        type: parsed.value.type,
        content: parsed.value.content,
      });
      if (n === 0) throw invalid(`no ${parsed.value.type} record with this content at ${name}`);
      await log(owned.domain.name, `API: ${parsed.value.type} record ${name} deleted`, owned.domain.id);
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
      const parsed = parseHealthCheckInput(value, p('period'), p('grace'));
      if (!parsed.ok) throw invalid(parsed.error);
      const { check, token } = await addHealthCheck(db, account.id, parsed.value);
      const base = input.publicUrl.replace(/\/+$/, '');
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

/** The ownership state of the caller's hosted domains (their zone apexes), by domain id. */
async function hostedOwnership(db: Db, domains: readonly Domain[]): Promise<Map<number, Json>> {
  const out = new Map<number, Json>();
  const zoneIds = [...new Set(domains.map((d) => d.zone_id))];
  if (!zoneIds.length) return out;
  const zones = await db
    .selectFrom('zones')
    .select(['id', 'name', 'status', 'challenge_token', 'checked_at', 'check_result'])
    .where('id', 'in', zoneIds)
    .where('kind', '=', 'hosted')
    .execute();
  if (!zones.length) return out;
  const ours = await ourNameServers(db);
  for (const d of domains) {
    const z = zones.find((x) => x.id === d.zone_id && x.name === d.name);
    if (z) out.set(d.id, formatOwnership(ownershipInfo(z, ours), z));
  }
  return out;
}

/** The DNSSEC keys (DNSKEY, DS to publish) of the caller's hosted domains, by domain id. */
async function hostedDnssec(db: Db, domains: readonly Domain[]): Promise<Map<number, Json>> {
  const out = new Map<number, Json>();
  const zoneIds = [...new Set(domains.map((d) => d.zone_id))];
  if (!zoneIds.length) return out;
  const zones = await db
    .selectFrom('zones')
    .select(['id', 'name', 'dnssec', 'ttl'])
    .where('id', 'in', zoneIds)
    .where('kind', '=', 'hosted')
    .execute();
  for (const d of domains) {
    const z = zones.find((x) => x.id === d.zone_id && x.name === d.name);
    if (z) out.set(d.id, formatDnssec(await zoneKeysOf(db, z)));
  }
  return out;
}
