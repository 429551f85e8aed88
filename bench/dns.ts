/**
 * pnpm bench:dns [--names 1000] [--duration 5] [--workers 2] [--rate 20000] [--peers nsd,pdns]
 *
 * Builds a zone of N names in a fresh database, serves it from ddns (child process, RRL off) and from the
 * peers (NSD with RRL off; PowerDNS with the bind backend) loaded from the same data, then runs dnsperf
 * against each for the same duration: max throughput (qps, average latency), then a fixed rate with
 * per-query latencies for p99. Prints a table and the ddns/peer ratios.
 *
 * The zone is signed (one ECDSA P-256 key, as every zone by default): ddns is measured twice, plain queries
 * and queries with the DO bit (dnsperf -D: RRSIGs in every answer), and the signed/unsigned ratio printed.
 * `--axfr` also times one AXFR of the whole signed zone (every signature made then, if not yet) and the RSS after.
 */
import { execFile } from 'node:child_process';
import { createDb } from '../packages/db/src/index';
import { ensureZoneKeys } from '../packages/registry/src/index';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  arg,
  benchDatabase,
  benchName,
  fillZone,
  freePort,
  percentile,
  ROOT,
  start,
  tempDir,
  waitForDns,
  zoneFile,
  type Proc,
} from './lib';

const N = Number(arg('names', '1000'));
const DURATION = Number(arg('duration', '5'));
const WORKERS = Number(arg('workers', '2'));
const RATE = Number(arg('rate', '20000'));
const PEERS = arg('peers', 'nsd,pdns,echo').split(',').filter(Boolean);
const AXFR = process.argv.includes('--axfr');
const ZONE = 'bench.test';
const SECRETS_KEY = process.env.SECRETS_KEY ?? 'bench-secrets-key-0123456789-abcdefghijklm';

interface Row {
  server: string;
  qps: number;
  avgMs: number;
  lostPct: number;
  p99Ms: number;
  p50Ms: number;
  note: string;
}

function dnsperf(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('dnsperf', args, { maxBuffer: 1 << 30 }, (err, stdout, stderr) => {
      if (err && !stdout) reject(new Error(`dnsperf: ${err.message} ${stderr}`));
      else resolve(stdout);
    });
  });
}

async function measure(
  server: string,
  port: number,
  queries: string,
  note: string,
  extra: string[] = [],
): Promise<Row> {
  const common = ['-s', '127.0.0.1', '-p', String(port), '-d', queries, '-l', String(DURATION), ...extra];
  const max = await dnsperf([...common, '-c', '8', '-T', '2', '-q', '500']);
  const qps = Number(/Queries per second:\s+([\d.]+)/.exec(max)?.[1] ?? NaN);
  const avg = Number(/Average Latency \(s\):\s+([\d.]+)/.exec(max)?.[1] ?? NaN) * 1000;
  const lost = Number(/Queries lost:\s+\d+ \(([\d.]+)%\)/.exec(max)?.[1] ?? NaN);
  // fixed rate, every query's latency (dnsperf -v prints "> RCODE name type latency")
  const paced = await dnsperf([...common, '-c', '4', '-T', '1', '-Q', String(RATE), '-v']);
  const lat = Float64Array.from(
    paced
      .split('\n')
      .map((l) => /^> \S+ \S+ \S+ ([\d.]+)$/.exec(l.trim())?.[1])
      .filter((x): x is string => x !== undefined)
      .map((x) => Number(x) * 1000),
  ).sort();
  return {
    server,
    qps,
    avgMs: avg,
    lostPct: lost,
    p99Ms: percentile(lat, 99),
    p50Ms: percentile(lat, 50),
    note,
  };
}

/** One query with the DO bit over TCP (dig +dnssec +tcp). */
function digDnssec(port: number, name: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      'dig',
      ['@127.0.0.1', '-p', String(port), name, 'A', '+dnssec', '+tcp', '+time=120', '+tries=1'],
      (err, stdout) => (err && !stdout ? reject(err) : resolve(stdout)),
    );
  });
}

/** One AXFR with dig; the number of records it carried. */
function axfrCount(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    execFile(
      'dig',
      ['@127.0.0.1', '-p', String(port), ZONE, 'AXFR', '+nocmd', '+nostats', '+time=600'],
      { maxBuffer: (1 << 31) >>> 0 },
      (err, stdout) =>
        err && !stdout
          ? reject(err)
          : resolve(stdout.split('\n').filter((l) => l && !l.startsWith(';')).length),
    );
  });
}

