import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { digUntil, sharedZone, startDnsProcess, type DnsProcess } from '@ddns/testkit';
import { RedisLimits } from '../../src/limits';
import { createTestApp, type TestApp } from '../support/test-app';
import { logsOf, names, owner, recordsAt, type Owner } from './support';

/**
 * The real clients (Debian's ddclient 3.10 and inadyn 2.10, see shared/CLIENTS.md) against the API on a
 * random port: first run good, second run (forced, same address) nochg, wrong password a failure they report.
 */

let h: TestApp;
let server: Server;
let port: number;
let dir: string;
let dns: DnsProcess;

beforeAll(async () => {
  h = await createTestApp();
  await sharedZone(h.t.db, 'dyn.test');
  // the DNS service over the same database: what the clients set is what resolvers get
  dns = await startDnsProcess(h.t.url);
  server = h.app.listen(0, '127.0.0.1');
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  port = (server.address() as AddressInfo).port;
  dir = mkdtempSync(join(tmpdir(), 'ddns-clients-'));
});
afterAll(async () => {
  await dns?.stop();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await h.close();
  rmSync(dir, { recursive: true, force: true });
});

interface Run {
  code: number;
  out: string;
}

/** Runs a client asynchronously (the API answers from this same process). */
function run(cmd: string, args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(cmd, args, { timeout: 30_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolve({ code, out: `${stdout}\n${stderr}` });
    });
  });
}

/** Lifts the per-key 3 / 10 s window between client runs (the clients run back to back here). */
async function nextWindow(o: Owner): Promise<void> {
  const limits = new RedisLimits(h.deps.redis, h.deps.redisPrefix);
  await limits.reset(`updater:account:${o.acct.id}`);
  for (const name of names(o)) {
    const d = await h.t.db
      .selectFrom('domains')
      .select('id')
      .where('name', '=', name)
      .executeTakeFirstOrThrow();
    await limits.reset(`updater:domain:${d.id}`);
  }
}

/** The Debian binaries (absolute, in case /usr/sbin is not on PATH). */
const bin = (name: string) => ['/usr/bin', '/usr/sbin'].map((d) => join(d, name)).find(existsSync) ?? name;
const DDCLIENT = bin('ddclient');
const INADYN = bin('inadyn');

let seq = 0;
function ddclientConf(opts: { login: string; password: string; ip: string; hosts: string[] }): {
  conf: string;
  cache: string;
} {
  seq += 1;
  const conf = join(dir, `ddclient-${seq}.conf`);
  const cache = join(dir, `ddclient-${seq}.cache`);
  writeFileSync(
    conf,
    [
      'daemon=0',
      'syslog=no',
      'ssl=no',
      `pid=${join(dir, `ddclient-${seq}.pid`)}`,
      'protocol=dyndns2',
      `use=ip, ip=${opts.ip}`,
      `server=127.0.0.1:${port}`,
      'script=/nic/update',
      `login=${opts.login}`,
      `password='${opts.password}'`,
      opts.hosts.join(','),
      '',
    ].join('\n'),
    { mode: 0o600 },
  );
  return { conf, cache };
}

const ddclient = (c: { conf: string; cache: string }, force: boolean) =>
  run(DDCLIENT, [
    '-daemon=0',
    '-foreground',
    '-verbose',
    '-file',
    c.conf,
    '-cache',
    c.cache,
    ...(force ? ['-force'] : []),
  ]);

