import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, ROOT, start, waitForDns, type Proc } from '../lib';

/** A server to compare with, answering the bench zone from a master file on a free port. */
export interface Peer {
  proc: Proc;
  port: number;
}

export interface PeerOptions {
  /** a directory of its own (configuration, pid and state files) */
  dir: string;
  zone: string;
  /** the master file (signed or not) */
  zoneFile: string;
  /** NSD server-count, PowerDNS receiver-threads, echo processes */
  workers: number;
  /** a name that answers once the zone is loaded */
  probe: string;
}

function run(cmd: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) =>
    execFile(cmd, args, { maxBuffer: 1 << 26 }, (err, stdout, stderr) =>
      err ? reject(new Error(`${cmd} ${args.join(' ')}: ${err.message} ${stderr}`)) : resolve(stdout),
    ),
  );
}

async function ready(proc: Proc, port: number, probe: string, what: string): Promise<Peer> {
  const exited = () => proc.child.exitCode !== null || proc.child.signalCode !== null;
  try {
    await waitForDns(port, probe, 300_000, { exited });
  } catch (err) {
    await proc.stop();
    throw new Error(`${what}: ${(err as Error).message}\n${proc.stderr()}`);
  }
  return { proc, port };
}

/** NSD, RRL off, `server-count` = workers. */
export async function startNsd(o: PeerOptions): Promise<Peer> {
  mkdirSync(o.dir, { recursive: true });
  const port = await freePort();
  const d = o.dir;
  writeFileSync(
    join(d, 'nsd.conf'),
    `server:\n  ip-address: 127.0.0.1\n  port: ${port}\n  username: ""\n  chroot: ""\n  zonesdir: "${d}"\n  database: ""\n` +
      `  zonelistfile: "${d}/zone.list"\n  xfrdfile: "${d}/xfrd.state"\n  pidfile: "${d}/nsd.pid"\n  logfile: "${d}/nsd.log"\n` +
      `  server-count: ${o.workers}\n  rrl-ratelimit: 0\n  verbosity: 0\nremote-control:\n  control-enable: no\n` +
      `zone:\n  name: ${o.zone}\n  zonefile: "${o.zoneFile}"\n`,
  );
  return ready(start('nsd', ['-d', '-c', join(d, 'nsd.conf')]), port, o.probe, 'nsd');
}

/**
 * PowerDNS with the bind backend, `receiver-threads` = workers. A signed master file is served as it is
 * (the zone marked PRESIGNED in a bind-dnssec-db), as NSD serves it: no signing in either.
 */
export async function startPdns(o: PeerOptions & { presigned: boolean }): Promise<Peer> {
  mkdirSync(o.dir, { recursive: true });
  const port = await freePort();
  const d = o.dir;
  writeFileSync(join(d, 'named.conf'), `zone "${o.zone}" { type master; file "${o.zoneFile}"; };\n`);
  const conf = [
    'launch=bind',
    `bind-config=${d}/named.conf`,
    ...(o.presigned ? [`bind-dnssec-db=${d}/dnssec.db`] : []),
  ];
  writeFileSync(join(d, 'pdns.conf'), `${conf.join('\n')}\n`);
  if (o.presigned) {
    await run('pdnsutil', [`--config-dir=${d}`, 'create-bind-db', `${d}/dnssec.db`]);
    await run('pdnsutil', [`--config-dir=${d}`, 'set-presigned', o.zone]);
  }
  const proc = start('pdns_server', [
    `--config-dir=${d}`,
    '--daemon=no',
    '--guardian=no',
    '--disable-syslog',
    '--local-address=127.0.0.1',
    `--local-port=${port}`,
    `--socket-dir=${d}`,
    `--receiver-threads=${o.workers}`,
    '--reuseport=yes',
    '--loglevel=3',
  ]);
  return ready(proc, port, o.probe, 'pdns');
}

/** Not a DNS server: Node's UDP I/O alone (bench/node-echo.ts), the ceiling for any Node server here. */
export async function startEcho(o: { workers: number; zone: string }): Promise<Peer> {
  const port = await freePort();
  const proc = start(process.execPath, ['--import', 'tsx', join(ROOT, 'bench/node-echo.ts')], {
    ...process.env,
    ECHO_PORT: String(port),
    ECHO_WORKERS: String(o.workers),
  });
  await waitForDns(port, o.zone, 30_000, { anyReply: true });
  return { proc, port };
}

/**
 * The master file signed as ddns signs (one ECDSA P-256 key signing everything, NSEC) with BIND's
 * dnssec-signzone, for NSD and PowerDNS: their signed rows serve signatures made ahead, ddns's its own.
 */
export async function signZoneFile(dir: string, zone: string, zoneFile: string): Promise<string> {
  mkdirSync(dir, { recursive: true });
  await run('dnssec-keygen', ['-q', '-K', dir, '-a', 'ECDSAP256SHA256', '-f', 'KSK', zone]);
  const signed = join(dir, `${zone}.signed`);
  await run('dnssec-signzone', ['-q', '-K', dir, '-d', dir, '-S', '-z', '-o', zone, '-f', signed, zoneFile]);
  return signed;
}
