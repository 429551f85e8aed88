import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bullConnection } from '@ddns/jobs';
import {
  createTestDatabase,
  TcpProxy,
  testRedisPrefix,
  testRedisUrl,
  type TestDatabase,
} from '@ddns/testkit';
import { Worker } from 'bullmq';
import pino from 'pino';
import { judgeHeartbeat } from '../../../infra/docker/healthcheck';
import { startHeartbeat, type Heartbeat } from '../src/heartbeat';

// The mailer's heartbeat file is what its container healthcheck reads: it must go stale when Redis goes away
// and be fresh again when Redis returns, without a restart.
let t: TestDatabase;
let proxy: TcpProxy;
let worker: Worker;
let hb: Heartbeat;
const dir = mkdtempSync(join(tmpdir(), 'ddns-heartbeat-'));
const file = join(dir, 'heartbeat');
const mtime = () => {
  try {
    return statSync(file).mtimeMs;
  } catch {
    return null;
  }
};

beforeAll(async () => {
  t = await createTestDatabase();
  const u = new URL(testRedisUrl());
  proxy = new TcpProxy(u.hostname, Number(u.port || 6379));
  await proxy.start();
  u.port = String(proxy.port);
  worker = new Worker('heartbeat-test', async () => undefined, {
    connection: bullConnection(u.toString()),
    prefix: testRedisPrefix('hb'),
  });
  worker.on('error', () => undefined);
  await worker.waitUntilReady();
  hb = startHeartbeat({
    file,
    workers: [worker],
    db: t.db,
    logger: pino({ level: 'silent' }),
    intervalMs: 60_000,
    timeoutMs: 2000,
  });
});
afterAll(async () => {
  hb?.stop();
  await worker?.close(true).catch(() => undefined);
  await proxy?.stop();
  await t?.destroy();
  rmSync(dir, { recursive: true, force: true });
});

test('written while the worker runs and Redis and Postgres answer; the healthcheck calls it fresh', async () => {
  expect(await hb.beat()).toBeNull();
  const first = mtime();
  expect(first).not.toBeNull();
  expect(judgeHeartbeat(first, Date.now())).toBeNull();
  await new Promise((r) => setTimeout(r, 20));
  expect(await hb.beat()).toBeNull();
  expect(mtime()).toBeGreaterThan(first!);
});

test('not written while Redis is away; written again when it returns', async () => {
  await proxy.cut();
  const before = mtime();
  const problem = await hb.beat();
  expect(problem).toBe('Redis did not answer within 2000 ms');
  expect(mtime()).toBe(before);
  // the healthcheck's verdict on a file this old
  expect(judgeHeartbeat(before, before! + 61_000)).toBe('last heartbeat 61 s ago');
  await proxy.start();
  let again: string | null = 'not yet';
  for (let i = 0; i < 40 && again !== null; i++) {
    again = await hb.beat();
    if (again !== null) await new Promise((r) => setTimeout(r, 250));
  }
  expect(again).toBeNull();
  expect(mtime()).toBeGreaterThan(before!);
}, 30_000);

test('a closed worker stops the heartbeat', async () => {
  await worker.close();
  expect(await hb.beat()).toBe('worker heartbeat-test is not running');
});

test('the healthcheck without a file says so', () => {
  expect(judgeHeartbeat(null, Date.now())).toBe('no heartbeat yet');
});
