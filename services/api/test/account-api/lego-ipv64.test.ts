import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { CreatedAccount } from '@ddns/registry';
import { addDomain } from '@ddns/registry';
import { sharedZone } from '@ddns/testkit';
import { apiAccount, resetLimits } from '../support/api-helpers';
import { createTestApp, type TestApp } from '../support/test-app';

/**
 * lego's `ipv64` DNS provider (providers/dns/ipv64; Debian's lego 4.9 predates it), replayed as its source sends
 * it: Present/CleanUp split the challenge FQDN as "last three labels = domain, the rest = praefix", then
 * `POST /api` / `DELETE /api` with a form body (url.Values.Encode: sorted keys) `add_record|del_record=<domain>`,
 * `content`, `praefix`, `type=TXT`, `Authorization: Bearer <API key>` (its oauth2 static token transport).
 * Its rule: any 2xx is success; otherwise the JSON body is an APIError (`add_record`/`del_record` message).
 */

let h: TestApp;
let server: Server;
let base: string;
let a: CreatedAccount;
let b: CreatedAccount;

beforeAll(async () => {
  h = await createTestApp();
  await sharedZone(h.t.db, 'dyn.example.net');
  a = await apiAccount(h.t.db);
  b = await apiAccount(h.t.db);
  await addDomain(h.t.db, { name: 'gw1.dyn.example.net', accountEmail: a.email });
  await addDomain(h.t.db, { name: 'gw2.dyn.example.net', accountEmail: b.email });
  server = h.app.listen(0, '127.0.0.1');
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections(); // fetch keeps connections alive
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await h.close();
});
beforeEach(async () => {
  await resetLimits(h);
});

/** lego's splitDomain: fewer than three labels is an error; the last three labels are the domain. */
function splitDomain(full: string): { sub: string; root: string } {
  const labels = full.split('.');
  if (labels.length < 3) throw new Error(`unsupported domain: ${full}`);
  return { sub: labels.slice(0, -3).join('.'), root: labels.slice(-3).join('.') };
}

type LegoResult = { ok: true } | { ok: false; status: number; message: string };

/** Present (add_record) or CleanUp (del_record) of one challenge value, with lego's success rule. */
async function lego(
  step: 'present' | 'cleanup',
  domain: string,
  value: string,
  apiKey: string,
): Promise<LegoResult> {
  const { sub, root } = splitDomain(`_acme-challenge.${domain.replace(/^\*\./, '')}`);
  const data = new URLSearchParams();
  data.set(step === 'present' ? 'add_record' : 'del_record', root);
  data.set('praefix', sub);
  data.set('type', 'TXT');
  data.set('content', value);
  data.sort();
  const resp = await fetch(`${base}/api`, {
    method: step === 'present' ? 'POST' : 'DELETE',
    headers: { Authorization: `Bearer ${apiKey}`, 'Content-Type': 'application/x-www-form-urlencoded' },
    body: data.toString(),
  });
  const raw = await resp.text();
  if (Math.floor(resp.status / 100) === 2) return { ok: true };
  const e = JSON.parse(raw) as { add_record?: string; del_record?: string; info?: string };
  return { ok: false, status: resp.status, message: e.add_record ?? e.del_record ?? e.info ?? '' };
}

const txtAt = async (name: string) =>
  (
    await h.t.db
      .selectFrom('records')
      .select('content')
      .where('name', '=', name)
      .where('type', '=', 'TXT')
      .orderBy('id')
      .execute()
  ).map((r) => r.content);

test('name + wildcard: both TXT values land at _acme-challenge.<name>, and CleanUp removes them', async () => {
  const apex = 'a'.repeat(43);
  const wild = 'b'.repeat(43);
  expect(await lego('present', 'gw1.dyn.example.net', apex, a.apiKey)).toEqual({ ok: true });
  expect(await lego('present', '*.gw1.dyn.example.net', wild, a.apiKey)).toEqual({ ok: true });
  expect(await txtAt('_acme-challenge.gw1.dyn.example.net')).toEqual([apex, wild]);
  const owner = await h.t.db
    .selectFrom('records')
    .innerJoin('domains', 'domains.id', 'records.domain_id')
    .select('domains.name')
    .where('records.name', '=', '_acme-challenge.gw1.dyn.example.net')
    .execute();
  expect(owner.map((o) => o.name)).toEqual(['gw1.dyn.example.net', 'gw1.dyn.example.net']);
  await resetLimits(h);
  expect(await lego('cleanup', 'gw1.dyn.example.net', apex, a.apiKey)).toEqual({ ok: true });
  expect(await lego('cleanup', '*.gw1.dyn.example.net', wild, a.apiKey)).toEqual({ ok: true });
  expect(await txtAt('_acme-challenge.gw1.dyn.example.net')).toEqual([]);
});

