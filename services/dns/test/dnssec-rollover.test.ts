import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '@ddns/cli';
import { ensureZoneKeys, listZoneKeys } from '@ddns/registry';
import { createTestDatabase, sharedZone, TEST_SECRETS_KEY, type TestDatabase } from '@ddns/testkit';
import { startDnsServer, type DnsServer } from '../src/server';
import { dig, eventually, parseDig, run } from './helpers';
import { freeDualPort } from './ports';

// A validating Unbound keeps resolving a name of ours across a complete key rollover taken through
// `ddns zone rollover`, its steps timed by the registry (TTLs of 2 s, a propagation delay of 1 s), not forced.
//
// The trust scheme is the real one: Unbound trusts only the key of the parent zone `test.` (a zone signed by
// BIND's dnssec-signzone with a key that never changes, served by NSD); `test.` delegates dyn.test to ddns
// with DS records. The test plays the operator at the parent: at the rollover's start it adds the new key's DS
// next to the old one, after the activation it removes the old DS — exactly what the CLI tells an operator.
// The rollover itself waits for what a resolver's caches need: the DNSKEY TTL, the new DS at the parent (asked
// of NSD by the CLI's parent check) for its TTL, then the zone's longest TTL before the old key goes.
let tdb: TestDatabase;
let server: DnsServer;
let dir: string;
let nsdPort: number;
let nsd: ChildProcess;
let unbound: ChildProcess;
let unboundPort: number;
let parentKey: string;

const parentZone = (ds: string[]) => `$TTL 2
@ IN SOA ns.test. hostmaster.test. 1 3600 600 86400 2
@ IN NS ns.test.
ns IN A 127.0.0.1
dyn IN NS ns1.dyn.test.
ns1.dyn IN A 127.0.0.1
${ds.join('\n')}
${parentKey}
`;

/** Signs `test.` with its fixed key and makes NSD load it (SIGHUP), waiting until NSD serves these DS. */
async function publishParent(ds: string[]): Promise<void> {
  writeFileSync(join(dir, 'test.unsigned'), parentZone(ds));
  execFileSync(
    'dnssec-signzone',
    ['-q', '-z', '-o', 'test.', '-K', dir, '-f', join(dir, 'test.zone'), join(dir, 'test.unsigned')],
    {
      cwd: dir,
    },
  );
  nsd.kill('SIGHUP');
  const tags = ds.map((l) => l.split(/\s+/)[3]).sort();
  await eventually(async () => {
    const r = await dig(nsdPort, 'dyn.test', 'DS');
    return JSON.stringify(r.answer.map((a) => a.data.split(' ')[0]).sort()) === JSON.stringify(tags);
  }, 50);
}

const nsdConf = () => `server:
  ip-address: 127.0.0.1
  port: ${nsdPort}
  username: ""
  chroot: ""
  zonesdir: "${dir}"
  database: ""
  zonelistfile: "${dir}/zone.list"
  xfrdfile: "${dir}/xfrd.state"
  xfrdir: "${dir}"
  pidfile: "${dir}/nsd.pid"
  logfile: "${dir}/nsd.log"
  server-count: 1
  verbosity: 1
  rrl-ratelimit: 0
remote-control:
  control-enable: no
zone:
  name: test
  zonefile: "${dir}/test.zone"
`;

const unboundConf = (anchor: string) => `server:
  interface: 127.0.0.1
  port: ${unboundPort}
  username: ""
  chroot: ""
  directory: "${dir}"
  pidfile: "${dir}/unbound.pid"
  use-syslog: no
  logfile: "${dir}/unbound.log"
  verbosity: 1
  val-log-level: 2
  do-ip6: no
  do-not-query-localhost: no
  module-config: "validator iterator"
  qname-minimisation: no
  aggressive-nsec: no
  infra-host-ttl: 1
  infra-keep-probing: yes
  local-zone: "test." nodefault
  trust-anchor: "${anchor}"
stub-zone:
  name: "test"
  stub-addr: 127.0.0.1@${nsdPort}
stub-zone:
  name: "dyn.test"
  stub-addr: 127.0.0.1@${server.port}
remote-control:
  control-enable: no
`;

