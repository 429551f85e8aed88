import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { benchName, freePort, ROOT, start, waitForDns, type Proc } from '../lib';

/** Which UDP path ddns answers from: the native addon (DNS_FAST_PATH=on) or the TypeScript responder (off). */
export type UdpPath = 'native' | 'ts';

export interface DdnsOptions {
  databaseUrl: string;
  zone: string;
  names: number;
  path: UdpPath;
  /** DNS_WORKERS (node:cluster processes) */
  workers: number;
  /** DNS_UDP_THREADS (native path: sockets/threads of the addon in each process) */
  udpThreads: number;
  secretsKey: string;
  /** a secondary makes the server sign ahead in the background: only when the AXFR is timed */
  secondary: boolean;
}

export interface Ddns {
  proc: Proc;
  port: number;
  /** process start to the last name answering */
  readyMs: number;
  /** the server's own "zones loaded" line: load alone */
  loadMs: number | null;
  /** the path the server says it answers UDP from (its "udp path" log line); null when it says nothing */
  udpPath: string | null;
  rssKb: number;
}

/** The resident memory of a process and all its children (cluster workers). */
export function rssKb(pid: number): number {
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

function logLine<T>(out: string, msg: string): T | null {
  const line = out.split('\n').find((l) => l.includes(`"msg":"${msg}"`));
  return line ? (JSON.parse(line) as T) : null;
}

/**
 * services/dns/src/main.ts in a child process (tsx, so the addon loads from packages/udp-native/build), RRL off,
 * on a free port; resolves once the zone's last name answers. BENCH_NODE_ARGS go to its node (e.g. --cpu-prof).
 */
export async function startDdns(o: DdnsOptions): Promise<Ddns> {
  const port = await freePort();
  const t = Date.now();
  const nodeArgs = (process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const proc = start(
    process.execPath,
    [...nodeArgs, '--import', 'tsx', join(ROOT, 'services/dns/src/main.ts')],
    {
      ...process.env,
      DATABASE_URL: o.databaseUrl,
      DNS_HOST: '127.0.0.1',
      DNS_PORT: String(port),
      DNS_METRICS_PORT: String(await freePort()),
      DNS_RRL: 'false',
      DNS_WORKERS: String(o.workers),
      DNS_FAST_PATH: o.path === 'native' ? 'on' : 'off',
      DNS_UDP_THREADS: String(o.udpThreads),
      SECRETS_KEY: o.secretsKey,
      DNS_SECONDARIES: o.secondary ? '127.0.0.1' : '',
      LOG_LEVEL: 'info',
    },
  );
  // bench/dns/loop-stats.mjs's lines, when preloaded, go to the bench's stderr as they come
  proc.child.stderr?.on('data', (d: Buffer) => {
    for (const l of d.toString().split('\n'))
      if (l.startsWith('[loop ')) process.stderr.write(`${o.path} ${l}\n`);
  });
  try {
    await waitForDns(port, benchName(o.names - 1, o.zone), Math.max(120_000, o.names * 0.6), {
      exited: () => proc.child.exitCode !== null || proc.child.signalCode !== null,
    });
  } catch (err) {
    await proc.stop();
    throw new Error(`ddns (${o.path} path) did not answer: ${(err as Error).message}\n${proc.stderr()}`);
  }
  const readyMs = Date.now() - t;
  const out = proc.stdout();
  return {
    proc,
    port,
    readyMs,
    loadMs: logLine<{ ms: number }>(out, 'zones loaded')?.ms ?? null,
    udpPath: logLine<{ udpPath: string }>(out, 'udp path')?.udpPath ?? null,
    rssKb: rssKb(proc.child.pid!),
  };
}
