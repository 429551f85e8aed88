import type { WriteOp } from './plan';

/**
 * The write batch of an update as one multi-statement query (simple protocol: Postgres runs it as one
 * implicit transaction, all or nothing, and commits at its end). Values are inlined as literals, escaped
 * as pg's escapeLiteral does. One round trip, so the zone row that the change-feed trigger locks is held
 * only while Postgres runs the batch and commits.
 *
 * Every statement re-reads what it changes (a new snapshot per statement, after the domain locks), so the
 * end state is right even when a concurrent update committed between our read and this batch.
 */

/** A value as a Postgres literal. */
export function pgLiteral(v: string | number | null | undefined): string {
  if (v === null || v === undefined) return 'NULL';
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new Error(`cannot inline ${v}`);
    return String(v);
  }
  if (v.includes('\0')) throw new Error('cannot inline a NUL character');
  let backslash = false;
  let out = "'";
  for (const c of v) {
    if (c === "'") out += "''";
    else if (c === '\\') {
      out += '\\\\';
      backslash = true;
    } else out += c;
  }
  out += "'";
  return backslash ? ` E${out}` : out;
}

const L = pgLiteral;

/** TTL of the records the updater creates. */
export const RECORD_TTL = 60;

/** Locks the domains an update writes, in id order (concurrent updates of one domain serialise here). */
export function lockStatement(domainIds: readonly number[]): string {
  return `SELECT id FROM domains WHERE id IN (${domainIds.map(L).join(', ')}) ORDER BY id FOR UPDATE`;
}

export function opStatements(op: WriteOp): string[] {
  switch (op.kind) {
    case 'address': {
      const f = `zone_id = ${L(op.zoneId)} AND name = ${L(op.name)} AND type = ${L(op.type)} AND ipv6_host_part IS NULL`;
      const ip = L(op.ip);
      // none there (or deleted meanwhile): create it
      const insert =
        `INSERT INTO records (zone_id, domain_id, name, type, content, ttl) ` +
        `SELECT ${L(op.zoneId)}, ${L(op.domainId)}, ${L(op.name)}, ${L(op.type)}, ${ip}, ${RECORD_TTL} ` +
        `WHERE NOT EXISTS (SELECT 1 FROM records WHERE ${f}) ON CONFLICT DO NOTHING`;
      const ids = op.existing.filter((id) => id > 0);
      if (ids.length === 0) return [insert];
      if (ids.length === 1)
        return [
          `UPDATE records SET content = ${ip}, updated_at = now() WHERE id = ${L(ids[0]!)} AND ${f}`,
          insert,
        ];
      return [
        // keep one record (one that already has the address, else the oldest) and give it the address
        `UPDATE records SET content = ${ip}, updated_at = now() WHERE id = ` +
          `(SELECT id FROM records WHERE ${f} ORDER BY (content = ${ip}) DESC, id LIMIT 1) AND content <> ${ip}`,
        // drop the others
        `DELETE FROM records WHERE ${f} AND id <> (SELECT min(id) FROM records WHERE ${f} AND content = ${ip})`,
        insert,
      ];
    }
    case 'prefixRecord':
      return [
        `UPDATE records SET content = ${L(op.content)}, updated_at = now() ` +
          `WHERE id = ${L(op.recordId)} AND ipv6_host_part = ${L(op.hostPart)}`,
      ];
    case 'domainPrefix':
      return [
        `UPDATE domains SET ipv6_prefix = ${L(op.prefix)}, updated_at = now() WHERE id = ${L(op.domainId)}`,
      ];
  }
}

export interface LogRow {
  accountId: number | null;
  domainId: number | null;
  sourceIp: string | null;
  userAgent: string | null;
  hosts: string;
  result: string;
  detail: string | null;
}

/**
 * The update-log row. With a health check: its ping (`last_ping_at = now()`, new → up) in the same
 * statement, and the detail says whether a check of the account matched.
 */
export function logStatement(row: LogRow, healthcheck?: { accountId: number; tokenHash: string }): string {
  const cols = 'account_id, domain_id, source_ip, user_agent, hosts, result, detail';
  const vals = [row.accountId, row.domainId, row.sourceIp, row.userAgent, row.hosts, row.result]
    .map(L)
    .join(', ');
  if (!healthcheck) return `INSERT INTO update_log (${cols}) VALUES (${vals}, ${L(row.detail)})`;
  const prefix = row.detail ? `${row.detail} ` : '';
  return (
    // as recordHealthPing (@ddns/jobs): a new check becomes up; a down check stays down until the sweep
    // sees this ping, moves it up and sends the one recovery e-mail
    `WITH hc AS (UPDATE health_checks SET last_ping_at = now(), ` +
    `state = CASE WHEN state = 'new' THEN 'up' ELSE state END, ` +
    `state_changed_at = CASE WHEN state = 'new' THEN now() ELSE state_changed_at END ` +
    `WHERE ping_token_hash = ${L(healthcheck.tokenHash)} AND account_id = ${L(healthcheck.accountId)} RETURNING id) ` +
    `INSERT INTO update_log (${cols}) SELECT ${vals}, ` +
    `${L(prefix)} || CASE WHEN EXISTS (SELECT 1 FROM hc) THEN 'healthcheck pinged' ELSE 'healthcheck unknown' END`
  );
}

/** The whole batch: domain locks, the log row, the writes. */
export function batch(lockDomainIds: readonly number[], log: string, ops: readonly WriteOp[]): string {
  const statements = [
    ...(lockDomainIds.length ? [lockStatement(lockDomainIds)] : []),
    log,
    ...ops.flatMap(opStatements),
  ];
  return statements.join(';\n');
}
