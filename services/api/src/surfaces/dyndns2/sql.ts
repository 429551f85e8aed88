import type { Db } from '@ddns/db';
import { sql } from 'kysely';
import type { WriteOp } from './plan';

/**
 * The write of an update: one call of `ddns_apply_update` (migration 0009) with bound parameters — domain
 * locks, the update-log row (and health-check ping), the record and domain writes, in one round trip and
 * one implicit transaction. The function re-reads what it changes after the locks, so the end state is
 * right even when a concurrent update committed between our read and this call.
 */

/** TTL of the records the updater creates. */
export const RECORD_TTL = 60;

export interface LogRow {
  accountId: number | null;
  domainId: number | null;
  sourceIp: string | null;
  userAgent: string | null;
  hosts: string;
  result: string;
  detail: string | null;
}

/** A health check pinged by the update (`healthcheck=<token>`): matched by the token's hash and account. */
export interface HealthPing {
  accountId: number;
  tokenHash: string;
}

/** The write operations as the function's parallel arrays (one element per operation). */
export interface OpArrays {
  kind: string[];
  zone: (number | null)[];
  domain: (number | null)[];
  name: (string | null)[];
  type: (string | null)[];
  content: string[];
  /** prefixRecord: the record */
  record: (number | null)[];
  hostPart: (string | null)[];
}

export function opArrays(ops: readonly WriteOp[]): OpArrays {
  const a: OpArrays = {
    kind: [],
    zone: [],
    domain: [],
    name: [],
    type: [],
    content: [],
    record: [],
    hostPart: [],
  };
  for (const op of ops) {
    a.kind.push(op.kind);
    switch (op.kind) {
      case 'address':
        // the function decides from the records there after its lock, not from what we read
        a.zone.push(op.zoneId);
        a.domain.push(op.domainId);
        a.name.push(op.name);
        a.type.push(op.type);
        a.content.push(op.ip);
        a.record.push(null);
        a.hostPart.push(null);
        break;
      case 'prefixRecord':
        a.zone.push(null);
        a.domain.push(null);
        a.name.push(null);
        a.type.push(null);
        a.content.push(op.content);
        a.record.push(op.recordId);
        a.hostPart.push(op.hostPart);
        break;
      case 'domainPrefix':
        a.zone.push(null);
        a.domain.push(op.domainId);
        a.name.push(null);
        a.type.push(null);
        a.content.push(op.prefix);
        a.record.push(null);
        a.hostPart.push(null);
        break;
    }
  }
  return a;
}

/** The whole write: locks, the log row (and ping), the operations. */
export async function applyUpdate(
  db: Db,
  lockDomainIds: readonly number[],
  log: LogRow,
  ops: readonly WriteOp[],
  ping?: HealthPing,
): Promise<void> {
  const o = opArrays(ops);
  await sql`SELECT ddns_apply_update(
    ${lockDomainIds}::integer[],
    ${log.accountId}::integer, ${log.domainId}::integer, ${log.sourceIp}::text, ${log.userAgent}::text,
    ${log.hosts}::text, ${log.result}::text, ${log.detail}::text,
    ${ping?.accountId ?? null}::integer, ${ping?.tokenHash ?? null}::text,
    ${o.kind}::text[], ${o.zone}::integer[], ${o.domain}::integer[], ${o.name}::text[], ${o.type}::text[],
    ${o.content}::text[], ${o.record}::integer[], ${o.hostPart}::text[], ${RECORD_TTL}::integer)`.execute(db);
}

/** An update-log row alone (refusals and failures: nothing else to write). */
export async function insertLog(db: Db, row: LogRow): Promise<void> {
  await sql`INSERT INTO update_log (account_id, domain_id, source_ip, user_agent, hosts, result, detail)
    VALUES (${row.accountId}, ${row.domainId}, ${row.sourceIp}, ${row.userAgent}, ${row.hosts}, ${row.result},
      ${row.detail})`.execute(db);
}
