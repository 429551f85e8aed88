import { addZone, createAccount, type CreatedAccount } from '@ddns/registry';
import type { Db, RecordType, Zone } from '@ddns/db';

let n = 0;

/** A shared zone (default `dyn.test`) with in-zone name servers and glue. */
export function sharedZone(db: Db, name = 'dyn.test'): Promise<Zone> {
  return addZone(db, { name, kind: 'shared', ns: [{ host: `ns1.${name}`, ip: '127.0.0.1' }] });
}

/** A fresh account with a password (`password123`). */
export function account(
  db: Db,
  over: { email?: string; admin?: boolean; class?: string } = {},
): Promise<CreatedAccount> {
  n += 1;
  return createAccount(db, {
    email: over.email ?? `user${n}-${process.pid}@example.com`,
    password: 'password123',
    admin: over.admin,
    class: over.class,
  });
}

/** Writes a record of an existing domain straight into the database (setting up a state the API refuses). */
export async function domainRecord(
  db: Db,
  domainName: string,
  rec: { name: string; type: RecordType; content: string },
): Promise<number> {
  const d = await db
    .selectFrom('domains')
    .select(['id', 'zone_id'])
    .where('name', '=', domainName)
    .executeTakeFirstOrThrow();
  const row = await db
    .insertInto('records')
    .values({ zone_id: d.zone_id, domain_id: d.id, ...rec })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}