function rssKb(pid: number): number {
  let total = 0;
  const visit = (p: number) => {
    try {
      total += Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${p}/status`, 'utf8'))?.[1] ?? 0);
      for (const c of readFileSync(`/proc/${p}/task/${p}/children`, 'utf8')
        .trim()
        .split(/\s+/)
        .filter(Boolean))
        visit(Number(c));
    } catch {
      // gone
    }
  };
  visit(pid);
  return total;
}

async function main(): Promise<void> {
  const dir = tempDir('dns');
  const procs: Proc[] = [];
  const db = await benchDatabase();
  const rows: Row[] = [];
  try {
    let t = Date.now();
    await fillZone(db.url, ZONE, N);
    process.stdout.write(`zone ${ZONE}: ${N} names inserted in ${Date.now() - t} ms\n`);
    const kdb = createDb(db.url, { max: 1 });
    await ensureZoneKeys(kdb, { secretsKey: SECRETS_KEY });
    await kdb.destroy();
    const queries = join(dir, 'queries.txt');
    const sample = Math.min(N, 100_000);
    const lines: string[] = [];
    for (let i = 0; i < sample; i++) lines.push(`${benchName(Math.floor(Math.random() * N), ZONE)} A`);
    writeFileSync(queries, `${lines.join('\n')}\n`);
    writeFileSync(join(dir, `${ZONE}.zone`), zoneFile(ZONE, N));

    // ddns
    const port = await freePort();
    t = Date.now();
    const nodeArgs = (process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);
    const ddns = start(
      process.execPath,
      [...nodeArgs, '--import', 'tsx', join(ROOT, 'services/dns/src/main.ts')],
      {
        ...process.env,
        DATABASE_URL: db.url,
        DNS_HOST: '127.0.0.1',
        DNS_PORT: String(port),
        DNS_METRICS_PORT: String(await freePort()),
        DNS_RRL: 'false',
        DNS_WORKERS: String(WORKERS),
        SECRETS_KEY,
        // a secondary makes the server sign ahead in the background: only when the AXFR is measured
        DNS_SECONDARIES: AXFR ? '127.0.0.1' : '',
        LOG_LEVEL: 'info',
      },
    );
    procs.push(ddns);
    await waitForDns(port, benchName(N - 1, ZONE), Math.max(120_000, N * 0.6));
    const loadMs = Date.now() - t;
    const rss = rssKb(ddns.child.pid!);
    const loaded = /"msg":"zones loaded"/.test(ddns.stdout())
      ? (JSON.parse(
          ddns
            .stdout()
            .split('\n')
            .find((l) => l.includes('"zones loaded"'))!,
        ) as { ms: number; names: number })
      : null;
    process.stdout.write(
      `ddns: ${WORKERS} worker(s) ready in ${loadMs} ms (process start + load; load alone ${loaded?.ms ?? '?'} ms for ` +
        `${loaded?.names ?? '?'} names), RSS ${(rss / 1024).toFixed(0)} MiB total\n`,
    );
    rows.push(await measure('ddns', port, queries, `${WORKERS} workers, zone signed, no DO bit`));
    rows.push(await measure('ddns+DO', port, queries, `the same with DO (RRSIGs, signed lazily)`, ['-D']));
    // the first signed denial builds the zone's NSEC chain (canonical sort of every name); later ones reuse it
    t = Date.now();
    await digDnssec(port, `no-such-name.${ZONE}`);
    const firstDenialMs = Date.now() - t;
    t = Date.now();
    await digDnssec(port, `no-such-name-2.${ZONE}`);
    process.stdout.write(
      `ddns: first signed NXDOMAIN (builds the NSEC chain) ${firstDenialMs} ms, the next ${Date.now() - t} ms\n`,
    );
    if (AXFR) {
      t = Date.now();
      const records = await axfrCount(port);
      process.stdout.write(
        `ddns: AXFR of the signed zone, ${records} records in ${Date.now() - t} ms; ` +
          `RSS after ${(rssKb(ddns.child.pid!) / 1024).toFixed(0)} MiB\n`,
      );
    }
    await ddns.stop();

    if (PEERS.includes('nsd')) {
      const nsdPort = await freePort();
      writeFileSync(
        join(dir, 'nsd.conf'),
        `server:\n  ip-address: 127.0.0.1\n  port: ${nsdPort}\n  username: ""\n  chroot: ""\n  zonesdir: "${dir}"\n  database: ""\n` +
          `  zonelistfile: "${dir}/zone.list"\n  xfrdfile: "${dir}/xfrd.state"\n  pidfile: "${dir}/nsd.pid"\n  logfile: "${dir}/nsd.log"\n` +
          `  server-count: ${WORKERS}\n  rrl-ratelimit: 0\n  verbosity: 0\nremote-control:\n  control-enable: no\n` +
          `zone:\n  name: ${ZONE}\n  zonefile: "${dir}/${ZONE}.zone"\n`,
      );
      const nsd = start('nsd', ['-d', '-c', join(dir, 'nsd.conf')]);
      procs.push(nsd);
      await waitForDns(nsdPort, benchName(N - 1, ZONE));
      rows.push(await measure('nsd', nsdPort, queries, `server-count ${WORKERS}, RRL off`));
      await nsd.stop();
    }

    if (PEERS.includes('pdns')) {
      const pdnsPort = await freePort();
      writeFileSync(
        join(dir, 'named.conf'),
        `zone "${ZONE}" { type master; file "${dir}/${ZONE}.zone"; };\n`,
      );
      const pdns = start('pdns_server', [
        '--no-config',
        '--daemon=no',
        '--guardian=no',
        '--disable-syslog',
        '--launch=bind',
        `--bind-config=${dir}/named.conf`,
        '--local-address=127.0.0.1',
        `--local-port=${pdnsPort}`,
        `--socket-dir=${dir}`,
        `--receiver-threads=${WORKERS}`,
        '--reuseport=yes',
        '--loglevel=3',
      ]);
      procs.push(pdns);
      await waitForDns(pdnsPort, benchName(N - 1, ZONE));
      rows.push(await measure('pdns', pdnsPort, queries, `bind backend, ${WORKERS} receivers`));
      await pdns.stop();
    }

    if (PEERS.includes('echo')) {
      // not a DNS server: the cost of Node's UDP I/O alone, the ceiling for any Node server here
      const echoPort = await freePort();
      const echo = start(process.execPath, ['--import', 'tsx', join(ROOT, 'bench/node-echo.ts')], {
        ...process.env,
        ECHO_PORT: String(echoPort),
        ECHO_WORKERS: String(WORKERS),
      });
      procs.push(echo);
      await waitForDns(echoPort, ZONE, 30_000, { anyReply: true });
      rows.push(await measure('echo', echoPort, queries, `bare Node dgram echo, ${WORKERS} workers`));
      await echo.stop();
    }
  } finally {
    for (const p of procs) await p.stop();
    await db.drop();
    rmSync(dir, { recursive: true, force: true });
  }

  const f = (x: number, d = 0) => (Number.isFinite(x) ? x.toFixed(d) : '-');
  process.stdout.write(
    `\n${N} names, ${DURATION} s per run, dnsperf -c 8 -T 2 (max) / -Q ${RATE} (latency)\n`,
  );
  process.stdout.write(
    `${'server'.padEnd(8)}${'qps'.padStart(10)}${'avg ms'.padStart(9)}${'lost %'.padStart(8)}${`p50@${RATE}`.padStart(12)}${`p99@${RATE}`.padStart(12)}  note\n`,
  );
  for (const r of rows) {
    process.stdout.write(
      `${r.server.padEnd(8)}${f(r.qps).padStart(10)}${f(r.avgMs, 3).padStart(9)}${f(r.lostPct, 2).padStart(8)}${f(r.p50Ms, 3).padStart(12)}${f(r.p99Ms, 3).padStart(12)}  ${r.note}\n`,
    );
  }
  const ours = rows.find((r) => r.server === 'ddns');
  const signed = rows.find((r) => r.server === 'ddns+DO');
  if (ours && signed)
    process.stdout.write(
      `ddns signed/unsigned: qps ${f(signed.qps / ours.qps, 2)}x, p99 ${f(signed.p99Ms / ours.p99Ms, 2)}x\n`,
    );
  for (const r of rows) {
    if (r === ours || r === signed || !ours) continue;
    process.stdout.write(
      `ddns/${r.server}: qps ${f(ours.qps / r.qps, 2)}x, p99 ${f(ours.p99Ms / r.p99Ms, 2)}x\n`,
    );
  }
}

main().catch((err: unknown) => {
  process.stderr.write(
    `bench:dns failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
  );
  process.exit(1);
});
