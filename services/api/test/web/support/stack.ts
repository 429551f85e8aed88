import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '@ddns/local-services';
import {
  createTestDatabase,
  sharedZone,
  startDnsProcess,
  startServiceProcess,
  testEnv,
  testRedisUrl,
  type DnsProcess,
  type ServiceProcess,
  type TestDatabase,
} from '@ddns/testkit';
import { buildWeb } from '../../../../../scripts/web-build';
import { startSmtpCapture, type SmtpCapture } from '../../../../mailer/test/support/smtp-capture';

/** The deployment the dashboard's end-to-end test drives: api, dns and mailer as processes, a real SMTP server. */
export interface Stack {
  t: TestDatabase;
  base: string;
  dns: DnsProcess;
  api: ServiceProcess;
  mailer: ServiceProcess;
  smtp: SmtpCapture;
  webDir: string;
  stop(): Promise<void>;
}

export async function startStack(env: Record<string, string> = {}): Promise<Stack> {
  const webDir = mkdtempSync(join(tmpdir(), 'ddns-web-e2e-'));
  await buildWeb(webDir);
  const t = await createTestDatabase();
  await sharedZone(t.db, 'dyn.test');
  // the processes use the production queue prefix: a Redis database of their own, emptied first
  const redis = new URL(testRedisUrl());
  redis.pathname = '/13';
  execFileSync('redis-cli', ['-u', redis.toString(), 'flushdb']);
  const smtp = await startSmtpCapture();
  const apiPort = await freePort();
  const base = `http://127.0.0.1:${apiPort}`;
  const common = testEnv({
    DATABASE_URL: t.url,
    REDIS_URL: redis.toString(),
    PUBLIC_URL: base,
    SMTP_URL: smtp.url,
    LOG_LEVEL: 'info',
    ...env,
  }) as Record<string, string>;
  const dns = await startDnsProcess(t.url, {}, 120_000);
  const mailer = await startServiceProcess('mailer', common, /mailer consuming queues/, 120_000);
  const api = await startServiceProcess(
    'api',
    {
      ...common,
      API_HOST: '127.0.0.1',
      API_PORT: String(apiPort),
      API_METRICS_PORT: String(await freePort()),
      WEB_DIST_DIR: webDir,
    },
    /metrics listening/,
    120_000,
  );
  return {
    t,
    base,
    dns,
    api,
    mailer,
    smtp,
    webDir,
    async stop() {
      await api.stop();
      await mailer.stop();
      await dns.stop();
      await smtp.close();
      execFileSync('redis-cli', ['-u', redis.toString(), 'flushdb']);
      await t.destroy();
      rmSync(webDir, { recursive: true, force: true });
    },
  };
}
