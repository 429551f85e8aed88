import type { Db } from '@ddns/db';
import { accountByPassword, accountByUpdateToken, domainByToken } from '../../auth';
import type { PresentedCredentials } from './parse';

/** Who an updater request authenticated as. */
export type Principal =
  /** the account's update token or e-mail + password: every domain of the account */
  | { kind: 'account'; accountId: number; accountClass: string }
  /** a domain's own token: that domain only */
  | { kind: 'domain'; domainId: number; domainName: string; accountId: number | null; accountClass: string };

/** The key the per-key call limit counts against. */
export function principalKey(p: Principal): string {
  return p.kind === 'account' ? `account:${p.accountId}` : `domain:${p.domainId}`;
}

/** The key the daily quota counts against (the owning account when there is one). */
export function quotaKey(p: Principal): string {
  if (p.kind === 'domain' && p.accountId === null) return `domain:${p.domainId}`;
  return `account:${p.accountId}`;
}

/**
 * Tries each presented token as an account update token, then as a domain token (hash look-ups compared in
 * constant time by the auth module); then the e-mail + password login (argon2id).
 */
export async function authenticate(db: Db, creds: PresentedCredentials): Promise<Principal | undefined> {
  for (const token of creds.tokens) {
    const account = await accountByUpdateToken(db, token);
    if (account) return { kind: 'account', accountId: account.id, accountClass: account.class };
    const domain = await domainByToken(db, token);
    if (domain) {
      const owner =
        domain.account_id === null
          ? undefined
          : await db
              .selectFrom('accounts')
              .select('class')
              .where('id', '=', domain.account_id)
              .executeTakeFirst();
      return {
        kind: 'domain',
        domainId: domain.id,
        domainName: domain.name,
        accountId: domain.account_id,
        accountClass: owner?.class ?? 'default',
      };
    }
  }
  if (creds.login) {
    const account = await accountByPassword(db, creds.login.email, creds.login.password);
    if (account) return { kind: 'account', accountId: account.id, accountClass: account.class };
  }
  return undefined;
}
