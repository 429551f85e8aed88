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
