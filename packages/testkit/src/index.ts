import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { createDb, type Db } from '@ddns/db';
import { TEST_SECRETS_KEY } from './dig';
import { TEMPLATE_ENV } from './state';

export interface TestDatabase {
  /** connection URL of the fresh database */
  url: string;
  /** a Kysely handle on it (closed by destroy) */
  db: Db;
  /** drop the database (closing every connection to it) */
  destroy(): Promise<void>;
}

function adminUrl(): string {
  const url = process.env.TEST_DATABASE_URL;
  if (!url) throw new Error('TEST_DATABASE_URL is not set: run tests through jest (its globalSetup sets it)');
  return url;
}

/** A fresh, migrated database copied from the template built in globalSetup. One per test file. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const template = process.env[TEMPLATE_ENV];
  if (!template) throw new Error(`${TEMPLATE_ENV} is not set: run tests through jest`);
  const name = `${template.replace('ddns_template_', 'ddns_t')}_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl() });
  await admin.connect();
  for (let attempt = 0; ; attempt++) {
    try {
      await admin.query(`CREATE DATABASE ${name} TEMPLATE ${template}`);
      break;
    } catch (err) {
      // another file copying the template at the same moment
      if (attempt > 20) throw err;
      await new Promise((r) => setTimeout(r, 100 + Math.random() * 200));
    }
  }
  await admin.end();
  const u = new URL(adminUrl());
  u.pathname = `/${name}`;
  const url = u.toString();
  const db = createDb(url, { max: 5 });
  return {
    url,
    db,
    async destroy() {
      await db.destroy();
      const a = new pg.Client({ connectionString: adminUrl() });
      await a.connect();
      await a.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await a.end();
    },
  };
}

/** Redis URL for tests. */
export function testRedisUrl(): string {
  const url = process.env.TEST_REDIS_URL;
  if (!url) throw new Error('TEST_REDIS_URL is not set: run tests through jest');
  return url;
}

/** A unique key prefix, so test files never see each other's keys or queues. */
export function testRedisPrefix(label = 't'): string {
  return `${runRedisPrefix()}:${label}:${randomBytes(5).toString('hex')}`;
}

/** The prefix every key of this jest run starts with: globalTeardown deletes them all. */
export function runRedisPrefix(): string {
  return `test:${process.env[TEMPLATE_ENV] ?? 'run'}`;
}

/** A complete, valid environment for a service under test. */
export function testEnv(over: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    DATABASE_URL: process.env.TEST_DATABASE_URL,
    REDIS_URL: testRedisUrl(),
    JWT_SECRET: 'test-jwt-secret-0123456789-abcdefghijklmn',
    SECRETS_KEY: TEST_SECRETS_KEY,
    LOG_LEVEL: 'silent',
    // ownership checks ask nobody (the discard port): a test's domains keep the status the test gives them
    DELEGATION_CHECK_SERVERS: '127.0.0.1:9',
    ...over,
  };
}

export * from './fixtures';
export * from './tcp-proxy';
export * from './pebble';
export * from './service-process';
export * from './dig';
export * from './nsd';
