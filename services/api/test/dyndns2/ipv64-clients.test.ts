import { execFile } from 'node:child_process';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { sharedZone } from '@ddns/testkit';
import { RedisLimits } from '../../src/limits';
import { createTestApp, type TestApp } from '../support/test-app';
import { names, owner, recordsAt, type Owner } from './support';

/**
 * IPv64-style updater clients, replayed exactly as their source sends them (only the base URL pointed at us),
 * each judged by its own success rule:
 *
 * - Home Assistant's IPv64 integration (Ludy87/ipv64, coordinator.py): `GET {UPDATE_URL}?domain=<domain>` with
 *   `Authorization: Bearer <update token>` through aiohttp; `resp.raise_for_status()` then `await resp.json()`
 *   (aiohttp refuses a body whose Content-Type is not JSON) and `update_result.get("status")`.
 * - qdm12/ddns-updater (internal/provider/providers/ipv64): `GET /nic/update?domain=…&ip=…&key=…` (Go's
 *   url.Values.Encode: sorted keys), `User-Agent: DDNS-Updater quentin.mcgaw@gmail.com`; HTTP 200 is success,
 *   401 is an auth error, anything else a failure.
 * - seed 003's examples, sent by curl.
 */

let h: TestApp;
let server: Server;
let base: string;

beforeAll(async () => {
  h = await createTestApp();
  await sharedZone(h.t.db, 'dyn.test');
  server = h.app.listen(0, '127.0.0.1');
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections(); // fetch keeps connections alive
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await h.close();
});

/** Lifts the per-key 3 / 10 s window (the replays run back to back). */
async function nextWindow(o: Owner): Promise<void> {
  await new RedisLimits(h.deps.redis, h.deps.redisPrefix).reset(`updater:account:${o.acct.id}`);
}

type HaOutcome = { ok: true; status: unknown } | { ok: false; error: string; httpStatus?: number };

/** Home Assistant's update call and its handling of the reply (raise_for_status, resp.json(), .get('status')). */
async function homeAssistantUpdate(domain: string, token: string): Promise<HaOutcome> {
  const resp = await fetch(`${base}/nic/update?domain=${domain}`, {
    headers: { Authorization: `Bearer ${token}` },
  });
  const body = await resp.text();
  if (resp.status >= 400) return { ok: false, error: 'ClientResponseError', httpStatus: resp.status };
  const mimetype = (resp.headers.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
  if (mimetype !== 'application/json' && !mimetype.endsWith('+json'))
    return { ok: false, error: `ContentTypeError: ${mimetype}` };
  try {
    const json = JSON.parse(body) as Record<string, unknown>;
    return { ok: true, status: json.status ?? 'unknown' };
  } catch {
    return { ok: false, error: 'JSONDecodeError' };
  }
}

/** ddns-updater's ipv64 Update(): 200 is success, 401 ErrAuth, other statuses an error. */
async function ddnsUpdater(domain: string, key: string, ip: string): Promise<'ok' | 'auth' | number> {
  const values = new URLSearchParams();
  values.set('domain', domain);
  values.set(ip.includes(':') ? 'ip6' : 'ip', ip);
  values.set('key', key);
  values.sort();
  const resp = await fetch(`${base}/nic/update?${values.toString()}`, {
    headers: { 'User-Agent': 'DDNS-Updater quentin.mcgaw@gmail.com' },
  });
  await resp.arrayBuffer();
  if (resp.status === 200) return 'ok';
  if (resp.status === 401) return 'auth';
  return resp.status;
}

function curl(args: string[]): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    execFile('curl', ['-sS', '-w', '\n%{http_code}', ...args], { timeout: 30_000 }, (err, stdout) => {
      if (err) return reject(err);
      const i = stdout.lastIndexOf('\n');
      resolve({ body: stdout.slice(0, i), status: Number(stdout.slice(i + 1)) });
    });
  });
}

