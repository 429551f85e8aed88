import { dsToPublish, zoneKeysOf } from '@ddns/registry';
import { normalizeName } from '@ddns/records';
import { domainByToken } from '../../auth';
import { v1Route, type HealthCheck } from '@ddns/v1-schema';
import type { HealthCheck as HealthCheckRow } from '@ddns/db';
import { Router } from 'express';
import type { ApiDeps } from '../../deps';
import { addHealthCheck, deleteHealthCheck, listHealthChecks } from '../../model/healthchecks';
import { dkimRecordName, dkimTxtValue, mailDomainRecords } from '../mail/format';
import { V1Error } from './http/errors';
import { mount } from './http/route';
import type { Principal } from './http/principal';

const iso = (d: Date | null) => (d ? d.toISOString() : null);

function checkView(c: HealthCheckRow): HealthCheck {
  return {
    id: c.id,
    name: c.name,
    periodSeconds: c.period_seconds,
    graceSeconds: c.grace_seconds,
    state: c.state,
    lastPingAt: iso(c.last_ping_at),
    stateChangedAt: iso(c.state_changed_at),
    createdAt: c.created_at.toISOString(),
  };
}

const keyDomains = (p: Principal) => (p.via === 'api-key' ? p.key.domains : null);

/** Update log, health checks, gateways, mail domains, DNSSEC material. */
export function activityRoutes(deps: ApiDeps): Router {
  const r = Router();
  const base = deps.config.PUBLIC_URL.replace(/\/+$/, '');

  mount(r, deps, v1Route('listLogs'), async ({ query, principal }) => {
    const only = keyDomains(principal);
    const domain = query.domain ? normalizeName(query.domain) : undefined;
    if (domain && only && !only.includes(domain))
      throw new V1Error('forbidden', `this API key is not for ${domain}`);
    const rows = await deps.db
      .selectFrom('update_log')
      .leftJoin('domains', 'domains.id', 'update_log.domain_id')
      .select([
        'update_log.id',
        'update_log.at',
        'update_log.hosts',
        'update_log.result',
        'update_log.detail',
        'update_log.source_ip',
        'update_log.user_agent',
        'domains.name as domain',
      ])
      .where('update_log.account_id', '=', principal.account.id)
      .$if(domain !== undefined, (q) => q.where('domains.name', '=', domain!))
      .$if(only !== null, (q) => q.where('domains.name', 'in', only!.length ? only! : ['']))
      .$if(query.before !== undefined, (q) => q.where('update_log.id', '<', String(query.before)))
      .orderBy('update_log.id', 'desc')
      .limit(query.limit + 1)
      .execute();
    const page = rows.slice(0, query.limit);
    return {
      entries: page.map((e) => ({
        id: Number(e.id),
        at: e.at.toISOString(),
        domain: e.domain,
        hosts: e.hosts,
        result: e.result,
        detail: e.detail,
        sourceIp: e.source_ip,
        userAgent: e.user_agent,
      })),
      next: rows.length > query.limit ? Number(page[page.length - 1]!.id) : null,
    };
  });

  mount(r, deps, v1Route('listHealthChecks'), async ({ principal }) => ({
    checks: (await listHealthChecks(deps.db, principal.account.id)).map(checkView),
  }));

  mount(r, deps, v1Route('createHealthCheck'), async ({ body, principal }) => {
    const out = await addHealthCheck(deps.db, principal.account.id, {
      name: body.name,
      period: body.periodSeconds,
      grace: body.graceSeconds,
    });
    return { check: checkView(out.check), token: out.token, pingUrl: `${base}/health/${out.token}` };
  });

  mount(r, deps, v1Route('deleteHealthCheck'), async ({ params, principal }) => {
    await deleteHealthCheck(deps.db, principal.account.id, String(params.id));
  });

  const gatewayView = (d: {
    id: number;
    name: string;
    mode: 0 | 1 | null;
    last_ping_ip4: string | null;
    last_ping_ip6: string | null;
    last_ping_at: Date | null;
    email: string | null;
    email_verified: boolean;
    description: string;
  }) => ({
    id: d.id,
    name: d.name,
    mode: d.mode === 0 ? ('tunnelled' as const) : ('direct' as const),
    ipv4: d.last_ping_ip4,
    ipv6: d.last_ping_ip6,
    lastPingAt: iso(d.last_ping_at),
    email: d.email,
    emailVerified: d.email_verified,
    description: d.description,
  });

  mount(r, deps, v1Route('listGateways'), async ({ principal }) => {
    const only = keyDomains(principal);
    const rows = await deps.db
      .selectFrom('domains')
      .selectAll()
      .where('account_id', '=', principal.account.id)
      .where('mode', 'is not', null)
      .$if(only !== null, (q) => q.where('name', 'in', only!.length ? only! : ['']))
      .orderBy('name')
      .execute();
    return { gateways: rows.map(gatewayView) };
  });

  mount(r, deps, v1Route('claimGateway'), async ({ body, principal }) => {
    if (keyDomains(principal)) throw new V1Error('forbidden', 'this API key is limited to some domains');
    const d = await domainByToken(deps.db, body.token);
    if (!d || d.mode === null)
      throw new V1Error('not_found', 'no gateway with this token', { token: 'unknown token' });
    if (d.account_id !== null && d.account_id !== principal.account.id)
      throw new V1Error('conflict', 'this gateway belongs to another account', { token: 'taken' });
    const row = await deps.db
      .updateTable('domains')
      .set({ account_id: principal.account.id })
      .where('id', '=', d.id)
      .returningAll()
      .executeTakeFirstOrThrow();
    return gatewayView(row);
  });

  mount(r, deps, v1Route('listMailDomains'), async ({ principal }) => {
    const rows = await deps.db
      .selectFrom('mail_domains')
      .innerJoin('zones', 'zones.id', 'mail_domains.zone_id')
      .select(['mail_domains.id', 'mail_domains.name', 'mail_domains.created_at', 'zones.status'])
      .select((eb) =>
        eb
          .selectFrom('mailboxes')
          .select(eb.fn.countAll<string>().as('n'))
          .whereRef('mailboxes.mail_domain_id', '=', 'mail_domains.id')
          .as('mailboxes'),
      )
      .where('mail_domains.account_id', '=', principal.account.id)
      .orderBy('mail_domains.name')
      .execute();
    const keys = rows.length
      ? await deps.db
          .selectFrom('dkim_keys')
          .select(['mail_domain_id', 'selector', 'public_key'])
          .where(
            'mail_domain_id',
            'in',
            rows.map((x) => x.id),
          )
          .where('active', '=', true)
          .execute()
      : [];
    const mailHost = deps.config.MAIL_HOST ?? new URL(base).hostname;
    return {
      mailDomains: rows.map((m) => ({
        id: m.id,
        name: m.name,
        status: m.status,
        mailboxes: Number(m.mailboxes ?? 0),
        records: [
          ...mailDomainRecords(m.name, mailHost).map((p) => ({
            purpose:
              p.type === 'MX'
                ? ('mx' as const)
                : p.name.startsWith('_dmarc.')
                  ? ('dmarc' as const)
                  : ('spf' as const),
            name: p.name,
            type: p.type,
            content: p.content,
          })),
          ...keys
            .filter((k) => k.mail_domain_id === m.id)
            .map((k) => ({
              purpose: 'dkim' as const,
              name: dkimRecordName(m.name, k.selector),
              type: 'TXT',
              content: dkimTxtValue(k.public_key),
            })),
        ],
        createdAt: m.created_at.toISOString(),
      })),
    };
  });

  mount(r, deps, v1Route('getDnssec'), async ({ params, principal }) => {
    const name = normalizeName(params.name);
    const zone = await deps.db
      .selectFrom('domains')
      .innerJoin('zones', 'zones.id', 'domains.zone_id')
      .select(['zones.id', 'zones.name', 'zones.dnssec', 'zones.ttl'])
      .where('domains.name', '=', name)
      .where('domains.account_id', '=', principal.account.id)
      .executeTakeFirst();
    if (!zone) throw new V1Error('not_found', `no domain ${name} in your account`);
    const k = await zoneKeysOf(deps.db, zone);
    const publish = new Set(dsToPublish(k));
    return {
      zone: k.zone,
      signed: k.dnssec && k.keys.some((x) => x.state === 'active'),
      dnskey: k.dnssec
        ? k.keys.map((x) => ({
            flags: x.flags,
            algorithm: x.algorithm,
            publicKey: x.publicKey,
            record: x.dnskey,
          }))
        : [],
      ds: k.keys.filter((x) => publish.has(x.ds)).map((x) => ({ ...x.dsFields, record: x.ds })),
    };
  });
  return r;
}
