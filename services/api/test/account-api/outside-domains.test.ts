/**
 * Issue 12, finding 1, through the API's own surfaces and the real DNS process: an account that claims an
 * outside domain (`google.com`, `paypal.com` through /api, `gmail.com` through /mail/domains) gets a pending
 * claim and our DNS stays silent for it (REFUSED, never AA); public suffixes are refused. Mail domains follow
 * the same rule as other domains: against a real parent (NSD serving `parent.test`), a mail domain the parent
 * delegates to us becomes active after the check, one it does not delegate stays pending, and one whose
 * delegation goes away is suspended and its owner e-mailed. A suspended domain is the old owner's for
 * SUSPENDED_ZONE_RELEASE_DAYS (refused with the release date; restoring the delegation makes it active again);
 * after that another account's claim replaces it, and the old zone's records are gone from the DNS.
 */
import request from 'supertest';
import {
  dnsAsker,
  parseServerAddress,
  recheckZone,
  sweepOwnership,
  SUSPENDED_ZONE_RELEASE_DAYS,
  type CreatedAccount,
  type ServerAddress,
  type WalkOptions,
} from '@ddns/registry';
import {
  digFull,
  parentTestZone as parentZone,
  sharedZone,
  startDnsProcess,
  startNsd,
  type DnsProcess,
  type NsdServer,
} from '@ddns/testkit';
import { login } from '../mail/support/harness';
import { apiAccount, resetLimits } from '../support/api-helpers';
import { createTestApp, type TestApp } from '../support/test-app';

jest.setTimeout(120_000);

const DELEGATED = 'maildeleg IN NS ns1.dyn.test.';

let h: TestApp;
let a: CreatedAccount;
let mailToken: string;
let nsd: NsdServer;
let dns: DnsProcess;
let walk: WalkOptions;

beforeAll(async () => {
  h = await createTestApp({ MAIL_HOST: 'mx.mailhost.test' });
  await sharedZone(h.t.db, 'dyn.test'); // our name server: ns1.dyn.test
  a = await apiAccount(h.t.db);
  mailToken = await login(h, a.email);
  nsd = await startNsd({ 'parent.test': parentZone([DELEGATED]) });
  dns = await startDnsProcess(h.t.url);
  walk = {
    start: [parseServerAddress(`127.0.0.1:${nsd.port}`)].filter((s): s is ServerAddress => s !== null),
    ask: dnsAsker(),
  };
}, 90_000);
afterAll(async () => {
  await dns?.stop();
  await nsd?.stop();
  await h?.close();
});
beforeEach(async () => {
  await resetLimits(h);
});

const dig = (name: string, type: string) => digFull(dns.port, name, type);

async function until<T>(fn: () => Promise<T>, ok: (v: T) => boolean, ms = 20_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (ok(v) || Date.now() > end) return v;
    await new Promise((r) => setTimeout(r, 200));
  }
}

const addDomain = (name: string) =>
  request(h.app)
    .post('/api')
    .set('Authorization', `Bearer ${a.apiKey}`)
    .type('form')
    .send({ add_domain: name });
const addMailDomain = (domain: string) =>
  request(h.app)
    .post('/mail/domains')
    .set('Auth-token', mailToken)
    .type('form')
    .send({ domain, username: 'postmaster', password: 'mailbox-pass-1' });
const zone = (name: string) =>
  h.t.db.selectFrom('zones').select(['id', 'status']).where('name', '=', name).executeTakeFirst();

