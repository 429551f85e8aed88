import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventually, parseDig, run } from './helpers';
import { freeDualPort } from './ports';

/** A validating Unbound (Debian's, unprivileged, on a free port) with a stub zone to one server and one trust anchor. */
export interface ValidatingUnbound {
  port: number;
  resolve(name: string, type: string): Promise<ReturnType<typeof parseDig>>;
  log(): string;
  stop(): Promise<void>;
}

const conf = (dir: string, port: number, zone: string, stub: number, anchor: string) => `server:
  interface: 127.0.0.1
  port: ${port}
  username: ""
  chroot: ""
  directory: "${dir}"
  pidfile: "${dir}/unbound.pid"
  use-syslog: no
  logfile: "${dir}/unbound.log"
  verbosity: 1
  val-log-level: 2
  do-ip6: no
  do-tcp: yes
  do-not-query-localhost: no
  module-config: "validator iterator"
  qname-minimisation: no
  aggressive-nsec: no
  local-zone: "test." nodefault
  trust-anchor: ${anchor}
stub-zone:
  name: "${zone}"
  stub-addr: 127.0.0.1@${stub}
remote-control:
  control-enable: no
`;

/** `anchor`: an Unbound `trust-anchor:` value, e.g. `"dyn.test. DNSKEY 257 3 13 …"`. Resolves once the zone's SOA does. */
export async function startValidatingUnbound(opts: {
  zone: string;
  stubPort: number;
  anchor: string;
}): Promise<ValidatingUnbound> {
  const dir = mkdtempSync(join(tmpdir(), 'ddns-unbound-'));
  const port = await freeDualPort();
  const file = join(dir, 'unbound.conf');
  writeFileSync(file, conf(dir, port, opts.zone, opts.stubPort, opts.anchor));
  const proc = spawn('unbound', ['-d', '-c', file], { stdio: 'ignore' });
  const log = () =>
    existsSync(join(dir, 'unbound.log')) ? readFileSync(join(dir, 'unbound.log'), 'utf8') : '';
  const resolve = async (name: string, type: string) =>
    parseDig(
      await run('dig', ['@127.0.0.1', '-p', String(port), name, type, '+dnssec', '+time=5', '+tries=1']),
    );
  const stop = async () => {
    if (proc.exitCode === null && proc.signalCode === null) {
      const exited = new Promise((r) => proc.once('exit', r));
      proc.kill('SIGTERM');
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await eventually(async () => (await resolve(opts.zone, 'SOA')).status === 'NOERROR', 100);
  } catch (e) {
    const text = log();
    await stop();
    throw new Error(`unbound did not answer: ${String(e)}\n${text}`);
  }
  return { port, resolve, log, stop };
}
