import { ensureZoneKeys, type CreatedAccount } from '@ddns/registry';
import { sharedZone } from '@ddns/testkit';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { apiAccount, resetLimits } from '../support/api-helpers';
import { createTestApp, type TestApp } from '../support/test-app';
import { as, login, type Browser } from './v1-helpers';

let h: TestApp;
let a: CreatedAccount;
let b: Browser;
let other: Browser;
beforeAll(async () => {
  h = await createTestApp();
  await sharedZone(h.t.db, 'dyn.test');
  a = await apiAccount(h.t.db);
  b = await login(h, a.email);
  other = await login(h, (await apiAccount(h.t.db)).email);
});
afterAll(async () => {
  await h.close();
});
beforeEach(async () => {
  await resetLimits(h);
});

const key = async (body: object) => {
  const res = await request(h.app).post('/v1/api-keys').set(as(b)).send(body);
  expect(res.status).toBe(201);
  return { Authorization: `Bearer ${res.body.secret}` };
};

describe('domains', () => {
  test('add, list with its address, token shown once, rotate, remove', async () => {
    const add = await request(h.app)
      .post('/v1/domains')
      .set(as(b))
      .send({ name: 'home.dyn.test', address: '192.0.2.10' });
    expect(add.status).toBe(201);
    expect(add.body.token).toEqual(expect.any(String));
    expect(add.body.domain).toMatchObject({
      name: 'home.dyn.test',
      ipv4: '192.0.2.10',
      kind: 'shared',
      health: 'ok',
    });
    const list = await request(h.app).get('/v1/domains').set('Cookie', b.cookie);
    expect(list.body.domains.map((d: { name: string }) => d.name)).toContain('home.dyn.test');
    expect(JSON.stringify(list.body)).not.toContain(add.body.token);
    const rot = await request(h.app).post('/v1/domains/home.dyn.test/token').set(as(b));
    expect(rot.status).toBe(200);
    expect(rot.body.token).not.toBe(add.body.token);
    const upd = await request(h.app)
      .get(`/nic/update?hostname=home.dyn.test&myip=192.0.2.11`)
      .auth('x', add.body.token);
    expect(upd.text).toMatch(/badauth/);
    const upd2 = await request(h.app)
      .get(`/nic/update?hostname=home.dyn.test&myip=192.0.2.11`)
      .auth('x', rot.body.token);
    expect(upd2.text).toMatch(/good 192.0.2.11/);
    const one = await request(h.app).get('/v1/domains/home.dyn.test').set('Cookie', b.cookie);
    expect(one.body).toMatchObject({ ipv4: '192.0.2.11', lastUpdateResult: expect.any(String) });
    expect((await request(h.app).delete('/v1/domains/home.dyn.test').set(as(b))).status).toBe(204);
    expect((await request(h.app).get('/v1/domains/home.dyn.test').set('Cookie', b.cookie)).status).toBe(404);
  });

  test('a name of another account reads as not found, and cannot be taken', async () => {
    await request(h.app).post('/v1/domains').set(as(b)).send({ name: 'mine.dyn.test' }).expect(201);
    const theirs = await request(h.app).get('/v1/domains/mine.dyn.test').set('Cookie', other.cookie);
    expect(theirs.status).toBe(404);
    expect((await request(h.app).delete('/v1/domains/mine.dyn.test').set(as(other))).status).toBe(404);
    const take = await request(h.app).post('/v1/domains').set(as(other)).send({ name: 'mine.dyn.test' });
    expect(take.status).toBe(409);
    expect(take.body.error.fields.name).toBeDefined();
  });
});

