import type { CreatedAccount } from '@ddns/registry';
import type { Db } from '@ddns/db';
import { account } from '@ddns/testkit';
import type { TestApp } from './test-app';

/** A fresh account (class `unlimited` unless told: the daily quota then never gets in a test's way). */
export function apiAccount(db: Db, cls = 'unlimited'): Promise<CreatedAccount> {
  return account(db, { class: cls });
}

/** Forgets every rate-limit and quota counter of this test app (all keys under its Redis prefix). */
export async function resetLimits(h: TestApp): Promise<void> {
  const keys = await h.deps.redis.keys(`${h.deps.redisPrefix}:limits:*`);
  if (keys.length) await h.deps.redis.del(...keys);
}

export const basic = (user: string, pass: string) =>
  `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;
