import request from 'supertest';
import { addDomain, addZone, ensureZoneKeys, type CreatedAccount } from '@ddns/registry';
import { sharedZone } from '@ddns/testkit';
import { apiAccount, resetLimits } from '../support/api-helpers';
import { createTestApp, type TestApp } from '../support/test-app';

let h: TestApp;
let a: CreatedAccount;
let b: CreatedAccount;
beforeAll(async () => {
  h = await createTestApp();
  await sharedZone(h.t.db, 'dyn.test');
  await addZone(h.t.db, { name: 'gw.example.net', kind: 'shared' });
  a = await apiAccount(h.t.db);
  b = await apiAccount(h.t.db);
});
afterAll(async () => {
  await h.close();
});
beforeEach(async () => {
  await resetLimits(h);
});

const auth = (acc: CreatedAccount) => ({ Authorization: `Bearer ${acc.apiKey}` });
const addDomainCall = (acc: CreatedAccount, name: string) =>
  request(h.app).post('/api').set(auth(acc)).type('form').send({ add_domain: name });
const domainNamed = (name: string) =>
  h.t.db.selectFrom('domains').selectAll().where('name', '=', name).executeTakeFirst();

describe('add_domain', () => {
  test('under a shared zone: the domain, its token (once) and an A record for the caller', async () => {
    const res = await addDomainCall(a, 'Alpha.dyn.test.');
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ info: 'success', status: '201 Created', add_domain: 'alpha.dyn.test' });
    const d = await domainNamed('alpha.dyn.test');
    expect(d?.account_id).toBe(a.id);
    // the token works as this domain's key: it is stored hashed, never in plain text
    expect(res.body.domain_update_hash).toMatch(/^[0-9a-f-]{36}$/);
    expect(d?.token_hash).not.toContain(res.body.domain_update_hash);
    const recs = await h.t.db.selectFrom('records').selectAll().where('domain_id', '=', d!.id).execute();
    expect(recs).toEqual([
      expect.objectContaining({ name: 'alpha.dyn.test', type: 'A', content: '127.0.0.1', ttl: 60 }),
    ]);
  });

  test("a user's own domain becomes a hosted zone with SOA and NS, pending until control is proven", async () => {
    const res = await addDomainCall(a, 'example.org');
    expect(res.status).toBe(201);
    expect(res.body.ownership).toEqual({
      status: 'pending',
      challenge: {
        name: '_ddns-challenge.example.org',
        type: 'TXT',
        value: expect.stringMatching(/^ddns-[0-9a-f]{40}$/),
      },
      nameservers: expect.arrayContaining(['ns1.dyn.test']),
    });
    const zone = await h.t.db
      .selectFrom('zones')
      .selectAll()
      .where('name', '=', 'example.org')
      .executeTakeFirst();
    expect(zone).toMatchObject({
      kind: 'hosted',
      account_id: a.id,
      primary_ns: 'ns1.dyn.test',
      hostmaster: 'hostmaster.example.org',
    });
    const recs = await h.t.db
      .selectFrom('records')
      .select(['name', 'type', 'content'])
      .where('zone_id', '=', zone!.id)
      .orderBy('type')
      .execute();
    expect(recs).toEqual(
      expect.arrayContaining([
        { name: 'example.org', type: 'NS', content: 'ns1.dyn.test' },
        { name: 'example.org', type: 'A', content: '127.0.0.1' },
      ]),
    );
  });

  test('the same name twice, or a name another account holds, is 403 and changes nothing', async () => {
    expect((await addDomainCall(a, 'alpha.dyn.test')).status).toBe(403);
    const res = await addDomainCall(b, 'alpha.dyn.test');
    expect(res.status).toBe(403);
    expect(res.body).toMatchObject({ info: 'error', status: '403 Forbidden' });
    expect((await domainNamed('alpha.dyn.test'))?.account_id).toBe(a.id);
  });

  test('public suffixes are 403 in the IPv64 envelope and write nothing', async () => {
    for (const name of ['co.uk', 'in-addr.arpa', 'github.io', 'blogspot.com']) {
      const res = await addDomainCall(b, name);
      expect(res.status).toBe(403);
      expect(res.body).toMatchObject({ info: 'error', status: '403 Forbidden' });
      expect(res.body.add_domain).toMatch(/public suffix/);
      expect(await h.t.db.selectFrom('zones').select('id').where('name', '=', name).execute()).toEqual([]);
    }
  });

  test('get_domains shows a hosted domain as pending (deactivated) with its challenge', async () => {
    await resetLimits(h);
    const res = await request(h.app).get('/api?get_domains').set('Authorization', `Bearer ${a.apiKey}`);
    expect(res.status).toBe(200);
    expect(res.body.subdomains['example.org']).toMatchObject({
      deactivated: 1,
      ownership: { status: 'pending', challenge: { name: '_ddns-challenge.example.org' }, last_check: '' },
    });
    expect(res.body.subdomains['alpha.dyn.test']).toMatchObject({ deactivated: 0 });
    expect(res.body.subdomains['alpha.dyn.test'].ownership).toBeUndefined();
  });

  test('get_domains shows a hosted domain its DNSKEY and the registrar-ready DS to publish', async () => {
    await resetLimits(h);
    const empty = await request(h.app).get('/api?get_domains').set('Authorization', `Bearer ${a.apiKey}`);
    // no key yet (the mailer's DNSSEC sweep makes it): nothing to publish
    expect(empty.body.subdomains['example.org'].dnssec).toEqual({ enabled: 1, ds: [], keys: [] });
    await ensureZoneKeys(h.t.db, { secretsKey: 'test-secrets-key-0123456789-abcdefghijklm' });
    await resetLimits(h);
    const res = await request(h.app).get('/api?get_domains').set('Authorization', `Bearer ${a.apiKey}`);
    const dnssec = res.body.subdomains['example.org'].dnssec as {
      enabled: number;
      ds: string[];
      keys: { key_tag: number; state: string; ds: string; dnskey: string; digest: string }[];
    };
    expect(dnssec.enabled).toBe(1);
    expect(dnssec.keys).toEqual([
      expect.objectContaining({ algorithm: 13, flags: 257, state: 'active', digest_type: 2 }),
    ]);
    const k = dnssec.keys[0]!;
    expect(k.ds).toBe(`example.org. IN DS ${k.key_tag} 13 2 ${k.digest}`);
    expect(k.dnskey).toMatch(/^example\.org\. \d+ IN DNSKEY 257 3 13 \S+$/);
    expect(dnssec.ds).toEqual([k.ds]);
    // a domain under a shared zone has no keys of its own
    expect(res.body.subdomains['alpha.dyn.test'].dnssec).toBeUndefined();
  });

  test("a name inside another account's hosted zone is 403", async () => {
    const res = await addDomainCall(b, 'www.example.org');
    expect(res.status).toBe(403);
    expect(await domainNamed('www.example.org')).toBeUndefined();
  });

  test('reserved labels, zone apexes and parents of our zones are 403', async () => {
    for (const name of ['ns1.dyn.test', 'www.dyn.test', 'api.dyn.test', 'dyn.test', 'example.net']) {
      const res = await addDomainCall(b, name);
      expect({ name, status: res.status }).toEqual({ name, status: 403 });
      await resetLimits(h);
    }
    expect(
      await h.t.db.selectFrom('zones').select('name').where('name', '=', 'example.net').execute(),
    ).toEqual([]);
  });

  test('malformed names, several labels under a shared zone and a missing name are 400', async () => {
    for (const name of [
      '',
      'bad_name.dyn.test',
      'a..dyn.test',
      '-x.dyn.test',
      'single',
      'a.b.dyn.test',
      `${'x'.repeat(64)}.dyn.test`,
    ]) {
      const res = await addDomainCall(b, name);
      expect({ name, status: res.status }).toEqual({ name, status: 400 });
      expect(res.body.info).toBe('error');
      await resetLimits(h);
    }
    expect(await h.t.db.selectFrom('domains').select('id').where('account_id', '=', b.id).execute()).toEqual(
      [],
    );
  });

  test('two accounts racing for one name: one gets it, the other a 403', async () => {
    const [c, d] = [await apiAccount(h.t.db), await apiAccount(h.t.db)];
    for (const name of ['race.dyn.test', 'race.example']) {
      const results = await Promise.all([addDomainCall(c, name), addDomainCall(d, name)]);
      expect(results.map((r) => r.status).sort()).toEqual([201, 403]);
      const owner = results[0]!.status === 201 ? c.id : d.id;
      expect((await domainNamed(name))?.account_id).toBe(owner);
      await resetLimits(h);
    }
  });

  test('the number of domains per account is bounded by its class', async () => {
    const c = await apiAccount(h.t.db, 'default');
    for (let i = 0; i < 20; i++) {
      const ok = await addDomainCall(c, `limit${i}.gw.example.net`);
      expect(ok.status).toBe(201);
      await resetLimits(h);
    }
    const res = await addDomainCall(c, 'limit20.gw.example.net');
    expect(res.status).toBe(403);
    expect(res.body.add_domain).toMatch(/at most 20/);
  }, 120_000);

  test('the number of own (hosted) domains per account is bounded by its class: the 6th is 403, nothing written', async () => {
    const c = await apiAccount(h.t.db, 'default');
    for (let i = 0; i < 5; i++) {
      const ok = await addDomainCall(c, `own-cap${i}.example`);
      expect(ok.status).toBe(201);
      expect(ok.body.ownership.status).toBe('pending');
      await resetLimits(h);
    }
    const res = await addDomainCall(c, 'own-cap5.example');
    expect(res.status).toBe(403);
    expect(res.body.add_domain).toBe('your account may hold at most 5 own (hosted) domains');
    expect(
      await h.t.db.selectFrom('zones').select('id').where('name', '=', 'own-cap5.example').execute(),
    ).toEqual([]);
    // names under a shared zone still count only against the domain cap
    await resetLimits(h);
    expect((await addDomainCall(c, 'still-room.gw.example.net')).status).toBe(201);
  }, 120_000);
});

