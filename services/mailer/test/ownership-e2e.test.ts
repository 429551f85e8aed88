import {
  addDomain,
  checkClaim,
  insertClaimedZone,
  OpError,
  recheckZone,
  SUSPENDED_ZONE_RELEASE_DAYS,
  sweepOwnership,
} from '@ddns/registry';
import {
  account,
  createTestDatabase,
  sharedZone,
  startDnsProcess,
  startNsd,
  testRedisPrefix,
  type DnsProcess,
  type NsdServer,
  type TestDatabase,
  digFull,
  parentTestZone as parentZone,
} from '@ddns/testkit';
import type { RunningMailer } from '../src/worker';
import { walkOptions } from '../src/queues/ownership';
import { renderEmail } from '../src/templates';
import { startTestMailer } from './support/test-mailer';

/**
 * Ownership end to end, with a real parent: NSD serves `parent.test`, which delegates `good.parent.test` to our
 * name server (ns1.dyn.test) and not `txt.parent.test`. The mailer (DELEGATION_CHECK_SERVERS = that NSD) checks
 * claims through the outbox; the DNS process (same database) answers only for proven zones. A suspended zone
 * stays its owner's for SUSPENDED_ZONE_RELEASE_DAYS (the suspension mail names the date); after that another
 * account's claim replaces it and the old records leave our DNS.
 */
const DELEGATED = 'good IN NS ns1.dyn.test.';

let t: TestDatabase;
let nsd: NsdServer;
let dns: DnsProcess;
let mailer: RunningMailer;
let owner: { id: number; email: string };
let attacker: { id: number };

const dig = (name: string, type: string) => digFull(dns.port, name, type);

async function until<T>(fn: () => Promise<T>, ok: (v: T) => boolean, ms = 30_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (ok(v) || Date.now() > end) return v;
    await new Promise((r) => setTimeout(r, 200));
  }
}

const status = async (name: string) =>
  (await t.db.selectFrom('zones').select('status').where('name', '=', name).executeTakeFirst())?.status;

beforeAll(async () => {
  t = await createTestDatabase();
  await sharedZone(t.db, 'dyn.test'); // our name server: ns1.dyn.test
  owner = await account(t.db);
  attacker = await account(t.db);
  nsd = await startNsd({ 'parent.test': parentZone([DELEGATED]) });
  dns = await startDnsProcess(t.url);
  mailer = await startTestMailer({
    db: t.db,
    databaseUrl: t.url,
    smtpUrl: 'smtp://127.0.0.1:1',
    prefix: testRedisPrefix('ownership'),
    env: { DELEGATION_CHECK_SERVERS: `127.0.0.1:${nsd.port}` },
  });
}, 90_000);

afterAll(async () => {
  await mailer?.stop();
  await dns?.stop();
  await nsd?.stop();
  await t?.destroy();
});

