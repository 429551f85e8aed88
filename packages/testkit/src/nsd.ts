import { spawn, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { digShort } from './dig';

/** A real NSD (Debian) serving zone files we write: e.g. a parent zone that delegates (or not) to ddns. */
export interface NsdServer {
  port: number;
  /** replaces the zone files and restarts NSD on the same port (waits until it answers again) */
  setZones(zones: Record<string, string>): Promise<void>;
  stop(): Promise<void>;
  log(): string;
}

/** The zone file of `parent.test` (its own name server ns.parent.test at 127.0.0.1) plus `extra` lines, e.g.
 *  a delegation `child IN NS ns1.dyn.test.` to our name server. */
export const parentTestZone = (extra: string[]): string =>
  [
    '$ORIGIN parent.test.',
    '$TTL 60',
    '@ IN SOA ns.parent.test. hostmaster.parent.test. 1 3600 600 86400 60',
    '@ IN NS ns.parent.test.',
    'ns IN A 127.0.0.1',
    ...extra,
    '',
  ].join('\n');

async function freeDualPort(): Promise<number> {
  for (;;) {
    const u = dgram.createSocket('udp4');
    const port = await new Promise<number>((r) => u.bind(0, '127.0.0.1', () => r(u.address().port)));
    const ok = await new Promise<boolean>((r) => {
      const t = net.createServer();
      t.once('error', () => r(false));
      t.listen(port, '127.0.0.1', () => t.close(() => r(true)));
    });
    u.close();
    if (ok) return port;
  }
}

const conf = (dir: string, port: number, zones: string[]) =>
  `server:
  ip-address: 127.0.0.1
  port: ${port}
  username: ""
  chroot: ""
  zonesdir: "${dir}"
  database: ""
  zonelistfile: "${dir}/zone.list"
  xfrdfile: "${dir}/xfrd.state"
  xfrdir: "${dir}"
  pidfile: "${dir}/nsd.pid"
  logfile: "${dir}/server.log"
  server-count: 1
  verbosity: 1
  rrl-ratelimit: 0
remote-control:
  control-enable: no
` + zones.map((z) => `zone:\n  name: ${z}\n  zonefile: "${dir}/${z}.zone"\n`).join('');

/** Starts NSD on 127.0.0.1 with the given zones (name → zone file text) and waits until the first answers. */
export async function startNsd(zones: Record<string, string>): Promise<NsdServer> {
  const dir = mkdtempSync(join(tmpdir(), 'ddns-nsd-'));
  const port = await freeDualPort();
  let proc: ChildProcess | null = null;
  const log = () => {
    try {
      return readFileSync(join(dir, 'server.log'), 'utf8');
    } catch {
      return '';
    }
  };
  const stopProc = async () => {
    const p = proc;
    proc = null;
    if (p && p.exitCode === null && p.signalCode === null) {
      const exited = new Promise((r) => p.once('exit', r));
      p.kill('SIGTERM');
      await exited;
    }
  };
  const setZones = async (z: Record<string, string>) => {
    await stopProc();
    for (const [name, text] of Object.entries(z)) writeFileSync(join(dir, `${name}.zone`), text);
    writeFileSync(join(dir, 'nsd.conf'), conf(dir, port, Object.keys(z)));
    proc = spawn('nsd', ['-d', '-c', join(dir, 'nsd.conf')], { stdio: 'ignore' });
    const first = Object.keys(z)[0]!;
    const until = Date.now() + 20_000;
    for (;;) {
      const soa = await digShort(port, first, 'SOA').catch(() => []);
      if (soa.length) return;
      if (Date.now() > until) throw new Error(`nsd did not start: ${log()}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  await setZones(zones);
  return {
    port,
    setZones,
    log,
    async stop() {
      await stopProc();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
