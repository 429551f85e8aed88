import { execFile } from 'node:child_process';
import { percentile } from '../lib';

/** One measured server: dnsperf at full speed, then paced at a fixed rate with every query's latency. */
export interface Measurement {
  qps: number;
  avgMs: number;
  lostPct: number;
  p50Ms: number;
  p99Ms: number;
}

export interface MeasureOptions {
  port: number;
  queries: string;
  durationS: number;
  rate: number;
  /** queries with the DO bit (dnsperf -D: EDNS, RRSIGs in every signed answer) */
  dnssecOk: boolean;
}

function dnsperf(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('dnsperf', args, { maxBuffer: 1 << 30 }, (err, stdout, stderr) => {
      if (err && !stdout) reject(new Error(`dnsperf: ${err.message} ${stderr}`));
      else resolve(stdout);
    });
  });
}

const common = (o: MeasureOptions) => [
  '-s',
  '127.0.0.1',
  '-p',
  String(o.port),
  '-d',
  o.queries,
  ...(o.dnssecOk ? ['-D'] : []),
];

/**
 * Every name of the query file asked once, untimed: each server is measured warm (a caching server's first
 * answer to a name is not the one it serves a million times), and all of them get the same pass.
 */
export async function warmUp(o: MeasureOptions): Promise<void> {
  await dnsperf([...common(o), '-n', '1', '-c', '4', '-T', '1', '-q', '200']);
}

export async function measure(o: MeasureOptions): Promise<Measurement> {
  const timed = [...common(o), '-l', String(o.durationS)];
  const max = await dnsperf([...timed, '-c', '8', '-T', '2', '-q', '500']);
  const qps = Number(/Queries per second:\s+([\d.]+)/.exec(max)?.[1] ?? NaN);
  const avgMs = Number(/Average Latency \(s\):\s+([\d.]+)/.exec(max)?.[1] ?? NaN) * 1000;
  const lostPct = Number(/Queries lost:\s+\d+ \(([\d.]+)%\)/.exec(max)?.[1] ?? NaN);
  // fixed rate, every query's latency (dnsperf -v prints "> RCODE name type latency")
  const paced = await dnsperf([...timed, '-c', '4', '-T', '1', '-Q', String(o.rate), '-v']);
  const lat = Float64Array.from(
    paced
      .split('\n')
      .map((l) => /^> \S+ \S+ \S+ ([\d.]+)$/.exec(l.trim())?.[1])
      .filter((x): x is string => x !== undefined)
      .map((x) => Number(x) * 1000),
  ).sort();
  return { qps, avgMs, lostPct, p50Ms: percentile(lat, 50), p99Ms: percentile(lat, 99) };
}
