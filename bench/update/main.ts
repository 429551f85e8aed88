/**
 * `pnpm bench:update` — a benchmark, not a test.
 *
 * 1. a scratch database (on BENCH_DATABASE_URL / TEST_DATABASE_URL / postgres://postgres@127.0.0.1:5432/postgres),
 *    migrated, with one shared zone, an `unlimited` account and BENCH_DOMAINS domains with an A record each;
 * 2. for each count in BENCH_API_WORKERS (default `1,<cores>`): the API (services/api/src/main.ts with
 *    API_WORKERS = that count, per-key call limit lifted) and wrk (autocannon when wrk is not installed)
 *    against /nic/update for BENCH_SECONDS: authenticated updates, half changing the address (good), half
 *    repeating it (nochg);
 * 3. pgbench on the same database, same number of connections, before the first HTTP run and after each:
 *    the equivalent single-row UPDATE of a record (the change-feed trigger fires as it does for the API);
 * 4. prints every rate, pgbench's, and each HTTP rate's ratio to the mean of the pgbench runs either side of
 *    it, then drops the database and the Redis keys.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { addDomain, addZone, createAccount } from '@ddns/registry';
import { createDb, migrateToLatest, sql } from '@ddns/db';

const ADMIN_URL =
  process.env.BENCH_DATABASE_URL ??
  process.env.TEST_DATABASE_URL ??
  'postgres://postgres@127.0.0.1:5432/postgres';
/** a Redis database of its own: the API keeps its limit counters under its production prefix */
const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379/15';
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 10);
const DOMAINS = Number(process.env.BENCH_DOMAINS ?? 200);
/** API process counts to measure, e.g. `1,2` */
const WORKER_COUNTS = [
  ...new Set(
    (process.env.BENCH_API_WORKERS ?? `1,${availableParallelism()}`)
      .split(',')
      .map((w) => Math.max(1, Number(w) || 1)),
  ),
];

const dbName = `ddns_bench_${process.pid}`;
const withDb = (name: string) => {
  const u = new URL(ADMIN_URL);
  u.pathname = `/${name}`;
  return u.toString();
};

