import { addDomain } from '@ddns/registry';
import { freePort } from '@ddns/local-services';
import {
  account,
  sharedZone,
  startServiceProcess,
  testRedisUrl,
  type ServiceProcess,
  type TestDatabase,
} from '@ddns/testkit';

/** Starting a process takes long on a loaded machine (tsx compiles at start). */
export const START_TIMEOUT_MS = 120_000;

/** The api service as its own process, talking to Postgres (and Redis) at the given URLs. */
export async function startApiProcess(
  databaseUrl: string,
  env: Record<string, string> = {},
): Promise<ServiceProcess & { base: string }> {
  const port = await freePort();
  const p = await startServiceProcess(
    'api',
    {
      DATABASE_URL: databaseUrl,
      REDIS_URL: testRedisUrl(),
      JWT_SECRET: 'test-jwt-secret-0123456789-abcdefghijklmn',
      SECRETS_KEY: 'test-secrets-key-0123456789-abcdefghijklm',
      API_HOST: '127.0.0.1',
      API_PORT: String(port),
      UPDATER_RATE_LIMIT: 'off',
      ...env,
    },
    /api listening/,
    START_TIMEOUT_MS,
  );
  return { ...p, base: `http://127.0.0.1:${port}` };
}

export interface Updater {
  name: string;
  token: string;
}

/** `count` domains under `zone`, each of its own unlimited account; returns name + domain token. */
export async function updaters(t: TestDatabase, zone: string, count: number): Promise<Updater[]> {
  await sharedZone(t.db, zone);
  const out: Updater[] = [];
  for (let i = 0; i < count; i++) {
    const acct = await account(t.db, { class: 'unlimited' });
    const name = `c${i}.${zone}`;
    out.push({ name, token: (await addDomain(t.db, { name, accountEmail: acct.email })).token });
  }
  return out;
}

/** One classic DynDNS2 update (Basic auth with the domain token); the reply's first word, or `error`. */
export async function update(
  base: string,
  u: Updater,
  ip: string,
  timeoutMs = 30_000,
): Promise<{ code: string; status: number; ms: number; retryAfter: string | null }> {
  const t0 = Date.now();
  try {
    const res = await fetch(`${base}/nic/update?hostname=${u.name}&myip=${ip}`, {
      headers: { authorization: `Basic ${Buffer.from(`${u.name}:${u.token}`).toString('base64')}` },
      signal: AbortSignal.timeout(timeoutMs),
    });
    const body = await res.text();
    return {
      code: body.trim().split(/\s+/)[0] ?? '',
      status: res.status,
      ms: Date.now() - t0,
      retryAfter: res.headers.get('retry-after'),
    };
  } catch {
    return { code: 'error', status: 0, ms: Date.now() - t0, retryAfter: null };
  }
}