test("a name inside another account's domain, or inside no domain, is refused and writes nothing", async () => {
  const before = await h.t.db
    .selectFrom('records')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .executeTakeFirstOrThrow();
  // b's gateway, asked with a's key
  expect(await lego('present', 'gw2.dyn.example.net', 'c'.repeat(43), a.apiKey)).toEqual({
    ok: false,
    status: 403,
    message: expect.stringMatching(/not one of your domains/) as unknown as string,
  });
  // the zone apex itself (sub "_acme-challenge", domain dyn.example.net): no domain of a's contains it
  expect(await lego('present', 'dyn.example.net', 'd'.repeat(43), a.apiKey)).toMatchObject({
    ok: false,
    status: 403,
  });
  // a name nobody registered
  expect(await lego('present', 'nobody.dyn.example.net', 'e'.repeat(43), a.apiKey)).toMatchObject({
    ok: false,
    status: 403,
  });
  const after = await h.t.db
    .selectFrom('records')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .executeTakeFirstOrThrow();
  expect(after.n).toBe(before.n);
  // and a's key cannot remove b's record the same way
  await resetLimits(h);
  expect(await lego('present', 'gw2.dyn.example.net', 'f'.repeat(43), b.apiKey)).toEqual({ ok: true });
  expect(await lego('cleanup', 'gw2.dyn.example.net', 'f'.repeat(43), a.apiKey)).toMatchObject({
    ok: false,
    status: 403,
  });
  expect(await txtAt('_acme-challenge.gw2.dyn.example.net')).toEqual(['f'.repeat(43)]);
});

/**
 * acme.sh's `dnsapi/dns_ipv64.sh`, replayed as its source sends it (only `IPv64_API` pointed at us): `_get_root`
 * asks `GET <api>?get_domains` and takes the longest tail of the challenge name that appears as a JSON key
 * (`"<tail>":`) in the normalised reply as the domain, the labels before it as the praefix; then `_ipv64_rest`
 * sends `add_record=<domain>&praefix=<sub>&type=TXT&content=<value>` (not URL-encoded) by POST, or
 * `del_record=…` by DELETE with the same form body, with `Authorization: Bearer <IPv64_Token>` and
 * `Content-Type: application/x-www-form-urlencoded`. Its success rule reads only the body: it must contain
 * `"info":"success"`, whatever the HTTP status; a body containing `429 Too Many Requests` makes it sleep 10 s
 * and send once more.
 */
const ACME_SH_UA = 'acme.sh/3.1.2 (https://github.com/acmesh-official/acme.sh)';

/** acme.sh's _normalizeJson: no space around ':' before a value, no line breaks. */
const normalizeJson = (s: string) =>
  s
    .replace(/" *: *(["{[])/g, '":$1')
    .replace(/^ *([^ ])/gm, '$1')
    .replace(/[\r\n]/g, '');

async function acmeShGetRoot(
  fulldomain: string,
  token: string,
): Promise<{ sub: string; domain: string } | null> {
  const resp = await fetch(`${base}/api?get_domains`, {
    headers: { Authorization: `Bearer ${token}`, 'User-Agent': ACME_SH_UA },
  });
  const data = normalizeJson(await resp.text());
  const labels = fulldomain.split('.');
  let p = 1;
  for (let i = 1; i <= labels.length; i++) {
    const h = labels.slice(i - 1).join('.');
    if (data.includes(`"${h}":`)) return { sub: labels.slice(0, p).join('.'), domain: h };
    p = i;
  }
  return null;
}

async function acmeSh(
  step: 'add' | 'rm',
  fulldomain: string,
  txtvalue: string,
  token: string,
): Promise<boolean> {
  const root = await acmeShGetRoot(fulldomain, token);
  if (!root) return false; // "invalid domain"
  const domain = root.domain.toLowerCase();
  const sub = root.sub.toLowerCase();
  const body = `${step === 'add' ? 'add_record' : 'del_record'}=${domain}&praefix=${sub}&type=TXT&content=${txtvalue}`;
  const resp = await fetch(`${base}/api`, {
    method: step === 'add' ? 'POST' : 'DELETE',
    headers: {
      Authorization: `Bearer ${token}`,
      'Content-Type': 'application/x-www-form-urlencoded',
      'User-Agent': ACME_SH_UA,
    },
    body,
  });
  return (await resp.text()).includes('"info":"success"');
}

describe("acme.sh's dns_ipv64.sh", () => {
  test('name + wildcard: both TXT values added at _acme-challenge.<name>, then removed by value', async () => {
    const one = 'g'.repeat(43);
    const two = 'h'.repeat(43);
    expect(await acmeSh('add', '_acme-challenge.gw1.dyn.example.net', one, a.apiKey)).toBe(true);
    expect(await acmeSh('add', '_acme-challenge.gw1.dyn.example.net', two, a.apiKey)).toBe(true);
    expect(await txtAt('_acme-challenge.gw1.dyn.example.net')).toEqual([one, two]);
    await resetLimits(h);
    expect(await acmeSh('rm', '_acme-challenge.gw1.dyn.example.net', one, a.apiKey)).toBe(true);
    expect(await acmeSh('rm', '_acme-challenge.gw1.dyn.example.net', two, a.apiKey)).toBe(true);
    expect(await txtAt('_acme-challenge.gw1.dyn.example.net')).toEqual([]);
  });

  test("another account's name is not found by _get_root (not among the caller's domains): nothing written", async () => {
    const before = await txtAt('_acme-challenge.gw2.dyn.example.net');
    expect(await acmeSh('add', '_acme-challenge.gw2.dyn.example.net', 'i'.repeat(43), a.apiKey)).toBe(false);
    expect(await txtAt('_acme-challenge.gw2.dyn.example.net')).toEqual(before);
  });

  test('over the call limit the body says "429 Too Many Requests", which makes it wait and retry', async () => {
    let last = '';
    for (let i = 0; i < 6; i++) {
      const r = await fetch(`${base}/api?get_domains`, { headers: { Authorization: `Bearer ${a.apiKey}` } });
      last = normalizeJson(await r.text());
    }
    expect(last).toContain('429 Too Many Requests');
    expect(last).not.toContain('"info":"success"');
  });
});