describe('records', () => {
  beforeAll(async () => {
    await request(h.app).post('/v1/domains').set(as(b)).send({ name: 'rec.dyn.test' }).expect(201);
  });

  test('every type as fields, listed with content and data', async () => {
    const add = (body: object) =>
      request(h.app).post('/v1/domains/rec.dyn.test/records').set(as(b)).send(body);
    expect((await add({ type: 'A', address: '192.0.2.1' })).status).toBe(201);
    expect((await add({ type: 'AAAA', subname: 'v6', address: '2001:DB8::1' })).body.content).toBe(
      '2001:db8::1',
    );
    expect((await add({ type: 'TXT', subname: '_acme-challenge', text: 'abc' })).status).toBe(201);
    expect((await add({ type: 'CNAME', subname: 'www', target: 'rec.dyn.test' })).status).toBe(201);
    const mx = await add({ type: 'MX', priority: 10, target: 'Mail.Example.net.' });
    expect(mx.body).toMatchObject({
      content: '10 mail.example.net',
      data: { priority: 10, target: 'mail.example.net' },
    });
    expect(
      (
        await add({
          type: 'SRV',
          subname: '_sip._tcp',
          priority: 1,
          weight: 2,
          port: 5060,
          target: 'sip.example.net',
        })
      ).status,
    ).toBe(201);
    expect((await add({ type: 'CAA', tag: 'issue', value: 'letsencrypt.org' })).body.content).toBe(
      '0 issue "letsencrypt.org"',
    );
    const list = await request(h.app).get('/v1/domains/rec.dyn.test/records').set('Cookie', b.cookie);
    expect(list.body.records.map((r: { type: string }) => r.type).sort()).toEqual([
      'A',
      'AAAA',
      'CAA',
      'CNAME',
      'MX',
      'SRV',
      'TXT',
    ]);
  });

  test('errors come per field', async () => {
    const add = (body: object) =>
      request(h.app).post('/v1/domains/rec.dyn.test/records').set(as(b)).send(body);
    const mx = await add({ type: 'MX', priority: 70000, target: '' });
    expect(mx.status).toBe(400);
    expect(Object.keys(mx.body.error.fields).sort()).toEqual(['priority', 'target']);
    const a4 = await add({ type: 'A', address: '2001:db8::1' });
    expect(a4.body.error.fields).toEqual({ address: expect.any(String) });
    const sub = await add({ type: 'TXT', subname: 'bad name!', text: 'x' });
    expect(sub.body.error.fields.subname).toBeDefined();
    const cname = await add({ type: 'CNAME', subname: 'www', target: 'other.example.net' });
    expect(cname.status).toBe(409);
    const type = await add({ type: 'NS', target: 'x' });
    expect(type.body.error.fields.type).toBeDefined();
  });

  test('replace and delete; another account cannot touch them', async () => {
    const add = await request(h.app)
      .post('/v1/domains/rec.dyn.test/records')
      .set(as(b))
      .send({ type: 'TXT', subname: 'x', text: 'one' });
    const id = add.body.id;
    const put = await request(h.app)
      .put(`/v1/domains/rec.dyn.test/records/${id}`)
      .set(as(b))
      .send({ type: 'TXT', subname: 'x', text: 'two', ttl: 300 });
    expect(put.body).toMatchObject({ content: 'two', ttl: 300 });
    expect(
      (
        await request(h.app)
          .put(`/v1/domains/rec.dyn.test/records/${id}`)
          .set(as(other))
          .send({ type: 'TXT', subname: 'x', text: 'z' })
      ).status,
    ).toBe(404);
    expect(
      (await request(h.app).delete(`/v1/domains/rec.dyn.test/records/${id}`).set(as(other))).status,
    ).toBe(404);
    expect((await request(h.app).delete(`/v1/domains/rec.dyn.test/records/${id}`).set(as(b))).status).toBe(
      204,
    );
  });
});