describe('Home Assistant (Ludy87/ipv64)', () => {
  test('the update parses as JSON with status success; the record takes the source address', async () => {
    const o = await owner(h.t.db, 'dyn.test', 1);
    const [a] = names(o);
    expect(await homeAssistantUpdate(a!, o.acct.updateToken)).toEqual({ ok: true, status: 'success' });
    expect(await recordsAt(h.t.db, a!)).toEqual(['A 127.0.0.1']);
    await nextWindow(o);
    // unchanged: still a parsed success (info nochg)
    expect(await homeAssistantUpdate(a!, o.acct.updateToken)).toEqual({ ok: true, status: 'success' });
  });

  test('a wrong token is the 401 it reports as "Invalid update token"; a foreign domain is an error', async () => {
    const o = await owner(h.t.db, 'dyn.test', 1);
    const other = await owner(h.t.db, 'dyn.test', 1);
    expect(await homeAssistantUpdate(names(o)[0]!, 'not-the-token')).toEqual({
      ok: false,
      error: 'ClientResponseError',
      httpStatus: 401,
    });
    expect(await homeAssistantUpdate(names(other)[0]!, o.acct.updateToken)).toEqual({
      ok: false,
      error: 'ClientResponseError',
      httpStatus: 400,
    });
    expect(await recordsAt(h.t.db, names(other)[0]!)).toEqual([]);
  });

  test('over the call limit: 429, which it reports as the update limit', async () => {
    const o = await owner(h.t.db, 'dyn.test', 1);
    const [a] = names(o);
    for (let i = 0; i < 3; i++) expect((await homeAssistantUpdate(a!, o.acct.updateToken)).ok).toBe(true);
    expect(await homeAssistantUpdate(a!, o.acct.updateToken)).toEqual({
      ok: false,
      error: 'ClientResponseError',
      httpStatus: 429,
    });
  });
});

describe('ddns-updater (qdm12, ipv64 provider)', () => {
  test('an update is HTTP 200; IPv6 too', async () => {
    const o = await owner(h.t.db, 'dyn.test', 1);
    const [a] = names(o);
    expect(await ddnsUpdater(a!, o.acct.updateToken, '198.51.100.20')).toBe('ok');
    expect(await ddnsUpdater(a!, o.acct.updateToken, '2001:db8::20')).toBe('ok');
    expect(await recordsAt(h.t.db, a!)).toEqual(['A 198.51.100.20', 'AAAA 2001:db8::20']);
  });

  test('a host that is not yours is not a success (no 200), a wrong key is its auth error', async () => {
    const o = await owner(h.t.db, 'dyn.test', 1);
    const other = await owner(h.t.db, 'dyn.test', 1);
    const [foreign] = names(other);
    expect(await ddnsUpdater(foreign!, o.acct.updateToken, '198.51.100.21')).toBe(400);
    expect(await ddnsUpdater('nohost.dyn.test', o.acct.updateToken, '198.51.100.21')).toBe(400);
    expect(await ddnsUpdater(names(o)[0]!, 'wrong-key', '198.51.100.21')).toBe('auth');
    expect(await recordsAt(h.t.db, foreign!)).toEqual([]);
  });
});

describe("seed 003's examples, sent by curl", () => {
  test('Examples 1-4 and the curl example answer IPv64 JSON; Example 2 (Basic user "Bearer <token>")', async () => {
    const o = await owner(h.t.db, 'dyn.test', 1);
    const [a] = names(o);
    const t = o.acct.updateToken;
    const hostPort = base.slice('http://'.length);
    const examples: [string, string[]][] = [
      ['1', [`http://anything:${t}@${hostPort}/nic/update?host=${a}`]],
      ['2', [`http://Bearer%20${t}@${hostPort}/nic/update?host=${a}`]],
      ['3', [`${base}/nic/update?key=${t}&host=${a}`]],
      ['4', [`${base}/nic/update?key=${t}&domain=${a}&ip=10.20.30.40&ip6=2a01::a441:cf:0:1`]],
      [
        'curl',
        [
          '-H',
          `Authorization: Basic ${Buffer.from(`none:${t}`).toString('base64')}`,
          `${base}/nic/update?domain=${a}`,
        ],
      ],
    ];
    for (const [name, args] of examples) {
      await nextWindow(o);
      const r = await curl(args);
      expect({ name, status: r.status, body: JSON.parse(r.body) as unknown }).toEqual({
        name,
        status: 200,
        body: expect.objectContaining({ status: 'success' }) as unknown,
      });
    }
    expect(await recordsAt(h.t.db, a!)).toEqual(['A 127.0.0.1', 'AAAA 2a01::a441:cf:0:1']);
  });

  test('Example 2 with a wrong token is still 401', async () => {
    const o = await owner(h.t.db, 'dyn.test', 1);
    const hostPort = base.slice('http://'.length);
    const r = await curl([`http://Bearer%20wrong@${hostPort}/nic/update?host=${names(o)[0]}`]);
    expect(r.status).toBe(401);
    expect(JSON.parse(r.body)).toEqual({ status: '401 Unauthorized', info: 'badauth' });
  });
});