describe('ddclient', () => {
  test('fixed IP, two hosts: good, then nochg; a wrong password fails', async () => {
    const o = await owner(h.t.db);
    const [a, b] = names(o);
    const c = ddclientConf({
      login: 'none',
      password: o.acct.updateToken,
      ip: '203.0.113.7',
      hosts: [a!, b!],
    });
    const first = await ddclient(c, false);
    expect(first.out).toMatch(new RegExp(`SUCCESS: +updating ${a}: good: IP address set to 203.0.113.7`));
    expect(first.out).toMatch(new RegExp(`SUCCESS: +updating ${b}: good: IP address set to 203.0.113.7`));
    expect(first.out).not.toMatch(/FAILED/);
    expect(await recordsAt(h.t.db, a!)).toEqual(['A 203.0.113.7']);
    expect(await recordsAt(h.t.db, b!)).toEqual(['A 203.0.113.7']);
    for (const name of [a!, b!])
      expect(await digUntil(dns.port, name, 'A', (x) => x.length > 0)).toEqual(['203.0.113.7']);

    await nextWindow(o);
    const second = await ddclient(c, true);
    expect(second.out).toMatch(new RegExp(`updating ${a}: nochg`));
    expect(second.out).toMatch(new RegExp(`updating ${b}: nochg`));
    expect(second.out).not.toMatch(/FAILED/);
    const logs = (await logsOf(h.t.db, o.acct.id)).map((l) => [l.result, l.user_agent]);
    expect(logs).toEqual([
      ['good,good', expect.stringMatching(/^ddclient\//)],
      ['nochg,nochg', expect.stringMatching(/^ddclient\//)],
    ]);

    const bad = ddclientConf({ login: 'none', password: 'wrong-token', ip: '203.0.113.8', hosts: [a!, b!] });
    const third = await ddclient(bad, false);
    expect(third.out).toMatch(/FAILED: +updating .*authorization failed/);
    expect(await recordsAt(h.t.db, a!)).toEqual(['A 203.0.113.7']);
  });

  test('account e-mail + password as login', async () => {
    const o = await owner(h.t.db, 'dyn.test', 1);
    const [a] = names(o);
    const c = ddclientConf({ login: o.acct.email, password: 'password123', ip: '203.0.113.20', hosts: [a!] });
    const r = await ddclient(c, false);
    expect(r.out).toMatch(/SUCCESS: +updating .*: good: IP address set to 203.0.113.20/);
    expect(await recordsAt(h.t.db, a!)).toEqual(['A 203.0.113.20']);
  });

  test('IPv6: good, then nochg; the A record is untouched', async () => {
    const o = await owner(h.t.db, 'dyn.test', 1);
    const [a] = names(o);
    const v4 = ddclientConf({ login: 'none', password: o.acct.updateToken, ip: '203.0.113.9', hosts: [a!] });
    expect((await ddclient(v4, false)).out).toMatch(/good/);
    const c = ddclientConf({
      login: 'none',
      password: o.acct.updateToken,
      ip: '2001:db8:42::7',
      hosts: [a!],
    });
    const first = await ddclient(c, false);
    expect(first.out).toMatch(new RegExp(`SUCCESS: +updating ${a}: good: IP address set to 2001:db8:42::7`));
    expect(await recordsAt(h.t.db, a!)).toEqual(['A 203.0.113.9', 'AAAA 2001:db8:42::7']);
    expect(await digUntil(dns.port, a!, 'AAAA', (x) => x.length > 0)).toEqual(['2001:db8:42::7']);
    await nextWindow(o);
    const second = await ddclient(c, true);
    expect(second.out).toMatch(new RegExp(`updating ${a}: nochg`));
    expect(second.out).not.toMatch(/FAILED/);
  });
});

let iseq = 0;
function inadynConf(opts: {
  username?: string;
  password: string;
  path: string;
  ip: string;
  hosts: string[];
}) {
  iseq += 1;
  const conf = join(dir, `inadyn-${iseq}.conf`);
  const cacheDir = join(dir, `inadyn-cache-${iseq}`);
  writeFileSync(
    conf,
    [
      'period = 300',
      // without it inadyn drops an IPv6 address from checkip-command
      'allow-ipv6 = true',
      'custom ddns {',
      '  ssl = false',
      `  ddns-server = "127.0.0.1:${port}"`,
      `  ddns-path = "${opts.path}"`,
      ...(opts.username !== undefined ? [`  username = "${opts.username}"`] : []),
      `  password = "${opts.password}"`,
      `  checkip-command = "echo ${opts.ip}"`,
      `  hostname = { ${opts.hosts.map((x) => `"${x}"`).join(', ')} }`,
      '}',
      '',
    ].join('\n'),
    { mode: 0o600 },
  );
  return { conf, cacheDir, pid: join(dir, `inadyn-${iseq}.pid`) };
}

const inadyn = (c: { conf: string; cacheDir: string; pid: string }, force: boolean) =>
  run(INADYN, [
    '-1',
    '-n',
    '-l',
    'info',
    '-f',
    c.conf,
    `--cache-dir=${c.cacheDir}`,
    '-P',
    c.pid,
    ...(force ? ['--force'] : []),
  ]);

describe('inadyn (custom provider)', () => {
  test('Basic auth: good, then nochg; a wrong password fails', async () => {
    const o = await owner(h.t.db);
    const [a, b] = names(o);
    const c = inadynConf({
      username: 'none',
      password: o.acct.updateToken,
      path: '/nic/update?hostname=%h&myip=%i',
      ip: '203.0.113.30',
      hosts: [a!, b!],
    });
    const first = await inadyn(c, false);
    expect(first.code).toBe(0);
    expect(first.out).toMatch(/Successful/i);
    expect(await recordsAt(h.t.db, a!)).toEqual(['A 203.0.113.30']);
    expect(await recordsAt(h.t.db, b!)).toEqual(['A 203.0.113.30']);
    for (const name of [a!, b!])
      expect(await digUntil(dns.port, name, 'A', (x) => x.length > 0)).toEqual(['203.0.113.30']);

    await nextWindow(o);
    const second = await inadyn(c, true);
    expect(second.code).toBe(0);
    expect(second.out).toMatch(/Successful/i);
    expect((await logsOf(h.t.db, o.acct.id)).map((l) => l.result)).toEqual([
      'good',
      'good',
      'nochg',
      'nochg',
    ]);

    const bad = inadynConf({
      username: 'none',
      password: 'wrong-token',
      path: '/nic/update?hostname=%h&myip=%i',
      ip: '203.0.113.31',
      hosts: [a!],
    });
    const third = await inadyn(bad, false);
    expect(third.code).not.toBe(0);
    expect(third.out).toMatch(/401 Unauthorized|Authentication failure/);
    expect(third.out).not.toMatch(/Successful/i);
    expect(await recordsAt(h.t.db, a!)).toEqual(['A 203.0.113.30']);
  });

  test('key in the query, no user name; IPv6 arrives as %3a', async () => {
    const o = await owner(h.t.db, 'dyn.test', 1);
    const [a] = names(o);
    const c = inadynConf({
      password: o.acct.updateToken,
      path: '/update?key=%p&domain=%h&myip=%i',
      ip: '2001:db8:77::1',
      hosts: [a!],
    });
    const first = await inadyn(c, false);
    expect(first.code).toBe(0);
    expect(first.out).toMatch(/Successful/i);
    expect(await recordsAt(h.t.db, a!)).toEqual(['AAAA 2001:db8:77::1']);
    expect(await digUntil(dns.port, a!, 'AAAA', (x) => x.length > 0)).toEqual(['2001:db8:77::1']);
    await nextWindow(o);
    const second = await inadyn(c, true);
    expect(second.code).toBe(0);
    expect((await logsOf(h.t.db, o.acct.id)).map((l) => l.result)).toEqual(['good', 'nochg']);

    const bad = inadynConf({
      password: 'invalid-token',
      path: '/update?key=%p&domain=%h&myip=%i',
      ip: '2001:db8:77::2',
      hosts: [a!],
    });
    const third = await inadyn(bad, false);
    expect(third.code).not.toBe(0);
    expect(third.out).toMatch(/401 Unauthorized|Authentication failure/);
    expect(await recordsAt(h.t.db, a!)).toEqual(['AAAA 2001:db8:77::1']);
  });
});
