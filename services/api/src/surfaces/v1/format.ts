import type { Account as AccountRow, ApiKeyRow, Db, DnsRecord as RecordRow } from '@ddns/db';
import { accountClass, challengeName } from '@ddns/registry';
import type { Account, ApiKey, DnsRecord, Domain } from '@ddns/v1-schema';
import { quotaFor } from '../../limits';
import { praefixOf } from '../../model/validate';

const iso = (d: Date | null | undefined) => (d ? d.toISOString() : null);

export function accountView(a: AccountRow): Account {
  const q = quotaFor(a.class);
  return {
    id: a.id,
    email: a.email,
    class: accountClass(a.class),
    isAdmin: a.is_admin,
    emailVerified: a.email_verified_at !== null,
    pendingEmail: a.pending_email,
    totpEnabled: a.totp_secret_enc !== null,
    createdAt: a.created_at.toISOString(),
    quota: {
      updatesPerDay: Math.min(q.updatesPerDay, 2147483647),
      apiCallsPerDay: Math.min(q.apiCallsPerDay, 2147483647),
    },
  };
}

export function apiKeyView(k: ApiKeyRow): ApiKey {
  return {
    id: k.id,
    name: k.name,
    scopes: { domains: k.domains, write: k.can_write },
    expiresAt: iso(k.expires_at),
    createdAt: k.created_at.toISOString(),
    lastUsedAt: iso(k.last_used_at),
  };
}

/** A record's data as the fields of its RecordInput variant. */
export function recordData(type: string, content: string): Record<string, string | number> {
  const p = content.split(/\s+/);
  switch (type) {
    case 'A':
    case 'AAAA':
      return { address: content };
    case 'TXT':
      return { text: content };
    case 'CNAME':
      return { target: content };
    case 'MX':
      return { priority: Number(p[0]), target: p[1] ?? '' };
    case 'SRV':
      return { priority: Number(p[0]), weight: Number(p[1]), port: Number(p[2]), target: p[3] ?? '' };
    case 'CAA': {
      const m = /^(\d+)\s+(\S+)\s+"?([^"]*)"?$/.exec(content);
      return { flags: Number(m?.[1] ?? 0), tag: m?.[2] ?? '', value: m?.[3] ?? '' };
    }
    default:
      return { content };
  }
}

export function recordView(r: RecordRow, domain: string): DnsRecord {
  return {
    id: r.id,
    name: r.name,
    subname: praefixOf(r.name, domain),
    type: r.type as DnsRecord['type'],
    ttl: r.ttl,
    content: r.content,
    data: recordData(r.type, r.content),
    updatedAt: r.updated_at.toISOString(),
  };
}

/**
 * The caller's domains as the dashboard shows them: current A/AAAA at the name, the last update (log), health,
 * ownership. `names`: only these (default all). Three queries whatever the count.
 */
export async function domainViews(db: Db, accountId: number, names?: string[]): Promise<Domain[]> {
  if (names && names.length === 0) return [];
  const rows = await db
    .selectFrom('domains')
    .innerJoin('zones', 'zones.id', 'domains.zone_id')
    .selectAll('domains')
    .select([
      'zones.name as zone_name',
      'zones.kind as zone_kind',
      'zones.status as zone_status',
      'zones.challenge_token',
      'zones.checked_at',
      'zones.check_result',
    ])
    .where('domains.account_id', '=', accountId)
    .$if(names !== undefined, (q) => q.where('domains.name', 'in', names!))
    .orderBy('domains.name')
    .execute();
  if (rows.length === 0) return [];
  const ids = rows.map((r) => r.id);
  const addrs = await db
    .selectFrom('records')
    .select(['domain_id', 'name', 'type', 'content'])
    .where('domain_id', 'in', ids)
    .where('type', 'in', ['A', 'AAAA'])
    .orderBy('id')
    .execute();
  const logs = await db
    .selectFrom('update_log')
    .distinctOn('domain_id')
    .select(['domain_id', 'at', 'source_ip', 'result'])
    .where('domain_id', 'in', ids)
    .orderBy('domain_id')
    .orderBy('at', 'desc')
    .execute();
  const ns = await db.selectFrom('zones').select('primary_ns').where('kind', '=', 'shared').execute();
  return rows.map((d) => {
    const at = (t: string) => addrs.find((a) => a.domain_id === d.id && a.name === d.name && a.type === t);
    const log = logs.find((l) => l.domain_id === d.id);
    const ipv4 = at('A')?.content ?? (d.mode !== null ? d.last_ping_ip4 : null);
    const ipv6 = at('AAAA')?.content ?? (d.mode !== null ? d.last_ping_ip6 : null);
    const lastAt = [log?.at, d.last_ping_at].filter((x): x is Date => !!x).sort((a, b) => +b - +a)[0] ?? null;
    const hosted = d.zone_kind === 'hosted' && d.zone_name === d.name;
    const health =
      hosted && d.zone_status !== 'active'
        ? d.zone_status
        : !ipv4 && !ipv6 && !lastAt
          ? 'never_updated'
          : 'ok';
    return {
      id: d.id,
      name: d.name,
      zone: d.zone_name,
      kind: hosted ? 'hosted' : 'shared',
      ipv4,
      ipv6,
      lastUpdateAt: iso(lastAt),
      lastUpdateSource: log?.source_ip ?? (d.mode !== null ? (d.last_ping_ip4 ?? d.last_ping_ip6) : null),
      lastUpdateResult: log?.result ?? null,
      health,
      gateway: d.mode !== null,
      description: d.description,
      ownership: hosted
        ? {
            status: d.zone_status,
            challengeName: challengeName(d.name),
            challengeValue: d.challenge_token ?? '',
            nameServers: [...new Set(ns.map((n) => n.primary_ns))],
            checkedAt: iso(d.checked_at),
            checkResult: d.check_result,
          }
        : null,
      createdAt: d.created_at.toISOString(),
    };
  });
}
