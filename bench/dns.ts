/**
 * pnpm bench:dns [--names 1000 | --compare-names 1000,1000000] [--duration 5] [--rate 20000]
 *                [--paths native,ts] [--zones unsigned,signed] [--peers nsd,pdns,echo]
 *                [--workers 2] [--native-workers 1] [--udp-threads <cores>] [--axfr]
 *
 * Builds a zone of N names twice, in two fresh databases: unsigned (no keys) and signed (one ECDSA P-256 key, as
 * every zone by default). ddns (services/dns/src/main.ts, child process, RRL off) serves each on each UDP path:
 * the native addon (DNS_FAST_PATH=on, `--native-workers` processes with `--udp-threads` addon threads each) and
 * the TypeScript responder (DNS_FAST_PATH=off, `--workers` cluster processes). NSD and PowerDNS (bind backend)
 * serve the same zone from a master file, unsigned and signed ahead by dnssec-signzone (`--workers` threads);
 * the echo is Node's UDP I/O alone. dnsperf runs against each for the same duration: after an untimed pass over
 * the query file, max throughput (qps, average latency), then a fixed rate with per-query latencies (p50/p99).
 * The signed zone is queried plain and with the DO bit (dnsperf -D: RRSIGs in every answer).
 * Prints a table per zone size, the ddns/peer ratios and a met/missed line per target of issue #16.
 * `--axfr` also times one AXFR of the signed zone (ddns signs all that was not yet) and the RSS after.
 */
import { execFile } from 'node:child_process';
import { availableParallelism, loadavg } from 'node:os';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createDb } from '../packages/db/src/index';
import { ensureZoneKeys } from '../packages/registry/src/index';
import { startDdns, rssKb, type UdpPath } from './dns/ddns';
import { measure, warmUp } from './dns/dnsperf';
import { signZoneFile, startEcho, startNsd, startPdns, type Peer } from './dns/peers';
import {
  medianRun,
  printNamesComparison,
  printRun,
  type Load,
  type Row,
  type Run,
  type Server,
  type ZoneKind,
} from './dns/report';
import { arg, benchDatabase, benchName, fillZone, tempDir, zoneFile, type BenchDb } from './lib';

const list = (name: string, def: string) => arg(name, def).split(',').filter(Boolean);
const NAMES = list('compare-names', arg('names', '1000')).map(Number);
const DURATION = Number(arg('duration', '5'));
const RATE = Number(arg('rate', '20000'));
const PATHS = list('paths', 'native,ts') as UdpPath[];
const ZONES = list('zones', 'unsigned,signed') as ZoneKind[];
const PEERS = list('peers', 'nsd,pdns,echo');
// The TypeScript path scales with processes (node:cluster), one per core; the native path with the addon's
// threads, which do not need the event loop: one process (the JS thread only fills the cache) and a thread
// per core. NSD and PowerDNS get --workers processes/threads.
const WORKERS = Number(arg('workers', String(availableParallelism())));
const NATIVE_WORKERS = Number(arg('native-workers', '1'));
const UDP_THREADS = Number(arg('udp-threads', String(availableParallelism())));
const AXFR = process.argv.includes('--axfr');
// on a shared machine the load moves under a run: every server measured in each round, the median reported
const ROUNDS = Number(arg('rounds', '1'));
const ZONE = 'bench.test';
const SECRETS_KEY = process.env.SECRETS_KEY ?? 'bench-secrets-key-0123456789-abcdefghijklm';

const say = (s: string) => process.stdout.write(`${s}\n`);

function dig(args: string[]): Promise<string> {
  return new Promise((resolve, reject) =>
    execFile('dig', args, { maxBuffer: (1 << 31) >>> 0 }, (err, stdout) =>
      err && !stdout ? reject(err) : resolve(stdout),
    ),
  );
}

async function timed<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const t = Date.now();
  const v = await fn();
  return [v, Date.now() - t];
}

