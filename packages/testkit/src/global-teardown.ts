import { Redis } from 'ioredis';
import pg from 'pg';
import { TEMPLATE_ENV } from './state';

interface Stoppable {
  stop(): Promise<void>;
}

export default async function globalTeardown(): Promise<void> {
  const template = process.env[TEMPLATE_ENV];
  const url = process.env.TEST_DATABASE_URL;
  if (template && url) {
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    // test files drop their own databases; sweep any left by a crashed worker
    const left = await admin.query<{ datname: string }>(
      'SELECT datname FROM pg_database WHERE datname LIKE $1 OR datname = $2',
      [`${template.replace('ddns_template_', 'ddns_t')}\\_%`, template],
    );
    for (const r of left.rows) await admin.query(`DROP DATABASE IF EXISTS ${r.datname} WITH (FORCE)`);
    await admin.end();
  }
  // every key this run wrote (rate limits, queues) lives under its prefix
  if (template && process.env.TEST_REDIS_URL) {
    const redis = new Redis(process.env.TEST_REDIS_URL, { maxRetriesPerRequest: 1 });
    try {
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', `test:${template}:*`, 'COUNT', 1000);
        cursor = next;
        if (keys.length) await redis.del(...keys);
      } while (cursor !== '0');
    } finally {
      redis.disconnect();
    }
  }
  const g = globalThis as Record<string, unknown>;
  await (g.__ddnsRedis as Stoppable | undefined)?.stop();
  await (g.__ddnsPg as Stoppable | undefined)?.stop();
}
