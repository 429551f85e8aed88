import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { createDb, migrateToLatest } from '@ddns/db';
import { freePort, startEmbeddedPostgres, startRedisServer } from '@ddns/local-services';
import { STATE_FILE, TEMPLATE_ENV } from './state';

/**
 * Runs once before all test files: makes sure Postgres and Redis exist (TEST_DATABASE_URL / TEST_REDIS_URL,
 * or private ones started here), and builds a migrated template database that each test file copies.
 */
export default async function globalSetup(): Promise<void> {
  const root = join(__dirname, '..', '..', '..');
  const started: { pgDir?: string; redisPid?: number } = {};
  if (!process.env.TEST_DATABASE_URL) {
    const port = await freePort();
    const dir = join(root, '.data', 'test-postgres');
    mkdirSync(dir, { recursive: true });
    const local = await startEmbeddedPostgres(dir, port);
    process.env.TEST_DATABASE_URL = local.url;
    started.pgDir = dir;
    (globalThis as Record<string, unknown>).__ddnsPg = local;
  }
  if (!process.env.TEST_REDIS_URL) {
    const local = await startRedisServer(await freePort());
    process.env.TEST_REDIS_URL = local.url;
    started.redisPid = local.process.pid;
    (globalThis as Record<string, unknown>).__ddnsRedis = local;
  }
  const template = `ddns_template_${process.pid}`;
  const admin = new pg.Client({ connectionString: process.env.TEST_DATABASE_URL });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${template}`);
  await admin.query(`CREATE DATABASE ${template}`);
  await admin.end();
  const u = new URL(process.env.TEST_DATABASE_URL);
  u.pathname = `/${template}`;
  const db = createDb(u.toString(), { max: 1 });
  await migrateToLatest(db);
  await db.destroy();
  process.env[TEMPLATE_ENV] = template;
  writeFileSync(STATE_FILE, JSON.stringify({ template, ...started }));
}