async function admin(statement: string): Promise<void> {
  const db = createDb(ADMIN_URL, { max: 1 });
  try {
    await sql.raw(statement).execute(db);
  } finally {
    await db.destroy();
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/**
 * Update k: rounds of 2 × DOMAINS requests; in round r every domain first gets the round's address (good),
 * then the same address again (nochg) DOMAINS requests later, long after the first has finished.
 */
function updateOf(k: number, domains: readonly string[]): { host: string; ip: string } {
  const n = domains.length;
  const round = Math.floor(k / (2 * n)) + 1;
  return {
    host: domains[k % n]!,
    ip: `10.${(round >> 16) & 255}.${(round >> 8) & 255}.${round & 255}`,
  };
}

async function setup(url: string): Promise<{ token: string; domains: string[]; firstRecordId: number }> {
  const db = createDb(url, { max: 2 });
  try {
    await migrateToLatest(db);
    await addZone(db, {
      name: 'bench.test',
      kind: 'shared',
      ns: [{ host: 'ns1.bench.test', ip: '127.0.0.1' }],
    });
    const acct = await createAccount(db, { email: 'bench@example.com', class: 'unlimited' });
    const domains: string[] = [];
    for (let i = 0; i < DOMAINS; i++) {
      const name = `d${i}.bench.test`;
      await addDomain(db, { name, accountEmail: acct.email });
      domains.push(name);
    }
    const zone = await db.selectFrom('zones').select('id').executeTakeFirstOrThrow();
    const dom = await db.selectFrom('domains').select(['id', 'name']).orderBy('id').execute();
    const rows = await db
      .insertInto('records')
      .values(
        dom.map((d) => ({
          zone_id: zone.id,
          domain_id: d.id,
          name: d.name,
          type: 'A' as const,
          content: '192.0.2.1',
        })),
      )
      .returning('id')
      .execute();
    return { token: acct.updateToken, domains, firstRecordId: Math.min(...rows.map((r) => r.id)) };
  } finally {
    await db.destroy();
  }
}

/** The real API entry point (services/api/src/main.ts) with `workers` processes, per-key call limit lifted. */
async function startServer(url: string, workers: number): Promise<{ port: number; child: ChildProcess }> {
  const port = await freePort();
  const child = spawn(
    process.execPath,
    [
      // e.g. BENCH_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" to profile the API
      ...(process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean),
      '--import',
      'tsx',
      join(__dirname, '../../services/api/src/main.ts'),
    ],
    {
      env: {
        ...process.env,
        DATABASE_URL: url,
        REDIS_URL,
        API_HOST: '127.0.0.1',
        API_PORT: String(port),
        API_WORKERS: String(workers),
        API_METRICS_PORT: String(await freePort()),
        JWT_SECRET: 'bench-jwt-secret-0123456789-abcdefghijkl',
        SECRETS_KEY: 'bench-secrets-key-0123456789-abcdefghijk',
        LOG_LEVEL: 'fatal',
        UPDATER_RATE_LIMIT: 'off',
      },
      stdio: ['ignore', 'inherit', 'inherit'],
    },
  );
  let exited = false;
  child.once('exit', () => (exited = true));
  for (let i = 0; i < 200 && !exited; i++) {
    try {
      if ((await fetch(`http://127.0.0.1:${port}/healthz`)).ok) return { port, child };
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill('SIGTERM');
  throw new Error('the API did not start');
}

function stopServer(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

async function httpBench(port: number, token: string, domains: string[]) {
  let k = 0;
  const result = await autocannon({
    url: `http://127.0.0.1:${port}`,
    connections: CONNECTIONS,
    duration: SECONDS,
    headers: { authorization: `Bearer ${token}`, 'user-agent': 'ddns-bench' },
    requests: [
      {
        method: 'GET',
        setupRequest: (req) => {
          const { host, ip } = updateOf(k++, domains);
          return { ...req, path: `/nic/update?hostname=${host}&myip=${ip}` };
        },
      },
    ],
  });
  return result;
}

interface HttpRun {
  client: string;
  rps: number;
  detail: string;
}

function runFile(cmd: string, args: string[]): Promise<{ ok: boolean; missing: boolean; out: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, (err, stdout, stderr) => {
      const missing = (err as NodeJS.ErrnoException | null)?.code === 'ENOENT';
      resolve({ ok: !err, missing, out: `${stdout}${stderr}` });
    });
  });
}

/**
 * The same load with wrk (C; its one thread drives every connection, so the Lua counter is global), which
 * takes far less CPU than autocannon on a 2-core box. Same rounds, numbered from `firstRound` (each run its
 * own addresses, so that its first pass is all `good`).
 */
async function wrkBench(
  port: number,
  token: string,
  domains: string[],
  firstRound: number,
  seconds = SECONDS,
): Promise<HttpRun | null> {
  const dir = mkdtempSync(join(tmpdir(), 'ddns-wrk-'));
  const script = join(dir, 'update.lua');
  writeFileSync(
    script,
    [
      `local domains = { ${domains.map((d) => `"${d}"`).join(', ')} }`,
      'local n = #domains',
      'local k = 0',
      `wrk.headers["Authorization"] = "Bearer ${token}"`,
      'wrk.headers["User-Agent"] = "ddns-bench-wrk"',
      'request = function()',
      `  local round = math.floor(k / (2 * n)) + ${firstRound}`,
      '  local host = domains[(k % n) + 1]',
      '  k = k + 1',
      '  local ip = string.format("10.%d.%d.%d", math.floor(round / 65536) % 256, math.floor(round / 256) % 256, round % 256)',
      '  return wrk.format("GET", "/nic/update?hostname=" .. host .. "&myip=" .. ip)',
      'end',
      '',
    ].join('\n'),
  );
  const r = await runFile('wrk', [
    '-t1',
    `-c${CONNECTIONS}`,
    `-d${seconds}s`,
    '--latency',
    '-s',
    script,
    `http://127.0.0.1:${port}/`,
  ]);
  rmSync(dir, { recursive: true, force: true });
  if (r.missing) return null;
  const total = /(\d+) requests in ([\d.]+)(ms|s|m)\b/.exec(r.out);
  if (!r.ok || !total) throw new Error(`wrk failed:\n${r.out}`);
  const secs = Number(total[2]) * (total[3] === 'ms' ? 0.001 : total[3] === 'm' ? 60 : 1);
  const non2xx = Number(/Non-2xx or 3xx responses: (\d+)/.exec(r.out)?.[1] ?? 0);
  const dist = r.out.slice(r.out.indexOf('Latency Distribution'));
  const p50 = /50%\s+(\S+)/.exec(dist)?.[1] ?? '?';
  const p99 = /99%\s+(\S+)/.exec(dist)?.[1] ?? '?';
  return {
    client: 'wrk',
    rps: (Number(total[1]) - non2xx) / secs,
    detail: `latency p50 ${p50}, p99 ${p99}; non-2xx ${non2xx}`,
  };
}

function pgbench(url: string, firstRecordId: number): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), 'ddns-pgbench-'));
  const script = join(dir, 'update.sql');
  writeFileSync(
    script,
    [
      `\\set id random(${firstRecordId}, ${firstRecordId + DOMAINS - 1})`,
      '\\set o random(1, 254)',
      "UPDATE records SET content = '10.9.9.' || :o, updated_at = now() WHERE id = :id;",
      '',
    ].join('\n'),
  );
  const u = new URL(url);
  const args = [
    '-n',
    '-c',
    String(CONNECTIONS),
    '-j',
    '2',
    '-T',
    String(SECONDS),
    '-f',
    script,
    '-h',
    u.hostname,
    '-p',
    u.port || '5432',
    '-U',
    decodeURIComponent(u.username || 'postgres'),
    u.pathname.slice(1),
  ];
  return new Promise((resolve, reject) => {
    execFile(
      'pgbench',
      args,
      { env: { ...process.env, PGPASSWORD: decodeURIComponent(u.password) } },
      (err, stdout, stderr) => {
        rmSync(dir, { recursive: true, force: true });
        if (err) return reject(new Error(`pgbench failed: ${stderr || err.message}`));
        const m = /tps = ([\d.]+)/.exec(stdout);
        if (!m) return reject(new Error(`pgbench printed no tps:\n${stdout}`));
        resolve(Number(m[1]));
      },
    );
  });
}