test('outside domains claimed through /api and /mail/domains stay pending and our DNS does not answer for them', async () => {
  // the control: a name under our shared zone is answered at once, authoritatively
  expect((await addDomain('mine.dyn.test')).status).toBe(201);
  const mine = await until(
    () => dig('mine.dyn.test', 'A'),
    (r) => r.answers.length > 0,
  );
  expect(mine).toMatchObject({ status: 'NOERROR', aa: true, answers: ['127.0.0.1'] });

  // public suffixes: refused, nothing written
  for (const name of ['co.uk', 'in-addr.arpa']) {
    await resetLimits(h);
    const res = await addDomain(name);
    expect({ name, status: res.status }).toEqual({ name, status: 403 });
    expect(await zone(name)).toBeUndefined();
  }
  const suffixMail = await addMailDomain('co.uk');
  expect(suffixMail.status).toBe(409);
  expect(suffixMail.body.msg).toMatch(/public suffix/);

  // outside domains: accepted as claims, pending with a challenge
  for (const name of ['google.com', 'paypal.com']) {
    await resetLimits(h);
    const res = await addDomain(name);
    expect(res.status).toBe(201);
    expect(res.body.ownership).toMatchObject({
      status: 'pending',
      challenge: { name: `_ddns-challenge.${name}`, type: 'TXT' },
    });
    expect((await zone(name))?.status).toBe('pending');
  }
  const gmail = await addMailDomain('gmail.com');
  expect(gmail.status).toBe(201);
  expect(gmail.body.ownership.status).toBe('pending');
  expect((await zone('gmail.com'))?.status).toBe('pending');

  // our DNS stays silent for every one of them: REFUSED, no AA, no records
  // (wait until the change feed has reached the DNS process: the control name added last answers)
  expect((await addDomain('after.dyn.test')).status).toBe(201);
  await until(
    () => dig('after.dyn.test', 'A'),
    (r) => r.answers.length > 0,
  );
  for (const [name, type] of [
    ['google.com', 'SOA'],
    ['google.com', 'NS'],
    ['google.com', 'A'],
    ['www.google.com', 'A'],
    ['paypal.com', 'A'],
    ['paypal.com', 'MX'],
    ['gmail.com', 'MX'],
    ['gmail.com', 'TXT'],
    ['_dmarc.gmail.com', 'TXT'],
  ] as const) {
    const r = await dig(name, type);
    expect({ name, type, ...r }).toEqual({ name, type, status: 'REFUSED', aa: false, answers: [] });
  }
});

test('mail domains: delegated by the real parent → active and answered; not delegated → pending; delegation gone → suspended, owner e-mailed', async () => {
  const good = await addMailDomain('maildeleg.parent.test');
  expect(good.status).toBe(201);
  expect(good.body.ownership).toMatchObject({ status: 'pending', nameservers: ['ns1.dyn.test'] });
  const bad = await addMailDomain('mailnot.parent.test');
  expect(bad.status).toBe(201);
  const goodZone = (await zone('maildeleg.parent.test'))!;
  const badZone = (await zone('mailnot.parent.test'))!;

  // the check asks the parent's server (NSD), not our data
  expect(await recheckZone(h.t.db, goodZone.id, walk)).toMatchObject({ before: 'pending', after: 'active' });
  expect(await recheckZone(h.t.db, badZone.id, walk)).toMatchObject({ before: 'pending', after: 'pending' });

  const mx = await until(
    () => dig('maildeleg.parent.test', 'MX'),
    (r) => r.status === 'NOERROR' && r.answers.length > 0,
  );
  expect(mx).toMatchObject({ status: 'NOERROR', aa: true, answers: ['10 mx.mailhost.test.'] });
  expect(await dig('mailnot.parent.test', 'MX')).toMatchObject({ status: 'REFUSED', aa: false, answers: [] });

  // the parent stops delegating: the periodic re-check suspends the domain and tells its owner
  await nsd.setZones({ 'parent.test': parentZone([]) });
  const results = await sweepOwnership(h.t.db, { walk, now: new Date(Date.now() + 2 * 24 * 3600_000) });
  expect(results.find((r) => r.zone === 'maildeleg.parent.test')).toMatchObject({
    before: 'active',
    after: 'suspended',
  });
  expect(
    await until(
      () => dig('maildeleg.parent.test', 'MX'),
      (r) => r.status === 'REFUSED',
    ),
  ).toMatchObject({ status: 'REFUSED', aa: false, answers: [] });
  const mails = await h.t.db
    .selectFrom('outbox')
    .select('payload')
    .where('job_name', '=', 'zone-suspended')
    .execute();
  const toOwner = mails
    .map((m) => m.payload as { to: string; vars: { name: string } })
    .filter((p) => p.vars.name === 'maildeleg.parent.test');
  expect(toOwner).toEqual([expect.objectContaining({ to: a.email })]);
});