describe('IPv6 callers', () => {
  let h6: TestApp;
  beforeAll(async () => {
    h6 = await createTestApp({ TRUST_PROXY: 'true' });
    await sharedZone(h6.t.db, 'dyn.test');
  });
  afterAll(async () => {
    await h6.close();
  });
  test('add_domain creates an AAAA record for an IPv6 caller', async () => {
    const c = await apiAccount(h6.t.db);
    const res = await request(h6.app)
      .post('/api')
      .set('Authorization', `Bearer ${c.apiKey}`)
      .set('X-Forwarded-For', '2001:DB8:0:0::5')
      .type('form')
      .send({ add_domain: 'six.dyn.test' });
    expect(res.status).toBe(201);
    const recs = await h6.t.db
      .selectFrom('records')
      .select(['type', 'content'])
      .where('name', '=', 'six.dyn.test')
      .execute();
    expect(recs).toEqual([{ type: 'AAAA', content: '2001:db8::5' }]);
  });
});

describe('get_domains', () => {
  test("lists the caller's domains with their records, never another account's", async () => {
    await addDomain(h.t.db, { name: 'bravo.dyn.test', accountEmail: b.email });
    const res = await request(h.app).get('/api.php?get_domains').set(auth(a));
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      info: 'success',
      status: '200 OK',
      get_domains: 'get_domains',
      add_domain: 'get_domains',
    });
    expect(Object.keys(res.body.subdomains).sort()).toEqual(['alpha.dyn.test', 'example.org']);
    expect(res.body.subdomains['alpha.dyn.test']).toEqual({
      updates: 0,
      wildcard: 0,
      domain_update_hash: '',
      ipv6prefix: '',
      dualstack: '',
      deactivated: 0,
      records: [
        {
          record_id: expect.any(Number),
          content: '127.0.0.1',
          ttl: 60,
          type: 'A',
          praefix: '',
          last_update: expect.stringMatching(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/),
          record_key: '',
          deactivated: 0,
          failover_policy: '0',
        },
      ],
    });
    const other = await request(h.app).get('/api?get_domains').set(auth(b));
    expect(Object.keys(other.body.subdomains)).toEqual(['bravo.dyn.test']);
  });

  test('an account without domains gets an empty object', async () => {
    const c = await apiAccount(h.t.db);
    const res = await request(h.app).get('/api?get_domains').set(auth(c));
    expect(res.status).toBe(200);
    expect(res.body.subdomains).toEqual({});
  });
});