/** Deletes the API's limit counters from the benchmark's Redis database (redis-cli, when installed). */
function clearRedis(): Promise<void> {
  return new Promise((resolve) => {
    execFile('redis-cli', ['-u', REDIS_URL, '--scan', '--pattern', 'ddns:limits:*'], (err, stdout) => {
      const keys = err ? [] : stdout.split('\n').filter(Boolean);
      if (!keys.length) return resolve();
      execFile('redis-cli', ['-u', REDIS_URL, 'DEL', ...keys], () => resolve());
    });
  });
}

/**
 * CPU time (user + system, ms) used so far by process `root` and its children (the API's workers), from
 * /proc (Linux); 0 elsewhere. On a shared machine CPU per update is steadier than updates per second.
 */
function cpuMs(root: number | undefined): number {
  if (!root) return 0;
  let ticks = 0;
  try {
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      let stat: string;
      try {
        stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      } catch {
        continue; // gone meanwhile
      }
      // fields after the command name: state ppid ... utime(14) stime(15), counted from 1
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(entry) === root || Number(f[1]) === root) ticks += Number(f[11]) + Number(f[12]);
    }
  } catch {
    return 0;
  }
  return ticks * 10; // USER_HZ is 100 on Linux
}

/** One worker count: start the API, warm it up, measure (wrk, else autocannon), stop it. */
async function measure(url: string, workers: number, token: string, domains: string[], run: number) {
  const server = await startServer(url, workers);
  try {
    const firstRound = 100000 * (run + 1);
    // warm-up (connections, JIT) on the same path, addresses of its own
    const warm = await wrkBench(server.port, token, domains, firstRound + 50000, 2);
    if (!warm) {
      await autocannon({
        url: `http://127.0.0.1:${server.port}/tools/whatismyip/`,
        duration: 2,
        connections: 2,
      });
      const ac = await httpBench(server.port, token, domains);
      return {
        client: 'autocannon',
        rps: ac['2xx'] / ac.duration,
        detail: `latency p50 ${ac.latency.p50} ms, p99 ${ac.latency.p99} ms; non-2xx ${ac.non2xx}, errors ${ac.errors}`,
      };
    }
    const cpu0 = cpuMs(server.child.pid);
    const run1 = (await wrkBench(server.port, token, domains, firstRound))!;
    const cpu = (cpuMs(server.child.pid) - cpu0) / (run1.rps * SECONDS);
    return cpu > 0 ? { ...run1, detail: `${run1.detail}; API CPU ${cpu.toFixed(2)} ms/update` } : run1;
  } finally {
    await stopServer(server.child);
  }
}

