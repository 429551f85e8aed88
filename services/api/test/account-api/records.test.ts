import request from 'supertest';
import type { CreatedAccount } from '@ddns/registry';
import { sharedZone } from '@ddns/testkit';
import { apiAccount, resetLimits } from '../support/api-helpers';
import { createTestApp, type TestApp } from '../support/test-app';

let h: TestApp;
let a: CreatedAccount;
let b: CreatedAccount;
beforeAll(async () => {
  h = await createTestApp();
  await sharedZone(h.t.db, 'dyn.test');
  a = await apiAccount(h.t.db);
  b = await apiAccount(h.t.db);
  for (const [acc, name] of [
    [a, 'alpha.dyn.test'],
    [a, 'mine.example'],
    [b, 'bravo.dyn.test'],
  ] as const) {
    const res = await request(h.app).post('/api').set(auth(acc)).type('form').send({ add_domain: name });
    expect(res.status).toBe(201);
  }
});
afterAll(async () => {
  await h.close();
});
beforeEach(async () => {
  await resetLimits(h);
});

function auth(acc: CreatedAccount) {
  return { Authorization: `Bearer ${acc.apiKey}` };
}
const add = (acc: CreatedAccount, fields: Record<string, string>) =>
  request(h.app).post('/api').set(auth(acc)).type('form').send(fields);
const del = (acc: CreatedAccount, fields: Record<string, string>) =>
  request(h.app).delete('/api').set(auth(acc)).type('form').send(fields);
const at = (name: string) =>
  h.t.db
    .selectFrom('records')
    .select(['id', 'type', 'content', 'ttl'])
    .where('name', '=', name)
    .orderBy('id')
    .execute();
const count = async () =>
  Number(
    (
      await h.t.db
        .selectFrom('records')
        .select((eb) => eb.fn.countAll<string>().as('n'))
        .executeTakeFirstOrThrow()
    ).n,
  );