async function cli(...argv: string[]): Promise<{ action: string; detail: string; keys: { keys: Key[] } }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(
    [...argv, '--json'],
    {
      DATABASE_URL: tdb.url,
      SECRETS_KEY: TEST_SECRETS_KEY,
      DELEGATION_CHECK_SERVERS: `127.0.0.1:${nsdPort}`,
      DNSSEC_PROPAGATION_DELAY_SECONDS: '1',
    },
    { out: (s) => out.push(s), err: (s) => err.push(s) },
  );
  if (code !== 0) throw new Error(`ddns ${argv.join(' ')}: ${err.join('\n')}`);
  return JSON.parse(out.join('\n')) as { action: string; detail: string; keys: { keys: Key[] } };
}
interface Key {
  keyTag: number;
  state: string;
  ds: string;
}

const log = () =>
  existsSync(join(dir, 'unbound.log')) ? readFileSync(join(dir, 'unbound.log'), 'utf8') : '';
const resolve = async (name: string, type: string) =>
  parseDig(
    await run('dig', ['@127.0.0.1', '-p', String(unboundPort), name, type, '+dnssec', '+time=5', '+tries=1']),
  );

beforeAll(async () => {
  tdb = await createTestDatabase();
  const zone = await sharedZone(tdb.db, 'dyn.test');
  // short TTLs everywhere, so a whole rollover takes seconds: the timing rules are the same as with hours
  await tdb.db.updateTable('zones').set({ ttl: 2, minimum: 2 }).where('id', '=', zone.id).execute();
  await tdb.db
    .insertInto('records')
    .values({ zone_id: zone.id, name: 'www.dyn.test', type: 'A', content: '192.0.2.80', ttl: 2 })
    .execute();
  await tdb.db.updateTable('records').set({ ttl: 2 }).where('zone_id', '=', zone.id).execute();
  await ensureZoneKeys(tdb.db, { secretsKey: TEST_SECRETS_KEY });
  server = await startDnsServer({
    databaseUrl: tdb.url,
    hosts: ['127.0.0.1'],
    port: 0,
    secretsKey: TEST_SECRETS_KEY,
    notify: false,
    rrl: null,
    feed: { pollMs: 100 },
  });

  dir = mkdtempSync(join(tmpdir(), 'ddns-rollover-'));
  execFileSync('dnssec-keygen', [
    '-q',
    '-a',
    'ECDSAP256SHA256',
    '-f',
    'KSK',
    '-n',
    'ZONE',
    '-K',
    dir,
    'test.',
  ]);
  const keyFile = readdirSync(dir).find((f) => f.endsWith('.key'))!;
  parentKey = readFileSync(join(dir, keyFile), 'utf8')
    .split('\n')
    .find((l) => l && !l.startsWith(';'))!;
  nsdPort = await freeDualPort();
  unboundPort = await freeDualPort();
  mkdirSync(join(dir, 'run'));
  const oldDs = (await listZoneKeys(tdb.db, 'dyn.test')).keys[0]!.ds;
  writeFileSync(join(dir, 'test.unsigned'), parentZone([oldDs]));
  execFileSync(
    'dnssec-signzone',
    ['-q', '-z', '-o', 'test.', '-K', dir, '-f', join(dir, 'test.zone'), join(dir, 'test.unsigned')],
    // dnssec-signzone writes its dsset-<zone> file into the working directory: keep it out of the repository
    { cwd: dir },
  );
  writeFileSync(join(dir, 'nsd.conf'), nsdConf());
  nsd = spawn('nsd', ['-d', '-c', join(dir, 'nsd.conf')], { stdio: 'ignore' });
  await eventually(async () => (await dig(nsdPort, 'dyn.test', 'DS')).answer.length === 1, 100);

  const [owner, , , flags, proto, alg, ...b64] = parentKey.split(/\s+/);
  writeFileSync(
    join(dir, 'unbound.conf'),
    unboundConf(`${owner} DNSKEY ${flags} ${proto} ${alg} ${b64.join('')}`),
  );
  unbound = spawn('unbound', ['-d', '-c', join(dir, 'unbound.conf')], { stdio: 'ignore' });
  await eventually(async () => (await resolve('www.dyn.test', 'A')).status === 'NOERROR', 100).catch(
    (e: unknown) => {
      throw new Error(`unbound did not answer: ${String(e)}\n${log()}`);
    },
  );
}, 60_000);

