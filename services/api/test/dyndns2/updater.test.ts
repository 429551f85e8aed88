import { Redis } from 'ioredis';
import request from 'supertest';
import { createDb } from '@ddns/db';
import { sweepHealthChecks } from '@ddns/jobs';
import { hashToken } from '@ddns/secrets';
import { sharedZone } from '@ddns/testkit';
import { createApp } from '../../src/app';
import { looksLikeSuccess } from '../../src/surfaces/dyndns2/format';
import { createTestApp, type TestApp } from '../support/test-app';
import { logsOf, names, owner, recordsAt } from './support';

let h: TestApp;
beforeAll(async () => {
  h = await createTestApp();
  await sharedZone(h.t.db, 'dyn.test');
  await sharedZone(h.t.db, 'other.test');
});
afterAll(async () => {
  await h.close();
});

const api = () => request(h.app);

describe('updates and reply codes', () => {
  test('good, then nochg; the record, the change feed and the update log', async () => {
    const o = await owner(h.t.db);
    const [a] = names(o);
    const feedBefore = await h.t.db.selectFrom('dns_changes').select('seq').where('name', '=', a!).execute();
    const r1 = await api()
      .get('/nic/update')
      .query({ system: 'dyndns', hostname: a, myip: '192.0.2.10' })
      .auth('none', o.acct.updateToken)
      .set('User-Agent', 'test-agent/1.0');
    expect(r1.status).toBe(200);
    expect(r1.headers['content-type']).toMatch(/^text\/plain/);
    expect(r1.text).toBe('good 192.0.2.10\n');
    expect(await recordsAt(h.t.db, a!)).toEqual(['A 192.0.2.10']);
    const feedAfter = await h.t.db.selectFrom('dns_changes').select('seq').where('name', '=', a!).execute();
    expect(feedAfter.length).toBeGreaterThan(feedBefore.length);

    const r2 = await api()
      .get('/nic/update')
      .query({ hostname: a, myip: '192.0.2.10' })
      .auth('none', o.acct.updateToken);
    expect(r2.text).toBe('nochg 192.0.2.10\n');
    const logs = await logsOf(h.t.db, o.acct.id);
    expect(logs.map((l) => l.result)).toEqual(['good', 'nochg']);
    expect(logs[0]).toMatchObject({ hosts: a, user_agent: 'test-agent/1.0' });
    expect(logs[0]!.source_ip).toMatch(/127\.0\.0\.1|::1/);
    expect(logs[0]!.domain_id).not.toBeNull();
  });

  test('a conditional request still gets the whole answer (no ETag, never a 304); length and charset set', async () => {
    const o = await owner(h.t.db, 'dyn.test', 1);
    const [a] = names(o);
    const first = await api()
      .get('/nic/update')
      .query({ hostname: a, myip: '192.0.2.20' })
      .auth('none', o.acct.updateToken);
    expect(first.headers.etag).toBeUndefined();
    expect(first.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(first.headers['content-length']).toBe(String(Buffer.byteLength('good 192.0.2.20\n')));
    const again = await api()
      .get('/nic/update')
      .query({ hostname: a, myip: '192.0.2.20' })
      .auth('none', o.acct.updateToken)
      .set('If-None-Match', '*');
    expect(again.status).toBe(200);
    expect(again.text).toBe('nochg 192.0.2.20\n');
  });

  test('a hostile user agent is stored verbatim (the writes inline their values as literals)', async () => {
    const o = await owner(h.t.db, 'dyn.test', 1);
    const [a] = names(o);
    const ua = `x'); DROP TABLE records; -- \\' \\\\ "ü" $1 $$ E'\\x41'`;
    const r = await api()
      .get('/nic/update')
      .query({ hostname: a, myip: '192.0.2.1' })
      .auth('none', o.acct.updateToken)
      .set('User-Agent', ua);
    expect(r.text).toBe('good 192.0.2.1\n');
    const logs = await logsOf(h.t.db, o.acct.id);
    expect(logs[0]!.user_agent).toBe(ua);
    expect(await recordsAt(h.t.db, a!)).toEqual(['A 192.0.2.1']);
  });

  test('a changed address updates the same record (its id is kept)', async () => {
    const o = await owner(h.t.db);
    const [a] = names(o);
    await api().get('/nic/update').query({ hostname: a, myip: '192.0.2.1' }).auth('none', o.acct.updateToken);
    const before = await h.t.db
      .selectFrom('records')
      .select('id')
      .where('name', '=', a!)
      .executeTakeFirstOrThrow();
    const r = await api()
      .get('/nic/update')
      .query({ hostname: a, myip: '192.0.2.2' })
      .auth('none', o.acct.updateToken);
    expect(r.text).toBe('good 192.0.2.2\n');
    const after = await h.t.db
      .selectFrom('records')
      .select(['id', 'content'])
      .where('name', '=', a!)
      .execute();
    expect(after).toEqual([{ id: before.id, content: '192.0.2.2' }]);
  });

  test('several A records at the name: one is kept with the address, the rest removed', async () => {
    const o = await owner(h.t.db, 'dyn.test', 1);
    const [a] = names(o);
    const dom = await h.t.db
      .selectFrom('domains')
      .selectAll()
      .where('name', '=', a!)
      .executeTakeFirstOrThrow();
    await h.t.db
      .insertInto('records')
      .values(
        ['192.0.2.1', '192.0.2.2', '192.0.2.3'].map((content) => ({
          zone_id: dom.zone_id,
          domain_id: dom.id,
          name: a!,
          type: 'A' as const,
          content,
        })),
      )
      .execute();
    const r = await api()
      .get('/nic/update')
      .query({ hostname: a, myip: '192.0.2.2' })
      .auth('none', o.acct.updateToken);
    expect(r.text).toBe('good 192.0.2.2\n');
    expect(await recordsAt(h.t.db, a!)).toEqual(['A 192.0.2.2']);
    const r2 = await api()
      .get('/nic/update')
      .query({ hostname: a, myip: '192.0.2.2' })
      .auth('none', o.acct.updateToken);
    expect(r2.text).toBe('nochg 192.0.2.2\n');
  });

  test('concurrent updates of one host leave exactly one record', async () => {
    const o = await owner(h.t.db, 'dyn.test', 1);
    const [a] = names(o);
    const rs = await Promise.all(
      ['192.0.2.101', '192.0.2.102', '192.0.2.103'].map((myip) =>
        api().get('/nic/update').query({ hostname: a, myip }).auth('none', o.acct.updateToken),
      ),
    );
    for (const r of rs) expect(r.text).toMatch(/^good 192\.0\.2\.10[123]\n$/);
    const recs = await recordsAt(h.t.db, a!);
    expect(recs).toHaveLength(1);
    expect(recs[0]).toMatch(/^A 192\.0\.2\.10[123]$/);
  });

  test('concurrent updates of one host, from none: each applied in lock order, the last one stays, all fed to DNS', async () => {
    const o = await owner(h.t.db, 'dyn.test', 1);
    const [a] = names(o);
    const feed = () => h.t.db.selectFrom('dns_changes').select('seq').where('name', '=', a!).execute();
    const before = (await feed()).length;
    // three: the per-key call limit (3 per 10 s) would refuse a fourth
    const ips = ['192.0.2.111', '192.0.2.112', '192.0.2.113'];
    const rs = await Promise.all(
      ips.map((myip) =>
        api().get('/nic/update').query({ hostname: a, myip }).auth('none', o.acct.updateToken),
      ),
    );
    for (const r of rs) expect(r.text).toMatch(/^good 192\.0\.2\.11[1-3]\n$/);
    // log rows are written in lock order: the last one's address is the one that stays
    const logs = await logsOf(h.t.db, o.acct.id);
    expect(logs.map((l) => l.result)).toEqual(['good', 'good', 'good']);
    const last = /ipv4=(\S+)/.exec(logs[logs.length - 1]!.detail ?? '')![1];
    expect(await recordsAt(h.t.db, a!)).toEqual([`A ${last}`]);
    // one insert, then one change per later update (each a different address): every one reached the feed
    expect((await feed()).length - before).toBe(ips.length);
  });

  test('the same host twice in one request: good, then nochg', async () => {
    const o = await owner(h.t.db, 'dyn.test', 1);
    const [a] = names(o);
    const r = await api()
      .get('/nic/update')
      .query({ hostname: `${a},${a!.toUpperCase()}.`, myip: '192.0.2.111' })
      .auth('none', o.acct.updateToken);
    expect(r.text).toBe('good 192.0.2.111\nnochg 192.0.2.111\n');
    expect(await recordsAt(h.t.db, a!)).toEqual(['A 192.0.2.111']);
  });

  test('two hosts: two lines in request order; a foreign host is nohost', async () => {
    const o = await owner(h.t.db);
    const other = await owner(h.t.db, 'dyn.test', 1);
    const [a, b] = names(o);
    const [foreign] = names(other);
    const r = await api()
      .get('/nic/update')
      .query({ hostname: `${b},${foreign},${a}`, myip: '198.51.100.4' })
      .auth('x', o.acct.updateToken);
    expect(r.text).toBe('good 198.51.100.4\nnohost\ngood 198.51.100.4\n');
    expect(await recordsAt(h.t.db, foreign!)).toEqual([]);
    expect((await logsOf(h.t.db, o.acct.id)).map((l) => l.result)).toEqual(['good,nohost,good']);
  });

  test('v4 never touches v6 and v6 never touches v4', async () => {
    const o = await owner(h.t.db);
    const [a] = names(o);
    const t = o.acct.updateToken;
    await api().get('/nic/update').query({ hostname: a, myip: '192.0.2.7,2001:db8::7' }).auth('none', t);
    expect(await recordsAt(h.t.db, a!)).toEqual(['A 192.0.2.7', 'AAAA 2001:db8::7']);
    expect(
      (await api().get('/nic/update').query({ hostname: a, ipv6: '2001:DB8:0::8' }).auth('none', t)).text,
    ).toBe('good 2001:db8::8\n');
    expect(await recordsAt(h.t.db, a!)).toEqual(['A 192.0.2.7', 'AAAA 2001:db8::8']);
    expect(
      (await api().get('/nic/update').query({ hostname: a, ip: '192.0.2.9' }).auth('none', t)).text,
    ).toBe('good 192.0.2.9\n');
    expect(await recordsAt(h.t.db, a!)).toEqual(['A 192.0.2.9', 'AAAA 2001:db8::8']);
  });

  test('IPv6 percent-encoded (%3a) as inadyn sends it', async () => {
    const o = await owner(h.t.db);
    const [a] = names(o);
    const r = await api()
      .get(`/nic/update?hostname=${a}&myip=2001%3adb8%3a%3a42`)
      .auth('', o.acct.updateToken);
    expect(r.text).toBe('good 2001:db8::42\n');
    expect(await recordsAt(h.t.db, a!)).toEqual(['AAAA 2001:db8::42']);
  });

  test('missing or empty address: the source address', async () => {
    const o = await owner(h.t.db);
    const [a, b] = names(o);
    const r = await api()
      .get('/nic/update')
      .query({ hostname: a, myip: '' })
      .auth('none', o.acct.updateToken);
    expect(r.text).toMatch(/^good (127\.0\.0\.1|::1)\n$/);
    const r2 = await api().get('/nic/update').query({ hostname: b }).auth('none', o.acct.updateToken);
    expect(r2.text).toMatch(/^good (127\.0\.0\.1|::1)\n$/);
  });

  test('a domain token updates its own domain only; no host named means that domain', async () => {
    const o = await owner(h.t.db);
    const [a, b] = names(o);
    const tok = o.domains[a!]!;
    expect(
      (
        await api()
          .get('/nic/update')
          .query({ hostname: `${a},${b}`, myip: '192.0.2.30' })
          .auth('none', tok)
      ).text,
    ).toBe('good 192.0.2.30\nnohost\n');
    expect((await api().get('/nic/update').query({ myip: '192.0.2.31' }).auth('none', tok)).text).toBe(
      'good 192.0.2.31\n',
    );
    expect(await recordsAt(h.t.db, a!)).toEqual(['A 192.0.2.31']);
    expect(await recordsAt(h.t.db, b!)).toEqual([]);
    const logs = await logsOf(h.t.db, o.acct.id);
    expect(logs.map((l) => [l.hosts, l.result])).toEqual([
      [`${a},${b}`, 'good,nohost'],
      [a, 'good'],
    ]);
  });

  test('an account token with no host: its only domain, else notfqdn', async () => {
    const one = await owner(h.t.db, 'dyn.test', 1);
    expect(
      (await api().get('/nic/update').query({ myip: '192.0.2.5' }).auth('none', one.acct.updateToken)).text,
    ).toBe('good 192.0.2.5\n');
    const two = await owner(h.t.db);
    const r = await api().get('/nic/update').query({ myip: '192.0.2.5' }).auth('none', two.acct.updateToken);
    expect(r.status).toBe(200);
    expect(r.text).toBe('notfqdn\n');
  });

  test('notfqdn, nohost, numhost, dnserr', async () => {
    const o = await owner(h.t.db);
    const [a, b] = names(o);
    const t = o.acct.updateToken;
    const q = (hostname: string) =>
      api().get('/nic/update').query({ hostname, myip: '192.0.2.1' }).auth('none', t);
    expect((await q('localhost')).text).toBe('notfqdn\n');
    expect((await q('bad_name.dyn.test,-x.dyn.test')).text).toBe('notfqdn\nnotfqdn\n');
    const h2 = await owner(h.t.db, 'dyn.test', 1);
    const t2 = h2.acct.updateToken;
    expect(
      (
        await api()
          .get('/nic/update')
          .query({ hostname: 'nope.dyn.test', myip: '192.0.2.1' })
          .auth('none', t2)
      ).text,
    ).toBe('nohost\n');
    const many = Array.from({ length: 21 }, (_, i) => `n${i}.dyn.test`).join(',');
    const num = await api().get('/nic/update').query({ hostname: many, myip: '192.0.2.1' }).auth('none', t2);
    expect(num.status).toBe(200);
    expect(num.text).toBe('numhost\n');
    // a CNAME at the name: the updater does not break CNAME exclusivity
    const zone = await h.t.db
      .selectFrom('zones')
      .select('id')
      .where('name', '=', 'dyn.test')
      .executeTakeFirstOrThrow();
    await h.t.db
      .insertInto('records')
      .values({ zone_id: zone.id, name: `www.${b}`, type: 'CNAME', content: b! })
      .execute();
    const r = await api()
      .get('/nic/update')
      .query({ hostname: b, praefix: 'www', myip: '192.0.2.1' })
      .auth('none', t);
    expect(r.text).toBe('dnserr\n');
    expect(await recordsAt(h.t.db, `www.${b}`)).toEqual([`CNAME ${b}`]);
    expect(await recordsAt(h.t.db, a!)).toEqual([]);
    expect((await logsOf(h.t.db, o.acct.id)).map((l) => l.result)).toEqual([
      'notfqdn',
      'notfqdn,notfqdn',
      'dnserr',
    ]);
  });

  test('praefix: the update targets <praefix>.<host>, created if absent', async () => {
    const o = await owner(h.t.db);
    const [a] = names(o);
    const r = await api()
      .post('/nic/update')
      .type('form')
      .send({ domain: a, praefix: 'www', ip: '192.0.2.77', key: o.acct.updateToken });
    expect(r.body).toMatchObject({ status: 'success', info: 'good', ip: ['192.0.2.77'] });
    expect(await recordsAt(h.t.db, `www.${a}`)).toEqual(['A 192.0.2.77']);
    expect(await recordsAt(h.t.db, a!)).toEqual([]);
    const bad = await api()
      .get('/nic/update')
      .query({ domain: a, praefix: 'a b' })
      .auth('none', o.acct.updateToken);
    expect(bad.status).toBe(400);
    expect(bad.body).toEqual({ status: '400 Bad Request', info: 'notfqdn' });
  });

  test('ipv6prefix: stores the LAN prefix and rewrites AAAA records with a host part', async () => {
    const o = await owner(h.t.db);
    const [a] = names(o);
    const t = o.acct.updateToken;
    const dom = await h.t.db
      .selectFrom('domains')
      .selectAll()
      .where('name', '=', a!)
      .executeTakeFirstOrThrow();
    await h.t.db
      .insertInto('records')
      .values([
        {
          zone_id: dom.zone_id,
          domain_id: dom.id,
          name: `nas.${a}`,
          type: 'AAAA',
          content: '2001:db8:0:1::10',
          ipv6_host_part: '::10',
        },
        {
          zone_id: dom.zone_id,
          domain_id: dom.id,
          name: `tv.${a}`,
          type: 'AAAA',
          content: '2001:db8:0:1:1:2:3:4',
          ipv6_host_part: '::1:2:3:4',
        },
      ])
      .execute();
    const r = await api()
      .get('/nic/update')
      .query({
        hostname: a,
        myip: '192.0.2.50',
        myipv6: '2001:db8:5:6::1',
        ip6lanprefix: '2001:db8:5:6::/64',
      })
      .auth('none', t);
    expect(r.text).toBe('good 192.0.2.50,2001:db8:5:6::1\n');
    expect(await recordsAt(h.t.db, `nas.${a}`)).toEqual(['AAAA 2001:db8:5:6::10']);
    expect(await recordsAt(h.t.db, `tv.${a}`)).toEqual(['AAAA 2001:db8:5:6:1:2:3:4']);
    expect(await recordsAt(h.t.db, a!)).toEqual(['A 192.0.2.50', 'AAAA 2001:db8:5:6::1']);
    const stored = await h.t.db
      .selectFrom('domains')
      .select('ipv6_prefix')
      .where('id', '=', dom.id)
      .executeTakeFirst();
    expect(stored?.ipv6_prefix).toBe('2001:db8:5:6::/64');

    // onlyprefix + auto from the given IPv6: only prefix-based records change
    const r2 = await api()
      .get('/nic/update')
      .query({ hostname: a, myipv6: '2001:db8:7:8::99', ipv6prefix: 'auto', onlyprefix: '1' })
      .auth('none', t);
    expect(r2.text).toBe('good 2001:db8:7:8::/64\n');
    expect(await recordsAt(h.t.db, `nas.${a}`)).toEqual(['AAAA 2001:db8:7:8::10']);
    expect(await recordsAt(h.t.db, a!)).toEqual(['A 192.0.2.50', 'AAAA 2001:db8:5:6::1']);
    const r3 = await api()
      .get('/nic/update')
      .query({ hostname: a, ipv6prefix: '2001:db8:7:8::/64', onlyprefix: '' })
      .auth('none', t);
    expect(r3.text).toBe('nochg 2001:db8:7:8::/64\n');
  });

  test('healthcheck: the named check of the account is pinged in the same request', async () => {
    const o = await owner(h.t.db);
    const [a] = names(o);
    const hc = await h.t.db
      .insertInto('health_checks')
      .values({
        account_id: o.acct.id,
        name: 'router',
        ping_token_hash: hashToken('hc-secret-1'),
        period_seconds: 300,
        grace_seconds: 60,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    const r = await api()
      .get('/nic/update')
      .query({ hostname: a, myip: '192.0.2.60', healthcheck: 'hc-secret-1' })
      .auth('none', o.acct.updateToken);
    expect(r.text).toBe('good 192.0.2.60\n');
    const row = await h.t.db
      .selectFrom('health_checks')
      .selectAll()
      .where('id', '=', hc.id)
      .executeTakeFirstOrThrow();
    expect(row.state).toBe('up');
    expect(row.last_ping_at).not.toBeNull();
    expect(row.state_changed_at).not.toBeNull();
    // another account's check is not touched by this account's request
    const other = await owner(h.t.db, 'dyn.test', 1);
    await h.t.db
      .insertInto('health_checks')
      .values({
        account_id: other.acct.id,
        name: 'x',
        ping_token_hash: hashToken('hc-other'),
        period_seconds: 300,
        grace_seconds: 60,
      })
      .execute();
    await api()
      .get('/nic/update')
      .query({ hostname: a, myip: '192.0.2.61', healthcheck: 'hc-other' })
      .auth('none', o.acct.updateToken);
    const otherRow = await h.t.db
      .selectFrom('health_checks')
      .selectAll()
      .where('name', '=', 'x')
      .executeTakeFirstOrThrow();
    expect(otherRow.state).toBe('new');
  });

  test('healthcheck: a down check stays down for the sweep, which then sends the one recovery e-mail', async () => {
    const o = await owner(h.t.db);
    const [a] = names(o);
    const hc = await h.t.db
      .insertInto('health_checks')
      .values({
        account_id: o.acct.id,
        name: 'nas',
        ping_token_hash: hashToken('hc-down-1'),
        period_seconds: 60,
        grace_seconds: 60,
        state: 'down',
        last_ping_at: new Date(Date.now() - 3600_000),
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    await api()
      .get('/nic/update')
      .query({ hostname: a, myip: '192.0.2.62', healthcheck: 'hc-down-1' })
      .auth('none', o.acct.updateToken);
    const pinged = await h.t.db
      .selectFrom('health_checks')
      .selectAll()
      .where('id', '=', hc.id)
      .executeTakeFirstOrThrow();
    expect(pinged.state).toBe('down');
    expect(pinged.last_ping_at!.getTime()).toBeGreaterThan(Date.now() - 60_000);
    expect(await sweepHealthChecks(h.t.db)).toEqual([{ checkId: hc.id, from: 'down', to: 'up' }]);
    const mails = await h.t.db.selectFrom('outbox').select('payload').where('queue', '=', 'email').execute();
    expect(
      mails.filter((m) => (m.payload as { template: string }).template === 'healthcheck-up'),
    ).toHaveLength(1);
  });
});

describe('authentication variants', () => {
  test.each(['key', 'token', 'user', 'username'])('query parameter %s (IPv64 JSON)', async (param) => {
    const o = await owner(h.t.db, 'dyn.test', 1);
    const r = await api()
      .get('/nic/update')
      .query({ [param]: o.acct.updateToken, hostname: names(o)[0], myip: '192.0.2.1' });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ status: 'success', info: 'good', ip: ['192.0.2.1'] });
  });

  test('urlencoded and multipart POST bodies', async () => {
    const o = await owner(h.t.db);
    const [a, b] = names(o);
    const r1 = await api()
      .post('/update')
      .type('form')
      .send({ key: o.acct.updateToken, domain: a, ip: '192.0.2.2', output: 'min' });
    expect(r1.text).toBe('good\n');
    const r2 = await api()
      .post('/update.php')
      .field('token', o.acct.updateToken)
      .field('host', b!)
      .field('ipv4', '192.0.2.3')
      .field('output', 'min');
    expect(r2.text).toBe('good\n');
    expect(await recordsAt(h.t.db, b!)).toEqual(['A 192.0.2.3']);
  });

  test('Bearer (IPv64 JSON); Basic with either half, empty user (text)', async () => {
    const o1 = await owner(h.t.db, 'dyn.test', 1);
    const bearer = await api()
      .get('/nic/update')
      .query({ hostname: names(o1)[0], myip: '192.0.2.4' })
      .set({ Authorization: `Bearer ${o1.acct.updateToken}` });
    expect(bearer.body).toMatchObject({ status: 'success', info: 'good', ip: ['192.0.2.4'] });
    for (const auth of [
      (t: string) => ({ Authorization: `Basic ${Buffer.from(`anything:${t}`).toString('base64')}` }),
      (t: string) => ({ Authorization: `Basic ${Buffer.from(`${t}:whatever`).toString('base64')}` }),
      (t: string) => ({ Authorization: `Basic ${Buffer.from(`:${t}`).toString('base64')}` }),
    ]) {
      const o = await owner(h.t.db, 'dyn.test', 1);
      const r = await api()
        .get('/nic/update')
        .query({ hostname: names(o)[0], myip: '192.0.2.4' })
        .set(auth(o.acct.updateToken));
      expect(r.text).toBe('good 192.0.2.4\n');
    }
  });

  test('account e-mail + password (seed 000 one-liner, and Basic)', async () => {
    const o = await owner(h.t.db);
    const [a, b] = names(o);
    const r = await api()
      .get('/nic/update/')
      .query({ username: o.acct.email, password: 'password123', ip: '74.152.77.75', hostname: a });
    expect(r.status).toBe(200);
    expect(r.text).toBe('good 74.152.77.75\n');
    const r2 = await api()
      .get('/nic/update')
      .query({ hostname: b, myip: '192.0.2.8' })
      .auth(o.acct.email, 'password123');
    expect(r2.text).toBe('good 192.0.2.8\n');
  });

  test('badauth: 401, once, no success words; counted per hour and network, not logged row by row', async () => {
    const o = await owner(h.t.db, 'dyn.test', 1);
    const [a] = names(o);
    const before = (await logsOf(h.t.db, null)).length;
    const counted = async () =>
      Number(
        (
          await h.t.db
            .selectFrom('anonymous_failures')
            .select((eb) => eb.fn.sum<string>('count').as('n'))
            .where('surface', '=', 'dyndns2')
            .where('result', '=', 'badauth')
            .where('source_network', '=', '127.0.0.0/24')
            .executeTakeFirstOrThrow()
        ).n ?? 0,
      );
    const countedBefore = await counted();
    for (const req of [
      api()
        .get('/nic/update')
        .query({ hostname: `${a},${a}`, myip: '192.0.2.1' })
        .auth('none', 'wrong-token'),
      api().get('/nic/update').query({ hostname: a, myip: '192.0.2.1' }),
      api().get('/nic/update').query({ hostname: a, username: o.acct.email, password: 'wrong-password' }),
    ]) {
      const r = await req;
      expect(r.status).toBe(401);
      expect(r.text).toBe('badauth\n');
      expect(r.headers['www-authenticate']).toMatch(/^Basic/);
    }
    const j = await api().get('/update').query({ hostname: a, key: 'wrong' });
    expect(j.status).toBe(401);
    expect(j.body).toEqual({ status: '401 Unauthorized', info: 'badauth' });
    expect(looksLikeSuccess(j.text)).toBe(false);
    expect(await recordsAt(h.t.db, a!)).toEqual([]);
    expect((await logsOf(h.t.db, null)).length).toBe(before);
    expect((await counted()) - countedBefore).toBe(4);
  });

  test("another account's domain token and a domain token for the wrong domain are nohost", async () => {
    const o = await owner(h.t.db, 'dyn.test', 1);
    const other = await owner(h.t.db, 'dyn.test', 1);
    const r = await api()
      .get('/nic/update')
      .query({ hostname: names(o)[0], myip: '192.0.2.1', key: Object.values(other.domains)[0] });
    expect(r.status).toBe(400);
    expect(r.body).toEqual({ status: '400 Bad Request', info: 'nohost' });
    const basic = await api()
      .get('/nic/update')
      .query({ hostname: names(o)[0], myip: '192.0.2.1' })
      .auth('none', Object.values(other.domains)[0]!);
    expect(basic.text).toBe('nohost\n');
  });
});

describe('output modes', () => {
  test('/update answers IPv64 JSON by default', async () => {
    const o = await owner(h.t.db);
    const [a, b] = names(o);
    const r = await api()
      .get('/update')
      .query({ key: o.acct.updateToken, domain: `${a},${b}`, ip: '10.20.30.40', ip6: '2a01::a441:cf:0:1' });
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toMatch(/^application\/json/);
    expect(r.body).toEqual({
      status: 'success',
      info: 'good',
      ip: ['10.20.30.40', '2a01::a441:cf:0:1'],
      hosts: [
        { host: a, status: 'good', ip: ['10.20.30.40', '2a01::a441:cf:0:1'] },
        { host: b, status: 'good', ip: ['10.20.30.40', '2a01::a441:cf:0:1'] },
      ],
    });
    const again = await api()
      .get('/update.php')
      .query({ key: o.acct.updateToken, domain: a, ip: '10.20.30.40', ip6: '2a01::a441:cf:0:1' });
    expect(again.body.info).toBe('nochg');
  });

  test('output= overrides on every path; JSON failures carry an HTTP status', async () => {
    const o = await owner(h.t.db);
    const [a, b] = names(o);
    const full = await api()
      .get('/nic/update')
      .query({ key: o.acct.updateToken, hostname: a, myip: '192.0.2.1', output: 'full' });
    expect(full.body.status).toBe('success');
    const none = await api()
      .get('/update')
      .query({ key: o.acct.updateToken, hostname: b, myip: '192.0.2.1', output: 'none' });
    expect(none.status).toBe(200);
    expect(none.text).toBe('');
    const fail = await api()
      .get('/update')
      .query({ key: o.acct.updateToken, hostname: 'nope.dyn.test', myip: '192.0.2.1' });
    expect(fail.status).toBe(400);
    expect(fail.body).toEqual({ status: '400 Bad Request', info: 'nohost' });
  });

  test('howismyip and /tools/whatismyip/', async () => {
    const t = await api().get('/nic/update?howismyip');
    expect(t.text).toMatch(/^(127\.0\.0\.1|::1)\n$/);
    const j = await api().get('/update?howismyip');
    expect(j.body.ip).toMatch(/^(127\.0\.0\.1|::1)$/);
    const w = await api().get('/tools/whatismyip/');
    expect(w.status).toBe(200);
    expect(w.body).toEqual({ ip: expect.stringMatching(/^(127\.0\.0\.1|::1)$/) });
    expect((await api().get('/tools/whatismyip')).body.ip).toBeDefined();
  });

  test('TRUST_PROXY on: the forwarded address is the source address', async () => {
    const app = createApp({ ...h.deps, config: { ...h.deps.config, TRUST_PROXY: 'true' } });
    const o = await owner(h.t.db, 'dyn.test', 1);
    const [a] = names(o);
    const r = await request(app)
      .get('/nic/update')
      .query({ hostname: a })
      .auth('none', o.acct.updateToken)
      .set('X-Forwarded-For', '203.0.113.99');
    expect(r.text).toBe('good 203.0.113.99\n');
    expect((await logsOf(h.t.db, o.acct.id))[0]!.source_ip).toBe('203.0.113.99');
    const w = await request(app).get('/tools/whatismyip/').set('X-Forwarded-For', '2001:db8::99');
    expect(w.body).toEqual({ ip: '2001:db8::99' });
  });

  test('TRUST_PROXY off: X-Forwarded-For is ignored', async () => {
    const r = await api().get('/tools/whatismyip/').set('X-Forwarded-For', '203.0.113.99');
    expect(r.body.ip).not.toBe('203.0.113.99');
  });
});

describe('bad input changes nothing', () => {
  test('invalid addresses: 400 badip', async () => {
    for (const myip of ['1.2.3', '999.1.1.1', 'host.example', '2001:db8::zz', '1.2.3.4/8']) {
      const o = await owner(h.t.db, 'dyn.test', 1);
      const [a] = names(o);
      const r = await api().get('/nic/update').query({ hostname: a, myip }).auth('none', o.acct.updateToken);
      expect(r.status).toBe(400);
      expect(r.text).toBe('badip\n');
      expect(await recordsAt(h.t.db, a!)).toEqual([]);
      expect((await logsOf(h.t.db, o.acct.id)).map((l) => l.result)).toEqual(['badip']);
    }
  });

  test('control characters in a host name: notfqdn, logged without them', async () => {
    const o = await owner(h.t.db, 'dyn.test', 1);
    const r = await api()
      .get(`/nic/update?hostname=a%00b.dyn.test,x%0a.dyn.test&myip=192.0.2.1`)
      .auth('none', o.acct.updateToken);
    expect(r.status).toBe(200);
    expect(r.text).toBe('notfqdn\nnotfqdn\n');
    const logs = await logsOf(h.t.db, o.acct.id);
    expect(logs.map((l) => [l.hosts, l.result])).toEqual([['ab.dyn.test,x.dyn.test', 'notfqdn,notfqdn']]);
  });

  test('overlong host lists: numhost', async () => {
    const o = await owner(h.t.db, 'dyn.test', 1);
    const long = Array.from({ length: 200 }, () => names(o)[0]).join(',');
    const r = await api()
      .get('/nic/update')
      .query({ hostname: long, myip: '192.0.2.1' })
      .auth('none', o.acct.updateToken);
    expect(r.text).toBe('numhost\n');
    expect(await recordsAt(h.t.db, names(o)[0]!)).toEqual([]);
  });

  test('huge query strings and bodies', async () => {
    const o = await owner(h.t.db, 'dyn.test', 1);
    const pad = 'x'.repeat(9000);
    const r = await api().get(`/nic/update?hostname=${names(o)[0]}&key=${o.acct.updateToken}&pad=${pad}`);
    expect(r.status).toBe(414);
    expect(looksLikeSuccess(r.text)).toBe(false);
    const huge = await api().get(`/nic/update?pad=${'y'.repeat(20000)}`);
    expect(huge.status).toBeGreaterThanOrEqual(400);
    const body = await api()
      .post('/update')
      .type('form')
      .send(`key=${o.acct.updateToken}&domain=${names(o)[0]}&pad=${'z'.repeat(20000)}`);
    expect(body.status).toBe(413);
    expect(body.body).toEqual({ status: '413 Payload Too Large', info: 'badrequest' });
    expect(await recordsAt(h.t.db, names(o)[0]!)).toEqual([]);
  });

  test('wrong methods: 405 with Allow', async () => {
    const o = await owner(h.t.db, 'dyn.test', 1);
    for (const m of ['put', 'delete', 'patch'] as const) {
      const agent = api();
      const r = await agent[m]('/nic/update').query({
        hostname: names(o)[0],
        myip: '192.0.2.1',
        key: o.acct.updateToken,
      });
      expect(r.status).toBe(405);
      expect(r.headers.allow).toBe('GET, POST');
      expect(looksLikeSuccess(r.text)).toBe(false);
    }
    expect(
      (
        await api()
          .head('/nic/update')
          .query({ hostname: names(o)[0], key: o.acct.updateToken })
      ).status,
    ).toBe(405);
    expect(await recordsAt(h.t.db, names(o)[0]!)).toEqual([]);
  });

  test('a file in a multipart body is refused', async () => {
    const o = await owner(h.t.db, 'dyn.test', 1);
    const r = await api()
      .post('/update')
      .field('key', o.acct.updateToken)
      .field('domain', names(o)[0]!)
      .attach('file', Buffer.from('hello'), 'x.txt');
    expect(r.status).toBe(400);
    expect(looksLikeSuccess(r.text)).toBe(false);
    expect(await recordsAt(h.t.db, names(o)[0]!)).toEqual([]);
  });

  test('Postgres down: 911 (text) / 503 (JSON)', async () => {
    // a database that does not exist stands in for Postgres being unavailable
    const u = new URL(process.env.TEST_DATABASE_URL!);
    u.pathname = '/ddns_no_such_database';
    const deadDb = createDb(u.toString(), { max: 1 });
    try {
      const app = createApp({ ...h.deps, db: deadDb });
      const r = await request(app)
        .get('/nic/update')
        .query({ hostname: 'a.dyn.test,b.dyn.test' })
        .auth('none', 'whatever');
      expect(r.status).toBe(200);
      expect(r.text).toBe('911\n911\n');
      const j = await request(app).get('/update').query({ hostname: 'a.dyn.test', key: 'whatever' });
      expect(j.status).toBe(503);
      expect(j.body).toEqual({ status: '503 Service Unavailable', info: '911' });
    } finally {
      await deadDb.destroy();
    }
  });

  test('Redis down: 911, nothing changes', async () => {
    const o = await owner(h.t.db, 'dyn.test', 2);
    const real = h.deps.redis;
    // a client whose connection is closed stands in for Redis being down (every command fails at once; a
    // client pointed at a dead port would leave connect timers behind)
    const dead = new Redis(process.env.TEST_REDIS_URL!, {
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
    });
    dead.on('error', () => undefined);
    await new Promise<void>((resolve) => dead.once('ready', () => resolve()));
    await dead.quit();
    h.deps.redis = dead;
    try {
      const r = await api()
        .get('/nic/update')
        .query({ hostname: names(o).join(','), myip: '192.0.2.1' })
        .auth('none', o.acct.updateToken);
      expect(r.status).toBe(200);
      expect(r.text).toBe('911\n911\n');
      const j = await api()
        .get('/update')
        .query({ hostname: names(o)[0], myip: '192.0.2.1', key: o.acct.updateToken });
      expect(j.status).toBe(503);
      expect(looksLikeSuccess(j.text)).toBe(false);
    } finally {
      h.deps.redis = real; // `dead` is closed already (disconnect() would start a 2 s timer)
    }
    expect(await recordsAt(h.t.db, names(o)[0]!)).toEqual([]);
  });
});