describe('add_record', () => {
  test.each([
    ['A', 'a4', '192.0.2.10', '192.0.2.10'],
    ['AAAA', 'a6', '2001:DB8:0::1', '2001:db8::1'],
    ['TXT', 'txt', 'v=spf1 -all', 'v=spf1 -all'],
    ['CNAME', 'alias', 'Target.Example.NET.', 'target.example.net'],
    ['MX', 'mx', '10 mail.example.net', '10 mail.example.net'],
    ['NS', 'sub', 'ns.example.net', 'ns.example.net'],
    ['SRV', '_sip._tcp', '10 5 5060 sip.example.net', '10 5 5060 sip.example.net'],
  ])('%s', async (type, praefix, content, stored) => {
    const res = await add(a, { add_record: 'alpha.dyn.test', praefix, type, content });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ info: 'success', status: '201 Created', add_record: 'alpha.dyn.test' });
    expect(res.body.record_id).toEqual(expect.any(Number));
    expect(await at(`${praefix}.alpha.dyn.test`)).toEqual([
      { id: res.body.record_id, type, content: stored, ttl: 60 },
    ]);
  });

  test('lowercase type, an explicit TTL and the multipart form', async () => {
    const res = await request(h.app)
      .post('/api')
      .set(auth(a))
      .field('add_record', 'alpha.dyn.test')
      .field('praefix', 'ttl')
      .field('type', 'a')
      .field('content', '192.0.2.20')
      .field('ttl', '3600');
    expect(res.status).toBe(201);
    expect(await at('ttl.alpha.dyn.test')).toEqual([expect.objectContaining({ type: 'A', ttl: 3600 })]);
  });

  test('an empty praefix or @ is the domain itself; a wildcard is allowed', async () => {
    expect(
      (await add(a, { add_record: 'mine.example', praefix: '@', type: 'MX', content: '0 mx.mine.example' }))
        .status,
    ).toBe(201);
    expect((await add(a, { add_record: 'mine.example', type: 'TXT', content: 'hello' })).status).toBe(201);
    expect(
      (await add(a, { add_record: 'mine.example', praefix: '*', type: 'A', content: '192.0.2.1' })).status,
    ).toBe(201);
    expect((await at('mine.example')).map((r) => r.type).sort()).toEqual(['A', 'MX', 'NS', 'TXT']);
    expect(await at('*.mine.example')).toHaveLength(1);
    await resetLimits(h);
    const list = await request(h.app).get('/api?get_domains').set(auth(a));
    expect(list.body.subdomains['mine.example'].wildcard).toBe(1);
    expect(list.body.subdomains['mine.example'].records).toEqual(
      expect.arrayContaining([expect.objectContaining({ type: 'A', praefix: '*', content: '192.0.2.1' })]),
    );
  });

  test('several TXT values at one name (ACME apex + wildcard)', async () => {
    for (const content of ['first-value', 'second-value']) {
      const res = await add(a, {
        add_record: 'alpha.dyn.test',
        praefix: '_acme-challenge',
        type: 'TXT',
        content,
      });
      expect(res.status).toBe(201);
    }
    expect((await at('_acme-challenge.alpha.dyn.test')).map((r) => r.content)).toEqual([
      'first-value',
      'second-value',
    ]);
  });

  test.each([
    ['A', '300.1.1.1'],
    ['A', '2001:db8::1'],
    ['AAAA', '192.0.2.1'],
    ['CNAME', 'not a host'],
    ['MX', 'mail.example.net'],
    ['MX', '70000 mail.example.net'],
    ['NS', '-bad-.example'],
    ['SRV', '10 5 sip.example.net'],
    ['SRV', '10 5 99999 sip.example.net'],
    ['TXT', 'x'.repeat(4001)],
    ['A', ''],
  ])('invalid %s content (case %#) is 400 and nothing changes', async (type, content) => {
    const before = await count();
    const res = await add(a, { add_record: 'alpha.dyn.test', praefix: 'bad', type, content });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ info: 'error', status: '400 Bad Request' });
    expect(typeof res.body.add_record).toBe('string');
    expect(await count()).toBe(before);
  });

  test.each([
    [{ type: 'PTR', content: 'x.example' }, /type/],
    [{ type: '', content: '192.0.2.1' }, /type/],
    [{ type: 'A', content: '192.0.2.1', ttl: '0' }, /ttl/],
    [{ type: 'A', content: '192.0.2.1', ttl: '604801' }, /ttl/],
    [{ type: 'A', content: '192.0.2.1', ttl: 'soon' }, /ttl/],
    [{ type: 'A', content: '192.0.2.1', praefix: 'bad label!' }, /praefix/],
    [{ type: 'A', content: '192.0.2.1', praefix: 'a..b' }, /praefix/],
  ])('bad parameters %j are 400', async (fields, msg) => {
    const before = await count();
    const res = await add(a, { add_record: 'alpha.dyn.test', praefix: 'p', ...fields });
    expect(res.status).toBe(400);
    expect(res.body.add_record).toMatch(msg);
    expect(await count()).toBe(before);
  });

  test('a missing domain name is 400', async () => {
    expect((await add(a, { add_record: '', type: 'A', content: '192.0.2.1' })).status).toBe(400);
  });

  test('the same record twice is 400', async () => {
    const res = await add(a, {
      add_record: 'alpha.dyn.test',
      praefix: 'a4',
      type: 'A',
      content: '192.0.2.10',
    });
    expect(res.status).toBe(400);
    expect(res.body.add_record).toMatch(/already/);
    expect(await at('a4.alpha.dyn.test')).toHaveLength(1);
  });

  describe('CNAME exclusivity', () => {
    test('no CNAME where other data is', async () => {
      const res = await add(a, {
        add_record: 'alpha.dyn.test',
        praefix: 'a4',
        type: 'CNAME',
        content: 'x.example.net',
      });
      expect(res.status).toBe(400);
      expect(res.body.add_record).toMatch(/CNAME/);
      expect(await at('a4.alpha.dyn.test')).toHaveLength(1);
    });
    test('no other data (not even a second CNAME) where a CNAME is', async () => {
      for (const [type, content] of [
        ['A', '192.0.2.1'],
        ['TXT', 'x'],
        ['CNAME', 'other.example.net'],
      ]) {
        const res = await add(a, {
          add_record: 'alpha.dyn.test',
          praefix: 'alias',
          type: type!,
          content: content!,
        });
        expect(res.status).toBe(400);
      }
      expect(await at('alias.alpha.dyn.test')).toEqual([expect.objectContaining({ type: 'CNAME' })]);
    });
    test('no CNAME at the apex of a hosted zone', async () => {
      await h.t.db
        .deleteFrom('records')
        .where('name', '=', 'mine.example')
        .where('type', '<>', 'NS')
        .execute();
      const res = await add(a, { add_record: 'mine.example', type: 'CNAME', content: 'x.example.net' });
      expect(res.status).toBe(400);
    });
    test('concurrent adds at one name never leave a CNAME beside other data', async () => {
      const results = await Promise.all([
        add(a, { add_record: 'alpha.dyn.test', praefix: 'race', type: 'CNAME', content: 'x.example.net' }),
        add(a, { add_record: 'alpha.dyn.test', praefix: 'race', type: 'A', content: '192.0.2.1' }),
      ]);
      expect(results.map((r) => r.status).sort()).toEqual([201, 400]);
      expect(await at('race.alpha.dyn.test')).toHaveLength(1);
    });
  });

  test("another account's domain is 403 and nothing changes", async () => {
    const before = await count();
    const res = await add(b, {
      add_record: 'alpha.dyn.test',
      praefix: 'evil',
      type: 'A',
      content: '192.0.2.66',
    });
    expect(res.status).toBe(403);
    expect(res.body).toMatchObject({ info: 'error', status: '403 Forbidden' });
    expect(await count()).toBe(before);
  });

  test('a name that is not a registered domain is 403', async () => {
    expect(
      (await add(a, { add_record: 'dyn.test', praefix: 'x', type: 'A', content: '192.0.2.1' })).status,
    ).toBe(403);
    expect((await add(a, { add_record: 'zz.dyn.test', type: 'A', content: '192.0.2.1' })).status).toBe(403);
  });
});