afterAll(async () => {
  for (const p of [unbound, nsd]) {
    if (p && p.exitCode === null && p.signalCode === null) {
      const exited = new Promise((r) => p.once('exit', r));
      p.kill('SIGTERM');
      await exited;
    }
  }
  await server?.stop();
  await tdb?.destroy();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('Unbound validates www.dyn.test all through a rollover taken step by step through the CLI', async () => {
  const failures: string[] = [];
  let probes = 0;
  let probing = true;
  // a resolver user: the same name (cached, re-fetched every 2 s) and a fresh name (a validated NXDOMAIN)
  const prober = (async () => {
    for (let i = 0; probing; i++) {
      const [a, nx] = await Promise.all([resolve('www.dyn.test', 'A'), resolve(`p${i}.dyn.test`, 'A')]);
      probes++;
      if (a.status !== 'NOERROR' || !a.flags.includes('ad'))
        failures.push(`www A: ${a.status} ${a.flags.join(',')}`);
      if (nx.status !== 'NXDOMAIN' || !nx.flags.includes('ad'))
        failures.push(`p${i} A: ${nx.status} ${nx.flags.join(',')}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  })();
  // each phase is watched by a few probes, however slowly a loaded machine runs them
  const moreProbes = (n: number): Promise<void> => {
    const target = probes + n;
    return eventually(async () => probes >= target, 100, 60_000).then(() => undefined);
  };
  try {
    const old = (await listZoneKeys(tdb.db, 'dyn.test')).keys[0]!;
    const start = await cli('zone', 'rollover', 'dyn.test');
    expect(start.action).toBe('started');
    const fresh = start.keys.keys.find((k) => k.state === 'published')!;
    // the operator adds the new DS at the parent, next to the old one
    await publishParent([old.ds, fresh.ds]);
    await moreProbes(4);

    const seen: string[] = [];
    let step = start;
    await eventually(
      async () => {
        step = await cli('zone', 'rollover', 'dyn.test');
        seen.push(step.action);
        return step.action === 'activated';
      },
      500,
      30_000,
    );
    expect(seen.slice(0, -1).every((a) => a === 'waiting')).toBe(true);
    expect(step.keys.keys.map((k) => [k.keyTag, k.state])).toEqual([
      [old.keyTag, 'retired'],
      [fresh.keyTag, 'active'],
    ]);
    await moreProbes(4);
    // the old DS can leave the parent now
    await publishParent([fresh.ds]);
    await eventually(
      async () => {
        step = await cli('zone', 'rollover', 'dyn.test');
        return step.action === 'deleted';
      },
      500,
      30_000,
    );
    expect(step.keys.keys.map((k) => [k.keyTag, k.state])).toEqual([[fresh.keyTag, 'active']]);
    // longer than every TTL: Unbound has re-fetched the DS set and the DNSKEY RRset, both only the new key now
    await Promise.all([new Promise((r) => setTimeout(r, 6000)), moreProbes(4)]);
    const dnskey = await run('dig', [
      '@127.0.0.1',
      '-p',
      String(unboundPort),
      'dyn.test',
      'DNSKEY',
      '+short',
    ]);
    expect(dnskey.trim().split('\n')).toHaveLength(1);
  } finally {
    probing = false;
    await prober;
  }
  expect(failures).toEqual([]);
  expect(probes).toBeGreaterThanOrEqual(12);
}, 240_000);
