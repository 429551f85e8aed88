import { addZone, createAccount, type CreatedAccount } from '@ddns/cli';
import type { Db, Zone } from '@ddns/db';

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
