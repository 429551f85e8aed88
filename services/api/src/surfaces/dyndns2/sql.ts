import type { Db } from '@ddns/db';
import { CompiledQuery, sql } from 'kysely';
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

/** Fixed text (compiling a `sql` template on every update cost CPU for nothing): the parameters in order. */
const APPLY_UPDATE_SQL = `SELECT ddns_apply_update(
    $1::integer[],
    $2::integer, $3::integer, $4::text, $5::text, $6::text, $7::text, $8::text,
    $9::integer, $10::text,
    $11::text[], $12::integer[], $13::integer[], $14::text[], $15::text[],
    $16::text[], $17::integer[], $18::text[], $19::integer)`;

/** The whole write: locks, the log row (and ping), the operations. */
export async function applyUpdate(
  db: Db,
  lockDomainIds: readonly number[],
  log: LogRow,
  ops: readonly WriteOp[],
  ping?: HealthPing,
): Promise<void> {
  const o = opArrays(ops);
  await db.executeQuery(
    CompiledQuery.raw(APPLY_UPDATE_SQL, [
      lockDomainIds,
      log.accountId,
      log.domainId,
      log.sourceIp,
      log.userAgent,
      log.hosts,
      log.result,
      log.detail,
      ping?.accountId ?? null,
      ping?.tokenHash ?? null,
      o.kind,
      o.zone,
      o.domain,
      o.name,
      o.type,
      o.content,
      o.record,
      o.hostPart,
      RECORD_TTL,
    ]),
  );
}

/** An update-log row alone (refusals and failures: nothing else to write). */
export async function insertLog(db: Db, row: LogRow): Promise<void> {
  await sql`INSERT INTO update_log (account_id, domain_id, source_ip, user_agent, hosts, result, detail)
    VALUES (${row.accountId}, ${row.domainId}, ${row.sourceIp}, ${row.userAgent}, ${row.hosts}, ${row.result},
      ${row.detail})`.execute(db);
}