/** The zone in a fresh database; signed: with its key made (ddns signs as it answers). */
async function zoneDatabase(names: number, kind: ZoneKind): Promise<BenchDb> {
  const db = await benchDatabase();
  const [, ms] = await timed(() => fillZone(db.url, ZONE, names));
  const kdb = createDb(db.url, { max: 1 });
  if (kind === 'signed') await ensureZoneKeys(kdb, { secretsKey: SECRETS_KEY });
  else await kdb.updateTable('zones').set({ dnssec: false }).execute();
  await kdb.destroy();
  say(`${kind} zone ${ZONE}: ${names} names inserted in ${ms} ms`);
  return db;
}

async function runOnce(names: number): Promise<Run> {
  const dir = tempDir('dns');
  const dbs = new Map<ZoneKind, BenchDb>();
  const rows: Row[] = [];
  const loads: Load[] = [];
  const skipped: string[] = [];
  const running: Array<{ stop(): Promise<void> }> = [];
  const measureRow = async (
    server: Server,
    port: number,
    zone: ZoneKind | null,
    dnssecOk: boolean,
    note: string,
  ) => {
    const o = { port, queries, durationS: DURATION, rate: RATE, dnssecOk };
    await warmUp(o);
    rows.push({ server, zone, dnssecOk, note, ...(await measure(o)) });
  };
  const queries = join(dir, 'queries.txt');
  const loadBefore = loadavg()[0]!;
  try {
    for (const kind of ZONES) dbs.set(kind, await zoneDatabase(names, kind));
    const lines: string[] = [];
    for (let i = 0; i < Math.min(names, 100_000); i++)
      lines.push(`${benchName(Math.floor(Math.random() * names), ZONE)} A`);
    writeFileSync(queries, `${lines.join('\n')}\n`);

    let timedFirstDenial = false;
    for (const path of PATHS)
      for (const kind of ZONES) {
        const server: Server = path === 'native' ? 'ddns native' : 'ddns ts';
        const workers = path === 'native' ? NATIVE_WORKERS : WORKERS;
        // a server that does not start (DNS_FAST_PATH=on without the addon) loses its rows, not the run
        const ddns = await startDdns({
          databaseUrl: dbs.get(kind)!.url,
          zone: ZONE,
          names,
          path,
          workers,
          udpThreads: UDP_THREADS,
          secretsKey: SECRETS_KEY,
          secondary: AXFR && kind === 'signed',
        }).catch((err: Error) => {
          skipped.push(`${server} ${kind}: ${err.message.split('\n')[0]}`);
          say(`${server} ${kind}: NOT MEASURED: ${err.message}`);
          return null;
        });
        if (!ddns) continue;
        running.push(ddns.proc);
        loads.push({
          server,
          zone: kind,
          readyMs: ddns.readyMs,
          loadMs: ddns.loadMs,
          rssKb: ddns.rssKb,
          udpPath: ddns.udpPath,
        });
        // the server's own word for its path: a bench of an addon that did not load must not pass for one
        const said = ddns.udpPath ?? 'not logged';
        const how =
          path === 'native'
            ? `${workers} process(es) x ${UDP_THREADS} addon threads, udpPath ${said}`
            : `${workers} process(es), udpPath ${said}`;
        await measureRow(server, ddns.port, kind, false, how);
        if (kind === 'signed') {
          await measureRow(server, ddns.port, kind, true, `${how}, RRSIGs signed on first use`);
          if (!timedFirstDenial) {
            // the NSEC chain is built while loading: the first signed denial costs no more than the next
            timedFirstDenial = true;
            const q = (n: string) =>
              dig([
                '@127.0.0.1',
                '-p',
                String(ddns.port),
                n,
                'A',
                '+dnssec',
                '+tcp',
                '+time=120',
                '+tries=1',
              ]);
            const [, first] = await timed(() => q(`no-such-name.${ZONE}`));
            const [, next] = await timed(() => q(`no-such-name-2.${ZONE}`));
            say(`${server}: first signed NXDOMAIN ${first} ms, the next ${next} ms`);
          }
          if (AXFR) {
            const [axfr, ms] = await timed(() =>
              dig(['@127.0.0.1', '-p', String(ddns.port), ZONE, 'AXFR', '+nocmd', '+nostats', '+time=600']),
            );
            const records = axfr.split('\n').filter((l) => l && !l.startsWith(';')).length;
            say(
              `${server}: AXFR of the signed zone, ${records} records in ${ms} ms; ` +
                `RSS after ${(rssKb(ddns.proc.child.pid!) / 1024).toFixed(0)} MiB`,
            );
          }
        }
        await ddns.proc.stop();
        say(`${server} ${kind}: measured`);
      }

    const masterFiles = new Map<ZoneKind, string>();
    if (PEERS.some((p) => p === 'nsd' || p === 'pdns')) {
      const plain = join(dir, `${ZONE}.zone`);
      writeFileSync(plain, zoneFile(ZONE, names));
      if (ZONES.includes('unsigned')) masterFiles.set('unsigned', plain);
      if (ZONES.includes('signed')) {
        const [signed, ms] = await timed(() => signZoneFile(join(dir, 'keys'), ZONE, plain));
        say(`dnssec-signzone: ${names} names signed for NSD and PowerDNS in ${ms} ms`);
        masterFiles.set('signed', signed);
      }
    }
    const probe = benchName(names - 1, ZONE);
    const peerRuns: Array<[Server, ZoneKind, (d: string, file: string) => Promise<Peer>, string]> = [];
    for (const [kind, file] of masterFiles) {
      if (PEERS.includes('nsd'))
        peerRuns.push([
          'nsd',
          kind,
          (d) => startNsd({ dir: d, zone: ZONE, zoneFile: file, workers: WORKERS, probe }),
          `server-count ${WORKERS}, RRL off`,
        ]);
      if (PEERS.includes('pdns'))
        peerRuns.push([
          'pdns',
          kind,
          (d) =>
            startPdns({
              dir: d,
              zone: ZONE,
              zoneFile: file,
              workers: WORKERS,
              probe,
              presigned: kind === 'signed',
            }),
          `bind backend, ${WORKERS} receiver threads${kind === 'signed' ? ', presigned' : ''}`,
        ]);
    }
    for (const [server, kind, startPeer, note] of peerRuns) {
      const peer = await startPeer(join(dir, `${server}-${kind}`), masterFiles.get(kind)!);
      running.push(peer.proc);
      await measureRow(server, peer.port, kind, false, note);
      if (kind === 'signed') await measureRow(server, peer.port, kind, true, `${note}, signed ahead`);
      await peer.proc.stop();
      say(`${server} ${kind}: measured`);
    }
    if (PEERS.includes('echo')) {
      const echo = await startEcho({ workers: WORKERS, zone: ZONE });
      running.push(echo.proc);
      await measureRow('echo', echo.port, null, false, `bare Node dgram echo, ${WORKERS} processes`);
      await echo.proc.stop();
    }
  } finally {
    for (const p of running) await p.stop();
    for (const db of dbs.values()) await db.drop();
    rmSync(dir, { recursive: true, force: true });
  }
  return { names, rows, loads, skipped, loadAvg: [loadBefore, loadavg()[0]!] };
}

async function main(): Promise<void> {
  const runs: Run[] = [];
  for (const names of NAMES) {
    const rounds: Run[] = [];
    for (let r = 0; r < ROUNDS; r++) rounds.push(await runOnce(names));
    const run = medianRun(rounds);
    runs.push(run);
    printRun(run, { durationS: DURATION, rate: RATE });
  }
  printNamesComparison(runs);
}

main().catch((err: unknown) => {
  process.stderr.write(
    `bench:dns failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
  );
  process.exit(1);
});