describe('ownership with a real parent zone', () => {
  it('a domain the parent delegates to us becomes active after the check, and our DNS answers for it', async () => {
    const d = await addDomain(t.db, { name: 'good.parent.test', accountId: owner.id });
    expect(d.ownership).toMatchObject({ status: 'pending', nameServers: ['ns1.dyn.test'] });
    // the claim queued a check (outbox → mailer), which asks NSD and finds the delegation
    expect(
      await until(
        () => status('good.parent.test'),
        (s) => s === 'active',
      ),
    ).toBe('active');
    const soa = await until(
      () => dig('good.parent.test', 'SOA'),
      (r) => r.status === 'NOERROR',
    );
    expect(soa.aa).toBe(true);
    const ns = await dig('good.parent.test', 'NS');
    expect(ns.answers).toEqual(['ns1.dyn.test.']);
  }, 90_000);

  it('a domain the parent does not delegate stays pending (REFUSED) until the TXT proof appears', async () => {
    const d = await addDomain(t.db, { name: 'txt.parent.test', accountId: owner.id });
    const zoneId = (
      await t.db
        .selectFrom('zones')
        .select('id')
        .where('name', '=', 'txt.parent.test')
        .executeTakeFirstOrThrow()
    ).id;
    // the first check (queued with the claim) has run and found no proof
    await until(
      async () =>
        (await t.db.selectFrom('zones').select('checked_at').where('id', '=', zoneId).executeTakeFirst())
          ?.checked_at,
      (c) => !!c,
    );
    expect(await status('txt.parent.test')).toBe('pending');
    expect((await dig('txt.parent.test', 'SOA')).status).toBe('REFUSED');

    const challenge = d.ownership!.challenge;
    expect(challenge.name).toBe('_ddns-challenge.txt.parent.test');
    // an attacker's token in the parent proves nothing for the owner... and the owner's token does
    await nsd.setZones({
      'parent.test': parentZone([DELEGATED, `_ddns-challenge.txt IN TXT "someone-else"`]),
    });
    expect(
      (await recheckZone(t.db, zoneId, walkOptions([`127.0.0.1:${nsd.port}`])))?.after ?? 'pending',
    ).toBe('pending');
    await nsd.setZones({
      'parent.test': parentZone([DELEGATED, `_ddns-challenge.txt IN TXT "${challenge.value}"`]),
    });
    const r = await recheckZone(t.db, zoneId, walkOptions([`127.0.0.1:${nsd.port}`]));
    expect(r).toMatchObject({ before: 'pending', after: 'active' });
    expect(
      (
        await until(
          () => dig('txt.parent.test', 'SOA'),
          (x) => x.status === 'NOERROR',
        )
      ).status,
    ).toBe('NOERROR');
  }, 90_000);

  it('suffix, foreign and parent claims are refused and write nothing', async () => {
    const zonesBefore = await t.db.selectFrom('zones').select('name').orderBy('name').execute();
    const domainsBefore = await t.db.selectFrom('domains').select('name').orderBy('name').execute();
    const refused = async (name: string) => {
      const err = await addDomain(t.db, { name, accountId: attacker.id }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(OpError);
      return (err as Error).message;
    };
    expect(await refused('co.uk')).toMatch(/public suffix/);
    expect(await refused('in-addr.arpa')).toMatch(/public suffix/);
    expect(await refused('github.io')).toMatch(/public suffix.*private section/);
    expect(await refused('www.good.parent.test')).toMatch(
      /inside good\.parent\.test, a domain of another account/,
    );
    expect(await refused('good.parent.test')).toMatch(/belongs to another account/);
    expect(await refused('parent.test')).toMatch(/contains the zone/);
    expect(await t.db.selectFrom('zones').select('name').orderBy('name').execute()).toEqual(zonesBefore);
    expect(await t.db.selectFrom('domains').select('name').orderBy('name').execute()).toEqual(domainsBefore);
  }, 60_000);

  it('a zone whose delegation went away is suspended (REFUSED) and its owner is e-mailed', async () => {
    await nsd.setZones({ 'parent.test': parentZone([]) });
    const results = await sweepOwnership(t.db, {
      walk: walkOptions([`127.0.0.1:${nsd.port}`]),
      now: new Date(Date.now() + 2 * 24 * 3600_000), // both zones are due
    });
    expect(results.find((r) => r.zone === 'good.parent.test')).toMatchObject({
      before: 'active',
      after: 'suspended',
    });
    expect(results.find((r) => r.zone === 'txt.parent.test')).toMatchObject({ after: 'suspended' });
    expect(
      (
        await until(
          () => dig('good.parent.test', 'A'),
          (x) => x.status === 'REFUSED',
        )
      ).status,
    ).toBe('REFUSED');
    const mails = await t.db
      .selectFrom('outbox')
      .select(['job_name', 'payload'])
      .where('job_name', '=', 'zone-suspended')
      .execute();
    expect(mails.map((m) => (m.payload as { to: string; vars: { name: string } }).vars.name).sort()).toEqual([
      'good.parent.test',
      'txt.parent.test',
    ]);
    expect(mails.every((m) => (m.payload as { to: string }).to === owner.email)).toBe(true);
  }, 90_000);

  const DAY = 24 * 3600_000;
  const utc = (d: Date) => `${d.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
  const zoneRow = (name: string) =>
    t.db
      .selectFrom('zones')
      .select(['id', 'account_id', 'status', 'suspended_at'])
      .where('name', '=', name)
      .executeTakeFirst();

  it('the suspension mail names the release date; until then another account is refused with it, and the restored delegation makes the zone active again', async () => {
    const z = (await zoneRow('good.parent.test'))!;
    expect(z.status).toBe('suspended');
    expect(z.suspended_at).toBeInstanceOf(Date);
    const releaseAt = utc(new Date(z.suspended_at!.getTime() + SUSPENDED_ZONE_RELEASE_DAYS * DAY));
    const mail = await t.db
      .selectFrom('outbox')
      .select('payload')
      .where('job_name', '=', 'zone-suspended')
      .execute();
    const vars = mail
      .map((m) => (m.payload as { vars: Record<string, string> }).vars)
      .find((v) => v.name === 'good.parent.test')!;
    expect(vars.releaseAt).toBe(releaseAt);
    const rendered = renderEmail('zone-suspended', vars);
    expect(rendered.text).toContain(
      `If control is not restored, the name is released after ${releaseAt}: another account may then claim it`,
    );
    expect(rendered.html).toContain(releaseAt);

    const err = await addDomain(t.db, { name: 'good.parent.test', accountId: attacker.id }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(OpError);
    expect((err as Error).message).toMatch(`unless it is restored, you can claim it after ${releaseAt}`);

    // the owner's delegation comes back: the sweep (suspended zones are checked like pending ones) restores it
    await nsd.setZones({ 'parent.test': parentZone([DELEGATED]) });
    const results = await sweepOwnership(t.db, {
      walk: walkOptions([`127.0.0.1:${nsd.port}`]),
      now: new Date(Date.now() + 3 * DAY),
    });
    expect(results.find((r) => r.zone === 'good.parent.test')).toMatchObject({
      before: 'suspended',
      after: 'active',
    });
    expect(await zoneRow('good.parent.test')).toMatchObject({
      id: z.id,
      account_id: owner.id,
      status: 'active',
      suspended_at: null,
    });
    expect(
      (
        await until(
          () => dig('good.parent.test', 'SOA'),
          (x) => x.status === 'NOERROR',
        )
      ).status,
    ).toBe('NOERROR');
  }, 90_000);

  it("after the release another account's claim replaces the suspended zone: the old records leave our DNS, the new claim goes live once delegated", async () => {
    const old = (await zoneRow('good.parent.test'))!;
    await t.db
      .insertInto('records')
      .values({ zone_id: old.id, name: 'www.good.parent.test', type: 'A', content: '192.0.2.77', ttl: 60 })
      .execute();
    expect(
      (
        await until(
          () => dig('www.good.parent.test', 'A'),
          (x) => x.answers.length > 0,
        )
      ).answers,
    ).toEqual(['192.0.2.77']);

    await nsd.setZones({ 'parent.test': parentZone([]) });
    expect(await recheckZone(t.db, old.id, walkOptions([`127.0.0.1:${nsd.port}`]))).toMatchObject({
      before: 'active',
      after: 'suspended',
    });
    const suspendedAt = new Date(Date.now() - (SUSPENDED_ZONE_RELEASE_DAYS + 1) * DAY);
    await t.db.updateTable('zones').set({ suspended_at: suspendedAt }).where('id', '=', old.id).execute();

    const d = await addDomain(t.db, { name: 'good.parent.test', accountId: attacker.id });
    expect(d.ownership).toMatchObject({ status: 'pending' });
    const claimed = (await zoneRow('good.parent.test'))!;
    expect(claimed).toMatchObject({ account_id: attacker.id, status: 'pending', suspended_at: null });
    expect(claimed.id).not.toBe(old.id);
    expect(await t.db.selectFrom('records').select('id').where('zone_id', '=', old.id).execute()).toEqual([]);
    expect(
      await t.db.selectFrom('domains').select('account_id').where('name', '=', 'good.parent.test').execute(),
    ).toEqual([{ account_id: attacker.id }]);
    expect(await dig('www.good.parent.test', 'A')).toMatchObject({ status: 'REFUSED', answers: [] });
    // the old owner is told, with the date the suspension began
    const released = await t.db
      .selectFrom('outbox')
      .select('payload')
      .where('job_name', '=', 'zone-released')
      .execute();
    expect(released.map((m) => m.payload)).toEqual([
      {
        to: owner.email,
        template: 'zone-released',
        vars: { name: 'good.parent.test', suspendedAt: utc(suspendedAt) },
      },
    ]);
    const mail = renderEmail(
      'zone-released',
      (released[0]!.payload as { vars: Record<string, string> }).vars,
    );
    expect(mail.subject).toBe('good.parent.test was released and claimed by another account');
    expect(mail.text).toContain('your domain and all its records were deleted');

    // the name's new holder delegates it to us (after the claim's first check, which found no proof): the next
    // check makes the claim active, and our DNS answers for the new zone without the old owner's records
    await nsd.setZones({ 'parent.test': parentZone([DELEGATED]) });
    await recheckZone(t.db, claimed.id, walkOptions([`127.0.0.1:${nsd.port}`]));
    expect(
      await until(
        () => status('good.parent.test'),
        (s) => s === 'active',
      ),
    ).toBe('active');
    const soa = await until(
      () => dig('good.parent.test', 'SOA'),
      (x) => x.status === 'NOERROR',
    );
    expect(soa.aa).toBe(true);
    expect(await dig('www.good.parent.test', 'A')).toMatchObject({
      status: 'NXDOMAIN',
      aa: true,
      answers: [],
    });
  }, 90_000);

  it("a released zone whose owner's proof comes back between the check and the claim's write stays the owner's", async () => {
    const z = (await zoneRow('txt.parent.test'))!;
    expect(z).toMatchObject({ account_id: owner.id, status: 'suspended' });
    await t.db
      .updateTable('zones')
      .set({ suspended_at: new Date(Date.now() - (SUSPENDED_ZONE_RELEASE_DAYS + 1) * DAY) })
      .where('id', '=', z.id)
      .execute();
    const target = await checkClaim(t.db, 'txt.parent.test', attacker.id);
    expect(target).toEqual({ kind: 'hosted', replaces: { id: z.id, status: 'suspended' } });
    // the re-check finds the owner's proof again before the claim writes
    await t.db
      .updateTable('zones')
      .set({ status: 'active', suspended_at: null })
      .where('id', '=', z.id)
      .execute();
    const err = await t.db
      .transaction()
      .execute((trx) =>
        insertClaimedZone(trx, {
          name: 'txt.parent.test',
          accountId: attacker.id,
          replaces: target.kind === 'hosted' ? target.replaces : null,
        }),
      )
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpError);
    expect((err as Error).message).toBe('txt.parent.test belongs to another account');
    expect(await zoneRow('txt.parent.test')).toMatchObject({
      id: z.id,
      account_id: owner.id,
      status: 'active',
    });
  }, 30_000);
});