describe('API keys and scopes', () => {
  beforeAll(async () => {
    await request(h.app).post('/v1/domains').set(as(b)).send({ name: 'k1.dyn.test' }).expect(201);
    await request(h.app).post('/v1/domains').set(as(b)).send({ name: 'k2.dyn.test' }).expect(201);
  });

  test('a read-only key reads and cannot write', async () => {
    const ro = await key({ name: 'ro' });
    expect((await request(h.app).get('/v1/domains').set(ro)).status).toBe(200);
    const w = await request(h.app)
      .post('/v1/domains/k1.dyn.test/records')
      .set(ro)
      .send({ type: 'TXT', text: 'x' });
    expect(w.status).toBe(403);
    expect(w.body.error.message).toMatch(/read-only/);
  });

  test('a key for one domain sees and writes only it (no CSRF needed for keys)', async () => {
    const k = await key({ name: 'one', domains: ['k1.dyn.test'], write: true });
    const list = await request(h.app).get('/v1/domains').set(k);
    expect(list.body.domains.map((d: { name: string }) => d.name)).toEqual(['k1.dyn.test']);
    expect(
      (await request(h.app).post('/v1/domains/k1.dyn.test/records').set(k).send({ type: 'TXT', text: 'x' }))
        .status,
    ).toBe(201);
    expect(
      (await request(h.app).post('/v1/domains/k2.dyn.test/records').set(k).send({ type: 'TXT', text: 'x' }))
        .status,
    ).toBe(403);
    expect((await request(h.app).post('/v1/domains').set(k).send({ name: 'k3.dyn.test' })).status).toBe(403);
  });

  test("a key cannot be scoped to someone else's domain; expired keys stop working; revoked keys too", async () => {
    const res = await request(h.app)
      .post('/v1/api-keys')
      .set(as(other))
      .send({ name: 'x', domains: ['k1.dyn.test'] });
    expect(res.status).toBe(400);
    expect(res.body.error.fields.domains).toBeDefined();
    const past = await request(h.app)
      .post('/v1/api-keys')
      .set(as(b))
      .send({ name: 'old', expiresAt: '2001-01-01T00:00:00Z' });
    expect(past.body.error.fields.expiresAt).toBeDefined();
    const soon = await request(h.app)
      .post('/v1/api-keys')
      .set(as(b))
      .send({ name: 'soon', expiresAt: new Date(Date.now() + 60_000).toISOString() });
    await h.t.db
      .updateTable('api_keys')
      .set({ expires_at: new Date(Date.now() - 1000) })
      .where('id', '=', soon.body.key.id)
      .execute();
    expect(
      (await request(h.app).get('/v1/domains').set('Authorization', `Bearer ${soon.body.secret}`)).status,
    ).toBe(401);
    const k = await key({ name: 'gone' });
    const keys = await request(h.app).get('/v1/api-keys').set('Cookie', b.cookie);
    const id = keys.body.keys.find((x: { name: string }) => x.name === 'gone').id;
    expect(JSON.stringify(keys.body)).not.toContain(k.Authorization.slice(7));
    expect((await request(h.app).delete(`/v1/api-keys/${id}`).set(as(other))).status).toBe(404);
    expect((await request(h.app).delete(`/v1/api-keys/${id}`).set(as(b))).status).toBe(204);
    expect((await request(h.app).get('/v1/domains').set(k)).status).toBe(401);
  });
});

