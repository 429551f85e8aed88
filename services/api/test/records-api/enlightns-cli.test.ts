import { execFile } from 'node:child_process';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import request from 'supertest';
import type { CreatedAccount } from '@ddns/registry';
import { addDomain } from '@ddns/registry';
import { domainRecord, sharedZone } from '@ddns/testkit';
import { apiAccount, resetLimits } from '../support/api-helpers';
import { createTestApp, type TestApp } from '../support/test-app';

// enlightns-cli's requests (enscli/rest/services.py), made with Debian's python3-requests exactly as the client
// makes them, and judged by its own rules: `setup --records NAME` calls GET /user/record/<NAME>/ and needs
// a list whose first element has a `name`; `update` PUTs the address to /user/record/<id>/ as a form field.

let h: TestApp;
let server: Server;
let base: string;
let a: CreatedAccount;
let b: CreatedAccount;
const ids = { a4: 0, txt: 0, b4: 0 };

beforeAll(async () => {
  h = await createTestApp();
  await sharedZone(h.t.db, 'dyn.test');
  a = await apiAccount(h.t.db);
  b = await apiAccount(h.t.db);
  await addDomain(h.t.db, { name: 'home.dyn.test', accountEmail: a.email });
  await addDomain(h.t.db, { name: 'other.dyn.test', accountEmail: b.email });
  // a TXT first (lower id): the address record must still come first for the client's result[0]
  ids.txt = await domainRecord(h.t.db, 'home.dyn.test', {
    name: 'home.dyn.test',
    type: 'TXT',
    content: 'v=spf1 -all',
  });
  ids.a4 = await domainRecord(h.t.db, 'home.dyn.test', {
    name: 'home.dyn.test',
    type: 'A',
    content: '192.0.2.1',
  });
  ids.b4 = await domainRecord(h.t.db, 'other.dyn.test', {
    name: 'other.dyn.test',
    type: 'A',
    content: '192.0.2.2',
  });
  server = h.app.listen(0, '127.0.0.1');
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await h.close();
});
beforeEach(async () => {
  await resetLimits(h);
});

interface Outcome {
  authenticated: boolean;
  check_status: number;
  is_owner: boolean;
  config?: string;
  updated?: string | null;
  listed: string[];
}

function enlightns(email: string, hostname: string, ip: string): Promise<Outcome> {
  const script = join(__dirname, 'support', 'enlightns_replay.py');
  return new Promise((resolve, reject) => {
    execFile(
      'python3',
      [script, base, email, 'password123', hostname, ip],
      { timeout: 30_000 },
      (err, stdout, stderr) =>
        err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(JSON.parse(stdout)),
    );
  });
}

const contentOf = async (id: number) =>
  (await h.t.db.selectFrom('records').select('content').where('id', '=', id).executeTakeFirstOrThrow())
    .content;

test('setup --records NAME finds the record by name, then update sets its address', async () => {
  const r = await enlightns(a.email, 'home.dyn.test', '203.0.113.9');
  expect(r).toEqual({
    authenticated: true,
    check_status: 200,
    is_owner: true,
    config: `{${ids.a4}}home.dyn.test,`,
    updated: 'home.dyn.test\t203.0.113.9',
    listed: ['home.dyn.test'],
  });
  expect(await contentOf(ids.a4)).toBe('203.0.113.9');
  expect(await contentOf(ids.txt)).toBe('v=spf1 -all');
});

test("another account's name is not the caller's: an empty list, nothing written", async () => {
  const r = await enlightns(a.email, 'other.dyn.test', '203.0.113.10');
  expect(r).toMatchObject({ authenticated: true, check_status: 200, is_owner: false });
  expect(r.updated).toBeUndefined();
  expect(await contentOf(ids.b4)).toBe('192.0.2.2');
});

test('by name: every record at the name, addresses first; ?type= filters; ids still work', async () => {
  const login = await request(h.app)
    .post('/api-token-auth/')
    .send({ email: a.email, password: 'password123' });
  const token = login.body.token as string;
  const byName = await request(h.app).get('/user/record/HOME.dyn.test./').set('Authorization', token);
  expect(byName.status).toBe(200);
  expect(byName.body.map((x: { id: number }) => x.id)).toEqual([ids.a4, ids.txt]);
  // `cron` and `setup -l/-p` read result[0]['ttl'] and compare it as a number
  expect(typeof byName.body[0].ttl).toBe('number');
  const txt = await request(h.app).get('/user/record/home.dyn.test/?type=TXT').set('Authorization', token);
  expect(txt.body.map((x: { id: number }) => x.id)).toEqual([ids.txt]);
  const one = await request(h.app).get(`/user/record/${ids.a4}/`).set('Authorization', token);
  expect(one.body).toMatchObject({ id: ids.a4, name: 'home.dyn.test', type: 'A' });
  await resetLimits(h);
  for (const bad of ['abc', 'a..b', 'x y.test']) {
    const r = await request(h.app)
      .get(`/user/record/${encodeURIComponent(bad)}/`)
      .set('Authorization', token);
    expect({ bad, status: r.status, body: r.body }).toEqual({
      bad,
      status: 404,
      body: { detail: 'Not found.' },
    });
  }
  const none = await request(h.app).get('/user/record/home.dyn.test/');
  expect(none.status).toBe(401);
});