describe('del_record', () => {
  test('by praefix, type and content: only that value goes', async () => {
    const res = await del(a, {
      del_record: 'alpha.dyn.test',
      praefix: '_acme-challenge',
      type: 'TXT',
      content: 'first-value',
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ info: 'success', status: '200 OK', del_record: 'alpha.dyn.test' });
    expect((await at('_acme-challenge.alpha.dyn.test')).map((r) => r.content)).toEqual(['second-value']);
  });

  test('by value matches the canonical content', async () => {
    const res = await del(a, {
      del_record: 'alpha.dyn.test',
      praefix: 'a6',
      type: 'AAAA',
      content: '2001:0db8::0001',
    });
    expect(res.status).toBe(200);
    expect(await at('a6.alpha.dyn.test')).toEqual([]);
  });

  test('by value: no such record is 400', async () => {
    const res = await del(a, {
      del_record: 'alpha.dyn.test',
      praefix: 'a4',
      type: 'A',
      content: '192.0.2.99',
    });
    expect(res.status).toBe(400);
    expect(await at('a4.alpha.dyn.test')).toHaveLength(1);
  });

  test('by value: invalid type or content is 400', async () => {
    expect(
      (await del(a, { del_record: 'alpha.dyn.test', praefix: 'a4', type: 'NOPE', content: 'x' })).status,
    ).toBe(400);
    expect((await del(a, { del_record: 'alpha.dyn.test', praefix: 'a4', type: 'A' })).status).toBe(400);
  });

  test('by id', async () => {
    const [rec] = await at('mx.alpha.dyn.test');
    const res = await del(a, { del_record: String(rec!.id) });
    expect(res.status).toBe(200);
    expect(res.body.del_record).toBe('alpha.dyn.test');
    expect(await at('mx.alpha.dyn.test')).toEqual([]);
  });

  test('by id, multipart, POST', async () => {
    const [rec] = await at('sub.alpha.dyn.test');
    const res = await request(h.app).post('/api').set(auth(a)).field('del_record', String(rec!.id));
    expect(res.status).toBe(200);
    expect(await at('sub.alpha.dyn.test')).toEqual([]);
  });

  test("another account's record, by id or by value, is 403 and stays", async () => {
    const [rec] = await at('a4.alpha.dyn.test');
    expect((await del(b, { del_record: String(rec!.id) })).status).toBe(403);
    expect(
      (await del(b, { del_record: 'alpha.dyn.test', praefix: 'a4', type: 'A', content: '192.0.2.10' }))
        .status,
    ).toBe(403);
    expect(await at('a4.alpha.dyn.test')).toHaveLength(1);
  });

  test("zone-level records (a hosted zone's apex NS) cannot be deleted by id", async () => {
    const ns = await h.t.db
      .selectFrom('records')
      .select('id')
      .where('name', '=', 'mine.example')
      .where('type', '=', 'NS')
      .executeTakeFirstOrThrow();
    expect((await del(a, { del_record: String(ns.id) })).status).toBe(403);
    expect((await del(a, { del_record: '99999999' })).status).toBe(403);
    expect(await at('mine.example')).toEqual(
      expect.arrayContaining([expect.objectContaining({ type: 'NS' })]),
    );
  });
});