describe('activity', () => {
  test('update log, health checks, gateways, mail domains, DNSSEC', async () => {
    const add = await request(h.app).post('/v1/domains').set(as(b)).send({ name: 'log.dyn.test' });
    await request(h.app).get('/nic/update?hostname=log.dyn.test&myip=192.0.2.44').auth('x', add.body.token);
    const logs = await request(h.app).get('/v1/logs?domain=log.dyn.test&limit=5').set('Cookie', b.cookie);
    expect(logs.status).toBe(200);
    expect(logs.body.entries[0]).toMatchObject({
      domain: 'log.dyn.test',
      result: expect.stringMatching(/good/),
    });
    expect(
      (await request(h.app).get('/v1/logs?limit=5000').set('Cookie', b.cookie)).body.error.fields[
        'query.limit'
      ],
    ).toBeDefined();
    const hc = await request(h.app).post('/v1/health-checks').set(as(b)).send({ name: 'backup' });
    expect(hc.status).toBe(201);
    expect(hc.body.pingUrl).toContain(hc.body.token);
    expect((await request(h.app).get('/v1/health-checks').set('Cookie', b.cookie)).body.checks).toHaveLength(
      1,
    );
    expect((await request(h.app).delete(`/v1/health-checks/${hc.body.check.id}`).set(as(other))).status).toBe(
      404,
    );
    expect((await request(h.app).delete(`/v1/health-checks/${hc.body.check.id}`).set(as(b))).status).toBe(
      204,
    );
    expect((await request(h.app).get('/v1/gateways').set('Cookie', b.cookie)).body).toEqual({ gateways: [] });
    expect((await request(h.app).post('/v1/gateways/claim').set(as(b)).send({ token: 'nope' })).status).toBe(
      404,
    );
    expect((await request(h.app).get('/v1/mail-domains').set('Cookie', b.cookie)).body).toEqual({
      mailDomains: [],
    });
    await ensureZoneKeys(h.t.db, { secretsKey: h.deps.config.SECRETS_KEY });
    const ds = await request(h.app).get('/v1/domains/log.dyn.test/dnssec').set('Cookie', b.cookie);
    expect(ds.status).toBe(200);
    expect(ds.body).toMatchObject({ zone: 'dyn.test', signed: true });
    expect(ds.body.ds[0]).toMatchObject({
      algorithm: 13,
      digestType: 2,
      record: expect.stringMatching(/^dyn\.test\. IN DS \d+ 13 2 [0-9A-F]{64}$/),
    });
    expect(ds.body.dnskey[0].record).toMatch(/IN DNSKEY 257 3 13 /);
    expect(
      (await request(h.app).get('/v1/domains/log.dyn.test/dnssec').set('Cookie', other.cookie)).status,
    ).toBe(404);
  });
});

describe('live events', () => {
  test('an address change arrives on /v1/events', async () => {
    const add = await request(h.app).post('/v1/domains').set(as(b)).send({ name: 'live.dyn.test' });
    const server = http.createServer(h.app).listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    const port = (server.address() as AddressInfo).port;
    try {
      const got = await new Promise<string>((resolve, reject) => {
        let buf = '';
        const req = http.get(
          { port, host: '127.0.0.1', path: '/v1/events', headers: { Cookie: b.cookie } },
          (res) => {
            expect(res.headers['content-type']).toMatch(/text\/event-stream/);
            res.setEncoding('utf8');
            res.on('data', (chunk: string) => {
              buf += chunk;
              if (buf.includes('event: ready') && !buf.includes('sent')) {
                buf += '\n: sent\n';
                void request(h.app)
                  .get('/nic/update?hostname=live.dyn.test&myip=192.0.2.77')
                  .auth('x', add.body.token)
                  .then(() => undefined);
              }
              if (buf.includes('event: address')) {
                req.destroy();
                resolve(buf);
              }
            });
          },
        );
        req.on('error', reject);
      });
      const data = /event: address\ndata: (.*)\n/.exec(got)![1]!;
      expect(JSON.parse(data)).toMatchObject({ domain: 'live.dyn.test', ipv4: '192.0.2.77' });
    } finally {
      await new Promise((r) => server.close(r));
    }
  });

  test('streams per account are bounded', async () => {
    const server = http.createServer(h.app).listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    const port = (server.address() as AddressInfo).port;
    const open: http.ClientRequest[] = [];
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 6; i++)
        statuses.push(
          await new Promise<number>((resolve) => {
            const req = http.get(
              { port, host: '127.0.0.1', path: '/v1/events', headers: { Cookie: other.cookie } },
              (res) => {
                resolve(res.statusCode ?? 0);
                if (res.statusCode !== 200) res.resume();
              },
            );
            open.push(req);
          }),
        );
      expect(statuses).toEqual([200, 200, 200, 200, 200, 429]);
    } finally {
      for (const r of open) r.destroy();
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });
});