describe('del_domain', () => {
  test("another account's domain is 403 and stays", async () => {
    const res = await request(h.app)
      .delete('/api')
      .set(auth(b))
      .type('form')
      .send({ del_domain: 'alpha.dyn.test' });
    expect(res.status).toBe(403);
    expect(res.body).toMatchObject({ info: 'error', status: '403 Forbidden' });
    expect(await domainNamed('alpha.dyn.test')).toBeDefined();
    expect(
      await h.t.db.selectFrom('records').select('id').where('name', '=', 'alpha.dyn.test').execute(),
    ).toHaveLength(1);
  });

  test('an unknown domain is 403, a missing name 400', async () => {
    expect(
      (await request(h.app).delete('/api').set(auth(a)).type('form').send({ del_domain: 'nope.dyn.test' }))
        .status,
    ).toBe(403);
    await resetLimits(h);
    expect(
      (await request(h.app).delete('/api').set(auth(a)).type('form').send({ del_domain: '' })).status,
    ).toBe(400);
  });

  test('deletes the domain with all its records', async () => {
    const res = await request(h.app)
      .delete('/api')
      .set(auth(a))
      .type('form')
      .send({ del_domain: 'alpha.dyn.test' });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ info: 'success', status: '200 OK', del_domain: 'alpha.dyn.test' });
    expect(await domainNamed('alpha.dyn.test')).toBeUndefined();
    expect(
      await h.t.db.selectFrom('records').select('id').where('name', '=', 'alpha.dyn.test').execute(),
    ).toEqual([]);
  });

  test('deleting a hosted domain removes its zone', async () => {
    const res = await request(h.app)
      .delete('/api')
      .set(auth(a))
      .type('form')
      .send({ del_domain: 'example.org' });
    expect(res.status).toBe(200);
    expect(await h.t.db.selectFrom('zones').select('id').where('name', '=', 'example.org').execute()).toEqual(
      [],
    );
    expect(
      await h.t.db.selectFrom('records').select('id').where('name', 'like', '%example.org').execute(),
    ).toEqual([]);
  });

  test('a deleted name can be registered again', async () => {
    expect((await addDomainCall(b, 'alpha.dyn.test')).status).toBe(201);
  });
});