test('a suspended domain is released to another account after SUSPENDED_ZONE_RELEASE_DAYS, not before; the old owner can win it back until then', async () => {
  // maildeleg.parent.test: account a's mail domain, suspended by the test above (the parent no longer delegates)
  const old = await h.t.db
    .selectFrom('zones')
    .select(['id', 'account_id', 'status', 'suspended_at'])
    .where('name', '=', 'maildeleg.parent.test')
    .executeTakeFirstOrThrow();
  expect(old).toMatchObject({ account_id: a.id, status: 'suspended' });
  expect(old.suspended_at).toBeInstanceOf(Date);
  const oldRecords = await h.t.db.selectFrom('records').select('id').where('zone_id', '=', old.id).execute();
  expect(oldRecords.length).toBeGreaterThan(0);
  const newcomer = await apiAccount(h.t.db);
  const claim = () =>
    request(h.app)
      .post('/api')
      .set('Authorization', `Bearer ${newcomer.apiKey}`)
      .type('form')
      .send({ add_domain: 'maildeleg.parent.test' });

  // before the release: refused, told when the name is released
  const releaseAt = new Date(old.suspended_at!.getTime() + SUSPENDED_ZONE_RELEASE_DAYS * 24 * 3600_000);
  await resetLimits(h);
  const early = await claim();
  expect(early.status).toBe(403);
  expect(early.body.add_domain).toBe(
    `maildeleg.parent.test belongs to another account whose proof of control went away; unless it is restored, you can claim it after ${releaseAt.toISOString().slice(0, 16).replace('T', ' ')} UTC`,
  );
  // one day before the release, still refused
  await h.t.db
    .updateTable('zones')
    .set({ suspended_at: new Date(Date.now() - (SUSPENDED_ZONE_RELEASE_DAYS - 1) * 24 * 3600_000) })
    .where('id', '=', old.id)
    .execute();
  await resetLimits(h);
  expect((await claim()).status).toBe(403);

  // the old owner restores the delegation: active again, suspended_at cleared, answered again
  await nsd.setZones({ 'parent.test': parentZone([DELEGATED]) });
  expect(await recheckZone(h.t.db, old.id, walk)).toMatchObject({ before: 'suspended', after: 'active' });
  expect(
    await h.t.db
      .selectFrom('zones')
      .select(['status', 'suspended_at'])
      .where('id', '=', old.id)
      .executeTakeFirst(),
  ).toEqual({ status: 'active', suspended_at: null });
  await resetLimits(h);
  expect((await claim()).body.add_domain).toMatch(/belongs to another account$/);

  // lost again, and this time not restored within the release time
  await nsd.setZones({ 'parent.test': parentZone([]) });
  expect(await recheckZone(h.t.db, old.id, walk)).toMatchObject({ before: 'active', after: 'suspended' });
  await h.t.db
    .updateTable('zones')
    .set({ suspended_at: new Date(Date.now() - (SUSPENDED_ZONE_RELEASE_DAYS + 1) * 24 * 3600_000) })
    .where('id', '=', old.id)
    .execute();
  await resetLimits(h);
  const late = await claim();
  expect(late.status).toBe(201);
  expect(late.body.ownership).toMatchObject({ status: 'pending' });
  // the old zone went with everything in it; the new claim is pending
  const now = await h.t.db
    .selectFrom('zones')
    .select(['id', 'account_id', 'status', 'suspended_at'])
    .where('name', '=', 'maildeleg.parent.test')
    .executeTakeFirstOrThrow();
  expect(now).toMatchObject({ account_id: newcomer.id, status: 'pending', suspended_at: null });
  expect(now.id).not.toBe(old.id);
  expect(await h.t.db.selectFrom('zones').select('id').where('id', '=', old.id).execute()).toEqual([]);
  expect(await h.t.db.selectFrom('records').select('id').where('zone_id', '=', old.id).execute()).toEqual([]);
  expect(
    await h.t.db
      .selectFrom('mail_domains')
      .select('id')
      .where('name', '=', 'maildeleg.parent.test')
      .execute(),
  ).toEqual([]);
  expect(
    await h.t.db
      .selectFrom('domains')
      .select('account_id')
      .where('name', '=', 'maildeleg.parent.test')
      .execute(),
  ).toEqual([{ account_id: newcomer.id }]);
  expect(await dig('maildeleg.parent.test', 'MX')).toMatchObject({
    status: 'REFUSED',
    aa: false,
    answers: [],
  });

  // the new holder delegates the name to us: our DNS answers for the new zone, without the old owner's MX
  await nsd.setZones({ 'parent.test': parentZone([DELEGATED]) });
  expect(await recheckZone(h.t.db, now.id, walk)).toMatchObject({ before: 'pending', after: 'active' });
  const soa = await until(
    () => dig('maildeleg.parent.test', 'SOA'),
    (r) => r.status === 'NOERROR',
  );
  expect(soa).toMatchObject({ status: 'NOERROR', aa: true });
  expect(await dig('maildeleg.parent.test', 'MX')).toMatchObject({
    status: 'NOERROR',
    aa: true,
    answers: [],
  });
  expect(await dig('_dmarc.maildeleg.parent.test', 'TXT')).toMatchObject({ answers: [] });
  await nsd.setZones({ 'parent.test': parentZone([]) });
});

