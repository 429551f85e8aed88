import type { Db } from '@ddns/db';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { ApiConfig } from './config';
import type { WebOptions } from './surfaces/web/routes';

/** Everything a surface needs, created once in main.ts (or by a test) and handed to createApp. */
export interface ApiDeps {
  config: ApiConfig;
  db: Db;
  /** for rate limits, quotas, lockouts; commands fail fast while Redis is down */
  redis: Redis;
  /** prefix for every Redis key and BullMQ queue of this deployment (tests use a unique one) */
  redisPrefix: string;
  logger: Logger;
  /**
   * DynDNS2 per-key call limit (3 / 10 s) and nochg rule; default on. Off only for benchmarks (bench/update):
   * daily quotas and failed-auth lockouts still apply.
   */
  updaterRateLimit?: boolean;
  /** where the built dashboard is, or the Vite dev server to send browsers to (surfaces/web) */
  web?: WebOptions;
}
