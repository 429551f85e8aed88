import { OpError } from './errors';

/**
 * Account classes. A class selects an account's quotas; the numbers live where they are enforced
 * (services/api/src/limits/classes.ts; domain, zone, mail-domain and DKIM caps in ./ownership-caps.ts),
 * keyed by these names.
 */
export const ACCOUNT_CLASSES = ['default', 'plus', 'unlimited'] as const;
export type AccountClass = (typeof ACCOUNT_CLASSES)[number];

export function isAccountClass(s: string): s is AccountClass {
  return (ACCOUNT_CLASSES as readonly string[]).includes(s);
}

/** The class named `s`, or an OpError listing the known ones. */
export function accountClass(s: string): AccountClass {
  if (!isAccountClass(s))
    throw new OpError(`unknown account class "${s}" (known: ${ACCOUNT_CLASSES.join(', ')})`);
  return s;
}