test("squatting: another account's unproven claim blocks the real owner for a day at most; a proven one cannot be taken", async () => {
  const squatter = await apiAccount(h.t.db);
  const claim = (acc: CreatedAccount, name: string) =>
    request(h.app)
      .post('/api')
      .set('Authorization', `Bearer ${acc.apiKey}`)
      .type('form')
      .send({ add_domain: name });
  expect((await claim(squatter, 'squat.parent.test')).status).toBe(201);
  // the owner, within the day: refused, told when the claim lapses
  await resetLimits(h);
  const early = await claim(a, 'squat.parent.test');
  expect(early.status).toBe(403);
  expect(early.body.add_domain).toMatch(/has not proved control yet; unless it does, you can claim it after/);
  // a day later the unproven claim no longer blocks: the owner's claim replaces it
  await h.t.db
    .updateTable('zones')
    .set({ created_at: new Date(Date.now() - 25 * 3600_000) })
    .where('name', '=', 'squat.parent.test')
    .execute();
  await resetLimits(h);
  expect((await claim(a, 'squat.parent.test')).status).toBe(201);
  const z = await h.t.db
    .selectFrom('zones')
    .select(['id', 'account_id', 'status'])
    .where('name', '=', 'squat.parent.test')
    .executeTakeFirstOrThrow();
  expect(z).toMatchObject({ account_id: a.id, status: 'pending' });
  // the owner proves control (the parent delegates to us); an old, proven zone is never taken over
  await nsd.setZones({ 'parent.test': parentZone(['squat IN NS ns1.dyn.test.']) });
  expect(await recheckZone(h.t.db, z.id, walk)).toMatchObject({ after: 'active' });
  await h.t.db
    .updateTable('zones')
    .set({ created_at: new Date(Date.now() - 30 * 24 * 3600_000) })
    .where('id', '=', z.id)
    .execute();
  await resetLimits(h);
  const late = await claim(squatter, 'squat.parent.test');
  expect(late.status).toBe(403);
  expect(late.body.add_domain).toMatch(/belongs to another account/);
  expect(
    (await h.t.db.selectFrom('zones').select('account_id').where('id', '=', z.id).executeTakeFirst())
      ?.account_id,
  ).toBe(a.id);
});
