import { addDomain, type CreatedAccount } from '@ddns/registry';
import type { Db } from '@ddns/db';
import { account } from '@ddns/testkit';

export interface Owner {
  acct: CreatedAccount;
  /** domain name → domain token */
  domains: Record<string, string>;
}

let n = 0;

/** A fresh account (own call-limit budget) with `count` domains under `zone`. */
export async function owner(db: Db, zone = 'dyn.test', count = 2, cls?: string): Promise<Owner> {
  const acct = await account(db, cls ? { class: cls } : {});
  const domains: Record<string, string> = {};
  n += 1;
  for (let i = 0; i < count; i++) {
    const name = `h${n}x${i}.${zone}`;
    domains[name] = (await addDomain(db, { name, accountEmail: acct.email })).token;
  }
  return { acct, domains };
}

/** `type content` of every record at `name`, sorted. */
export async function recordsAt(db: Db, name: string): Promise<string[]> {
  const rows = await db.selectFrom('records').select(['type', 'content']).where('name', '=', name).execute();
  return rows.map((r) => `${r.type} ${r.content}`).sort();
}

export async function logsOf(db: Db, accountId: number | null) {
  const q = db.selectFrom('update_log').selectAll().orderBy('id');
  return accountId === null
    ? q.where('account_id', 'is', null).execute()
    : q.where('account_id', '=', accountId).execute();
}

export const names = (o: Owner): string[] => Object.keys(o.domains);
