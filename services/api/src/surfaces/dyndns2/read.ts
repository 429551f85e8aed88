import type { Db } from '@ddns/db';
import { timingSafeEqual } from 'node:crypto';
import { hashToken } from '@ddns/secrets';
import { CompiledQuery } from 'kysely';
import type { UpdateRequest } from './parse';
import { candidateNames, type DomainRow, type RecordRow } from './plan';
import type { Principal } from './principal';

/**
 * The read of an update, one query: the principal's domains among the candidate names, joined with their
 * A/AAAA/CNAME records at the target names (and, with a prefix, their prefix-based AAAA records).
 *
 * The principal is either known (authenticated already) or a token still to check: then the same query
 * looks the token up first, as an account update token, else as a domain token (authenticate()'s order),
 * so that the usual update — one token, hosts named — costs one round trip for authentication and read.
 */
export interface UpdateRead {
  /** who the token authenticated as (undefined: not an account or domain token) */
  principal: Principal | undefined;
  domains: DomainRow[];
  records: RecordRow[];
}

export type ReadAs = { principal: Principal } | { token: string };

/** One row: the principal, a domain (or none), and one of its records (or none). */
interface ReadRow {
  w_kind: 'account' | 'domain';
  w_account: number | null;
  w_domain: number | null;
  w_domain_name: string | null;
  w_class: string;
  w_hash: string | null;
  d_id: number | null;
  d_name: string | null;
  d_zone: number | null;
  d_prefix: string | null;
  r_id: number | null;
  r_zone: number | null;
  r_domain: number | null;
  r_name: string | null;
  r_type: string | null;
  r_content: string | null;
  r_host_part: string | null;
}

/** The stored hash is the one the query matched on; compared again in constant time, without hashing twice. */
function sameHash(hash: string, stored: string | null): boolean {
  if (stored === null || stored.length !== hash.length) return false;
  return timingSafeEqual(Buffer.from(hash, 'latin1'), Buffer.from(stored, 'latin1'));
}

/**
 * The read's SQL, fixed text with numbered parameters, one per shape (who: a known principal, $1-$3, or a
 * token's hash, $1; with or without a prefix): this runs on every update, and compiling a `sql` template
 * each time cost about 1% of the API's CPU per update. The candidate suffixes and target names follow.
 */
const readTexts = new Map<string, string>();
function readSql(who: 'principal' | 'token', prefix: boolean): string {
  const key = `${who}/${prefix}`;
  let text = readTexts.get(key);
  if (text !== undefined) return text;
  const n = who === 'principal' ? 4 : 2;
  const whoSql =
    who === 'principal'
      ? `SELECT $1::text AS kind, $2::integer AS account_id, $3::integer AS domain_id,
          NULL::text AS domain_name, NULL::text AS class, NULL::text AS hash`
      : `SELECT * FROM (
            SELECT 1 AS pref, 'account' AS kind, id AS account_id, NULL::integer AS domain_id,
                   NULL::text AS domain_name, class, update_token_hash AS hash
            FROM accounts WHERE update_token_hash = $1::text AND disabled_at IS NULL
            UNION ALL
            SELECT 2, 'domain', d.account_id, d.id, d.name, coalesce(a.class, 'default'), d.token_hash
            FROM domains d LEFT JOIN accounts a ON a.id = d.account_id
            WHERE d.token_hash = $1::text AND a.disabled_at IS NULL
          ) t ORDER BY pref LIMIT 1`;
  const prefixBased = prefix
    ? `OR (r.domain_id = d.id AND r.type = 'AAAA' AND r.ipv6_host_part IS NOT NULL)`
    : '';
  text = `
    WITH w AS (${whoSql})
    SELECT w.kind AS w_kind, w.account_id AS w_account, w.domain_id AS w_domain, w.domain_name AS w_domain_name,
           w.class AS w_class, w.hash AS w_hash,
           d.id AS d_id, d.name AS d_name, d.zone_id AS d_zone, d.ipv6_prefix AS d_prefix,
           r.id AS r_id, r.zone_id AS r_zone, r.domain_id AS r_domain, r.name AS r_name, r.type AS r_type,
           r.content AS r_content, r.ipv6_host_part AS r_host_part
    FROM w
    LEFT JOIN domains d ON d.name = ANY($${n}::text[])
      AND CASE WHEN w.kind = 'account' THEN d.account_id = w.account_id ELSE d.id = w.domain_id END
    LEFT JOIN records r ON r.zone_id = d.zone_id AND (
      (r.name = ANY($${n + 1}::text[]) AND r.type IN ('A', 'AAAA', 'CNAME')) ${prefixBased})`;
  readTexts.set(key, text);
  return text;
}

export async function readForUpdate(db: Db, as: ReadAs, req: UpdateRequest): Promise<UpdateRead> {
  const { targets, suffixes } = candidateNames(req);
  if ('principal' in as && suffixes.length === 0)
    return { principal: as.principal, domains: [], records: [] };
  const hash = 'token' in as ? hashToken(as.token) : null;
  const params: unknown[] =
    'principal' in as
      ? [
          as.principal.kind,
          as.principal.accountId,
          as.principal.kind === 'domain' ? as.principal.domainId : null,
        ]
      : [hash];
  params.push(suffixes, targets);
  const text = readSql('principal' in as ? 'principal' : 'token', Boolean(req.prefix));
  const rows = (await db.executeQuery<ReadRow>(CompiledQuery.raw(text, params))).rows;
  const first = rows[0];
  let principal: Principal | undefined;
  if ('principal' in as) principal = as.principal;
  else if (first && hash !== null && sameHash(hash, first.w_hash)) {
    principal =
      first.w_kind === 'account'
        ? { kind: 'account', accountId: first.w_account!, accountClass: first.w_class }
        : {
            kind: 'domain',
            domainId: first.w_domain!,
            domainName: first.w_domain_name!,
            accountId: first.w_account,
            accountClass: first.w_class,
          };
  }
  if (!principal) return { principal: undefined, domains: [], records: [] };
  const domains = new Map<number, DomainRow>();
  const records = new Map<number, RecordRow>();
  for (const row of rows) {
    if (row.d_id === null) continue;
    domains.set(row.d_id, {
      id: row.d_id,
      name: row.d_name!,
      zone_id: row.d_zone!,
      ipv6_prefix: row.d_prefix,
    });
    if (row.r_id !== null && !records.has(row.r_id))
      records.set(row.r_id, {
        id: row.r_id,
        zone_id: row.r_zone!,
        domain_id: row.r_domain,
        name: row.r_name!,
        type: row.r_type!,
        content: row.r_content!,
        ipv6_host_part: row.r_host_part,
      });
  }
  return {
    principal,
    domains: [...domains.values()],
    records: [...records.values()].sort((a, b) => a.id - b.id),
  };
}
