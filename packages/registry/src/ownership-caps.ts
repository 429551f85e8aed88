import type { Database, Db } from '@ddns/db';
import type { Transaction } from 'kysely';
import { OpError } from './errors';

/**
 * What an account of each class may hold, and how much expensive work it may ask for. `domains` counts every
 * name (under shared zones and hosted), `hostedZones` the account's own domains (mail domains included: each
 * is a hosted zone), `mailDomains` the mail domains; `dkimKeysPerHour` bounds RSA key generation.
 */
export interface ClassCaps {
  domains: number;
  hostedZones: number;
  mailDomains: number;
  dkimKeysPerHour: number;
}

export const CLASS_CAPS: Record<string, ClassCaps> = {
  default: { domains: 20, hostedZones: 5, mailDomains: 5, dkimKeysPerHour: 6 },
  plus: { domains: 200, hostedZones: 50, mailDomains: 50, dkimKeysPerHour: 30 },
  unlimited: { domains: 100_000, hostedZones: 10_000, mailDomains: 10_000, dkimKeysPerHour: 600 },
};

export function capsFor(accountClass: string): ClassCaps {
  return CLASS_CAPS[accountClass] ?? CLASS_CAPS.default!;
}

type Q = Db | Transaction<Database>;

/** A class cap was reached (surfaces may answer it differently from other refusals, e.g. 403 vs 409). */
export class CapError extends OpError {}
export type CappedThing = 'domains' | 'hostedZones' | 'mailDomains';

const WHAT: Record<CappedThing, string> = {
  domains: 'domains',
  hostedZones: 'own (hosted) domains',
  mailDomains: 'mail domains',
};

/**
 * Locks the account row for the rest of the transaction (concurrent claims of one account queue up, so a cap
 * cannot be overrun by parallel requests) and returns its class.
 */
export async function lockAccount(trx: Transaction<Database>, accountId: number): Promise<{ class: string }> {
  const a = await trx
    .selectFrom('accounts')
    .select('class')
    .where('id', '=', accountId)
    .forUpdate()
    .executeTakeFirst();
  if (!a) throw new OpError(`no account with id ${accountId}`);
  return a;
}

/** Throws OpError when the account already holds its class's number of `what`. */
export async function checkCap(
  q: Q,
  accountId: number,
  accountClass: string,
  what: CappedThing,
): Promise<void> {
  const cap = capsFor(accountClass)[what];
  const table = what === 'domains' ? 'domains' : what === 'mailDomains' ? 'mail_domains' : 'zones';
  let sel = q
    .selectFrom(table)
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('account_id', '=', accountId);
  if (table === 'zones') sel = sel.where('kind', '=', 'hosted');
  const { n } = await sel.executeTakeFirstOrThrow();
  if (Number(n) >= cap) throw new CapError(`your account may hold at most ${cap} ${WHAT[what]}`);
}
