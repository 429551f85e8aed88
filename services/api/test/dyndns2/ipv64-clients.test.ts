import { execFile } from 'node:child_process';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { domainRecord, sharedZone } from '@ddns/testkit';
import { RedisLimits } from '../../src/limits';
import { createTestApp, type TestApp } from '../support/test-app';
import { names, owner, recordsAt, type Owner } from './support';

/**
 * IPv64-style updater clients, replayed exactly as their source sends them (only the base URL pointed at us),
 * each judged by its own success rule:
 *
 * - Home Assistant's IPv64 integration (Ludy87/ipv64, coordinator.py): `GET {UPDATE_URL}?domain=<domain>` with
 *   `Authorization: Bearer <update token>` through aiohttp; `resp.raise_for_status()` then `await resp.json()`
 *   (aiohttp refuses a body whose Content-Type is not JSON) and `update_result.get("status")`. Before every
 *   update its coordinator reads `GET {API_URL}?get_account_info` and `?get_domains` (API_URL `…/api.php`,
 *   `Authorization: Bearer <API key>`) and indexes their JSON (`account_result["account_class"]["class_name"]`,
 *   each record's `content`, `type`, `ttl`, `failover_policy`, `deactivated`, `last_update`): a missing key is a
 *   KeyError and no update is sent. Its config flow reads the same two calls and needs the domain among the
 *   records (`praefix.subdomain`, or the subdomain for an empty praefix).
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

/** Lifts the account API's 5 / 10 s window (Home Assistant's next refresh comes 23 minutes later). */
async function nextApiWindow(o: Owner): Promise<void> {
  await new RedisLimits(h.deps.redis, h.deps.redisPrefix).reset(`api:${o.acct.id}`);
}

/** The User-Agent of Home Assistant's shared aiohttp session (helpers/aiohttp_client.py). */
const HA_UA = 'HomeAssistant/2026.11.0 aiohttp/3.13.2 Python/3.13';

/** Python's `d[k]`: a missing key raises KeyError. */
function item(d: unknown, k: string): unknown {
  if (d === null || typeof d !== 'object' || Array.isArray(d) || !(k in d))
    throw new Error(`KeyError: '${k}'`);
  return (d as Record<string, unknown>)[k];
}