async function main(): Promise<void> {
  await admin(`CREATE DATABASE ${dbName}`);
  const url = withDb(dbName);
  try {
    const { token, domains, firstRecordId } = await setup(url);
    process.stdout.write(
      `HTTP: ${CONNECTIONS} connections, ${SECONDS} s, ${domains.length} domains, half good / half nochg, ` +
        `API_WORKERS ${WORKER_COUNTS.join(' then ')} (wrk; autocannon when wrk is not installed) ...\n`,
    );
    // pgbench before and after every HTTP run: each run is compared with the mean of its neighbours, so a
    // machine whose load drifts during the benchmark (other work on a shared box) skews the ratios less
    const pg = async () => {
      process.stdout.write(
        `pgbench: ${CONNECTIONS} clients, ${SECONDS} s, single-row UPDATE of records ...\n`,
      );
      return pgbench(url, firstRecordId);
    };
    const tps = [await pg()];
    const runs: (HttpRun & { workers: number; tps: number })[] = [];
    for (const [i, workers] of WORKER_COUNTS.entries()) {
      process.stdout.write(`API_WORKERS=${workers} ...\n`);
      const run = await measure(url, workers, token, domains, i);
      tps.push(await pg());
      runs.push({ workers, ...run, tps: (tps[i]! + tps[i + 1]!) / 2 });
    }
    const db = createDb(url, { max: 1 });
    const rows = await db
      .selectFrom('update_log')
      .select((eb) => ['result', eb.fn.countAll<string>().as('n')])
      .groupBy('result')
      .orderBy('result')
      .execute();
    await db.destroy();
    const counts = rows.map((x) => `${x.result}=${x.n}`).join(' ');
    const one = runs.find((r) => r.workers === 1);
    const w = (n: number) => `${n} worker${n > 1 ? 's' : ''}`;
    process.stdout.write(
      [
        '',
        ...runs.map(
          (r) =>
            `HTTP updates/s, ${w(r.workers)} (${r.client}):`.padEnd(36) +
            `${r.rps.toFixed(0)}  (${r.detail})`,
        ),
        'update log (all runs):'.padEnd(36) + counts,
        'pgbench UPDATE tps:'.padEnd(36) +
          tps.map((t) => t.toFixed(0)).join(', ') +
          '  (before, between, after)',
        ...runs.map(
          (r) =>
            `ratio ${w(r.workers)} / pgbench:`.padEnd(36) +
            `${(r.rps / r.tps).toFixed(2)}x  (against ${r.tps.toFixed(0)} tps, the runs either side; target >= 0.5x)` +
            (one && r !== one ? `; ${(r.rps / one.rps).toFixed(2)}x one worker` : ''),
        ),
        '',
      ].join('\n'),
    );
  } finally {
    await admin(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`).catch(() => undefined);
    await clearRedis();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench:update: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
