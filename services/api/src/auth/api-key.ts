import type { Account, Db } from '@ddns/db';
import { accountByApiKey } from './accounts';

/** The account whose API key is among the presented candidates (see candidateTokens), if any. */
export async function accountByApiKeys(db: Db, candidates: readonly string[]): Promise<Account | undefined> {
  for (const c of candidates.slice(0, 4)) {
    const a = await accountByApiKey(db, c);
    if (a) return a;
  }
  return undefined;
}
