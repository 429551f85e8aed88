import type { Db } from '@ddns/db';
import { accountClass, type AccountClass } from './classes';
import { OpError } from './errors';

const byEmail = (email: string) => email.trim().toLowerCase();

/**
 * Disables or enables an account. While disabled the API refuses every login and token of the account
 * (API key, update token, its domains' tokens, records-API tokens, password, /mail tokens); its names keep
 * answering in the DNS and stay reserved. `changed` is false when it already was in that state.
 */
export async function setAccountDisabled(
  db: Db,
  email: string,
  disabled: boolean,
): Promise<{ id: number; email: string; disabled: boolean; changed: boolean }> {
  const row = await db
    .selectFrom('accounts')
    .select(['id', 'email', 'disabled_at'])
    .where((eb) => eb(eb.fn('lower', ['email']), '=', byEmail(email)))
    .executeTakeFirst();
  if (!row) throw new OpError(`no account with e-mail ${email}`);
  const changed = (row.disabled_at !== null) !== disabled;
  if (changed)
    await db
      .updateTable('accounts')
      .set({ disabled_at: disabled ? new Date() : null })
      .where('id', '=', row.id)
      .execute();
  return { id: row.id, email: row.email, disabled, changed };
}

/** Moves an account to another class (its quotas change with the next request). */
export async function setAccountClass(
  db: Db,
  email: string,
  cls: string,
): Promise<{ id: number; email: string; class: AccountClass; previous: string }> {
  const next = accountClass(cls);
  return db.transaction().execute(async (trx) => {
    const row = await trx
      .selectFrom('accounts')
      .select(['id', 'email', 'class'])
      .where((eb) => eb(eb.fn('lower', ['email']), '=', byEmail(email)))
      .forUpdate()
      .executeTakeFirst();
    if (!row) throw new OpError(`no account with e-mail ${email}`);
    await trx.updateTable('accounts').set({ class: next }).where('id', '=', row.id).execute();
    return { id: row.id, email: row.email, class: next, previous: row.class };
  });
}

export interface DeletedAccount {
  id: number;
  email: string;
  /** names released: the account's domains (under shared zones and its own) */
  domains: string[];
  /** the account's own (hosted) zones, removed with everything in them */
  zones: string[];
}

/**
 * Deletes an account and releases its names: its domains and records, its hosted zones, mail domains,
 * health checks and tokens go with it (the DNS stops answering for them). Anyone can register the names
 * again afterwards.
 */
export async function deleteAccount(db: Db, email: string): Promise<DeletedAccount> {
  return db.transaction().execute(async (trx) => {
    const row = await trx
      .selectFrom('accounts')
      .select(['id', 'email'])
      .where((eb) => eb(eb.fn('lower', ['email']), '=', byEmail(email)))
      .forUpdate()
      .executeTakeFirst();
    if (!row) throw new OpError(`no account with e-mail ${email}`);
    const domains = await trx
      .selectFrom('domains')
      .select('name')
      .where('account_id', '=', row.id)
      .orderBy('name')
      .execute();
    const zones = await trx
      .selectFrom('zones')
      .select('name')
      .where('account_id', '=', row.id)
      .orderBy('name')
      .execute();
    // zones first: their domains and records go with them (ON DELETE CASCADE), then the rest of the account
    await trx.deleteFrom('zones').where('account_id', '=', row.id).execute();
    await trx.deleteFrom('accounts').where('id', '=', row.id).execute();
    return {
      id: row.id,
      email: row.email,
      domains: domains.map((d) => d.name),
      zones: zones.map((z) => z.name),
    };
  });
}
