import type { Express } from 'express';
import { Redis } from 'ioredis';
import pino from 'pino';
import { parseConfig } from '@ddns/config';
import { createTestDatabase, testEnv, testRedisPrefix, testRedisUrl, type TestDatabase } from '@ddns/testkit';
import { createApp } from '../../src/app';
import { apiConfigSchema } from '../../src/config';
import type { ApiDeps } from '../../src/deps';

export interface TestApp {
  app: Express;
  deps: ApiDeps;
  t: TestDatabase;
  /** closes Redis and drops the database */
  close(): Promise<void>;
}

/** The whole API against a fresh database and a unique Redis prefix. One per test file. */
export async function createTestApp(env: Record<string, string> = {}): Promise<TestApp> {
  const t = await createTestDatabase();
  const config = parseConfig(apiConfigSchema, testEnv({ DATABASE_URL: t.url, ...env }));
  const redis = new Redis(testRedisUrl(), { maxRetriesPerRequest: 1, enableOfflineQueue: false });
  redis.on('error', () => undefined);
  await new Promise<void>((resolve) =>
    redis.status === 'ready' ? resolve() : redis.once('ready', () => resolve()),
  );
  const deps: ApiDeps = {
    config,
    db: t.db,
    redis,
    redisPrefix: testRedisPrefix('api'),
    logger: pino({ level: 'silent' }),
  };
  return {
    app: createApp(deps),
    deps,
    t,
    async close() {
      redis.disconnect();
      await t.destroy();
    },
  };
}