/** aiohttp's `resp.raise_for_status()` then `await resp.json()` (ContentTypeError unless a JSON type). */
async function haJson(url: string, bearer: string): Promise<Record<string, unknown>> {
  const resp = await fetch(url, { headers: { Authorization: `Bearer ${bearer}`, 'User-Agent': HA_UA } });
  const body = await resp.text();
  if (resp.status >= 400) throw new Error(`ClientResponseError ${resp.status}`);
  const mimetype = (resp.headers.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
  if (!/^application\/(?:[\w.+-]+?\+)?json$/.test(mimetype)) throw new Error(`ContentTypeError: ${mimetype}`);
  return JSON.parse(body) as Record<string, unknown>;
}

/** config_flow.get_account_info: the keys it indexes (the rest it reads with .get). */
async function haAccountInfo(apiKey: string): Promise<Record<string, unknown>> {
  const r = await haJson(`${base}/api.php?get_account_info`, apiKey);
  item(r, 'account_status');
  item(r, 'reg_date');
  const cls = item(r, 'account_class');
  item(cls, 'class_name');
  return r;
}

/**
 * Home Assistant's whole cycle for one domain: the config flow's check (validate_input: get_account_info,
 * get_domains, the domain among the records), then one coordinator refresh with economy mode off (economy mode
 * first asks checkip.amazonaws.com, which a test cannot): get_account_info, get_domain (every key it indexes),
 * the update, and the remaining-updates sum it computes from get_account_info's numbers.
 */
async function homeAssistantCycle(
  domain: string,
  apiKey: string,
  token: string,
): Promise<{ configFlow: string; updateResult: unknown; ipAddress: unknown; remaining: unknown }> {
  // config flow
  await haAccountInfo(apiKey);
  const flowDomains = await haJson(`${base}/api.php?get_domains`, apiKey);
  let found = false;
  for (const [sub, data] of Object.entries((flowDomains.subdomains ?? {}) as Record<string, unknown>)) {
    for (const record of ((data as { records?: unknown[] }).records ?? []) as Record<string, unknown>[]) {
      const praefix = record.praefix as string | undefined;
      if ((praefix ? `${praefix}.${sub}` : sub) === domain) found = true;
    }
  }
  if (!found)
    return {
      configFlow: `TokenError: Domain ${domain} not found`,
      updateResult: undefined,
      ipAddress: undefined,
      remaining: undefined,
    };

  // coordinator._async_update_data(force_refresh=True), economy off
  const info = await haAccountInfo(apiKey);
  const dyndnsUpdates = info.dyndns_updates ?? 0;
  const dailyLimit = (item(info, 'account_class') as Record<string, unknown>).dyndns_update_limit ?? 0;
  const domains = await haJson(`${base}/api.php?get_domains`, apiKey);
  let ipAddress: unknown;
  for (const [sub, values] of Object.entries((domains.subdomains ?? {}) as Record<string, unknown>)) {
    for (const record of ((values as { records?: unknown[] }).records ?? []) as Record<string, unknown>[]) {
      const name = record.praefix ? `${item(record, 'praefix') as string}.${sub}` : sub;
      if (name === domain) ipAddress = item(record, 'content');
      for (const k of ['type', 'ttl', 'failover_policy', 'deactivated', 'last_update']) item(record, k);
    }
  }
  const update = await haJson(`${base}/nic/update?domain=${domain}`, token);
  const updateResult = update.status ?? 'unknown';
  // updates_used > 0 and updates_limit > 0: Python compares numbers only (a str here is a TypeError)
  if (typeof dyndnsUpdates !== 'number' || typeof dailyLimit !== 'number')
    throw new Error('TypeError: comparison of the update counts');
  const remaining = dyndnsUpdates > 0 && dailyLimit > 0 ? dailyLimit - dyndnsUpdates : undefined;
  return { configFlow: 'ok', updateResult, ipAddress, remaining };
}

type HaOutcome = { ok: true; status: unknown } | { ok: false; error: string; httpStatus?: number };

/** Home Assistant's update call and its handling of the reply (raise_for_status, resp.json(), .get('status')). */
async function homeAssistantUpdate(domain: string, token: string): Promise<HaOutcome> {
  const resp = await fetch(`${base}/nic/update?domain=${domain}`, {
    headers: { Authorization: `Bearer ${token}`, 'User-Agent': HA_UA },
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

  test('the whole cycle: config flow and a refresh read /api.php with the API key, then update with the token', async () => {
    const o = await owner(h.t.db, 'dyn.test', 1);
    const [a] = names(o);
    const apiKey = o.acct.apiKey;
    // the config flow needs the domain among its records: the user's existing address
    await domainRecord(h.t.db, a!, { name: a!, type: 'A', content: '192.0.2.44' });
    const r = await homeAssistantCycle(a!, apiKey, o.acct.updateToken);
    expect(r).toEqual({
      configFlow: 'ok',
      updateResult: 'success',
      ipAddress: '192.0.2.44',
      remaining: undefined,
    });
    expect(await recordsAt(h.t.db, a!)).toEqual(['A 127.0.0.1']);
    await nextWindow(o);
    await nextApiWindow(o);
    // the next refresh: get_account_info now counts the update, and the remaining-updates sum is a number
    const again = await homeAssistantCycle(a!, apiKey, o.acct.updateToken);
    expect(again).toMatchObject({ configFlow: 'ok', updateResult: 'success', ipAddress: '127.0.0.1' });
    expect(typeof again.remaining).toBe('number');
    // a domain without a record of its own is not found by the config flow (its rule, not ours)
    const bare = await owner(h.t.db, 'dyn.test', 1);
    expect(
      (await homeAssistantCycle(names(bare)[0]!, bare.acct.apiKey, bare.acct.updateToken)).configFlow,
    ).toMatch(/^TokenError/);
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

  test('owner "*" sends domain=*.<domain>: not a host name here, so a 400 it reports, never a false success', async () => {
    const o = await owner(h.t.db, 'dyn.test', 1);
    const [a] = names(o);
    expect(await ddnsUpdater(`*.${a}`, o.acct.updateToken, '198.51.100.22')).toBe(400);
    expect(await recordsAt(h.t.db, `*.${a}`)).toEqual([]);
    expect(await recordsAt(h.t.db, a!)).toEqual([]);
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
